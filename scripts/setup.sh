#!/usr/bin/env bash
# Installs everything Quire needs to build, run and test, on Debian/Ubuntu.
# Idempotent and quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# System packages: Chromium for the browser tests, PostgreSQL for the
# PostgreSQL tests, Redis for the multi-instance tests, Node for Playwright. (wasm-opt for release builds comes from
# npm's binaryen in end2end/: Debian's is too old for today's wasm-bindgen output.)
need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
command -v redis-server >/dev/null || need_apt+=(redis-server)
command -v node >/dev/null || need_apt+=(nodejs)
command -v npm >/dev/null || need_apt+=(npm)
command -v cc >/dev/null || need_apt+=(build-essential)
command -v openssl >/dev/null || need_apt+=(openssl)
if [ ${#need_apt[@]} -gt 0 ]; then
  say "Installing ${need_apt[*]} (apt)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "Adding the wasm32-unknown-unknown Rust target"
  rustup target add wasm32-unknown-unknown
fi

for component in rustfmt clippy; do
  if ! rustup component list --installed | grep -q "^${component}"; then
    say "Adding the ${component} Rust component"
    rustup component add "${component}"
  fi
done

# cargo-leptos 0.3.10: newer releases need a newer rustc than these machines have.
if ! cargo leptos --version 2>/dev/null | grep -q '0\.3\.10'; then
  say "Installing cargo-leptos 0.3.10 (takes a while, once)"
  cargo install cargo-leptos --locked --version 0.3.10
fi

# The wasm-bindgen CLI must match the wasm-bindgen crate in Cargo.lock exactly.
wbg_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if ! wasm-bindgen --version 2>/dev/null | grep -q " ${wbg_version}\$"; then
  say "Installing wasm-bindgen-cli ${wbg_version}"
  cargo install wasm-bindgen-cli --version "${wbg_version}" --force
fi

if [ ! -d end2end/node_modules ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
  say "Installing the Node packages: Playwright, Yjs, binaryen (npm)"
  (cd end2end && npm ci --no-audit --no-fund --loglevel=error)
fi

say "Setup complete"

#!/usr/bin/env bash
# Every benchmark in one command, from a fresh Debian/Ubuntu machine:
#
#   bash bench/run.sh            # the full run (about 30 minutes), rewrites
#                                # BENCHMARKS.md and bench/results/
#   bash bench/run.sh --quick    # a few minutes, to see that everything works
#                                # (writes bench/results/BENCHMARKS.quick.md)
#
# Extra arguments go to `quire-bench run` (for example `--only fanout
# --servers floor,quire`). Not part of the test command: numbers from a busy
# machine mean nothing, so run this on an otherwise idle one.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh   # Rust targets, cargo-leptos, Chromium, Redis, Node, end2end's npm packages
(cd bench/servers && npm ci --no-audit --no-fund --loglevel=error)

# The release builds: Quire (server + wasm, wasm-opt from npm's binaryen) and the harness.
PATH="$PWD/end2end/node_modules/.bin:$PATH" cargo leptos build --release
cargo build --release --locked -p quire-bench
# twiggy, for the breakdown of the wasm in BENCHMARKS.md.
command -v twiggy >/dev/null || cargo install twiggy --locked --version 0.8.0

# matplotlib for the chart, in a virtualenv of its own.
venv=target/bench-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet matplotlib==3.9.2
fi

out=bench/results
mkdir -p "$out"
# The harness (load generator) on CPU 1; it starts every server on CPU 0.
taskset -c 1 target/release/quire-bench run --out "$out" "$@"
"$venv/bin/python" bench/chart.py "$out/results.json" "$out/fanout.png"
echo "bench: results in $out/ and BENCHMARKS.md"

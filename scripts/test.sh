#!/usr/bin/env bash
# Sets up (if needed) and runs every test: formatting and lints, unit and
# integration tests (SQLite and a real PostgreSQL), then the browser suite and
# the stock-Yjs interop test against the real server in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

QUIRE_TEST_POSTGRES_URL=$(bash scripts/postgres.sh start)
export QUIRE_TEST_POSTGRES_URL
trap 'bash scripts/postgres.sh stop' EXIT

# A clean build gains nothing from incremental caches, which double its size.
if [ -n "${CI:-}" ]; then export CARGO_INCREMENTAL=0; fi

echo "==> Format and lints"
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# The browser half (feature hydrate, wasm32) is a different build: lint it too.
cargo clippy -p app --features hydrate --target wasm32-unknown-unknown --target-dir target/front --locked -- -D warnings

echo "==> Unit and integration tests"
cargo test --workspace --locked
# The editor's own JavaScript (its Markdown highlighting); app/build.rs installed its packages.
node --test app/js/test/

echo "==> Building the app (server + WebAssembly)"
cargo leptos build

echo "==> Browser and interop tests"
(cd end2end && npx playwright test)

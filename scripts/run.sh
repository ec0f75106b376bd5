#!/usr/bin/env bash
# Sets up (if needed), builds Quire in release mode and serves it on
# http://127.0.0.1:3000 with SQLite (./data/quire.db). Ctrl+C stops it after
# flushing every pending write.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# wasm-opt from npm's binaryen (see scripts/setup.sh).
PATH="$PWD/end2end/node_modules/.bin:$PATH" cargo leptos build --release
exec target/release/quire

#!/usr/bin/env bash
# Sets up (if needed), builds Quire in release mode and serves it on
# http://127.0.0.1:3000 with SQLite (./data/quire.db). Ctrl+C stops it cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec cargo leptos serve --release

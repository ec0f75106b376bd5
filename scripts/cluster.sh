#!/usr/bin/env bash
# Runs three Quire instances on one machine, as in production but on
# loopback: PostgreSQL (started under target/pg, see postgres.sh), one Redis
# (127.0.0.1:56379, no persistence) and instances on ports 3000, 3001 and
# 3002. Open any of them: a document edited on one is live on the others.
# Put docs/nginx.conf in front of them to serve all three behind one address.
# Ctrl+C stops everything (each instance flushes its writes first).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PATH="$PWD/end2end/node_modules/.bin:$PATH" cargo leptos build --release

database=$(bash scripts/postgres.sh start)
redis_port=56379
pids=()
cleanup() {
  kill "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  bash scripts/postgres.sh stop
}
trap cleanup EXIT INT TERM

redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no --loglevel warning &
pids+=($!)
export DATABASE_URL=$database REDIS_URL=redis://127.0.0.1:$redis_port/
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in 3000 3001 3002; do
  QUIRE_ADDR=127.0.0.1:$port target/release/quire &
  pids+=($!)
  # One at a time: the first applies the migrations.
  until listening "$port"; do sleep 0.2; done
done
echo "Quire on http://127.0.0.1:3000, http://127.0.0.1:3001 and http://127.0.0.1:3002 (Ctrl+C stops)"
wait -n

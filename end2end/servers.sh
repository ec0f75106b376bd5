#!/usr/bin/env bash
# What the browser suite runs against, started by Playwright (playwright.config.js):
# two Quire instances on one fresh SQLite database, relaying through their own
# Redis, as they would behind a load balancer, both offering single sign-on
# through a real OpenID provider (tools/oidc-provider.mjs). Instance A listens
# on QUIRE_E2E_PORT (3100), instance B on the next port, Redis on the one
# after, the provider on the one after that. Stopping this script stops all four.
set -euo pipefail
cd "$(dirname "$0")/.."

port=${QUIRE_E2E_PORT:-3100}
bin=${QUIRE_BIN:-target/debug/quire}
rm -rf target/e2e
mkdir -p target/e2e

pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT INT TERM
# Answers /healthz: the port alone is not enough, since the server listens
# before it has migrated the database (and B must not migrate it at once too).
healthy() {
  (
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf 'GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
    IFS= read -r -t 5 status <&3 && [[ $status == *" 200 "* ]]
  ) 2>/dev/null
}

redis-server --bind 127.0.0.1 --port $((port + 2)) --save '' --appendonly no >target/e2e/redis.log 2>&1 &
pids+=($!)

node end2end/tools/oidc-provider.mjs $((port + 3)) >target/e2e/oidc-provider.log 2>&1 &
pids+=($!)
until grep -q '^listening on ' target/e2e/oidc-provider.log 2>/dev/null; do
  kill -0 "${pids[1]}" 2>/dev/null || { cat target/e2e/oidc-provider.log >&2; echo "the OpenID provider exited" >&2; exit 1; }
  sleep 0.1
done
export QUIRE_OIDC_ISSUER=http://127.0.0.1:$((port + 3))
export QUIRE_OIDC_CLIENT_ID=quire
export QUIRE_OIDC_CLIENT_SECRET=quire-test-secret
export QUIRE_OIDC_NAME="Test ID"

export DATABASE_URL=sqlite://target/e2e/quire.db
export REDIS_URL=redis://127.0.0.1:$((port + 2))/
export RUST_LOG=${RUST_LOG:-warn}
# Every test signs up fresh accounts, all from 127.0.0.1, and without an
# invitation (admin.spec.js signs up through one as well).
export QUIRE_SIGNUPS_PER_HOUR=0
export QUIRE_REGISTRATION=open
# Versions after a short pause, so the history fills as people type.
export QUIRE_VERSION_PAUSE_MS=1500
# Each server's log also goes to target/e2e/server-*.log, which the suite
# checks for panics when it ends (teardown.js): a panic in a request that
# still answered would otherwise pass unnoticed.
QUIRE_ADDR=127.0.0.1:$port "$bin" 2> >(tee target/e2e/server-a.log >&2) &
pids+=($!)
# B starts once A has created and migrated the database.
until healthy "$port"; do
  kill -0 "${pids[2]}" 2>/dev/null || { echo "instance A exited before it was ready" >&2; exit 1; }
  sleep 0.1
done
# B takes documents of up to 200,000 characters (A the default 16 Mi) and
# files of up to 1 MiB (A 25 MiB), so tests can reach the limits without
# sending megabytes.
QUIRE_ADDR=127.0.0.1:$((port + 1)) QUIRE_MAX_DOCUMENT_CHARS=200000 QUIRE_MAX_FILE_BYTES=1048576 "$bin" 2> >(tee target/e2e/server-b.log >&2) &
pids+=($!)

# If any of them stops, stop the rest (the trap) and fail.
wait -n
exit 1

#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server for the tests (loopback, the first free
# port from 55432, data under target/pg) and prints its URL. `postgres.sh stop`
# stops it. Another checkout's test server on the same machine is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."

data="$PWD/target/pg"
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

run_pg() {
  # PostgreSQL refuses to run as root; use its own system user then.
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ "${1:-start}" = stop ]; then
  [ -f "$data/postmaster.pid" ] && run_pg "$bin/pg_ctl" -D "$data" -m fast stop >/dev/null || true
  exit 0
fi

if [ ! -f "$data/PG_VERSION" ]; then
  mkdir -p "$data"
  [ "$(id -u)" -eq 0 ] && chown postgres "$data"
  run_pg "$bin/initdb" -D "$data" -A trust -U postgres >/dev/null
fi
# TLS on (a self-signed certificate), so the tests can prove `sslmode=require`
# works; clients that do not ask for TLS still connect in the clear.
if [ ! -f "$data/server.crt" ]; then
  openssl req -new -x509 -days 3650 -nodes -subj /CN=localhost \
    -keyout "$data/server.key" -out "$data/server.crt" >/dev/null 2>&1
  chmod 600 "$data/server.key"
  [ "$(id -u)" -eq 0 ] && chown postgres "$data/server.key" "$data/server.crt"
fi
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if ! run_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
  port=55432
  while port_in_use "$port"; do port=$((port + 1)); done
  run_pg "$bin/pg_ctl" -D "$data" -w -l "$data/server.log" \
    -o "-p $port -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c ssl=on" start >/dev/null
  echo "$port" > "$data/quire-port"
fi
port=$(cat "$data/quire-port" 2>/dev/null || echo 55432)
echo "postgres://postgres@127.0.0.1:$port/postgres"

#!/usr/bin/env bash
# Starts a private PostgreSQL instance for tests, on 127.0.0.1 only, under
# $KURA_SERVICES_DIR (default /tmp/kura-services). Idempotent: an instance already running
# is reused. Never touches a server it did not start. Prints `export` lines to eval:
#   eval "$(tools/services/start.sh)"
set -euo pipefail
dir=${KURA_SERVICES_DIR:-/tmp/kura-services}
pg_port=${KURA_PG_PORT:-55432}
mkdir -p "$dir"

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -n "$pg_bin" ]; then
  as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
  data="$dir/pg"
  if [ ! -f "$data/PG_VERSION" ]; then
    mkdir -p "$data"
    [ "$(id -u)" = 0 ] && chown postgres "$dir" "$data"
    as_pg "$pg_bin/initdb -D '$data' -U kura --auth=trust >'$dir/initdb.log' 2>&1"
  fi
  if ! as_pg "$pg_bin/pg_ctl -D '$data' status" >/dev/null 2>&1; then
    as_pg "$pg_bin/pg_ctl -D '$data' -w -l '$dir/pg.log' -o \"-p $pg_port -k '$dir' -c listen_addresses=127.0.0.1\" start" >&2
  fi
  as_pg "$pg_bin/psql -h 127.0.0.1 -p $pg_port -U kura -d postgres -tAc \"SELECT 1 FROM pg_database WHERE datname='kura_test'\"" | grep -q 1 \
    || as_pg "$pg_bin/createdb -h 127.0.0.1 -p $pg_port -U kura kura_test"
  echo "export KURA_TEST_DATABASE_URL=postgres://kura@127.0.0.1:$pg_port/kura_test"
else
  echo "services: PostgreSQL is not installed; PostgreSQL tests will be skipped" >&2
fi


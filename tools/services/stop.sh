#!/usr/bin/env bash
# Stops the private PostgreSQL started by start.sh (and nothing else).
set -uo pipefail
dir=${KURA_SERVICES_DIR:-/tmp/kura-services}
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -n "$pg_bin" ] && [ -f "$dir/pg/PG_VERSION" ]; then
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$pg_bin/pg_ctl -D '$dir/pg' -m fast stop"; else "$pg_bin/pg_ctl" -D "$dir/pg" -m fast stop; fi
fi
exit 0

#!/usr/bin/env bash
# scripts/replica.sh start|stop: a hot standby (streaming replication) of ./run.sh's private cluster, for read scaling.
#   start  copies the running primary with pg_basebackup -R into $URBANMONITOR_HOME/standby (first time only), starts it
#          on URBANMONITOR_STANDBY_PORT (default 55434) and prints the multi-host URBANMONITOR_DB for the service:
#          writes go to the primary, anonymous and read-only reads to the standby (README, "Read replica").
#   stop   stops the standby (the service's reads carry on from the primary).
#   URBANMONITOR_HOME, URBANMONITOR_PG_PORT as for ./run.sh.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/scripts/lib.sh"
STATE=${URBANMONITOR_HOME:-$ROOT/.urbanmonitor}
PG_PORT=${URBANMONITOR_PG_PORT:-55432}
STANDBY_PORT=${URBANMONITOR_STANDBY_PORT:-55434}

case "${1:-}" in
  start)
    [ -f "$STATE/pg/PG_VERSION" ] || um_die "no private cluster in $STATE/pg: start ./run.sh first (or set URBANMONITOR_HOME)."
    um_port_busy "$PG_PORT" || um_die "the primary is not running on 127.0.0.1:$PG_PORT: start ./run.sh first."
    # Said here, before anything is copied: the cluster start's own message names the primary's port variable.
    if um_port_busy "$STANDBY_PORT" && ! um_pg "$PG_BIN/pg_ctl" -D "$STATE/standby" status >/dev/null 2>&1; then
      um_die "port $STANDBY_PORT on 127.0.0.1 is taken by another server, so the standby cannot listen there. Set URBANMONITOR_STANDBY_PORT to a free port."
    fi
    PASSWORD=$(cat "$STATE/db-password" 2>/dev/null || true)
    PGPASSWORD=$PASSWORD um_standby_create "$STATE/pg" "$PG_PORT" "$STATE/standby"
    um_cluster_start "$STATE/standby" "$STANDBY_PORT" "$STATE/standby-run"
    um_say "Hot standby of 127.0.0.1:$PG_PORT running on 127.0.0.1:$STANDBY_PORT. For the service:"
    echo "URBANMONITOR_DB='Host=127.0.0.1:$PG_PORT,127.0.0.1:$STANDBY_PORT;Database=urbanmonitor;Username=postgres${PASSWORD:+;Password=$PASSWORD}'"
    ;;
  stop) um_cluster_stop "$STATE/standby" ;;
  *) um_die "usage: scripts/replica.sh start|stop" ;;
esac

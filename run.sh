#!/usr/bin/env bash
# Runs UrbanMonitor with its demo cities on http://127.0.0.1:5080 (see README.md).
#   URBANMONITOR_DB    Npgsql connection string of an existing PostGIS database (else a private cluster in .urbanmonitor/pg)
#   URBANMONITOR_DATA  folder of the real data sets (default ../shared/data; without it the synthetic city is loaded)
#   URBANMONITOR_PORT  HTTP port (default 5080); URBANMONITOR_PG_PORT port of the private cluster (default 55432)
#   URBANMONITOR_HOME  folder of the private cluster, its password, the token key and demo-users.json (default .urbanmonitor)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$ROOT"
. scripts/lib.sh

PORT=${URBANMONITOR_PORT:-5080}
PG_PORT=${URBANMONITOR_PG_PORT:-55432}
DATA=${URBANMONITOR_DATA:-$ROOT/../shared/data}
STATE=${URBANMONITOR_HOME:-$ROOT/.urbanmonitor}
PGDATA_DIR=$STATE/pg
SOCK=$STATE/run

if um_port_busy "$PORT"; then
  um_die "port $PORT on 127.0.0.1 is already in use, so UrbanMonitor cannot serve there. Another ./run.sh may still be running (stop it with Ctrl-C), or another program holds the port (see: ss -ltnp 'sport = :$PORT'). To use another port: URBANMONITOR_PORT=5081 ./run.sh" 1
fi

um_ensure_packages fonts-noto-core postgresql-15-pgrouting

um_say "Building"
um_build_viewer
dotnet build src/UrbanMonitor.Api/UrbanMonitor.Api.csproj -c Release -v q -nologo -clp:ErrorsOnly >/dev/null || dotnet build src/UrbanMonitor.Api/UrbanMonitor.Api.csproj -c Release -v q -nologo -clp:ErrorsOnly
dotnet build src/UrbanMonitor.Cli/UrbanMonitor.Cli.csproj -c Release -v q -nologo -clp:ErrorsOnly >/dev/null || dotnet build src/UrbanMonitor.Cli/UrbanMonitor.Cli.csproj -c Release -v q -nologo -clp:ErrorsOnly
CLI=(dotnet "$ROOT/src/UrbanMonitor.Cli/bin/Release/net10.0/urbanmonitor.dll")
API=(dotnet "$ROOT/src/UrbanMonitor.Api/bin/Release/net10.0/UrbanMonitor.Api.dll")

STARTED_CLUSTER=
API_PID=
cleanup() {
  trap - INT TERM EXIT
  if [ -n "$API_PID" ] && kill -0 "$API_PID" 2>/dev/null; then
    kill -TERM "$API_PID" 2>/dev/null || true
    wait "$API_PID" 2>/dev/null || true
  fi
  if [ -n "$STARTED_CLUSTER" ]; then
    um_say "Stopping the private PostgreSQL cluster"
    um_cluster_stop "$PGDATA_DIR"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -n "${URBANMONITOR_DB:-}" ]; then
  CONN=$URBANMONITOR_DB
  DB_ARGS=()
  um_say "Using the database in URBANMONITOR_DB"
else
  mkdir -p "$STATE"
  if [ ! -f "$PGDATA_DIR/PG_VERSION" ]; then
    um_say "Creating a private PostgreSQL cluster in $PGDATA_DIR"
    head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$STATE/db-password"
    chmod 600 "$STATE/db-password"
    PWFILE=$(mktemp); cp "$STATE/db-password" "$PWFILE"; chmod 644 "$PWFILE"
    um_cluster_init "$PGDATA_DIR" --auth-local=peer --auth-host=scram-sha-256 --pwfile="$PWFILE"
    rm -f "$PWFILE"
  fi
  um_say "Starting the private PostgreSQL cluster on 127.0.0.1:$PG_PORT"
  um_cluster_start "$PGDATA_DIR" "$PG_PORT" "$SOCK"
  STARTED_CLUSTER=1
  CONN="Host=127.0.0.1;Port=$PG_PORT;Database=urbanmonitor;Username=postgres;Password=$(cat "$STATE/db-password")"
  DB_ARGS=(--db "$CONN")
fi

# The key the service signs and checks its own tokens with, made once.
mkdir -p "$STATE"
if [ ! -s "$STATE/jwt-key" ]; then
  (umask 077; head -c 32 /dev/urandom | base64 > "$STATE/jwt-key")
fi
export URBANMONITOR_Auth__SigningKey
URBANMONITOR_Auth__SigningKey=$(cat "$STATE/jwt-key")

um_say "Migrating"
URBANMONITOR_DB=$CONN "${CLI[@]}" migrate --create "${DB_ARGS[@]}"
um_say "Loading the demo cities"
URBANMONITOR_DB=$CONN "${CLI[@]}" demo "${DB_ARGS[@]}" --data "$DATA"
URBANMONITOR_DB=$CONN "${CLI[@]}" users demo "${DB_ARGS[@]}" --out "$STATE/demo-users.json"

um_say "Serving on http://127.0.0.1:$PORT  (viewer /viewer/, API docs /docs, OpenAPI /api, health /health/ready; Ctrl-C stops)"
URBANMONITOR_DB=$CONN \
URBANMONITOR_Logging__Console__FormatterName=${URBANMONITOR_Logging__Console__FormatterName:-simple} \
URBANMONITOR_Viewer__Folder=${URBANMONITOR_Viewer__Folder:-$ROOT/viewer/dist} \
URBANMONITOR_Viewer__DemoUsersFile=${URBANMONITOR_Viewer__DemoUsersFile-$STATE/demo-users.json} \
URBANMONITOR_Tiles__DiskCacheDirectory=${URBANMONITOR_Tiles__DiskCacheDirectory-$ROOT/tiles/cache} \
ASPNETCORE_ENVIRONMENT=${ASPNETCORE_ENVIRONMENT:-Production} \
  "${API[@]}" --urls "http://127.0.0.1:$PORT" --contentRoot "$ROOT/src/UrbanMonitor.Api/bin/Release/net10.0" &
API_PID=$!
set +e
wait "$API_PID"
status=$?
API_PID=
exit "$status"

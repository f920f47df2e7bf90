#!/usr/bin/env bash
# Builds and runs every test of the solution against a throwaway PostGIS cluster (works while ./run.sh serves).
# Ends with the line "N passed, N failed".
#   URBANMONITOR_TEST_DB  use this server (Npgsql connection string to its postgres database) instead of a throwaway cluster
#   Extra arguments go to `dotnet test` (e.g. --filter CitiesApiTests).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$ROOT"
. scripts/lib.sh

um_ensure_packages gdal-bin fonts-noto-core chromium poppler-utils zbar-tools postgresql-15-pgrouting

WORK=$(mktemp -d "${TMPDIR:-/tmp}/urbanmonitor-test.XXXXXX")
chmod 755 "$WORK"   # the postgres user enters it
STARTED_CLUSTER=
cleanup() {
  [ -n "$STARTED_CLUSTER" ] && um_cluster_stop "$WORK/pg"
  rm -rf "$WORK"
}
trap cleanup EXIT

# The RFC 7946 validator the feeds' tests run (tests/geojson-check; the tests skip it locally without it, fail on CI).
if command -v npm >/dev/null; then
  (cd tests/geojson-check && npm ci --no-audit --no-fund --silent) >"$WORK/npm.log" 2>&1 \
    || { cat "$WORK/npm.log"; echo "warning: npm ci in tests/geojson-check failed" >&2; }
fi

um_say "Building the viewer"
um_build_viewer

um_say "Building the solution"
dotnet build UrbanMonitor.sln -v q -nologo -clp:ErrorsOnly >"$WORK/build.log" 2>&1 || {
  cat "$WORK/build.log"
  echo "0 passed, 1 failed"
  exit 1
}

if [ -n "${URBANMONITOR_TEST_DB:-}" ]; then
  um_say "Using the test server in URBANMONITOR_TEST_DB"
else
  PG_PORT=$(um_free_port)
  um_say "Starting a throwaway PostgreSQL cluster on 127.0.0.1:$PG_PORT"
  um_cluster_init "$WORK/pg" --auth=trust
  # Throwaway data: durability off for speed.
  um_cluster_start "$WORK/pg" "$PG_PORT" "$WORK/run" fsync=off synchronous_commit=off full_page_writes=off max_connections=200
  STARTED_CLUSTER=1
  export URBANMONITOR_TEST_DB="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=postgres"
fi
export URBANMONITOR_TEST_TEMPLATE=${URBANMONITOR_TEST_TEMPLATE:-urbanmonitor_template}
unset URBANMONITOR_DB

um_say "Migrating the template database $URBANMONITOR_TEST_TEMPLATE"
dotnet src/UrbanMonitor.Cli/bin/Debug/net10.0/urbanmonitor.dll migrate --create \
  --db "${URBANMONITOR_TEST_DB/Database=postgres/Database=$URBANMONITOR_TEST_TEMPLATE};Pooling=false"

um_say "Running the tests"
set +e
dotnet test UrbanMonitor.sln --no-build -nologo "$@" 2>&1 | tee "$WORK/test.log"
status=${PIPESTATUS[0]}
set -e

read -r passed failed skipped < <(grep -oE 'Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+' "$WORK/test.log" \
  | awk -F'[:,] *' '{f+=$2; p+=$4; s+=$6} END {print p+0, f+0, s+0}')
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi   # the runner itself failed
line="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && line+=", $skipped skipped"
echo "$line"
[ "$failed" -eq 0 ]

# Shared by the benchmark groups (bench/<group>.sh). Source after scripts/lib.sh.
# shellcheck shell=bash

BENCH_HOME=${URBANMONITOR_BENCH_HOME:-$ROOT/.urbanmonitor/bench}
BENCH_PG_PORT=${URBANMONITOR_BENCH_PG_PORT:-55433}
CLI=(dotnet "$ROOT/src/UrbanMonitor.Cli/bin/Release/net10.0/urbanmonitor.dll")
API_DLL="$ROOT/src/UrbanMonitor.Api/bin/Release/net10.0/UrbanMonitor.Api.dll"

# Starts (creating once) the benchmark cluster: stock PostgreSQL settings, 127.0.0.1 only, trust auth.
bench_cluster() {
  mkdir -p "$BENCH_HOME"
  chmod 755 "$BENCH_HOME"
  um_cluster_init "$BENCH_HOME/pg" --auth=trust
  um_cluster_start "$BENCH_HOME/pg" "$BENCH_PG_PORT" "$BENCH_HOME/run"
  BENCH_ADMIN="Host=127.0.0.1;Port=$BENCH_PG_PORT;Username=postgres;Database=postgres"
}

bench_conn() { echo "Host=127.0.0.1;Port=$BENCH_PG_PORT;Username=postgres;Database=$1"; }
bench_psql() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$BENCH_PG_PORT" -U postgres "$@"; }

# bench_city N: prints the name of a database holding the synthetic city of N parcels (seed 42).
# Generated once into a template database and reused by later runs.
bench_city() {
  local n=$1 db="bench_city_$1"
  if ! bench_psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
    um_say "Generating the synthetic city of $n parcels into $db (once)" >&2
    "${CLI[@]}" migrate --create --db "$(bench_conn "$db");Pooling=false" >&2
    # No command timeout: publishing 1M parcels takes longer than Npgsql's default 30 s on this machine.
    "${CLI[@]}" demo --synthetic --parcels "$n" --seed 42 --db "$(bench_conn "$db");Pooling=false;Command Timeout=0" >&2 \
      || { bench_psql -d postgres -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >&2; um_die "generating $db failed"; }
    bench_psql -d "$db" -c "VACUUM ANALYZE" >&2
  fi
  echo "$db"
}

# bench_clone SOURCE NAME: a fresh copy of a database (CREATE DATABASE … TEMPLATE), for benchmarks that write.
bench_clone() {
  bench_psql -d postgres -c "DROP DATABASE IF EXISTS \"$2\" WITH (FORCE)" -c "CREATE DATABASE \"$2\" TEMPLATE \"$1\""
}

bench_machine() {
  local cpu
  cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
  echo "$(nproc) cores ($cpu), $(free -g | awk '/Mem:/ {print $2}') GiB RAM, $(uname -sr), PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}'), .NET $(dotnet --version)"
}

# bench_write GROUP: stdin (a Markdown section) becomes bench/results/GROUP.md, stamped with machine and date.
bench_write() {
  {
    echo "## $1"
    echo
    echo "Measured $(date -u +%Y-%m-%dT%H:%MZ) on $(bench_machine)."
    echo
    cat
    echo
  } > "$ROOT/bench/results/$1.md"
}

# Peak RSS in MB of a command (GNU time), its stdout/stderr passed through; sets BENCH_RSS_MB and BENCH_SECONDS.
bench_timed() {
  local tf; tf=$(mktemp)
  /usr/bin/time -f '%M %e' -o "$tf" "$@"
  read -r kb secs < "$tf"; rm -f "$tf"
  BENCH_RSS_MB=$(( kb / 1024 )); BENCH_SECONDS=$secs
}

# bench_park_bodies DB N FILE: N registration bodies (GeoJSON Features, one per line) for free 5 m squares on a 7 m
# grid inside the synthetic city's parks, each in the district that holds it, none touching an existing parcel.
bench_park_bodies() {
  bench_psql -d "$1" -tA -v n="$2" -o "$3" <<'SQL'
WITH city AS (SELECT id, slug FROM cities WHERE slug = 'synthetic'),
     park AS (SELECT o.id, ST_Transform(o.geom, um_utm_srid(o.geom)) AS g, um_utm_srid(o.geom) AS srid
              FROM open_spaces o JOIN city c ON c.id = o.city_id),
     cell AS (SELECT p.id AS park, p.srid, ST_Expand(ST_Centroid(s.geom), 2.5) AS sq
              FROM park p, LATERAL ST_SquareGrid(7, p.g) s
              WHERE ST_Within(ST_Expand(ST_Centroid(s.geom), 3), p.g)),
     placed AS (SELECT row_number() OVER (ORDER BY cell.park, ST_X(ST_Centroid(sq)), ST_Y(ST_Centroid(sq))) AS n,
                       ST_Transform(ST_SetSRID(sq, cell.srid), 4326) AS geom
                FROM cell)
SELECT json_build_object('type', 'Feature', 'geometry', ST_AsGeoJSON(pl.geom, 9)::json,
         'properties', json_build_object('city', c.slug, 'district', d.code, 'block', 'B' || (pl.n / 1000), 'parcel', (pl.n % 1000)::text))
FROM placed pl CROSS JOIN city c
JOIN LATERAL (SELECT code FROM districts d WHERE d.city_id = c.id AND ST_Within(pl.geom, d.geom) LIMIT 1) d ON true
WHERE NOT EXISTS (SELECT 1 FROM properties x WHERE x.city_id = c.id AND x.geom && pl.geom)
ORDER BY pl.n
LIMIT :n;
SQL
}

# bench_api DB LOG: starts the service (Release build) on database DB at a free port, logging to LOG, and waits until
# it is ready. Sets BENCH_API_PORT and BENCH_API_PID (stop it with kill "$BENCH_API_PID"; wait "$BENCH_API_PID").
bench_api() {
  BENCH_API_PORT=$(um_free_port)
  URBANMONITOR_DB="$(bench_conn "$1")" URBANMONITOR_Logging__LogLevel__Default=Warning \
    ASPNETCORE_URLS="http://127.0.0.1:$BENCH_API_PORT" dotnet "$API_DLL" >"$2" 2>&1 &
  BENCH_API_PID=$!
  for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$BENCH_API_PORT/health/ready" >/dev/null && break; sleep 0.5; done
}

# Benchmarks measure capacity from one load generator (one client address): the per-client rate limit is off.
export URBANMONITOR_Limits__PermitsPerSecond=0

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

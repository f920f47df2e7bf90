# Shared by run.sh and test.sh: install what is missing, manage a private PostgreSQL cluster.
# shellcheck shell=bash

PG_BIN=/usr/lib/postgresql/15/bin
POSTGIS_CONTROL=/usr/share/postgresql/15/extension/postgis.control
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

um_say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
# um_die MESSAGE [EXIT_CODE]: prints the message (not the exit code) and exits.
um_die() { printf 'error: %s\n' "$1" | fold -s -w 110 >&2; exit "${2:-1}"; }

# Installs PostgreSQL 15 + PostGIS 3 (and any extra Debian packages named) when missing.
# Not root: prints the exact apt command and exits non-zero.
um_ensure_packages() {
  local missing=()
  [ -x "$PG_BIN/initdb" ] || missing+=(postgresql-15)
  [ -f "$POSTGIS_CONTROL" ] || missing+=(postgresql-15-postgis-3)
  local extra
  for extra in "$@"; do
    case "$extra" in
      gdal-bin) command -v ogr2ogr >/dev/null || missing+=(gdal-bin) ;;
      *) dpkg -s "$extra" >/dev/null 2>&1 || missing+=("$extra") ;;
    esac
  done
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
      um_die "these Debian packages are missing: ${missing[*]}. Install them as root with: sudo apt-get update && sudo apt-get install -y ${missing[*]} — then run this script again." 1
    fi
    um_say "Installing ${missing[*]} (apt-get)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    # Debian creates and may start its own cluster 15/main on 5432; we use a private one, so keep that one down.
    if command -v pg_ctlcluster >/dev/null && pg_lsclusters 2>/dev/null | grep -q '^15 *main .* online'; then
      pg_ctlcluster 15 main stop || true
    fi
  fi
  command -v dotnet >/dev/null || um_die "the .NET SDK 10 is missing (dotnet is not on PATH). Install it from Microsoft's packages for Debian 12 (package dotnet-sdk-10.0), then run this script again."
}

# Runs a PostgreSQL binary as the cluster owner: postgres when we are root (initdb refuses root), else ourselves.
um_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# um_cluster_init DIR [initdb args...]: creates a cluster in DIR unless one is there.
um_cluster_init() {
  local dir=$1; shift
  [ -f "$dir/PG_VERSION" ] && return 0
  mkdir -p "$dir"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres:postgres "$dir"
    if ! runuser -u postgres -- test -w "$dir"; then
      um_die "the postgres user cannot write $dir: a folder above it is not open to other users (e.g. a checkout under /root). Clone the project somewhere others can enter (e.g. /srv or /opt), or run: chmod o+x on each parent folder, or set URBANMONITOR_DB to an existing PostGIS."
    fi
  fi
  chmod 700 "$dir"
  um_pg "$PG_BIN/initdb" -D "$dir" -U postgres -E UTF8 --locale=C.UTF-8 "$@" >/dev/null
}

# um_cluster_start DIR PORT SOCKDIR [postgres -c settings...]
um_cluster_start() {
  local dir=$1 port=$2 sock=$3; shift 3
  mkdir -p "$sock"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$sock"
  if um_pg "$PG_BIN/pg_ctl" -D "$dir" status >/dev/null 2>&1; then return 0; fi
  local opts="-p $port -c listen_addresses=127.0.0.1 -k $sock"
  local s; for s in "$@"; do opts+=" -c $s"; done
  if ! um_pg "$PG_BIN/pg_ctl" -D "$dir" -l "$sock/postgresql.log" -o "$opts" -w -t 60 start >/dev/null; then
    tail -n 20 "$sock/postgresql.log" >&2 || true
    um_die "the private PostgreSQL cluster in $dir did not start (log above, full log in $sock/postgresql.log). If port $port is taken by another server, set URBANMONITOR_PG_PORT to a free port."
  fi
}

um_cluster_stop() {
  local dir=$1
  [ -f "$dir/postmaster.pid" ] || return 0
  um_pg "$PG_BIN/pg_ctl" -D "$dir" -m fast -w stop >/dev/null 2>&1 || true
}

# um_standby_create PRIMARY_DIR PRIMARY_PORT STANDBY_DIR: a hot standby of the running cluster in PRIMARY_DIR, by
# streaming replication: lets 127.0.0.1 replicate (pg_hba.conf, reloaded) unless a line already does, then
# pg_basebackup -R copies the cluster and writes standby.signal and primary_conninfo. Start it with um_cluster_start on
# a port of its own (e.g. um_cluster_start STANDBY_DIR 55434 SOCKDIR). PGPASSWORD is used when the primary wants one.
um_standby_create() {
  local primary=$1 port=$2 dir=$3
  [ -f "$dir/PG_VERSION" ] && return 0
  if ! um_pg grep -Eq '^host[[:space:]]+replication[[:space:]]+all[[:space:]]+127\.0\.0\.1/32' "$primary/pg_hba.conf"; then
    um_pg sh -c "echo 'host replication all 127.0.0.1/32 scram-sha-256' >> '$primary/pg_hba.conf'"
    um_pg "$PG_BIN/pg_ctl" -D "$primary" reload >/dev/null
  fi
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
  chmod 700 "$dir"
  if ! um_pg env PGPASSWORD="${PGPASSWORD:-}" "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$port" -U postgres -D "$dir" -R -X stream -c fast >/dev/null; then
    rm -rf "$dir"
    um_die "pg_basebackup from the cluster on port $port failed: is it running, and may 127.0.0.1 replicate (pg_hba.conf)?"
  fi
}

# True when something accepts TCP connections on 127.0.0.1:PORT.
um_port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A free TCP port on 127.0.0.1 in 20000–59999.
um_free_port() {
  local p i
  for i in $(seq 1 200); do
    p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
    um_port_busy "$p" || { echo "$p"; return 0; }
  done
  um_die "no free TCP port found on 127.0.0.1"
}

# Builds the map viewer (viewer/ → viewer/dist) from its lock file: npm ci + esbuild. Quiet unless it fails.
um_build_viewer() {
  command -v npm >/dev/null || um_die "npm (Node 20) is needed to build the viewer (viewer/): install nodejs and npm." 1
  local log
  log=$(mktemp)
  if ! (cd "$ROOT/viewer" && npm ci --no-audit --no-fund --silent && npm run --silent build) >"$log" 2>&1; then
    cat "$log" >&2; rm -f "$log"
    um_die "building the viewer failed (cd viewer && npm ci && npm run build)" 1
  fi
  rm -f "$log"
}

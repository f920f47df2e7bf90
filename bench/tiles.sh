# bench/tiles.sh: map tiles, sourced by bench/run. Service and reference side by side in one run:
#   - uncached dense z16 parcel tile latency: the service (cache off) vs the same ST_AsMVT query through psql;
#   - 10 concurrent clients: the service (wrk, cache off) vs pgbench running the same query (-M prepared);
#   - cached tiles: wrk -t2 -c64 against the service with its cache on, and its peak RSS;
#   - PNG tile p50 (cache off);
#   - MapServer 8 CGI (mapserver-bin) making MVT from the same table, one process per tile, as a second reference.
# URBANMONITOR_BENCH_TILES_PARCELS (default 1,000,000) sets the size of the synthetic city.
# shellcheck shell=bash

um_ensure_packages mapserver-bin
tiles_parcels=${URBANMONITOR_BENCH_TILES_PARCELS:-1000000}
tiles_db=$(bench_city "$tiles_parcels")
mkdir -p "$ROOT/bench/results"
tiles_work=$(mktemp -d "${TMPDIR:-/tmp}/um-bench-tiles.XXXXXX")

# The 5 × 5 block of z16 tiles around the centre of the city: all dense with parcels.
read -r tiles_cx tiles_cy < <(bench_psql -d "$tiles_db" -tA -F' ' -c "
  WITH c AS (SELECT ST_Transform(ST_SetSRID(ST_Centroid(ST_Extent(geom)::geometry), 4326), 3857) AS p FROM properties),
       k AS (SELECT 20037508.342789244 AS o, 2 * 20037508.342789244 / 65536 AS s)
  SELECT floor((ST_X(p) + o) / s)::int, floor((o - ST_Y(p)) / s)::int FROM c, k")
[ -n "${tiles_cx:-}" ] || um_die "tiles: could not find the centre tile of $tiles_db"
tiles_x0=$((tiles_cx - 2)); tiles_x1=$((tiles_cx + 2)); tiles_y0=$((tiles_cy - 2)); tiles_y1=$((tiles_cy + 2))
# Concurrent runs draw from a wider 20 × 20 block, so that two clients rarely want the same tile at once (the service
# shares one computation between concurrent requests for a tile, which pgbench cannot do).
tiles_wx0=$((tiles_cx - 10)); tiles_wx1=$((tiles_cx + 9)); tiles_wy0=$((tiles_cy - 10)); tiles_wy1=$((tiles_cy + 9))
tiles_list=()
for x in $(seq $tiles_x0 $tiles_x1); do for y in $(seq $tiles_y0 $tiles_y1); do tiles_list+=("$x $y"); done; done

# The exact query the service runs (src/UrbanMonitor.Api/Tiles/mvt.sql with the catalogue's identifiers filled in).
tiles_sql=$(sed -e '/^--/d' -e 's/{{table}}/"properties"/' \
  -e 's/{{columns}}/"code", "status", "district_code", "block", "parcel"/' "$ROOT/src/UrbanMonitor.Api/Tiles/mvt.sql" | tr '\n' ' ' | sed 's/; *$//')

tiles_stats() { sort -n | awk '{v[NR]=$1; s+=$1} END {printf "%.2f %.2f %.2f\n", v[int((NR+1)/2)], v[int(NR*0.95+0.5)], s/NR}'; }

um_say "tiles: $tiles_db, dense z16 tiles x $tiles_x0-$tiles_x1, y $tiles_y0-$tiles_y1"

# 1. Bare query through psql: one round over the 25 tiles, prepared, client-side timing (transfer included).
{
  echo "PREPARE t(int, int, int, int, text) AS $tiles_sql;"
  echo "EXECUTE t(16, $tiles_cx, $tiles_cy, 5000, 'properties');"   # warm-up
  echo '\timing on'
  for t in "${tiles_list[@]}"; do echo "EXECUTE t(16, ${t% *}, ${t#* }, 5000, 'properties');"; done
} > "$tiles_work/psql.sql"
tiles_psql_round() { bench_psql -d "$tiles_db" -o /dev/null -f "$tiles_work/psql.sql" | awk '/^Time:/ {print $2}'; }

# MapServer 8 as CGI: tile mode, MVT output, the same columns from the same table through its GiST index.
cat > "$tiles_work/ms.conf" <<CONF
CONFIG
  ENV
    MS_MAP_PATTERN "^$tiles_work/"
  END
END
CONF
cat > "$tiles_work/tiles.map" <<MAPFILE
MAP
  NAME "urbanmonitor"
  EXTENT -20037508.34 -20037508.34 20037508.34 20037508.34
  SIZE 256 256
  PROJECTION "init=epsg:3857" END
  OUTPUTFORMAT NAME "mvt" DRIVER MVT FORMATOPTION "EXTENT=4096" FORMATOPTION "EDGE_BUFFER=64" END
  LAYER
    NAME "properties"
    TYPE POLYGON
    STATUS ON
    CONNECTIONTYPE POSTGIS
    CONNECTION "host=127.0.0.1 port=$BENCH_PG_PORT dbname=$tiles_db user=postgres"
    DATA "geom3857 from (select id, code, status, district_code, block, parcel, geom3857 from properties) as t using unique id using srid=3857"
    PROJECTION "init=epsg:3857" END
    METADATA "gml_include_items" "all" "gml_types" "auto" END
    CLASS END
  END
END
MAPFILE
ms_start=$(date +%s.%N)
for t in "${tiles_list[@]}"; do
  MAPSERVER_CONFIG_FILE="$tiles_work/ms.conf" REQUEST_METHOD=GET \
  QUERY_STRING="map=$tiles_work/tiles.map&mode=tile&tilemode=gmap&tile=${t% *}+${t#* }+16&layers=properties&map.imagetype=mvt" mapserv >/dev/null
done
ms_tps=$(awk -v s="$ms_start" -v e="$(date +%s.%N)" -v n="${#tiles_list[@]}" 'BEGIN {printf "%.1f", n / (e - s)}')

# The service, on a free port, logging warnings only.
tiles_start() { # tiles_start CACHE_MB
  tiles_port=$(um_free_port)
  URBANMONITOR_DB="$(bench_conn "$tiles_db")" URBANMONITOR_Tiles__CacheMegabytes=$1 \
  URBANMONITOR_Logging__LogLevel__Default=Warning \
  ASPNETCORE_URLS="http://127.0.0.1:$tiles_port" dotnet "$API_DLL" >"$tiles_work/api.log" 2>&1 &
  tiles_pid=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$tiles_port/health/ready" >/dev/null && return 0; sleep 0.2; done
  cat "$tiles_work/api.log"; um_die "the service did not become ready for the tiles benchmark"
}
tiles_stop() { kill "$tiles_pid" 2>/dev/null; wait "$tiles_pid" 2>/dev/null || true; }
# tiles_fetch EXT ROUNDS: fetches every tile of the block ROUNDS times over one keep-alive connection; prints ms per request.
tiles_fetch() {
  local ext=$1 rounds=$2 r t
  for r in $(seq 1 "$rounds"); do
    for t in "${tiles_list[@]}"; do
      printf 'url = "http://127.0.0.1:%s/tiles/properties/16/%s/%s.%s"\noutput = "/dev/null"\n' "$tiles_port" "${t% *}" "${t#* }" "$ext"
    done
  done > "$tiles_work/curl.cfg"
  curl -s -K "$tiles_work/curl.cfg" -w '%{time_total}\n' | awk '{print $1 * 1000}'
}

# 2. The service with its cache off: same tiles, same rounds, one keep-alive connection.
tiles_start 0
tiles_fetch mvt 6 >/dev/null   # warm-up: JIT tiers, a prepared statement on each pooled connection
# Four rounds, psql and the service taking turns, so that load from other work on the machine hits both alike.
: > "$tiles_work/psql.ms"; : > "$tiles_work/svc.ms"
for r in 1 2 3 4; do
  tiles_psql_round >> "$tiles_work/psql.ms"
  tiles_fetch mvt 1 >> "$tiles_work/svc.ms"
done
read -r psql_p50 psql_p95 psql_avg < <(tiles_stats < "$tiles_work/psql.ms")
read -r svc_p50 svc_p95 svc_avg < <(tiles_stats < "$tiles_work/svc.ms")
svc_tps1=$(awk -v a="$svc_avg" 'BEGIN {printf "%.1f", 1000 / a}')
tile_size=$(curl -s "http://127.0.0.1:$tiles_port/tiles/properties/16/$tiles_cx/$tiles_cy.mvt" | wc -c)

# 3. Ten concurrent clients on random tiles of the block: pgbench vs wrk on the service (cache off).
cat > "$tiles_work/pgbench.sql" <<SQL
\set x random($tiles_wx0, $tiles_wx1)
\set y random($tiles_wy0, $tiles_wy1)
$(echo "$tiles_sql" | sed 's/\$1/16/g; s/\$2/:x/g; s/\$3/:y/g; s/\$4/5000/g; s/\$5/'"'"'properties'"'"'/g');
SQL
pg_tps=$(pgbench -n -M prepared -c 10 -j 2 -T 15 -h 127.0.0.1 -p "$BENCH_PG_PORT" -U postgres -f "$tiles_work/pgbench.sql" "$tiles_db" 2>/dev/null \
  | awk '/^tps/ {print $3; exit}')
cat > "$tiles_work/random.lua" <<LUA
request = function()
  return wrk.format("GET", "/tiles/properties/16/" .. math.random($tiles_wx0, $tiles_wx1) .. "/" .. math.random($tiles_wy0, $tiles_wy1) .. ".mvt")
end
LUA
svc_tps=$(wrk -t2 -c10 -d15s -s "$tiles_work/random.lua" "http://127.0.0.1:$tiles_port" | awk '/^Requests\/sec/ {print $2}')

# 4. PNG tiles (cache off): 2 rounds over the block.
tiles_fetch png 1 >/dev/null
tiles_fetch png 2 > "$tiles_work/png.ms"
read -r png_p50 png_p95 png_avg < <(tiles_stats < "$tiles_work/png.ms")
tiles_stop

# 5. Cached tiles: cache on, every tile of the wide block warmed, then wrk -t2 -c64 on random tiles of it.
tiles_start 256
for x in $(seq $tiles_wx0 $tiles_wx1); do for y in $(seq $tiles_wy0 $tiles_wy1); do
  printf 'url = "http://127.0.0.1:%s/tiles/properties/16/%s/%s.mvt"\noutput = "/dev/null"\n' "$tiles_port" "$x" "$y"
done; done > "$tiles_work/warm.cfg"
curl -s -K "$tiles_work/warm.cfg" >/dev/null
cached=$(wrk -t2 -c64 -d15s --latency -s "$tiles_work/random.lua" "http://127.0.0.1:$tiles_port")
cached_rps=$(echo "$cached" | awk '/^Requests\/sec/ {print $2}')
cached_p99=$(echo "$cached" | awk '$1 == "99%" {print $2}')
cached_rss=$(awk '/VmHWM/ {printf "%d", $2 / 1024}' "/proc/$tiles_pid/status")
tiles_stop
rm -rf "$tiles_work"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
bench_write tiles <<MD
Synthetic city of $tiles_parcels parcels (seed 42); the 25 dense z16 tiles x $tiles_x0-$tiles_x1, y $tiles_y0-$tiles_y1 (centre tile $tile_size bytes).
Reference and service run the same SQL (\`src/UrbanMonitor.Api/Tiles/mvt.sql\`), 100 requests each for latency (one
client, keep-alive). psql and pgbench receive the tile as hex text, the service as binary, which favours the service.
Concurrent runs (15 s each) pick random
tiles of the 400 z16 tiles x $tiles_wx0-$tiles_wx1, y $tiles_wy0-$tiles_wy1.

| measure | service | reference | ratio | target |
|---|---|---|---|---|
| uncached z16 tile latency p50 (ms) | $svc_p50 | $psql_p50 (psql, prepared) | $(ratio "$svc_p50" "$psql_p50") | ≤ 1.15 |
| uncached z16 tile latency p95 (ms) | $svc_p95 | $psql_p95 | $(ratio "$svc_p95" "$psql_p95") | |
| 10 clients, tiles/s (cache off) | $svc_tps | $pg_tps (pgbench -c 10) | $(ratio "$svc_tps" "$pg_tps") | ≥ 0.9 |
| one client, tiles/s (cache off) | $svc_tps1 | $ms_tps (MapServer 8 CGI) | $(ratio "$svc_tps1" "$ms_tps") | ≥ 2 |
| cached tiles, wrk -t2 -c64, responses/s | $cached_rps | | | ≥ 10,000 |
| cached tiles p99 latency | $cached_p99 | | | |
| peak RSS of the service after the cached run (MB) | $cached_rss | | | ≤ 300 |
| PNG tile p50 / p95 (ms, cache off) | $png_p50 / $png_p95 | | | p50 ≤ 50 |

The machine is shared with other work: figures vary ±15-25 % between runs; compare the ratios.
MD

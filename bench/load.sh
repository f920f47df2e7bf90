# bench/load.sh (sourced by bench/run; issue 11): mixed traffic on the 1M-parcel city at 64 connections for
# URBANMONITOR_BENCH_LOAD_SECONDS (default 60): wrk on 56 connections fetching dense z16 parcel tiles and feed pages
# (bbox pages of 100 parcels) at random, while 8 clients register parcels in the parks. Every answer must be a
# success: errors are counted and reported. The service's peak RSS is sampled every 5 s.
# bench/soak.sh runs the same for 10 minutes and records how the memory moves.
load_seconds=${URBANMONITOR_BENCH_LOAD_SECONDS:-60}
load_group=${LOAD_GROUP:-load}
load_src=$(bench_city "${URBANMONITOR_BENCH_LOAD_PARCELS:-1000000}")
load_db=bench_load
bench_clone "$load_src" "$load_db" >/dev/null
load_work=$(mktemp -d)
load_conn="$(bench_conn "$load_db");Pooling=false"
URBANMONITOR_Auth__SigningKey=$(head -c 32 /dev/urandom | base64)
export URBANMONITOR_Auth__SigningKey
"${CLI[@]}" users add load-officer --name "Load officer" --role land-officer --district '*' --db "$load_conn" >/dev/null
load_token=$("${CLI[@]}" users token load-officer --db "$load_conn" | tail -1)
bench_park_bodies "$load_db" 15000 "$load_work/bodies.txt"

# Tiles: a 20 × 20 block of z16 tiles at the centre; feed pages: 400 bboxes of 0.002° there.
bench_psql -d "$load_db" -tA -o "$load_work/paths.txt" <<'SQL'
WITH c AS (SELECT ST_Centroid(ST_Extent(geom)::geometry) AS p FROM properties),
     t AS (SELECT floor((ST_X(p) + 180) / 360 * 65536)::int AS x,
                  floor((1 - ln(tan(radians(ST_Y(p))) + 1 / cos(radians(ST_Y(p)))) / pi()) / 2 * 65536)::int AS y, ST_X(p) AS lon, ST_Y(p) AS lat FROM c)
SELECT format('/tiles/properties/16/%s/%s.mvt', t.x + dx, t.y + dy) FROM t, generate_series(-10, 9) dx, generate_series(-10, 9) dy
UNION ALL
SELECT format('/collections/properties/items?limit=100&bbox=%s,%s,%s,%s', round((t.lon + dx * 0.002)::numeric, 4), round((t.lat + dy * 0.002)::numeric, 4),
              round((t.lon + dx * 0.002 + 0.002)::numeric, 4), round((t.lat + dy * 0.002 + 0.002)::numeric, 4))
FROM t, generate_series(-10, 9) dx, generate_series(-10, 9) dy;
SQL

bench_api "$load_db" "$load_work/api.log"
load_port=$BENCH_API_PORT load_pid=$BENCH_API_PID
load_rss_start=$(awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$load_pid/status")
( while kill -0 "$load_pid" 2>/dev/null; do awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$load_pid/status" 2>/dev/null; sleep 5; done ) > "$load_work/rss.txt" &
load_sampler=$!

# Writers: 8 clients, each stops when the time is up (the client is given far more bodies than it can send).
python3 bench/registration_client.py "http://127.0.0.1:$load_port" "$load_token" "$load_work/bodies.txt" 8 "$load_seconds" \
  > "$load_work/writes.txt" 2> "$load_work/writes.err" &
load_writer=$!
wrk -t2 -c56 -d"${load_seconds}s" --timeout 10s -s bench/load_mix.lua "http://127.0.0.1:$load_port" -- "$load_work/paths.txt" > "$load_work/wrk.txt" 2>&1
wait "$load_writer" 2>/dev/null || true
load_registered=$(bench_psql -d "$load_db" -tAc "SELECT count(*) FROM properties WHERE block LIKE 'B%'")
read -r load_sent load_refused _ load_wrps load_wp50 load_wp95 < "$load_work/writes.txt"
kill "$load_pid" 2>/dev/null; wait "$load_pid" 2>/dev/null || true
kill "$load_sampler" 2>/dev/null || true
read -r _ load_req load_status load_sock load_p50 load_p99 < <(grep '^MIX' "$load_work/wrk.txt")
load_rps=$(awk -v r="$load_req" -v s="$load_seconds" 'BEGIN { printf "%.0f", r / s }')
load_rss_max=$(sort -n "$load_work/rss.txt" | tail -1)
load_rss_end=$(tail -1 "$load_work/rss.txt")
load_rss_series=$(awk 'NR % 12 == 1' "$load_work/rss.txt" | paste -sd' ')
load_errors=$((load_status + load_sock + load_refused))
rm -rf "$load_work"

bench_write "$load_group" <<MD
Mixed traffic for $load_seconds s at 64 connections on the synthetic city of 1M parcels: wrk (2 threads, 56
connections) fetching 400 dense z16 parcel tiles and 400 feed pages (100 parcels each, by bbox) at random, while 8
clients register parcels in the parks (Python http.client, keep-alive). The per-client rate limit is off (one load
generator). Errors are every answer that is not a success: HTTP errors and socket errors on the read side, refused
registrations on the write side.

| measure | figure |
|---|---|
| reads (tiles and feed pages) | $load_req requests, $load_rps/s, p50 $load_p50 ms, **p99 $load_p99 ms** |
| writes (registrations with every rule) | $load_sent sent, $load_registered registered, $load_wrps/s, p50 $load_wp50 ms, p95 $load_wp95 ms |
| errors | **$load_errors** ($load_status HTTP errors and $load_sock socket errors on reads, $load_refused refused writes) |
| service memory (RSS) | $load_rss_start MB at start, $load_rss_end MB at the end, $load_rss_max MB at most |
| RSS every minute (MB) | $load_rss_series |
MD

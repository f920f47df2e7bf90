# bench/registration.sh (sourced by bench/run): registering a property over HTTP, with every geometry rule and the
# overlap check, on the 1M-parcel synthetic city. Free places come from the city's parks: 5 m squares on a 7 m grid
# inside them, each a new parcel in the district that holds it. One client for latency, then 8 concurrent clients.
# The reference is the bare overlap query of one such square (pgbench, prepared, 1 client) in the same run.
# URBANMONITOR_BENCH_REGISTRATION_PARCELS (default 1,000,000) sets the size of the city.
reg_n=${URBANMONITOR_BENCH_REGISTRATION_PARCELS:-1000000}
reg_src=$(bench_city "$reg_n")
reg_db=bench_registration
bench_clone "$reg_src" "$reg_db" >/dev/null
reg_work=$(mktemp -d)
reg_conn="$(bench_conn "$reg_db");Pooling=false"
URBANMONITOR_Auth__SigningKey=$(head -c 32 /dev/urandom | base64)
export URBANMONITOR_Auth__SigningKey
"${CLI[@]}" users add bench-officer --name "Bench officer" --role land-officer --district '*' --db "$reg_conn" >/dev/null
reg_token=$("${CLI[@]}" users token bench-officer --db "$reg_conn" | tail -1)

# One Feature per line: 5 m squares in the parks (bench_park_bodies, bench/lib.sh).
bench_park_bodies "$reg_db" 4500 "$reg_work/bodies.txt"
reg_bodies=$(wc -l < "$reg_work/bodies.txt")
[ "$reg_bodies" -ge 4500 ] || um_die "only $reg_bodies free places in the parks"
head -n 500 "$reg_work/bodies.txt" > "$reg_work/single.txt"
tail -n +501 "$reg_work/bodies.txt" > "$reg_work/multi.txt"

# Reference: the overlap query alone for the first square, prepared, through pgbench with one client.
reg_wkt=$(head -1 "$reg_work/bodies.txt" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["geometry"]))')
cat > "$reg_work/overlap.sql" <<SQL
SELECT x.code, ST_Area(ST_Intersection(x.geom, g)::geography) FROM properties x,
  (SELECT ST_SetSRID(ST_GeomFromGeoJSON('$reg_wkt'), 4326) AS g) q
WHERE x.status <> 'retired' AND x.geom && g AND ST_Intersects(x.geom, g);
SQL
reg_ref_tps=$("$PG_BIN/pgbench" -n -M prepared -c 1 -T 10 -f "$reg_work/overlap.sql" -h 127.0.0.1 -p "$BENCH_PG_PORT" -U postgres "$reg_db" 2>/dev/null \
  | awk '/^tps/ {print $3}')
reg_ref_ms=$(awk -v t="$reg_ref_tps" 'BEGIN { printf "%.2f", 1000 / t }')

bench_api "$reg_db" "$reg_work/api.log"
reg_port=$BENCH_API_PORT reg_pid=$BENCH_API_PID
# Warm-up: 20 of the single-client bodies are registered first and not counted.
head -n 20 "$reg_work/single.txt" > "$reg_work/warm.txt"; tail -n +21 "$reg_work/single.txt" > "$reg_work/single-rest.txt"
python3 bench/registration_client.py "http://127.0.0.1:$reg_port" "$reg_token" "$reg_work/warm.txt" 1 >/dev/null
# The machine is shared: the load average (1 min) before each phase is recorded beside its figure, and the load
# generator's own CPU time, so a reader sees how much of the 2 cores the client took from the service.
reg1_load=$(cut -d' ' -f1 /proc/loadavg)
read -r reg1_n reg1_fail reg1_s reg1_rps reg1_p50 reg1_p95 < <(python3 bench/registration_client.py "http://127.0.0.1:$reg_port" "$reg_token" "$reg_work/single-rest.txt" 1)
# CPU time (clock ticks) of processes, with their reaped children: the service, and PostgreSQL (the postmaster, whose
# children are the backends and background workers). CPU per registration does not depend on what else runs on the
# machine, so it says what 2 idle cores could do even when the measured rate is held down by other work.
reg_ticks() { local t=0 p; for p in "$@"; do [ -r "/proc/$p/stat" ] && t=$(( t + $(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$p/stat") )); done; echo "$t"; }
reg_pm=$(head -1 "$BENCH_HOME/pg/postmaster.pid")
reg8_load=$(cut -d' ' -f1 /proc/loadavg)
reg8_api0=$(reg_ticks "$reg_pid"); reg8_pg0=$(reg_ticks "$reg_pm" $(pgrep -P "$reg_pm"))
/usr/bin/time -f '%U %S' -o "$reg_work/client-cpu" \
  python3 bench/registration_client.py "http://127.0.0.1:$reg_port" "$reg_token" "$reg_work/multi.txt" 8 > "$reg_work/multi.out"
reg8_api1=$(reg_ticks "$reg_pid"); reg8_pg1=$(reg_ticks "$reg_pm" $(pgrep -P "$reg_pm"))
read -r reg8_n reg8_fail reg8_s reg8_rps reg8_p50 reg8_p95 < "$reg_work/multi.out"
reg_hz=$(getconf CLK_TCK)
read -r reg8_client_ms reg8_api_ms reg8_pg_ms reg8_idle_rps < <(awk -v c="$(cat "$reg_work/client-cpu")" -v a=$(( reg8_api1 - reg8_api0 )) \
  -v p=$(( reg8_pg1 - reg8_pg0 )) -v hz="$reg_hz" -v n="$reg8_n" 'BEGIN {
    split(c, u, " "); cl = (u[1] + u[2]) * 1000 / n; ap = a * 1000 / hz / n; pg = p * 1000 / hz / n
    printf "%.2f %.2f %.2f %.0f\n", cl, ap, pg, 2000 / (cl + ap + pg) }')
kill "$reg_pid" 2>/dev/null; wait "$reg_pid" 2>/dev/null || true
reg_count=$(bench_psql -d "$reg_db" -tAc "SELECT count(*) FROM properties")
reg_ratio=$(awk -v a="$reg1_p50" -v b="$reg_ref_ms" 'BEGIN { printf "%.0f", a / b }')
reg_target_ratio=$(awk -v a="$reg8_rps" 'BEGIN { printf "%.2f", a / 300 }')
rm -rf "$reg_work"

bench_write registration <<MD
Registering a property (\`POST /api/properties\`: GeoJSON parsing, snapping, validity, inside-district, area, overlap
with active parcels, code, version 1, tile invalidation) over HTTP on the synthetic city of $reg_n parcels ($reg_count
after the run), 5 m squares in the city's parks; client: Python's http.client on loopback, keep-alive, one request at
a time per client. Reference: the bare overlap query for one such square (pgbench, prepared, 1 client).

| measure | figure | reference (same run) | ratio | target (issue 4) | aim (TARGETS.md) |
|---|---|---|---|---|---|
| single client: p50 / p95 latency ($reg1_n registrations, $reg1_fail refused; load average $reg1_load) | $reg1_p50 / $reg1_p95 ms | bare overlap query $reg_ref_ms ms | ${reg_ratio}× the bare query | p50 ≤ 15 ms | p50 ≤ 5 ms |
| 8 concurrent clients: throughput ($reg8_n registrations, $reg8_fail refused, $reg8_s s; load average $reg8_load) | $reg8_rps /s (p50 $reg8_p50 ms, p95 $reg8_p95 ms) | (no reference tool registers parcels) | ${reg_target_ratio}× the 300/s target | ≥ 300/s | ≥ 1,000/s |
| 8 concurrent clients: CPU per registration (service / PostgreSQL / load generator) | $reg8_api_ms / $reg8_pg_ms / $reg8_client_ms ms | 2 cores = 2,000 ms/s | all three on 2 idle cores: ≈ $reg8_idle_rps /s | | |

The load average is the machine's (2 cores, shared with other benchmarks) just before each phase: above 2, other
work competed for the cores and the figures are lower than on an idle machine. The CPU per registration (from
/proc, for the service, every PostgreSQL process and the Python load generator) does not depend on that load; the
rate it allows on 2 idle cores is an upper bound that ignores lock waits and WAL flushes.

One registration makes six round trips to PostgreSQL (ten before): the token's user (not disabled), the city, the
geometry's type and validity, then in its transaction \`um_register_property\` (migration 0122: the area lock,
snapping, every rule and the insert in one call, sent in one batch with the audit actor), the Feature read back and the
commit; plus its share of one announcement after the commit (below).
How writers run side by side: a registration locks the cells of a nested grid (0.0001° to 0.1°) that its box, widened
by the snapping distance plus 1 m, reaches (plus its code), not the whole city (0060); districts marked dirty for the
indicators are queue entries that never wait for each other (0120); and a registration does not NOTIFY or bump the
layer version inside its own commit, which PostgreSQL would serialise one WAL flush after the other: the service
announces the tile changes of everything committed meanwhile in one short transaction after the commit and answers
once that is done (0123, TileVersionFlusher). The 8 clients here register neighbouring 5 m squares of one park (7 m
apart), so some of them still wait for a neighbour's grid cell.
MD

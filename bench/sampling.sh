# bench/sampling.sh (sourced by bench/run): a stratified draw of sample areas over HTTP (POST /api/sample-areas:
# square grid in the UTM zone over the built-up extent, strata by district, proportional allocation, seeded draw,
# π and weights stored) with a frame of about 10,000 cells, on the synthetic city of 10,000 parcels.
# The reference is the bare ST_SquareGrid query over the same extent and cell size (psql, same run).
# URBANMONITOR_BENCH_SAMPLING_PARCELS (default 10,000) sets the size of the city.
smp_n=${URBANMONITOR_BENCH_SAMPLING_PARCELS:-10000}
smp_src=$(bench_city "$smp_n")
smp_db=bench_sampling
bench_clone "$smp_src" "$smp_db" >/dev/null
smp_work=$(mktemp -d)
smp_conn="$(bench_conn "$smp_db");Pooling=false"
URBANMONITOR_Auth__SigningKey=$(head -c 32 /dev/urandom | base64)
export URBANMONITOR_Auth__SigningKey
"${CLI[@]}" users add bench-planner --name "Bench planner" --role planner --db "$smp_conn" >/dev/null
smp_token=$("${CLI[@]}" users token bench-planner --db "$smp_conn" | tail -1)

# The cell area (ha) that lays about 10,000 cells over the latest built-up extent.
smp_ha=$(bench_psql -d "$smp_db" -tAc "SELECT round((sum(ST_Area(ST_Transform(geom, um_utm_srid(geom)))) / 10000 / 10000)::numeric, 5) FROM built_up WHERE epoch = (SELECT max(epoch) FROM built_up)")
smp_side=$(awk -v h="$smp_ha" 'BEGIN { printf "%.6f", sqrt(h * 10000) }')

# Reference: the bare grid over the same extent, cells kept by centre as the service does, counted (best of 5).
cat > "$smp_work/grid.sql" <<SQL
\timing on
SELECT count(*) FROM (SELECT ST_Transform(ST_UnaryUnion(ST_Collect(geom)), um_utm_srid(ST_UnaryUnion(ST_Collect(geom)))) AS g
                      FROM built_up WHERE epoch = (SELECT max(epoch) FROM built_up)) e, ST_SquareGrid($smp_side, e.g) c
WHERE ST_Intersects(e.g, ST_Centroid(c.geom));
SQL
smp_ref_ms=$(for _ in 1 2 3 4 5; do bench_psql -d "$smp_db" -f "$smp_work/grid.sql" | awk '/^Time:/ {print $2}'; done | sort -n | head -1)

bench_api "$smp_db" "$smp_work/api.log"
smp_port=$BENCH_API_PORT smp_pid=$BENCH_API_PID
smp_draw() {
  curl -s -o "$smp_work/body.json" -w '%{http_code} %{time_total}\n' -X POST "http://127.0.0.1:$smp_port/api/sample-areas" \
    -H "Authorization: Bearer $smp_token" -H 'Content-Type: application/json' \
    -d "{\"city\":\"synthetic\",\"cellSizeHa\":$smp_ha,\"stratification\":\"district\",\"allocation\":\"proportional\",\"sampleSize\":1000,\"seed\":$1}"
}
smp_draw 0 >/dev/null   # warm-up (JIT, plans), not counted
smp_times=()
for s in 1 2 3 4 5; do
  read -r code secs < <(smp_draw "$s")
  [ "$code" = 201 ] || um_die "sample draw answered $code: $(cat "$smp_work/body.json")"
  smp_times+=("$secs")
done
smp_frame=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["frameSize"])' "$smp_work/body.json")
smp_strata=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["strata"]))' "$smp_work/body.json")
kill "$smp_pid" 2>/dev/null; wait "$smp_pid" 2>/dev/null || true
smp_median_ms=$(printf '%s\n' "${smp_times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.0f", a[int((NR+1)/2)] * 1000}')
smp_max_ms=$(printf '%s\n' "${smp_times[@]}" | sort -n | tail -1 | awk '{printf "%.0f", $1 * 1000}')
smp_ratio=$(awk -v a="$smp_median_ms" -v b="$smp_ref_ms" 'BEGIN { printf "%.1f", a / b }')
rm -rf "$smp_work"

bench_write sampling <<MD
A stratified draw of sample areas (\`POST /api/sample-areas\`: square grid of $smp_ha ha cells in the UTM zone over the
2020 built-up extent, $smp_frame cells kept by centre, each given its district stratum ($smp_strata strata), proportional
allocation of n = 1,000, seeded draw, π and weights written, design stored, all in one transaction) over HTTP with curl on
loopback, on the synthetic city of $smp_n parcels; 5 draws with different seeds after one warm-up.
Reference: the bare \`ST_SquareGrid\` query over the same extent and cell size, cells kept by centre (psql, best of 5).

| measure | figure | reference (same run) | ratio | target (issue 7) |
|---|---|---|---|---|
| $smp_frame-cell stratified draw, median (max) of 5 | $smp_median_ms ms ($smp_max_ms ms) | bare ST_SquareGrid $smp_ref_ms ms | ${smp_ratio}× the bare grid | ≤ 1 s |
MD

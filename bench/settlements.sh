# bench/settlements.sh (sourced by bench/run): the planners' settlement analysis on Rio de Janeiro's 1,074 favelas
# (loaded by the demo loader from ../shared/data). Figures: the full set-wise analysis of every settlement over HTTP
# (GET /api/cities/rio-de-janeiro/settlements/analysis) beside the same SQL run bare in psql, and one settlement's
# report (JSON, HTML page, PNG map) p50 over every settlement beside the bare report query through pgbench.
st_data=${URBANMONITOR_DATA:-$ROOT/../shared/data}
[ -f "$st_data/rio/limite_favelas.geojson" ] || um_die "the Rio data is missing ($st_data/rio); set URBANMONITOR_DATA"
st_db=bench_settlements
st_work=$(mktemp -d)
bench_psql -d postgres -c "DROP DATABASE IF EXISTS $st_db WITH (FORCE)" >/dev/null
"${CLI[@]}" migrate --create --db "$(bench_conn "$st_db");Pooling=false" >/dev/null
URBANMONITOR_DATA="$st_data" "${CLI[@]}" demo --db "$(bench_conn "$st_db");Pooling=false;Command Timeout=0" >/dev/null
bench_psql -d "$st_db" -c "VACUUM ANALYZE" >/dev/null
# What rebuilding the coverage costs (the stops' triggers do this on every import of stops).
st_cov_ms=$(bench_psql -d "$st_db" -c '\timing on' -c "SELECT um_refresh_access_coverage(id, 'transit-stops') FROM cities WHERE slug = 'rio-de-janeiro'" \
  | awk '/^Time:/ {print $2}' | tail -1)
st_count=$(bench_psql -d "$st_db" -tAc "SELECT count(*) FROM settlements s JOIN cities c ON c.id = s.city_id WHERE c.slug = 'rio-de-janeiro'")
bench_psql -d "$st_db" -tA -c "SELECT s.id FROM settlements s JOIN cities c ON c.id = s.city_id WHERE c.slug = 'rio-de-janeiro' ORDER BY s.id" > "$st_work/ids.txt"

# Reference 1: the full analysis SQL, bare, in psql (best of 3 after a warm-up).
{ echo '\timing on'; echo '\o /dev/null'; echo 'PREPARE q(text) AS'; grep -v '^--' src/UrbanMonitor.Api/Settlements/analysis_all.sql
  for _ in 1 2 3 4; do echo "EXECUTE q('rio-de-janeiro');"; done; } > "$st_work/all.sql"
st_ref_all=$(bench_psql -d "$st_db" -f "$st_work/all.sql" | awk '/^Time:/ {print $2}' | tail -3 | sort -n | head -1)

# Reference 2: the one-settlement report query, bare, prepared, through pgbench over random Rio settlements.
st_min=$(head -1 "$st_work/ids.txt"); st_max=$(tail -1 "$st_work/ids.txt")
{ echo "\\set id random($st_min, $st_max)"; sed -e 's/[[:space:]]*--.*$//' src/UrbanMonitor.Api/Settlements/analysis.sql \
    | sed -e 's/\$1/:id/g' -e 's/\$2::text/NULL::text/g' -e 's/\$3::text/NULL::text/g' | tr '\n' ' '; echo; } > "$st_work/report.sql"
st_ref_tps=$("$PG_BIN/pgbench" -n -M prepared -c 1 -T 15 -f "$st_work/report.sql" -h 127.0.0.1 -p "$BENCH_PG_PORT" -U postgres "$st_db" 2>/dev/null \
  | awk '/^tps/ {print $3}')
st_ref_ms=$(awk -v t="$st_ref_tps" 'BEGIN { printf "%.1f", 1000 / t }')

bench_api "$st_db" "$st_work/api.log"
st_port=$BENCH_API_PORT st_pid=$BENCH_API_PID

cat > "$st_work/client.py" <<'PY'
import http.client, statistics, sys, time
port, mode, ids = int(sys.argv[1]), sys.argv[2], [l.strip() for l in open(sys.argv[3]) if l.strip()]
c = http.client.HTTPConnection("127.0.0.1", port)
def get(path):
    t = time.perf_counter(); c.request("GET", path); r = c.getresponse(); body = r.read()
    if r.status != 200: sys.exit(f"{path}: {r.status} {body[:300]!r}")
    return (time.perf_counter() - t) * 1000, len(body)
if mode == "all":
    get("/api/cities/rio-de-janeiro/settlements/analysis")
    runs = [get("/api/cities/rio-de-janeiro/settlements/analysis") for _ in range(3)]
    print(f"{min(r[0] for r in runs):.0f} {runs[0][1]}")
else:
    suffix = {"json": "", "html": "/report.html", "png": "/map.png"}[mode]
    for i in ids[:20]: get(f"/api/settlements/{i}{suffix}")
    ms = sorted(get(f"/api/settlements/{i}{suffix}")[0] for i in ids)
    print(f"{len(ms)} {statistics.median(ms):.1f} {ms[int(len(ms) * 0.95)]:.1f}")
PY
read -r st_all_ms st_all_bytes < <(python3 "$st_work/client.py" "$st_port" all "$st_work/ids.txt")
read -r st_json_n st_json_p50 st_json_p95 < <(python3 "$st_work/client.py" "$st_port" json "$st_work/ids.txt")
read -r st_html_n st_html_p50 st_html_p95 < <(python3 "$st_work/client.py" "$st_port" html "$st_work/ids.txt")
read -r st_png_n st_png_p50 st_png_p95 < <(python3 "$st_work/client.py" "$st_port" png "$st_work/ids.txt")
kill "$st_pid" 2>/dev/null; wait "$st_pid" 2>/dev/null || true
st_all_ratio=$(awk -v a="$st_all_ms" -v b="$st_ref_all" 'BEGIN { printf "%.2f", a / b }')
st_json_ratio=$(awk -v a="$st_json_p50" -v b="$st_ref_ms" 'BEGIN { printf "%.2f", a / b }')
st_html_ratio=$(awk -v a="$st_html_p50" -v b="$st_ref_ms" 'BEGIN { printf "%.2f", a / b }')
rm -rf "$st_work"

bench_write settlements <<MD
The settlement analysis on Rio de Janeiro's $st_count favelas (Data.Rio, 2010 census population), over HTTP on loopback
(Python http.client, keep-alive, one request at a time). Rio has no property or facility layers: the parcel and
facility joins run and find nothing, the transit joins use its 7,793 bus and metro stops.

| measure | figure | reference (same run) | ratio | target (issue 6) |
|---|---|---|---|---|
| full analysis of every settlement (metrics, properties inside, registry figures, nearest stop and facilities, 500 m / 1 km coverage shares), one request, best of 3 | $st_all_ms ms ($st_all_bytes bytes of JSON) | the same SQL bare in psql: $st_ref_all ms | ${st_all_ratio}× | ≤ 5,000 ms |
| one settlement's report as JSON, p50 / p95 over all $st_json_n | $st_json_p50 / $st_json_p95 ms | the report query bare, pgbench prepared, random settlement: $st_ref_ms ms | ${st_json_ratio}× | p50 ≤ 200 ms |
| the printable HTML page, p50 / p95 | $st_html_p50 / $st_html_p95 ms | same | ${st_html_ratio}× | p50 ≤ 200 ms |
| the PNG map (SkiaSharp, 800×600), p50 / p95 | $st_png_p50 / $st_png_p95 ms | (no reference) | | |

Both read the 500 m / 1 km coverage shares from the city's access coverage (migration 0076: the union of the stops'
buffers in the UTM zone, cut into pieces of at most 64 vertices, rebuilt by the stops' and facilities' triggers; building
it for Rio's stops at load took $st_cov_ms ms). Buffering and unioning the stops per settlement instead took 16 s for all 1,074.
MD

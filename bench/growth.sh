# bench/growth.sh (sourced by bench/run): how the cost of the main operations grows with the size of the city.
# For each size in URBANMONITOR_BENCH_GROWTH_SIZES (default "10000 100000 1000000") the synthetic city of that many
# parcels (seed 42; generated once per size and reused through its template database, bench_city) is cloned and timed:
#   - tile: the 3 × 3 dense z16 `properties` vector tiles at the city's centre, cache off, p50 of 72;
#   - feed page: `/collections/properties/items?limit=100` in a 300 m box at the centre, p50 of 30 (keyset paging: the
#     same index walk at any depth);
#   - registration: `POST /api/properties` of 5 m squares in the parks (overlap check with active parcels), 1 client,
#     p50 of 60 after 10 unrecorded;
#   - settlement analysis: `GET /api/cities/synthetic/settlements/analysis` (every settlement with the parcels inside),
#     best of 3 after a warm-up;
#   - indicator recompute: `urbanmonitor indicators recompute --city synthetic` (every indicator, city and districts);
#   - import: the city's parcels exported to GeoJSON (ogr2ogr, untimed) and imported by `urbanmonitor import` into an
#     empty migrated database (the same job as the HTTP upload: COPY, SQL validation, publish, indexes).
# The results table gives each figure at each size and how it grew: the factor between consecutive sizes and the
# exponent k of cost ∝ n^k (k ≈ 0: flat, k ≈ 1: linear). Sizes not run in a given run are shown as "not run".
grow_sizes=${URBANMONITOR_BENCH_GROWTH_SIZES:-10000 100000 1000000}
grow_all="10000 100000 1000000"
for n in $grow_sizes; do [[ " $grow_all " == *" $n "* ]] || grow_all="$grow_all $n"; done
grow_work=$(mktemp -d "${TMPDIR:-/tmp}/um-bench-growth.XXXXXX")
chmod 755 "$grow_work"
URBANMONITOR_Auth__SigningKey=$(head -c 32 /dev/urandom | base64)
export URBANMONITOR_Auth__SigningKey
declare -A GROW

grow_ms() { python3 -c "import sys; print(f'{float(sys.argv[1]) * 1000:.0f}')" "$1"; }

for n in $grow_sizes; do
  um_say "growth: $n parcels"
  src=$(bench_city "$n")
  db=bench_growth
  bench_clone "$src" "$db" >/dev/null
  conn="$(bench_conn "$db");Pooling=false;Command Timeout=0"

  # The centre z16 tile, and a 300 m box at the centre.
  read -r cx cy lon lat < <(bench_psql -d "$db" -tA -F' ' -c "
    WITH c AS (SELECT ST_Centroid(ST_Extent(geom)::geometry) AS p FROM properties),
         m AS (SELECT ST_Transform(ST_SetSRID(p, 4326), 3857) AS q, p FROM c),
         k AS (SELECT 20037508.342789244 AS o, 2 * 20037508.342789244 / 65536 AS s)
    SELECT floor((ST_X(q) + o) / s)::int, floor((o - ST_Y(q)) / s)::int, ST_X(p), ST_Y(p) FROM m, k")
  : > "$grow_work/tiles.txt"
  # 3 × 3 z16 tiles (about 1.5 km across) lie inside even the 10k city (about 1.7 km across), so every size is timed on
  # tiles full of parcels; each tile eight times (the cache is off: each request makes the tile again).
  for _ in 1 2 3 4 5 6 7 8; do for dx in -1 0 1; do for dy in -1 0 1; do
    echo "/tiles/properties/16/$((cx + dx))/$((cy + dy)).mvt" >> "$grow_work/tiles.txt"; done; done; done
  bbox=$(python3 -c "import sys; x, y = float(sys.argv[1]), float(sys.argv[2]); print(f'{x-0.0017:.6f},{y-0.0014:.6f},{x+0.0017:.6f},{y+0.0014:.6f}')" "$lon" "$lat")
  for _ in $(seq 1 30); do echo "/collections/properties/items?limit=100&bbox=$bbox"; done > "$grow_work/feeds.txt"
  echo "/api/cities/synthetic/settlements/analysis" > "$grow_work/analysis.txt"
  for _ in 1 2 3; do echo "/api/cities/synthetic/settlements/analysis"; done >> "$grow_work/analysis.txt"

  "${CLI[@]}" users add growth-officer --name "Growth officer" --role land-officer --district '*' --db "$conn" >/dev/null
  token=$("${CLI[@]}" users token growth-officer --db "$conn" | tail -1)
  bench_park_bodies "$db" 70 "$grow_work/bodies.txt"
  [ "$(wc -l < "$grow_work/bodies.txt")" -ge 70 ] || um_die "growth: too few free places in the parks of the $n-parcel city"
  head -n 10 "$grow_work/bodies.txt" > "$grow_work/warm.txt"; tail -n +11 "$grow_work/bodies.txt" > "$grow_work/timed.txt"

  URBANMONITOR_Tiles__CacheMegabytes=0 URBANMONITOR_Tiles__DiskCacheDirectory= bench_api "$db" "$grow_work/api.log"
  # Tiles and feed pages: the first 5 requests again untimed as a warm-up.
  read -r _ GROW[tile,$n] _ _ < <(python3 bench/growth_client.py "$BENCH_API_PORT" 5 "$grow_work/tiles.txt")
  read -r _ GROW[feed,$n] _ _ < <(python3 bench/growth_client.py "$BENCH_API_PORT" 5 "$grow_work/feeds.txt")
  python3 bench/registration_client.py "http://127.0.0.1:$BENCH_API_PORT" "$token" "$grow_work/warm.txt" 1 >/dev/null
  read -r _ reg_fail _ _ GROW[registration,$n] _ < <(python3 bench/registration_client.py "http://127.0.0.1:$BENCH_API_PORT" "$token" "$grow_work/timed.txt" 1)
  [ "$reg_fail" = 0 ] || um_die "growth: $reg_fail registrations refused at $n parcels (log: $grow_work/api.log)"
  read -r _ _ _ GROW[analysis,$n] < <(python3 bench/growth_client.py "$BENCH_API_PORT" 1 "$grow_work/analysis.txt")
  kill "$BENCH_API_PID" 2>/dev/null; wait "$BENCH_API_PID" 2>/dev/null || true

  # In `bench/run all` the indicators and import groups ran before on the same 1M city with the same commands: their
  # figures are taken rather than measured twice (the two together take a large part of the run's 30 minutes).
  if [ "${ind_n:-}" = "$n" ] && [ -n "${ind_full_s:-}" ]; then
    GROW[indicators,$n]=$(grow_ms "$ind_full_s"); GROW[shared,$n]=1
  else
    out=$("${CLI[@]}" indicators recompute --city synthetic --db "$conn" | tail -1)
    GROW[indicators,$n]=$(grow_ms "$(sed -E 's/.* in ([0-9.]+) s\./\1/' <<<"$out")")
  fi
  if [ "${N:-}" = "$n" ] && [ -n "${SVC[geojson]:-}" ]; then
    GROW[import,$n]=$(grow_ms "${SVC[geojson]}"); GROW[shared,$n]=1
    bench_psql -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
    GROW[ran,$n]=1
    continue
  fi

  # Import: the parcels as GeoJSON (written once per size), into an empty migrated database.
  file="$BENCH_HOME/growth-parcels-$n.geojson"
  [ -f "$file" ] || ogr2ogr -f GeoJSON "$file" PG:"host=127.0.0.1 port=$BENCH_PG_PORT user=postgres dbname=$src" -nln parcels \
    -sql "SELECT district_code, block, parcel, geom FROM properties ORDER BY id"
  bench_psql -d postgres -c "DROP DATABASE IF EXISTS bench_growth_import WITH (FORCE)" >/dev/null
  "${CLI[@]}" migrate --create --db "$(bench_conn bench_growth_import);Pooling=false" >/dev/null
  bench_psql -d bench_growth_import -c "INSERT INTO cities (slug, code, name, country) VALUES ('bench', 'BEN', 'Bench', 'ZZ')" >/dev/null
  t0=$(date +%s.%N)
  "${CLI[@]}" import --city bench --layer properties --db "$(bench_conn bench_growth_import);Command Timeout=0" "$file" >/dev/null
  GROW[import,$n]=$(python3 -c "import sys; print(f'{(float(sys.argv[2]) - float(sys.argv[1])) * 1000:.0f}')" "$t0" "$(date +%s.%N)")
  imported=$(bench_psql -d bench_growth_import -tAc "SELECT count(*) FROM properties")
  [ "$imported" = "$n" ] || um_die "growth: the import of $n parcels published $imported"
  bench_psql -d postgres -c "DROP DATABASE IF EXISTS bench_growth_import WITH (FORCE)" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
  GROW[ran,$n]=1
done
rm -rf "$grow_work"

# Earlier figures of sizes not run now are kept from the previous results file, marked with their date.
# (A copy: bench_write truncates the file while the table below is being made from it.)
grow_prev=$(mktemp)
[ -f "$ROOT/bench/results/growth.md" ] && cp "$ROOT/bench/results/growth.md" "$grow_prev"
grow_prev_date=$(sed -nE 's/^Measured ([^ ]+) on .*/\1/p' "$grow_prev" | head -1 || true)

python3 - "$grow_all" "$grow_prev" "${grow_prev_date:-}" <<PY | bench_write growth
import math, re, sys
sizes = [int(s) for s in sys.argv[1].split()]
prev_file, prev_date = sys.argv[2], sys.argv[3]
now = {}
$(for k in "${!GROW[@]}"; do echo "now[('${k%,*}', ${k#*,})] = '${GROW[$k]}'"; done)
ops = [("tile", "tile: dense z16 properties tile, cache off (p50, ms)"),
       ("feed", "feed page: 100 parcels in a 300 m box (p50, ms)"),
       ("registration", "registration with overlap check, 1 client (p50, ms)"),
       ("analysis", "settlement analysis, every settlement (best of 3, ms)"),
       ("indicators", "indicator recompute, whole city (ms)"),
       ("import", "import the city's parcels from GeoJSON (ms)")]
prev = {}
try:
    for line in open(prev_file, encoding="utf-8"):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        for key, label in ops:
            if cells and cells[0] == label:
                for s, c in zip(sizes, cells[1:1 + len(sizes)]):
                    m = re.match(r"^([0-9.]+)", c)
                    d = re.search(r"\(earlier run, ([^)]+)\)", c)   # a figure carried over keeps its own date
                    if m and ("ran", s) not in now: prev[(key, s)] = (m.group(1), d.group(1) if d else prev_date)
except FileNotFoundError:
    pass
def fig(key, s):
    if (key, s) in now: return float(now[(key, s)]), now[(key, s)]
    if (key, s) in prev:
        v, d = prev[(key, s)]
        return float(v), f"{v} (earlier run{', ' + d if d else ''})"
    return None, "not run"
head = "| operation | " + " | ".join(f"{s:,} parcels" for s in sizes)
pairs = list(zip(sizes, sizes[1:]))
head += " | " + " | ".join(f"growth {a // 1000}k→{b // 1000}k (factor, k)" for a, b in pairs) + " |"
print(head)
print("|" + "---|" * (1 + len(sizes) + len(pairs)))
for key, label in ops:
    vals = [fig(key, s) for s in sizes]
    row = f"| {label} | " + " | ".join(v[1] for v in vals)
    for (a, b), (va, _), (vb, _) in zip(pairs, vals, vals[1:]):
        if va and vb and va > 0:
            f = vb / va
            row += f" | {f:.2f}×, k = {math.log(f) / math.log(b / a):.2f}"
        else:
            row += " | —"
    print(row + " |")
ran = sorted(s for (k, s) in now if k == "ran")
print()
print(f"Sizes run this time: {', '.join(f'{s:,}' for s in ran)}. k is the exponent of cost ∝ n^k between two sizes: 0 means the")
print("cost does not grow with the city, 1 means it grows in proportion. Tiles, feed pages and registrations read a")
print("fixed area through GiST and keyset indexes, so they should stay near k = 0; the settlement analysis, the")
print("indicator recompute and the import touch every parcel, so they should be near k = 1.")
shared = sorted(s for (k, s) in now if k == "shared")
if shared:
    print()
    print(f"At {', '.join(f'{s:,}' for s in shared)} parcels the indicator recompute and the import are the figures of the \`indicators\` and")
    print("\`import\` groups of the same run (the same commands on the same city), not measured a second time.")
missing = [s for s in sizes if ("ran", s) not in now and not any((k, s) in prev for k, _ in ops)]
if missing:
    print()
    print(f"Not measured yet: {', '.join(f'{s:,}' for s in missing)} parcels (\`bench/run growth\` with the default sizes fills them in).")
print()
print("Figures of a few milliseconds move by several milliseconds between runs on this shared machine, so a k far from")
print("0 between two small figures (the tile, the feed page, the registration) is noise, not growth.")
PY
rm -f "$grow_prev"

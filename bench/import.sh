# Benchmark group "import" (sourced by bench/run): generating the synthetic city, and importing its parcels from
# GeoJSON and GeoPackage through the import job (urbanmonitor import: the same ImportRunner as the HTTP job) side by
# side with the pinned ogr2ogr command of CONTRACTS.md, on the same files and the same cluster.
# shellcheck shell=bash

N=${BENCH_PARCELS:-1000000}
W=$BENCH_HOME/import
mkdir -p "$W"
PGOGR="host=127.0.0.1 port=$BENCH_PG_PORT user=postgres"
now() { date +%s.%N; }

um_say "import: generating the synthetic city of $N parcels (timed)"
bench_psql -d postgres -c "DROP DATABASE IF EXISTS bench_gen WITH (FORCE)" >/dev/null
"${CLI[@]}" migrate --create --db "$(bench_conn bench_gen);Pooling=false" >/dev/null
bench_timed "${CLI[@]}" demo --synthetic --parcels "$N" --seed 42 --db "$(bench_conn bench_gen);Pooling=false" >/dev/null
GEN_S=$BENCH_SECONDS; GEN_RSS=$BENCH_RSS_MB

for fmt in geojson gpkg; do
  f=$W/parcels-$N.$fmt
  if [ ! -f "$f" ]; then
    um_say "import: writing $f (once)"
    drv=GeoJSON; [ "$fmt" = gpkg ] && drv=GPKG
    ogr2ogr -f "$drv" "$f" PG:"$PGOGR dbname=bench_gen" -nln parcels \
      -sql "SELECT district_code, block, parcel, geom FROM properties ORDER BY id"
  fi
done

declare -A OGR SVC SVC_RSS PHASES OGR_CPU SVC_CPU
for fmt in geojson gpkg; do
  f=$W/parcels-$N.$fmt
  um_say "import: ogr2ogr $fmt (reference)"
  bench_psql -d postgres -c "DROP DATABASE IF EXISTS bench_ogr WITH (FORCE)" -c "CREATE DATABASE bench_ogr" >/dev/null
  bench_psql -d bench_ogr -c "CREATE EXTENSION postgis" >/dev/null
  t0=$(now); c0=$(bench_cpu)
  ogr2ogr -f PostgreSQL PG:"$PGOGR dbname=bench_ogr" "$f" -nln parcels -lco GEOMETRY_NAME=geom -gt 65536 --config PG_USE_COPY YES
  OGR[$fmt]=$(echo "$(now) - $t0" | bc); OGR_CPU[$fmt]=$(bench_cpu_seconds "$c0")
  n_ogr=$(bench_psql -d bench_ogr -tAc "SELECT count(*) FROM parcels")

  um_say "import: urbanmonitor import $fmt"
  bench_psql -d postgres -c "DROP DATABASE IF EXISTS bench_imp WITH (FORCE)" >/dev/null
  "${CLI[@]}" migrate --create --db "$(bench_conn bench_imp);Pooling=false" >/dev/null
  bench_psql -d bench_imp -c "INSERT INTO cities (slug, code, name, country) VALUES ('bench', 'BEN', 'Bench', 'ZZ')" >/dev/null
  t0=$(now); c0=$(bench_cpu)
  bench_timed "${CLI[@]}" import --city bench --layer properties --db "$(bench_conn bench_imp)" "$f" >/dev/null
  SVC[$fmt]=$(echo "$(now) - $t0" | bc); SVC_RSS[$fmt]=$BENCH_RSS_MB; SVC_CPU[$fmt]=$(bench_cpu_seconds "$c0")
  n_svc=$(bench_psql -d bench_imp -tAc "SELECT count(*) FROM properties")
  PHASES[$fmt]=$(bench_psql -d bench_imp -tAc "SELECT string_agg(key || ' ' || round(value::numeric / 1000, 1) || ' s', ', ' ORDER BY key) FROM import_jobs, jsonb_each_text(timings)")
  [ "$n_ogr" = "$N" ] && [ "$n_svc" = "$N" ] || um_die "import benchmark: expected $N rows, ogr2ogr loaded $n_ogr and the service $n_svc"
done
um_say "import: the floor under it (the registry's work, step by step, on the rows just imported)"
FLOOR=$(bench_psql -d bench_imp -v n="$N" -f bench/import_floor.sql)
# A real programme loads city after city: the second city's parcels go into a registry that already holds the first
# city's. Each city with no parcels yet gets a partition of its own, so the second load takes the same path as the first.
um_say "import: the GeoPackage again, as a second city beside the first"
# The floor rebuilt every index; settle the table first, so autovacuum of the first city does not run inside the timing.
bench_psql -d bench_imp -c "VACUUM ANALYZE properties" -c "VACUUM ANALYZE property_versions" >/dev/null
bench_psql -d bench_imp -c "INSERT INTO cities (slug, code, name, country) VALUES ('bench2', 'BEB', 'Bench two', 'ZZ')" >/dev/null
t0=$(now); c0=$(bench_cpu)
bench_timed "${CLI[@]}" import --city bench2 --layer properties --db "$(bench_conn bench_imp)" "$W/parcels-$N.gpkg" >/dev/null
SECOND=$(echo "$(now) - $t0" | bc); SECOND_RSS=$BENCH_RSS_MB; SECOND_CPU=$(bench_cpu_seconds "$c0")
n_second=$(bench_psql -d bench_imp -tAc "SELECT count(*) FROM properties p JOIN cities c ON c.id = p.city_id WHERE c.slug = 'bench2'")
[ "$n_second" = "$N" ] || um_die "import benchmark: expected $N rows in the second city, the service loaded $n_second"
SECOND_PHASES=$(bench_psql -d bench_imp -tAc "SELECT string_agg(key || ' ' || round(value::numeric / 1000, 1) || ' s', ', ' ORDER BY key) FROM import_jobs j JOIN cities c ON c.id = j.city_id, jsonb_each_text(j.timings) WHERE c.slug = 'bench2'")
bench_psql -d postgres -c "DROP DATABASE IF EXISTS bench_ogr WITH (FORCE)" -c "DROP DATABASE IF EXISTS bench_imp WITH (FORCE)" -c "DROP DATABASE IF EXISTS bench_gen WITH (FORCE)" >/dev/null

rate() { echo "scale=0; $N / $1" | bc; }
ratio() { echo "scale=2; $2 / $1" | bc; }   # service throughput / reference throughput = t_ref / t_svc
{
  echo "| work ($N parcels) | service | reference (same run) | ratio | target |"
  echo "|---|---|---|---|---|"
  echo "| generate the synthetic city (districts, parcels, settlements, stops, streets, parks, built-up, population units) | ${GEN_S} s, peak RSS ${GEN_RSS} MB | — | — | ≤ 300 s, ≤ 1024 MB |"
  for fmt in geojson gpkg; do
    echo "| import parcels from $fmt with validation (import job, all-or-nothing, indexes kept) | $(rate "${SVC[$fmt]}") features/s (${SVC[$fmt]} s, RSS ${SVC_RSS[$fmt]} MB, ${SVC_CPU[$fmt]} CPU-s) | pinned ogr2ogr: $(rate "${OGR[$fmt]}") features/s (${OGR[$fmt]} s, ${OGR_CPU[$fmt]} CPU-s) | $(ratio "${SVC[$fmt]}" "${OGR[$fmt]}")× | ≥ 1.0× |"
  done
  echo "| the same GeoPackage as a second city, into a registry already holding the first city's $N parcels (its own partition) | $(rate "$SECOND") features/s ($SECOND s, RSS $SECOND_RSS MB, $SECOND_CPU CPU-s) | pinned ogr2ogr from the GeoPackage above | $(ratio "$SECOND" "${OGR[gpkg]}")× | — (the target is stated for the first load) |"
  echo
  for fmt in geojson gpkg; do echo "- service phases, $fmt: ${PHASES[$fmt]}"; done
  echo "- service phases, gpkg as the second city: $SECOND_PHASES"
  echo
  echo "Reference: \`ogr2ogr -f PostgreSQL PG:<conn> FILE -nln parcels -lco GEOMETRY_NAME=geom -gt 65536 --config PG_USE_COPY YES\` into an empty"
  echo "database with PostGIS (it builds its GiST index). The service imports into the migrated \`properties\` table, partitioned by"
  echo "city (a new partition for a city with no parcels: loaded by two connections, its primary key, unique code, GiST and other indexes"
  echo "built by two connections, then attached with version 1 of every parcel in one transaction), after validating every feature in"
  echo "SQL (validity, type, range, code parts, duplicates)."
  echo "CPU-s: the CPU time of the whole machine during the run (client and database together; 2 cores give 2 CPU-s per second)."
  echo
  echo "### The floor under the import"
  echo
  echo "Each piece of work an import into the registry must do, timed on one backend on the $N rows just imported (\`bench/import_floor.sql\`)."
  echo "ogr2ogr writes one bare row and one GiST index per parcel. The registry writes a row with its code, attributes and generated"
  echo "Web Mercator geometry, version 1 of the parcel with its geometry, twelve indexes and a foreign key, and validates every"
  echo "geometry first. The publish spreads this work over two connections (the load, then the index builds), which is the most"
  echo "two cores allow."
  echo
  echo "$FLOOR"
  echo
  registry=$(echo "$FLOOR" | sed -n "s/.*the registry's rows in all.*\*\*\([0-9.]*\)\*\* |$/\1/p")
  [ -n "$registry" ] || um_die "import benchmark: no total in the floor's table"
  echo "Split perfectly over both cores, with reading the file costing nothing, this work alone would take $(echo "scale=2; $registry / 2" | bc) s;"
  echo "the whole ogr2ogr run took ${OGR[gpkg]} s from the GeoPackage and ${OGR[geojson]} s from the GeoJSON."
} | bench_write import

# bench/viewer.sh (sourced by bench/run): the viewer's first load on localhost, from navigation to a drawn map (parcel
# and district tiles painted on the canvas), in headless chromium, as the browser test ViewerLoadsAndDraws… measures it
# (Mazar-e-Sharif's real parcels, a fresh browser each run, so nothing is cached). Each run is one ./test.sh of that test
# on its own throwaway cluster; the bundle size is the built viewer.js before gzip.
# URBANMONITOR_BENCH_VIEWER_RUNS (default 3) sets the number of runs; the median is reported.
vw_runs=${URBANMONITOR_BENCH_VIEWER_RUNS:-3}
vw_file=$(mktemp)
for _ in $(seq "$vw_runs"); do
  URBANMONITOR_VIEWER_TIMINGS="$vw_file" "$ROOT/test.sh" --filter "FullyQualifiedName~ViewerLoadsAndDrawsTheServiceOwnParcelAndDistrictTiles" > "$vw_file.log" 2>&1 \
    || { tail -20 "$vw_file.log"; um_die "the viewer's browser test failed"; }
done
vw_n=$(wc -l < "$vw_file")
[ "$vw_n" -ge 1 ] || um_die "the viewer's browser test recorded no load (is ../shared/data there?)"
vw_median=$(awk '{print $1}' "$vw_file" | sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}')
vw_all=$(awk '{print $1}' "$vw_file" | sort -n | paste -sd, -)
vw_js=$(tail -1 "$vw_file" | awk '{print $2}')
rm -f "$vw_file" "$vw_file.log"

bench_write viewer <<MD
The viewer (OpenLayers 10, bundled with esbuild, served by the service at /viewer/) opened in headless chromium on
localhost at zoom 17 over Mazar-e-Sharif's parcels: time from navigation until the parcel and district vector tiles are
painted on the map canvas (the viewer's own \`umViewer.paintedPixels()\`), each run a fresh browser and service.

| measure | figure | target (issue 10) |
|---|---|---|
| first load to a drawn map, median of $vw_n runs | $vw_median ms (runs: $vw_all ms) | ≤ 2,000 ms |
| JavaScript shipped (viewer.js, before gzip) | $vw_js bytes | ≤ 1,500,000 bytes |
MD

# shellcheck shell=bash
# Benchmark group "feeds" (sourced by bench/run): OGC API - Features items of 1,000,000 properties.
#  - the service streaming every feature, following the next links (limit 10000), in features/s, with its RSS growth;
#  - the reference: psql COPY of the same ST_AsGeoJSON query (PostGIS alone), measured in the same run;
#  - the last page (by its cursor) against the first page.
FEEDS_N=${URBANMONITOR_BENCH_FEEDS_N:-1000000}
FEEDS_DB=$(bench_city "$FEEDS_N")
FEEDS_PORT=$(um_free_port)
FEEDS_LOG=$(mktemp)
URBANMONITOR_DB="$(bench_conn "$FEEDS_DB")" URBANMONITOR_Logging__Console__FormatterName=simple \
  ASPNETCORE_URLS="http://127.0.0.1:$FEEDS_PORT" dotnet "$API_DLL" >"$FEEDS_LOG" 2>&1 &
FEEDS_PID=$!
trap 'kill $FEEDS_PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$FEEDS_PORT/health" >/dev/null && break; sleep 0.2; done
FEEDS_BASE="http://127.0.0.1:$FEEDS_PORT"

feeds_rss_kb() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$FEEDS_PID/status"; }

# Warm-up (JIT, connection pool, caches), then RSS before the run.
curl -sf -o /dev/null "$FEEDS_BASE/collections/properties/items?limit=10000"
rss_before=$(feeds_rss_kb VmRSS)

# The client: one keep-alive connection that reads each page whole and follows the next link found at its end
# (the links come after the features). Prints: features pages seconds last-page-url.
feeds_stream() {
python3 - "$FEEDS_BASE" <<'PY'
import http.client, re, sys, time
from urllib.parse import urlsplit
base = urlsplit(sys.argv[1])
conn = http.client.HTTPConnection(base.hostname, base.port, timeout=300)
path, total, pages, last = "/collections/properties/items?limit=10000", 0, 0, ""
start = time.perf_counter()
while path:
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        sys.exit(f"GET {path}: {response.status}")
    tail = body[-4096:]
    total += int(re.search(rb'"numberReturned":(\d+)', tail).group(1))
    pages += 1
    last = path
    m = re.search(rb'"href":"([^"]*)","rel":"next"', tail)
    path = None if m is None else (lambda u: u.path + "?" + u.query)(urlsplit(m.group(1).decode()))
print(total, pages, f"{time.perf_counter() - start:.3f}", sys.argv[1] + last)
PY
}
# The machine is shared: each side runs twice, alternately, and the faster run counts.
feeds_copy() {
  local start end
  start=$(date +%s.%N)
  bench_psql -d "$FEEDS_DB" -c "COPY ($feeds_sql) TO STDOUT" >/dev/null
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l
}
# The reference: the same feature text from PostGIS alone, copied out by psql.
feeds_sql="SELECT '{\"type\":\"Feature\",\"id\":' || t.id || ',\"geometry\":' || coalesce(ST_AsGeoJSON(t.geom, 9), 'null') || ',\"properties\":' || json_build_object('city', c.slug, 'code', t.code, 'status', t.status, 'district_code', t.district_code, 'block', t.block, 'parcel', t.parcel)::text || '}' FROM properties t JOIN cities c ON c.id = t.city_id ORDER BY t.city_id, t.id"
svc_secs=""; ref_secs=""
for _ in 1 2; do
  read -r total pages secs last_url < <(feeds_stream)
  if [ -z "$svc_secs" ] || [ "$(echo "$secs < $svc_secs" | bc -l)" = 1 ]; then svc_secs=$secs; fi
  secs=$(feeds_copy)
  if [ -z "$ref_secs" ] || [ "$(echo "$secs < $ref_secs" | bc -l)" = 1 ]; then ref_secs=$secs; fi
done
ref_rate=$(echo "$FEEDS_N / $ref_secs" | bc -l)
rss_peak=$(feeds_rss_kb VmHWM); rss_after=$(feeds_rss_kb VmRSS)
svc_rate=$(echo "$total / $svc_secs" | bc -l)

# First page against the last page (reached by the cursor of the full run), 5 times each, best and median.
feeds_time() { curl -sf -o /dev/null -w '%{time_total}\n' "$1"; }
first_times=(); last_times=()
for _ in 1 2 3 4 5; do
  first_times+=("$(feeds_time "$FEEDS_BASE/collections/properties/items?limit=10000")")
  last_times+=("$(feeds_time "$last_url")")
done
median() { printf '%s\n' "$@" | sort -n | sed -n 3p; }
first_med=$(median "${first_times[@]}"); last_med=$(median "${last_times[@]}")
gzip_secs=$(curl -sf -H 'Accept-Encoding: gzip' -o /dev/null -w '%{time_total}' "$FEEDS_BASE/collections/properties/items?limit=10000")
gzip_bytes=$(curl -sf -H 'Accept-Encoding: gzip' "$FEEDS_BASE/collections/properties/items?limit=10000" | wc -c)
plain_bytes=$(curl -sf "$FEEDS_BASE/collections/properties/items?limit=10000" | wc -c)

kill $FEEDS_PID 2>/dev/null || true
wait $FEEDS_PID 2>/dev/null || true
trap - EXIT
rm -f "$FEEDS_LOG"

# MapServer 8's OGC API - Features (CGI, mapserver-bin) on the same table: the first FEEDS_MS_PAGES pages of 10,000 by
# its offset paging, then one page at the end of the collection.
um_ensure_packages mapserver-bin
FEEDS_MS_PAGES=${FEEDS_MS_PAGES:-5}
ms_work=$(mktemp -d); chmod 755 "$ms_work"
cat > "$ms_work/ms.conf" <<EOCONF
CONFIG
  ENV
    MS_MAP_PATTERN "^$ms_work/"
    OGCAPI_HTML_TEMPLATE_DIRECTORY "/usr/share/mapserver/ogcapi/templates/html-plain/"
  END
  MAPS
    "um" "$ms_work/feeds.map"
  END
END
EOCONF
cat > "$ms_work/feeds.map" <<EOMAP
MAP
  NAME "um"
  EXTENT -180 -90 180 90
  PROJECTION "init=epsg:4326" END
  WEB METADATA "oga_enable_request" "*" "oga_onlineresource" "http://127.0.0.1/um/ogcapi" "ows_title" "um" "oga_max_limit" "10000" END END
  LAYER
    NAME "properties"
    TYPE POLYGON
    STATUS ON
    TEMPLATE "ttt"
    CLASS END
    CONNECTIONTYPE POSTGIS
    CONNECTION "host=127.0.0.1 port=$BENCH_PG_PORT dbname=$FEEDS_DB user=postgres"
    DATA "geom from (select id, code, status, district_code, block, parcel, geom from properties) as t using unique id using srid=4326"
    PROJECTION "init=epsg:4326" END
    METADATA "gml_include_items" "all" "gml_types" "auto" "gml_featureid" "id" "oga_enable_request" "*" END
  END
END
EOMAP
ms_page() { MAPSERVER_CONFIG_FILE="$ms_work/ms.conf" REQUEST_METHOD=GET PATH_INFO=/um/ogcapi/collections/properties/items \
  QUERY_STRING="f=json&limit=10000&offset=$1" mapserv | grep -o '"numberReturned":[0-9]*' | cut -d: -f2; }
ms_total=0
ms_start=$(date +%s.%N)
for p in $(seq 0 $((FEEDS_MS_PAGES - 1))); do ms_total=$((ms_total + $(ms_page $((p * 10000))))); done
ms_secs=$(echo "$(date +%s.%N) - $ms_start" | bc -l)
ms_rate=$(echo "$ms_total / $ms_secs" | bc -l)
ms_last_start=$(date +%s.%N); ms_page $((FEEDS_N - 10000)) >/dev/null; ms_last=$(echo "$(date +%s.%N) - $ms_last_start" | bc -l)
ms_first_start=$(date +%s.%N); ms_page 0 >/dev/null; ms_first=$(echo "$(date +%s.%N) - $ms_first_start" | bc -l)
rm -rf "$ms_work"

bench_write feeds <<MD
OGC API - Features items of the synthetic city, $FEEDS_N properties (database \`$FEEDS_DB\`), Release build, one client
(one keep-alive HTTP connection, reading each page whole) following the \`next\` links with \`limit=10000\`.

| measure | service | reference | ratio |
| --- | --- | --- | --- |
| stream every feature ($total features, $pages pages; faster of 2 runs each) | $(printf '%.0f' "$svc_rate") features/s ($(printf '%.1f' "$svc_secs") s) | psql COPY of the same ST_AsGeoJSON query: $(printf '%.0f' "$ref_rate") features/s ($(printf '%.1f' "$ref_secs") s) | $(printf '%.2f' "$(echo "$svc_rate / $ref_rate" | bc -l)") |
| service RSS | before $(( rss_before / 1024 )) MB, after $(( rss_after / 1024 )) MB, peak $(( rss_peak / 1024 )) MB | growth ≤ 100 MB (issue 9) | peak − before: $(( (rss_peak - rss_before) / 1024 )) MB |
| page of 10,000, median of 5 | last page by cursor: ${last_med} s | first page: ${first_med} s | $(printf '%.2f' "$(echo "$last_med / $first_med" | bc -l)") |
| against MapServer 8 OGC API (CGI, same table; its first $ms_total features) | $(printf '%.0f' "$svc_rate") features/s | $(printf '%.0f' "$ms_rate") features/s | $(printf '%.1f' "$(echo "$svc_rate / $ms_rate" | bc -l)") |
| MapServer's last page (offset $((FEEDS_N - 10000))) against its first | ${ms_last} s | ${ms_first} s | $(printf '%.2f' "$(echo "$ms_last / $ms_first" | bc -l)") |
| page of 10,000 with gzip | $(( gzip_bytes / 1024 )) KB in ${gzip_secs} s | plain: $(( plain_bytes / 1024 )) KB | $(printf '%.2f' "$(echo "$gzip_bytes / $plain_bytes" | bc -l)") |

Times first page: ${first_times[*]}; last page: ${last_times[*]}.
MD

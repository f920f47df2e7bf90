# bench/revenue.sh (sourced by bench/run): assessing the service charge of every property of the 1M-parcel synthetic
# city for one fiscal year (POST /api/cities/synthetic/service-charges/assessments?year=1405: one SQL statement —
# geodesic area, land use, zone polygon lookup, rate, clamping, invoice numbers, assessment rows and ledger entries).
# Three runs: the first assessment, an idempotent re-run (nothing changes) and a re-run after a rule change (every
# property gets an adjustment). Reference in the same run: the bare scan the assessment cannot avoid
# (count and geodesic area of every active parcel, psql). URBANMONITOR_BENCH_REVENUE_PARCELS (default 1,000,000).
rev_n=${URBANMONITOR_BENCH_REVENUE_PARCELS:-1000000}
rev_src=$(bench_city "$rev_n")
rev_db=bench_revenue
bench_clone "$rev_src" "$rev_db" >/dev/null
rev_conn="$(bench_conn "$rev_db");Pooling=false"
"${CLI[@]}" migrate --db "$rev_conn" >/dev/null   # the template may predate the service-charge tables
URBANMONITOR_Auth__SigningKey=$(head -c 32 /dev/urandom | base64)
export URBANMONITOR_Auth__SigningKey
"${CLI[@]}" users add bench-supervisor --name "Bench supervisor" --role supervisor --district '*' --db "$rev_conn" >/dev/null
rev_token=$("${CLI[@]}" users token bench-supervisor --db "$rev_conn" | tail -1)
rev_work=$(mktemp -d)

# Reference: the scan every assessment needs.
rev_ref_s=$(bench_psql -d "$rev_db" -tA <<'SQL' | awk '/^Time:/ {printf "%.2f", $2 / 1000}'
\timing on
SELECT count(*), sum(ST_Area(geom::geography)) FROM properties WHERE city_id = (SELECT id FROM cities WHERE slug = 'synthetic') AND status <> 'retired';
SQL
)

bench_api "$rev_db" "$rev_work/api.log"
rev_port=$BENCH_API_PORT rev_pid=$BENCH_API_PID

rev_rule() { # rev_rule RESIDENTIAL_RATE COMMERCIAL_RATE
  curl -sf -X PUT -H "Authorization: Bearer $rev_token" -H 'Content-Type: application/json' \
    "http://127.0.0.1:$rev_port/api/cities/synthetic/service-charges/rules/1405" \
    -d "{\"defaultLandUse\":\"residential\",\"minimum\":200,\"maximum\":200000,\"exemptLandUses\":[\"public\"],
         \"rates\":[{\"landUse\":\"residential\",\"ratePerM2\":$1},{\"landUse\":\"commercial\",\"ratePerM2\":$2}]}" >/dev/null \
    || um_die "setting the rule failed"
}
rev_assess() { # prints seconds, then the answer on the next line
  curl -sf -X POST -H "Authorization: Bearer $rev_token" -o "$rev_work/answer.json" -w '%{time_total}\n' \
    "http://127.0.0.1:$rev_port/api/cities/synthetic/service-charges/assessments?year=1405" || um_die "assessment failed"
  cat "$rev_work/answer.json"; echo
}
rev_rule 5 12
{ read -r rev1_s; read -r rev1_json; } < <(rev_assess)
{ read -r rev2_s; read -r rev2_json; } < <(rev_assess)
rev_rule 6 15
{ read -r rev3_s; read -r rev3_json; } < <(rev_assess)
kill "$rev_pid" 2>/dev/null; wait "$rev_pid" 2>/dev/null || true
rev_props=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["properties"])' "$rev1_json")
rev_adj=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["adjustments"])' "$rev3_json")
rev_balanced=$(bench_psql -d "$rev_db" -tAc "SELECT (SELECT sum(amount) FROM charge_assessments WHERE fiscal_year = 1405) = (SELECT sum(amount) FROM ledger_entries WHERE fiscal_year = 1405)")
rev_rate=$(awk -v n="$rev_props" -v s="$rev1_s" 'BEGIN { printf "%.0f", n / s }')
rev_ratio=$(awk -v a="$rev1_s" -v b="$rev_ref_s" 'BEGIN { printf "%.1f", a / b }')
rm -rf "$rev_work"

bench_write revenue <<MD
Assessing the service charge of every active property of the synthetic city ($rev_props of $rev_n parcels) for fiscal
year 1405 over HTTP: one SQL statement computes geodesic area, land use, zone and rate, clamps to the rule's minimum and
maximum, numbers the invoices from a locked counter row and writes assessments and ledger entries. Reference: the scan
every assessment needs (count and geodesic area of the active parcels, psql, same run). Ledger equals assessments
after the runs: $rev_balanced.

| run | time | reference (same run) | ratio |
|---|---|---|---|
| first assessment ($rev_props properties, $rev_rate properties/s) | $rev1_s s | bare area scan $rev_ref_s s | ${rev_ratio}× |
| idempotent re-run (nothing changes) | $rev2_s s | | |
| re-run after a rule change ($rev_adj adjustments booked) | $rev3_s s | | |
MD

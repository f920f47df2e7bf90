# bench/soak.sh (bench/run soak; not part of 'all'): the mixed load of bench/load.sh for 10 minutes, to see that the
# service's memory stays stable (RSS sampled every 5 s, shown every minute) and errors stay at zero.
URBANMONITOR_BENCH_LOAD_SECONDS=${URBANMONITOR_BENCH_SOAK_SECONDS:-600} LOAD_GROUP=soak
# shellcheck source=bench/load.sh
. "$ROOT/bench/load.sh"

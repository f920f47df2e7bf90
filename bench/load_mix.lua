-- wrk script for bench/load.sh: GET paths picked at random from a file (tiles and feed pages); prints a summary line:
-- requests, non-2xx/3xx responses, socket errors, p50 ms, p99 ms.
local paths = {}
function init(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
end
function request()
  return wrk.format("GET", paths[math.random(#paths)])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("MIX %d %d %d %.2f %.2f\n", summary.requests, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end

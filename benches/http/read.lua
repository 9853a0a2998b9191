-- GET one ticket with its timeline, watchers and links, picked at random
-- from the ids serve.sh's bench_tickets wrote (BENCH_TICKETS).
package.path = package.path .. ";" .. (os.getenv("BENCH_DIR") or "benches/http") .. "/?.lua"
local common = require("common")
local ids = {}

function init(args)
  common.headers()
  for line in io.lines(os.getenv("BENCH_TICKETS") or error("set BENCH_TICKETS")) do
    ids[#ids + 1] = line
  end
  assert(#ids > 0, "no ticket ids")
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000)
end

function request()
  return wrk.format("GET", "/api/v1/tickets/" .. ids[math.random(#ids)])
end

-- BENCH_PACE_MS set: each connection waits that long between requests, so
-- the scenario can watch latency beside another load without adding one.
local pace = tonumber(os.getenv("BENCH_PACE_MS") or "")
if pace then
  function delay() return pace end
end

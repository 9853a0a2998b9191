-- POST /api/v1/tickets/{id}/time: the bench engineer logs 15-240 minutes on
-- a ticket picked at random from the ids serve.sh's bench_tickets wrote
-- (BENCH_TICKETS), started within the last week.
package.path = package.path .. ";" .. (os.getenv("BENCH_DIR") or "benches/http") .. "/?.lua"
local common = require("common")
local ids = {}
local notes = { "Checked the logs", "Replaced the cable", "Called the vendor", "Patched and rebooted",
  "Walked the user through it", "Reset the password" }

function init(args)
  common.headers()
  wrk.headers["Content-Type"] = "application/json"
  for line in io.lines(os.getenv("BENCH_TICKETS") or error("set BENCH_TICKETS")) do
    ids[#ids + 1] = line
  end
  assert(#ids > 0, "no ticket ids")
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000)
end

function request()
  local started = os.time() - math.random(7 * 24 * 3600)
  local body = string.format('{"minutes":%d,"started_at":"%s","note":"%s"}',
    15 * math.random(16), os.date("!%Y-%m-%dT%H:%M:%SZ", started), notes[math.random(#notes)])
  return wrk.format("POST", "/api/v1/tickets/" .. ids[math.random(#ids)] .. "/time", nil, body)
end

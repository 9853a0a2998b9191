-- POST /api/v1/tickets with varied bodies across the bench clients the
-- token's engineer is engaged with.
package.path = package.path .. ";" .. (os.getenv("BENCH_DIR") or "benches/http") .. "/?.lua"
local common = require("common")
local clients
local levels = { "high", "medium", "low" }
local words = { "printer", "email", "password", "laptop", "vpn", "outlook", "wifi", "network", "server",
  "backup", "license", "monitor", "docking", "firewall", "scanner", "invoice", "report", "sync", "outage", "patch" }
local counter = 0

function init(args)
  clients = common.clients()
  common.headers()
  wrk.headers["Content-Type"] = "application/json"
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000)
end

local function w() return words[math.random(#words)] end

function request()
  counter = counter + 1
  local c = clients[math.random(#clients)]
  local body = string.format(
    '{"client_id":"%s","title":"%s %s not working %d","description":"%s %s %s %s after the %s update","category":"%s","impact":"%s","urgency":"%s"}',
    c.id, w(), w(), counter, w(), w(), w(), w(), w(), c.cats[math.random(#c.cats)],
    levels[math.random(3)], levels[math.random(3)])
  return wrk.format("POST", "/api/v1/tickets", nil, body)
end

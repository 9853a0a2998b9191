-- GET full-text search over one client's documentation pages (the bench
-- engineer is engaged with every bench client); words from the page
-- generator's vocabulary, half of them two-word queries.
package.path = package.path .. ";" .. (os.getenv("BENCH_DIR") or "benches/http") .. "/?.lua"
local common = require("common")
local clients
local words = { "firewall", "backup", "restore", "mailbox", "vpn", "licence", "rotation", "vlan",
  "domain", "patch", "onboard", "offboard", "escalate", "nightly", "vendor", "monitor" }
local n = 0

function init(args)
  common.headers()
  clients = common.clients()
end

function request()
  n = n + 1
  local c = clients[math.random(#clients)]
  local q = words[math.random(#words)]
  if n % 2 == 0 then q = q .. "+" .. words[math.random(#words)] end
  return wrk.format("GET", "/api/v1/clients/" .. c.id .. "/pages?limit=50&q=" .. q)
end

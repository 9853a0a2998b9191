-- GET one filtered page of 50 of a client's asset records: by type and
-- status, by text, or by what runs out soon, over random bench clients.
package.path = package.path .. ";" .. (os.getenv("BENCH_DIR") or "benches/http") .. "/?.lua"
local common = require("common")
local clients
local types = { "workstation", "server", "network_device", "printer", "software_licence",
  "domain", "tls_certificate", "cloud_tenant" }
local texts = { "dell", "hp", "lenovo", "cisco", "srv", "ws-1", "microsoft", "fortinet" }
local n = 0

function init(args)
  common.headers()
  clients = common.clients()
end

function request()
  n = n + 1
  local base = "/api/v1/clients/" .. clients[math.random(#clients)].id .. "/assets?limit=50"
  local k = n % 3
  if k == 0 then
    return wrk.format("GET", base .. "&status=active&type=" .. types[math.random(#types)])
  elseif k == 1 then
    return wrk.format("GET", base .. "&q=" .. texts[math.random(#texts)])
  end
  return wrk.format("GET", base .. "&expiring_within=90")
end

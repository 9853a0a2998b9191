-- Shared by the scenarios: the bearer token (TANDEM_TOKEN) and the bench
-- clients written by `tandem bench-seed --out` (BENCH_CLIENTS), one line
-- per client: `client-id category-key ...`.
local M = {}

M.token = os.getenv("TANDEM_TOKEN") or error("set TANDEM_TOKEN")

function M.clients()
  local path = os.getenv("BENCH_CLIENTS") or error("set BENCH_CLIENTS")
  local out = {}
  for line in io.lines(path) do
    local id, rest = line:match("^(%S+)%s+(.*)$")
    if id then
      local cats = {}
      for k in rest:gmatch("%S+") do cats[#cats + 1] = k end
      out[#out + 1] = { id = id, cats = cats }
    end
  end
  assert(#out > 0, "no clients in " .. path)
  return out
end

-- A few words of the generator's vocabulary: common ones (front of its
-- list) and rare ones (its tail), so searches hit both large and small
-- result sets.
M.common = { "printer", "email", "password", "laptop", "vpn", "outlook", "wifi", "network" }
M.rare = { "vmware", "snapshot", "hypervisor", "thinclient", "chromebook", "jamf", "autopilot", "intune" }

function M.headers()
  wrk.headers["Authorization"] = "Bearer " .. M.token
  wrk.headers["Accept"] = "application/json"
end

return M

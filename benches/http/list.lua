-- GET the API's default list: the newest 50 tickets over every client the
-- token's engineer is engaged with.
package.path = package.path .. ";" .. (os.getenv("BENCH_DIR") or "benches/http") .. "/?.lua"
local common = require("common")

function init(args)
  common.headers()
end

function request()
  return wrk.format("GET", "/api/v1/tickets?limit=50")
end

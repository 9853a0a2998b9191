-- GET the engineer's side queue: open provider-side tickets over all
-- engaged clients, by time to breach.
package.path = package.path .. ";" .. (os.getenv("BENCH_DIR") or "benches/http") .. "/?.lua"
local common = require("common")

function init(args)
  common.headers()
end

function request()
  return wrk.format("GET", "/api/v1/tickets?view=my_side&limit=50")
end

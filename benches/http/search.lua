-- GET full-text search over every ticket the engineer may see; half the
-- requests use a common word, half a rare one.
package.path = package.path .. ";" .. (os.getenv("BENCH_DIR") or "benches/http") .. "/?.lua"
local common = require("common")
local n = 0

function init(args)
  common.headers()
end

function request()
  n = n + 1
  local list = (n % 2 == 0) and common.common or common.rare
  local word = list[math.random(#list)]
  return wrk.format("GET", "/api/v1/tickets?view=all&limit=50&q=" .. word)
end

-- PATCH a documentation page: a new revision with If-Match. Each wrk
-- thread has one connection and its own page (from BENCH_PAGES, lines of
-- `client-id page-id`), so a thread's requests alternate with its answers
-- and the ETag of one save is the If-Match of the next. Run with as many
-- threads as connections.
package.path = package.path .. ";" .. (os.getenv("BENCH_DIR") or "benches/http") .. "/?.lua"
local common = require("common")
local counter = 0
local pages = {}
for line in io.lines(os.getenv("BENCH_PAGES") or error("set BENCH_PAGES")) do
  local c, p = line:match("^(%S+)%s+(%S+)$")
  if c then pages[#pages + 1] = { c = c, p = p } end
end

function setup(thread)
  counter = counter + 1
  thread:set("index", counter)
end

local page, etag, n

function init(args)
  common.headers()
  page = pages[(index * 7919) % #pages + 1]
  n = 0
end

function request()
  local path = "/api/v1/clients/" .. page.c .. "/pages/" .. page.p
  if not etag then
    return wrk.format("GET", path)
  end
  n = n + 1
  wrk.headers["If-Match"] = etag
  wrk.headers["Content-Type"] = "application/json"
  local body = '{"body":"# Runbook\\n\\n1. Check the backup job (save ' .. n .. ').\\n2. Escalate to the vendor when it fails twice.\\n"}'
  return wrk.format("PATCH", path, nil, body)
end

function response(status, headers, body)
  etag = headers["ETag"] or headers["etag"]
  if status ~= 200 then etag = nil end
end

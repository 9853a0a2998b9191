-- POST Alertmanager webhook payloads (version 4) of 10 alerts each to
-- /api/v1/intake/alertmanager, round robin over the intake sources in
-- BENCH_ALERT_KEYS (one `source-key` per line, one source per client).
-- Of each payload's alerts, 7 repeat alerts this thread sent at least
-- REPEAT_AGE requests earlier (their firing notification again, the same
-- content, as Alertmanager sends a group again) and 3 are new, so 70% of
-- the intake is repeats of open alerts.
local keys = {}
local thread_tag
local requests = 0
local pools = {} -- per source: ring of {seq, json} of alerts sent
local POOL = 4000
local REPEAT_AGE = 200 -- requests: a repeat never races its first notification
local NEW, REPEATS = 3, 7

function setup(thread)
  thread:set("tag", tostring(math.random(1, 1e9)))
end

function init(args)
  thread_tag = tag or tostring(math.random(1, 1e9))
  for line in io.lines(os.getenv("BENCH_ALERT_KEYS") or error("set BENCH_ALERT_KEYS")) do
    if line:match("%S") then keys[#keys + 1] = line end
  end
  assert(#keys > 0, "no source keys")
  for i = 1, #keys do pools[i] = { n = 0 } end
  math.randomseed(os.time() + tonumber(thread_tag) % 100000)
end

local severities = { "critical", "warning", "warning", "error" }
local checks = { "DiskFull", "HighLoad", "ServiceDown", "CertExpiring", "BackupFailed", "LinkFlapping" }

local function alert(source, n)
  local check = checks[n % #checks + 1]
  local host = string.format("host-%d", n % 97)
  return string.format(
    '{"status":"firing","labels":{"alertname":"%s","instance":"%s:9100","severity":"%s","job":"node"},'
      .. '"annotations":{"summary":"%s on %s","description":"bench alert %s-%d-%d"},'
      .. '"startsAt":"2026-12-06T10:00:00Z","endsAt":"0001-01-01T00:00:00Z",'
      .. '"generatorURL":"http://prometheus.bench/graph","fingerprint":"%s%04d%08x"}',
    check, host, severities[n % #severities + 1], check, host, thread_tag, source, n,
    string.sub(thread_tag .. "00000000", 1, 8), source, n)
end

function request()
  requests = requests + 1
  local s = requests % #keys + 1
  local pool = pools[s]
  local items = {}
  -- Repeats: alerts of this source sent long enough ago.
  local oldest = math.max(1, pool.n - POOL + 1)
  local newest = pool.n - REPEAT_AGE * NEW / #keys
  for _ = 1, REPEATS do
    if newest >= oldest then
      local k = math.random(oldest, newest)
      items[#items + 1] = pool[k % POOL]
    end
  end
  while #items < NEW + REPEATS do
    pool.n = pool.n + 1
    local text = alert(s, pool.n)
    pool[pool.n % POOL] = text
    items[#items + 1] = text
  end
  local body = '{"version":"4","groupKey":"{}:{alertname=\\"bench\\"}","truncatedAlerts":0,"status":"firing",'
    .. '"receiver":"tandem","groupLabels":{"alertname":"bench"},"commonLabels":{"job":"node"},'
    .. '"commonAnnotations":{},"externalURL":"http://alertmanager.bench:9093","alerts":['
    .. table.concat(items, ",") .. ']}'
  return wrk.format("POST", "/api/v1/intake/alertmanager",
    { ["Authorization"] = "Bearer " .. keys[s], ["Content-Type"] = "application/json" }, body)
end

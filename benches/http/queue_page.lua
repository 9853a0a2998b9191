-- GET the engineer's side queue as the web page (server-rendered HTML,
-- 50 rows by time to breach), signed in with a session cookie that run.sh
-- obtains through the login form (TANDEM_SESSION).
local session = os.getenv("TANDEM_SESSION") or error("set TANDEM_SESSION")

function init(args)
  wrk.headers["Cookie"] = "tandem_session=" .. session
end

function request()
  return wrk.format("GET", "/tickets?view=my_side")
end

-- Confirm POSTs: each request presses "Confirm" on the emailed link of a different
-- pending signature, with a valid CSRF pair of its own.
-- env: BENCH_CONFIRM (link, cookie value, signed value per line), BENCH_COOKIE.
local common = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

function init(args)
   links = common.rows(os.getenv("BENCH_CONFIRM"), id)
   cookie = os.getenv("BENCH_COOKIE") or "__Host-csrf"
   n = 0
end

function request()
   n = n + 1
   local row = links[(n - 1) % #links + 1]
   local headers = {
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["Cookie"] = cookie .. "=" .. row[2],
   }
   return wrk.format("POST", "/confirm/" .. row[1], headers, "csrf_token=" .. row[3])
end

function response(status, headers, body)
   common.count(status)
end

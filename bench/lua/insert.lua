-- The ceiling's insert: a urlencoded form with a unique email, one row per request.
-- args: run label.
local common = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

function init(args)
   run = args[1] or "run"
   n = 0
end

function request()
   n = n + 1
   local body = "name=" .. common.urlencode("김민준 Kim Min-jun") .. "&email=" ..
      common.urlencode(string.format("%s-%d-%d@example.org", run, id, n))
   return wrk.format("POST", "/insert",
      { ["Content-Type"] = "application/x-www-form-urlencoded" }, body)
end

function response(status, headers, body)
   common.count(status)
end

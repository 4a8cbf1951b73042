-- GET the URL as a browser without cache would: no cookie, no If-None-Match.
local common = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

function response(status, headers, body)
   common.count(status)
end

-- The sign form, POSTed by a different person each time: a unique email, a valid CSRF
-- pair (cookie value + the value signed with the server's key, as the form carries it),
-- the form's timing token issued well before, and a client address of its own (sent as
-- X-Forwarded-For, which the server trusts with TRUSTED_PROXY_HOPS=1, as behind the
-- production proxy).
-- args: run label.  env: BENCH_CSRF (csrf.tsv), BENCH_PATH (/s/<slug>/sign), BENCH_COOKIE.
local common = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local names = {
   "김민준", "이서연", "박지훈", "최하은", "Kim Jeong-sam", "Lee Young-hwan",
   "Park Su-bin", "Anna Schmidt", "정예진", "Hwang Hye-won", "Lucía García", "윤도윤",
}
local notes = { "", "", "", "납북자 가족", "elder sister of a detainee" }

function init(args)
   run = args[1] or "run"
   pairs_ = common.rows(os.getenv("BENCH_CSRF"), id)
   path = os.getenv("BENCH_PATH")
   cookie = os.getenv("BENCH_COOKIE") or "__Host-csrf"
   n = 0
   encoded_names = {}
   for i, name in ipairs(names) do encoded_names[i] = common.urlencode(name) end
   encoded_notes = {}
   for i, note in ipairs(notes) do encoded_notes[i] = common.urlencode(note) end
end

function request()
   n = n + 1
   local pair = pairs_[(n - 1) % #pairs_ + 1]
   local body = "kind=individual&name=" .. encoded_names[n % #names + 1] ..
      "&note=" .. encoded_notes[n % #notes + 1] ..
      "&country=KR&email=" .. common.urlencode(string.format("%s-%d-%d@example.org", run, id, n)) ..
      "&listing=named&consent_privacy=true&opt_in_updates=true&homepage=" ..
      "&form_token=" .. pair[3] .. "&csrf_token=" .. pair[2]
   local headers = {
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["Cookie"] = cookie .. "=" .. pair[1],
      ["X-Forwarded-For"] = string.format("10.%d.%d.%d", id, math.floor(n / 250) % 250, n % 250 + 1),
   }
   return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
   common.count(status)
end

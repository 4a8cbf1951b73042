-- Shared by the benchmark's wrk scripts: thread numbering, status counts, and a JSON
-- summary line ("BENCHJSON {...}") that bench/run.py reads.

local common = {}
local threads = {}
local next_id = 0

statuses = {}  -- per thread: status code -> responses

function setup(thread)
   thread:set("id", next_id)
   next_id = next_id + 1
   table.insert(threads, thread)
end

function common.count(status)
   statuses[status] = (statuses[status] or 0) + 1
end

function common.nthreads()
   return tonumber(os.getenv("BENCH_THREADS") or "2")
end

-- The rows of a tab-separated file that belong to this thread (row i goes to thread
-- i mod n), each split into its fields.
function common.rows(path, id)
   local mine, n, i = {}, common.nthreads(), 0
   for line in io.lines(path) do
      if i % n == id then
         local fields = {}
         for field in string.gmatch(line, "[^\t]+") do table.insert(fields, field) end
         table.insert(mine, fields)
      end
      i = i + 1
   end
   return mine
end

function common.urlencode(s)
   return (string.gsub(s, "[^%w%-%._~]", function(c)
      return string.format("%%%02X", string.byte(c))
   end))
end

local function json_statuses()
   local total = {}
   for _, thread in ipairs(threads) do
      local counts = thread:get("statuses") or {}
      for status, n in pairs(counts) do total[status] = (total[status] or 0) + n end
   end
   local parts = {}
   for status, n in pairs(total) do
      table.insert(parts, string.format('"%s":%d', tostring(status), n))
   end
   return "{" .. table.concat(parts, ",") .. "}"
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'BENCHJSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
      '"latency_us":{"mean":%.1f,"stdev":%.1f,"max":%d,"p50":%d,"p90":%d,"p99":%d,"p999":%d},' ..
      '"statuses":%s}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency.mean, latency.stdev, latency.max,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency:percentile(99.9), json_statuses()))
end

return common

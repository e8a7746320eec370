-- wrk script for bench/web_baseline.py.
--
-- * Sends the cookie from the environment variable BENCH_COOKIE (if set) on every request, so the session
--   token is not visible on the command line (`ps`).
-- * Counts every response whose status is not 200 (wrk itself only counts status >= 400 as errors, so a
--   303 redirect to /login would otherwise look like a success).
-- * At the end prints one machine-readable line: `WRK_RESULT {json}`; latencies are in microseconds.

local cookie = os.getenv("BENCH_COOKIE")
if cookie and cookie ~= "" then
  wrk.headers["Cookie"] = cookie
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non200 = 0
  redirects = 0
  bad_status = 0
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
    bad_status = status
    if status >= 300 and status < 400 then
      redirects = redirects + 1
    end
  end
end

function done(summary, latency, requests)
  local total_non200, total_redirects, last_bad = 0, 0, 0
  for _, thread in ipairs(threads) do
    total_non200 = total_non200 + (thread:get("non200") or 0)
    total_redirects = total_redirects + (thread:get("redirects") or 0)
    local bad = thread:get("bad_status") or 0
    if bad ~= 0 then last_bad = bad end
  end
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"rps":%.2f,' ..
    '"lat_mean_us":%.1f,"lat_stdev_us":%.1f,"lat_max_us":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p95_us":%d,"p99_us":%d,' ..
    '"errors_connect":%d,"errors_read":%d,"errors_write":%d,"errors_status":%d,"errors_timeout":%d,' ..
    '"non200":%d,"redirects":%d,"example_bad_status":%d}\n',
    summary.requests, summary.duration, summary.bytes, summary.requests / seconds,
    latency.mean, latency.stdev, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout,
    total_non200, total_redirects, last_bad))
end

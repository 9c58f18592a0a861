-- wrk script for bench/run.sh: prints one machine-readable summary line, and optionally sends
-- a different bearer token with each request. status_errors counts responses with a status of
-- 400 or above, as wrk does.
--
-- Environment:
--   BENCH_TOKEN_FILE  tokens, one per line; each request carries the next one in
--                     "Authorization: Bearer". Unset: wrk's own request (-H headers) is sent.
--   BENCH_THREADS     wrk's -t value, to give each thread its own starting point in the list.
--
-- wrk decides once, when it loads this file, whether requests are dynamic, so request() is
-- defined only when a token file is given. The static request is cheaper to send.

local token_file = os.getenv("BENCH_TOKEN_FILE")
local thread_count = tonumber(os.getenv("BENCH_THREADS") or "1")
local threads_started = 0

function setup(thread)
  thread:set("thread_number", threads_started)
  threads_started = threads_started + 1
end

if token_file and #token_file > 0 then
  local tokens = {}
  local position = 0

  function init(args)
    for line in io.lines(token_file) do
      if #line > 0 then
        tokens[#tokens + 1] = line
      end
    end
    -- Threads start evenly spaced over the list, so no two send the same token together.
    position = math.floor((thread_number or 0) * #tokens / thread_count)
  end

  function request()
    position = position % #tokens + 1
    return wrk.format(nil, nil, {["Authorization"] = "Bearer " .. tokens[position]})
  end
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
      "LOAD_SUMMARY requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
      "status_errors=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d\n",
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.max, errors.status, errors.connect, errors.read,
      errors.write, errors.timeout))
end

-- wrk script for scripts/bench.d/api.sh: GET /api/jobs with a different
-- user's token and a different X-Forwarded-For on every request, so neither
-- the per-user limit (100 per 15 min) nor the IP limiter (100 per 60 s)
-- is what stops the load.
--   wrk -s api_jobs.lua <base-url> -- <tokens-file>
local tokens = {}
local counter = 0
local nthreads = 0
local threads = {}

function setup(thread)
  thread:set("tid", nthreads)
  nthreads = nthreads + 1
  table.insert(threads, thread)
end

function init(args)
  tid = tid or 0 -- set per thread by setup()
  local f = assert(io.open(args[1], "r"))
  for line in f:lines() do
    if #line > 0 then tokens[#tokens + 1] = line end
  end
  f:close()
  assert(#tokens > 0, "no tokens in " .. args[1])
  -- Threads start at different places in the token list.
  counter = math.floor(#tokens * tid / 4)
end

function request()
  counter = counter + 1
  local tok = tokens[(counter % #tokens) + 1]
  local ip = string.format("10.%d.%d.%d", tid % 256, math.floor(counter / 256) % 256, counter % 256)
  return wrk.format("GET", "/api/jobs", {
    ["Authorization"] = "Bearer " .. tok,
    ["X-Forwarded-For"] = ip,
  })
end

function done(summary, latency, requests)
  io.write(string.format("requests %d, non-2xx/3xx %d, socket errors connect %d read %d write %d timeout %d\n",
    summary.requests, summary.errors.status, summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
  io.write(string.format("req/s %.0f\n", summary.requests / (summary.duration / 1e6)))
  for _, p in ipairs({50, 90, 99, 99.9}) do
    io.write(string.format("p%s %.2f ms\n", p, latency:percentile(p) / 1000))
  end
  io.write(string.format("max %.2f ms\n", latency.max / 1000))
end

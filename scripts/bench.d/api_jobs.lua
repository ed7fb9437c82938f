-- wrk script for scripts/bench.d/api.sh: GET /api/jobs with a different
-- user's token and a different X-Forwarded-For on every request, so neither
-- the per-user limit (100 per 15 min) nor the IP limiter (100 per 60 s)
-- is what stops the load.
--   wrk -s api_jobs.lua <base-url> -- <tokens-file>
-- The requests are formatted once, in init (wrk.format per request costs
-- the load generator as much CPU as the server spends on the request): each
-- thread cycles through `ring` requests, each with its own X-Forwarded-For
-- (so an address comes back every `ring` requests of its thread: at 5,000
-- req/s per thread that is ~35 per minute, under the 100 the IP limiter
-- allows) and the next token of the list.
local ring = 10000
local reqs = {}
local i = 0
local nthreads = 0

function setup(thread)
  thread:set("tid", nthreads)
  nthreads = nthreads + 1
end

function init(args)
  tid = tid or 0 -- set per thread by setup()
  local tokens = {}
  local f = assert(io.open(args[1], "r"))
  for line in f:lines() do
    if #line > 0 then tokens[#tokens + 1] = line end
  end
  f:close()
  assert(#tokens > 0, "no tokens in " .. args[1])
  -- Threads start at different places in the token list.
  local first = math.floor(#tokens * tid / 2)
  for n = 1, ring do
    local tok = tokens[((first + n) % #tokens) + 1]
    local ip = string.format("10.%d.%d.%d", tid % 256, math.floor(n / 256) % 256, n % 256)
    reqs[n] = wrk.format("GET", "/api/jobs", {
      ["Authorization"] = "Bearer " .. tok,
      ["X-Forwarded-For"] = ip,
    })
  end
end

function request()
  i = i + 1
  if i > ring then i = 1 end
  return reqs[i]
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

-- One page under wrk, as bench/pages.py drives it:
--
--     wrk -t2 -c20 -d2s -s bench/wrk_page.lua http://127.0.0.1:PORT/PATH -- HOST [COOKIE]
--
-- HOST is the tenant's host name (the portal resolves the tenant from it); COOKIE, when given,
-- is the session of a customer logged in through the real login form by bench/pages.py
-- ("sessionid=…; csrftoken=…": the CSRF cookie rides along as a browser's would). Every answer
-- other than 200 is counted by status (a lost session answers 302 to the login page, which
-- wrk itself would count as a success). At the end one line of JSON goes to stdout:
-- {"requests", "seconds", "errors": {status: count}, "socket_errors", "p50_us", "p95_us", "p99_us"}.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  wrk.headers["Host"] = args[1]
  if args[2] ~= nil and args[2] ~= "" then
    wrk.headers["Cookie"] = args[2]
  end
  statuses = {}
end

function response(status, headers, body)
  if status ~= 200 then
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local errors = {}
  for _, thread in ipairs(threads) do
    local counted = thread:get("statuses")
    for status, count in pairs(counted) do
      errors[tostring(status)] = (errors[tostring(status)] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(errors) do
    table.insert(parts, string.format('"%s": %d', status, count))
  end
  local socket = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "errors": {%s}, "socket_errors": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration / 1e6, table.concat(parts, ", "), socket,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end

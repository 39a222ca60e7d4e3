-- wrk script for the load benchmark (bench/load.py writes its data file and runs it).
--
--   wrk -t2 -c64 -d25s -s bench/mix.lua http://127.0.0.1:18400 -- DATA_FILE SCENARIO
--
-- DATA_FILE, one item a line, fields separated by single spaces:
--   path KIND PATH               the path of a request kind that is the same for everyone
--   ident TOKEN FEED_PATH        a signed-in tutor or moderator and their weekly feed
--   write THREAD TOKEN PATH KEY  a session to log: thread number (1-based), the token of
--                                the tutor who owns it, the log path, an idempotency key
--   mix SCENARIO KIND KIND ...   the request kinds of a scenario, cycled in this order
--
-- Each wrk thread has its own Lua state: it cycles through the scenario's kinds (so the
-- proportions hold in every stretch of the run) and through the identities, starting at
-- its own offset. A write logs the thread's next session; only after every session of the
-- thread was logged does it start again, replaying with the same keys (counted in
-- writes_issued, so the report can tell fresh writes from replays).

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_no", #threads)
end

local function split(line)
  local fields = {}
  for field in line:gmatch("%S+") do
    fields[#fields + 1] = field
  end
  return fields
end

local schedule, paths, idents, writes = {}, {}, {}, {}
local position, who = 0, 0
local body = '{"outcome":"completed"}'

function init(args)
  local data_path, scenario = args[1], args[2]
  local file = assert(io.open(data_path, "r"))
  for line in file:lines() do
    local f = split(line)
    if f[1] == "path" then
      paths[f[2]] = f[3]
    elseif f[1] == "ident" then
      idents[#idents + 1] = { auth = "Bearer " .. f[2], feed = f[3] }
    elseif f[1] == "write" and tonumber(f[2]) == thread_no then
      writes[#writes + 1] = { auth = "Bearer " .. f[3], path = f[4], key = f[5] }
    elseif f[1] == "mix" and f[2] == scenario then
      for i = 3, #f do
        schedule[#schedule + 1] = f[i]
      end
    end
  end
  file:close()
  assert(#schedule > 0, "no mix line for scenario " .. tostring(scenario))
  assert(#idents > 0, "no identities in " .. data_path)
  for _, kind in ipairs(schedule) do
    assert(kind ~= "log" or #writes > 0, "the scenario logs sessions but this thread has none")
  end
  -- Threads start at different identities so that they do not move in step.
  who = ((thread_no - 1) * 97) % #idents
  statuses = {}
  writes_issued = 0
end

local function next_write()
  local item = writes[writes_issued % #writes + 1]
  writes_issued = writes_issued + 1
  return wrk.format("POST", item.path, {
    ["Authorization"] = item.auth,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = item.key,
  }, body)
end

function request()
  position = position % #schedule + 1
  local kind = schedule[position]
  if kind == "log" then
    return next_write()
  end
  who = who % #idents + 1
  local ident = idents[who]
  local path = kind == "feed" and ident.feed or paths[kind]
  return wrk.format("GET", path, { ["Authorization"] = ident.auth })
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

-- One machine-readable line for bench/load.py; latencies in microseconds.
function done(summary, latency, requests)
  local counts, issued = {}, 0
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses") or {}) do
      counts[status] = (counts[status] or 0) + n
    end
    issued = issued + (thread:get("writes_issued") or 0)
  end
  local e = summary.errors
  local out = {
    "BENCH",
    "requests=" .. summary.requests,
    "duration_us=" .. summary.duration,
    "p50_us=" .. latency:percentile(50),
    "p95_us=" .. latency:percentile(95),
    "p99_us=" .. latency:percentile(99),
    "max_us=" .. latency.max,
    "socket_connect=" .. e.connect,
    "socket_read=" .. e.read,
    "socket_write=" .. e.write,
    "socket_timeout=" .. e.timeout,
    "writes_issued=" .. issued,
  }
  for status, n in pairs(counts) do
    out[#out + 1] = "status_" .. status .. "=" .. n
  end
  io.write(table.concat(out, " ") .. "\n")
end

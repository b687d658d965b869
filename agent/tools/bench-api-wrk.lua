-- bench:api's load for wrk 4 (LuaJIT): GET the one URL given at a fixed overall rate, and print the
-- result as one JSON line (bench-wrk.ts parses it, not wrk's human report).
-- Arguments after `--`: the overall rate (requests/s) and wrk's thread count (-t).
-- Environment: AUSCULT_WRK_AUTHORIZATION, the Authorization header's value (kept out of argv: ps shows argv).
--
-- Pacing: each wrk thread keeps one schedule, slots 1/(rate/threads) s apart from its first request.
-- delay() is called before each request on a connection: it takes the next slot and returns the ms
-- until it (0 when the slot has passed; missed slots are still sent, late, so the rate holds).
-- wrk stays closed-loop per connection: a connection waits for its answer before taking a slot, so a
-- stalled server delays the sends (coordinated omission); `late` and `max_late_ms` say how often and
-- how far the sends fell behind the schedule, and wrk's latency excludes that wait.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } auscult_timespec;
typedef struct { long tv_sec; long tv_usec; } auscult_timeval;
typedef struct { auscult_timeval ru_utime; auscult_timeval ru_stime; long ru_rest[14]; } auscult_rusage;
int clock_gettime(int clock_id, auscult_timespec *tp);
int getrusage(int who, auscult_rusage *usage);
]]

local CLOCK_MONOTONIC = 1
local RUSAGE_SELF = 0
-- A send more than this after its slot counts as late (wrk's timers have 1 ms resolution).
local LATE_MS = 1

local timespec = ffi.new("auscult_timespec")
local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
  return tonumber(timespec.tv_sec) * 1000 + tonumber(timespec.tv_nsec) / 1e6
end

local authorization = os.getenv("AUSCULT_WRK_AUTHORIZATION")
if authorization ~= nil and authorization ~= "" then
  wrk.headers["Authorization"] = authorization
end

-- Per thread (each wrk thread runs this script in its own Lua state); globals so that done() can
-- read them with thread:get().
slot_interval_ms = nil
next_slot_ms = nil
late = 0
max_late_ms = 0

function init(args)
  local rate = tonumber(args[1])
  local threads = tonumber(args[2]) or 1
  if rate == nil or rate <= 0 then error("bench-api-wrk.lua: give the overall rate in requests/s after --") end
  slot_interval_ms = 1000 * threads / rate
end

function delay()
  local now = now_ms()
  if next_slot_ms == nil then next_slot_ms = now end
  local slot = next_slot_ms
  next_slot_ms = slot + slot_interval_ms
  local wait_ms = slot - now
  if wait_ms > 0 then return math.floor(wait_ms + 0.5) end
  if -wait_ms > max_late_ms then max_late_ms = -wait_ms end
  if -wait_ms > LATE_MS then late = late + 1 end
  return 0
end

-- setup() and done() run in wrk's main Lua state, which sends nothing.
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

local function cpu_seconds()
  local usage = ffi.new("auscult_rusage")
  ffi.C.getrusage(RUSAGE_SELF, usage)
  return tonumber(usage.ru_utime.tv_sec) + tonumber(usage.ru_utime.tv_usec) / 1e6
    + tonumber(usage.ru_stime.tv_sec) + tonumber(usage.ru_stime.tv_usec) / 1e6
end

function done(summary, latency, requests)
  local late_sends, max_late = 0, 0
  for _, thread in ipairs(threads) do
    late_sends = late_sends + (thread:get("late") or 0)
    max_late = math.max(max_late, thread:get("max_late_ms") or 0)
  end
  local e = summary.errors
  local ms = function(us) return us / 1000 end
  io.write(string.format(
    'AUSCULT-WRK {"requests":%d,"duration_s":%.6f,"bytes":%d,' ..
    '"latency_ms":{"p50":%.3f,"p90":%.3f,"p99":%.3f,"p99.9":%.3f,"max":%.3f,"mean":%.3f},' ..
    '"status_errors":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d,' ..
    '"late_sends":%d,"max_late_ms":%.3f,"client_cpu_s":%.3f}\n',
    summary.requests, summary.duration / 1e6, summary.bytes,
    ms(latency:percentile(50)), ms(latency:percentile(90)), ms(latency:percentile(99)),
    ms(latency:percentile(99.9)), ms(latency.max), ms(latency.mean),
    e.status, e.connect, e.read, e.write, e.timeout,
    late_sends, max_late, cpu_seconds()))
end

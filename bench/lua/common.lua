-- Shared by every scenario script: settings from the environment (set by bench/run.py),
-- one distinct person per request, and a summary line that bench/run.py reads.
--
-- The phone formula repeats bench/people.py (seven two-digit Portuguese prefixes, seven
-- digits each): keep the two in step, or pre-created contacts will not match.

local PREFIXES = {"21", "22", "30", "91", "92", "93", "96"}
local BLOCK = 10000000
local SPACE = BLOCK * #PREFIXES
local DOMAIN = "@bench.example.com"

local function env(name, default)
  local value = os.getenv(name)
  if value == nil or value == "" then
    if default == nil then
      error("environment variable " .. name .. " is not set")
    end
    return default
  end
  return value
end

token = env("BENCH_TOKEN", "none")
user = env("BENCH_USER", "bench")
reference = env("BENCH_REFERENCE")
tag = env("BENCH_TAG")
threads_total = tonumber(env("BENCH_THREADS"))
phone_base = tonumber(env("BENCH_PHONE_BASE"))
phone_span = tonumber(env("BENCH_PHONE_SPAN"))
known_tag = env("BENCH_KNOWN_TAG", "")
known_base = tonumber(env("BENCH_KNOWN_BASE", "0"))
known_count = tonumber(env("BENCH_KNOWN_COUNT", "0"))
known_first = tonumber(env("BENCH_KNOWN_FIRST", "0"))  -- this run's people: from here on
batch_size = tonumber(env("BENCH_BATCH_SIZE", "500"))
endpoint = "/listingexport/leads"

-- Main state: number the threads and keep them, to add up their counters in done().
threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

-- Thread state: tid is set by setup() before init() runs.
function init(args)
  per_thread = math.floor(phone_span / threads_total)
  first_phone = phone_base + tid * per_thread
  known_per_thread = math.floor(known_count / threads_total)
  known_next = tid * known_per_thread
  known_last = known_next + known_per_thread
  counter, built, known_used, known_missed = 0, 0, 0, 0
  path = endpoint .. "?token=" .. token
  headers = {["user"] = user, ["Content-Type"] = "application/json"}
end

function phone(index)
  index = index % SPACE
  return string.format("+351%s%07d", PREFIXES[math.floor(index / BLOCK) + 1], index % BLOCK)
end

-- Person n of this thread: an email no other request of any run uses, and a phone from
-- this run's own block of the phone space.
function new_person(n)
  return {
    name = "Bench Person " .. tid .. "-" .. n,
    email = tag .. "." .. tid .. "." .. n .. DOMAIN,
    phone = phone(first_phone + (n % per_thread)),
  }
end

-- The next pre-created contact of this thread's slice, as bench/bulk_load.py wrote it;
-- nil once the slice is used up (counted, so the run can say so), unless `cycle` says to
-- start the slice again.
function next_known(cycle)
  if known_next >= known_last and cycle and known_per_thread > 0 then
    known_next = tid * known_per_thread
  end
  if known_next >= known_last then
    known_missed = known_missed + 1
    return nil
  end
  local k = known_first + known_next
  known_next = known_next + 1
  known_used = known_used + 1
  return {
    k = k,
    name = "Known Person " .. k,
    email = string.format("%s.%07d%s", known_tag, k, DOMAIN),
    phone = phone(known_base + k),
  }
end

function lead_json(person, status, extra, message)
  return '{"Public_Reference":"' .. reference
    .. '","Sender_Name":"' .. person.name
    .. '","Sender_Email":"' .. person.email
    .. '","Sender_Phone":"' .. person.phone
    .. '","Message":"' .. (message or 'Hello, is the flat still available? Could we visit this week?')
    .. '","Lead_Status":"' .. status .. '"' .. extra .. '}'
end

function request()
  counter = counter + 1
  built = built + 1
  return wrk.format("POST", path, headers, body_for(counter))
end

function done(summary, latency, requests)
  local totals = {built = 0, known_used = 0, known_missed = 0}
  for _, thread in ipairs(threads) do
    for name, _ in pairs(totals) do
      totals[name] = totals[name] + (thread:get(name) or 0)
    end
  end
  io.write(string.format("BENCH built=%d known_used=%d known_missed=%d\n",
    totals.built, totals.known_used, totals.known_missed))
end

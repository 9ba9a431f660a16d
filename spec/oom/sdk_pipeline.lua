-- OOM scenario (see csrc/oom/oom_host.c): the SDK's concurrent pipeline (humanitec.async) while memory runs
-- out: calls started with callbacks, one callback closing the client while the others' answers are collected,
-- then a batch on a second client. Whatever allocation fails, every call ends exactly once (its callback or
-- its batch result), run() returns, and close() leaves nothing pending.
local oom = _G.oom
local humanitec = require "humanitec"
local url = assert(os.getenv("OOM_URL"), "OOM_URL")

local function new_client()
  return humanitec.new { token = "oom-token-1f2e", url = url, config_file = "/dev/null" }
end

local client = new_client()
-- Made before memory runs out: a callback counts its call without allocating.
local calls, ended, started = 0, { 0, 0, 0, 0 }, { false, false, false, false }
local function start(path, close_it)
  calls = calls + 1
  local i = calls
  client:start("GET", path, function()
    ended[i] = ended[i] + 1
    if close_it then client:close() end
  end)
  started[i] = true -- a call whose start raised may have begun or not: it ends at most once
end

local batch_client, results = new_client(), nil
local function armed_part()
  start("/echo")
  start("/echo", true)
  start("/slow?ms=200")
  start("/echo")
  client:run(10)
  results = batch_client:batch { { "GET", "/echo" }, { "GET", "/echo", { query = { n = 2 } } },
    { "GET", "/slow?ms=20" } }
end

oom.arm()
local ok, err = pcall(armed_part)
oom.disarm()
if not ok then assert(tostring(err):find("not enough memory", 1, true), err) end

-- Memory came back: the client closes (it may have, in the callback), and every call started ended once.
client:close()
assert(client:run(10), "run() after close() returns with nothing left")
for i = 1, calls do
  local n = ended[i] or 0
  assert(n == 1 or (n == 0 and not started[i]), ("call %d ended %d times"):format(i, n))
end
if ok then -- each batch call ended (with an error when memory ran out while its answer was read)
  assert(#results == 3, "a batch result for each call")
  for i = 1, 3 do
    local r = results[i]
    assert((r.err ~= nil) ~= (r.response ~= nil), ("batch call %d has no outcome"):format(i))
  end
end
batch_client:close()
assert(batch_client:run(10))

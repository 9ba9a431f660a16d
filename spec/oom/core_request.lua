-- OOM scenario (see csrc/oom/oom_host.c): one blocking request and one through the multi handle, on the
-- core directly; every allocation of the armed part fails once in turn.
local oom = _G.oom
local core = require "humanitec.core"
local url = assert(os.getenv("OOM_URL"), "OOM_URL")

local function is_memory_error(err)
  return tostring(err):find("not enough memory", 1, true) ~= nil
end

local s = core.session { token = "oom-token-1f2e" }
local function armed_part()
  local status = s:request("GET", url .. "/echo", { { "X-Scenario", "request" } }, nil, 10, true)
  assert(status == 200, "status " .. tostring(status))
  local id = assert(s:start("POST", url .. "/echo", { { "Content-Type", "text/plain" } }, "body", 10))
  for _ = 1, 400 do
    if s:wait(0.05) == 0 then break end
  end
  local list = s:completed()
  assert(#list == 1 and list[1][1] == id and list[1][2] == 200, "the started request's result")
end

oom.arm()
local ok, err = pcall(armed_part)
oom.disarm()
if not ok then assert(is_memory_error(err), err) end

-- Not left busy or half-done: the session still works, hands over what finished exactly once, and closes
-- at once.
for _ = 1, 400 do
  if s:wait(0.05) == 0 then break end
end
local left = s:completed()
assert(#left <= 1, "a result handed over twice")
assert(s:pending() == 0)
assert(s:request("GET", url .. "/echo") == 200)
s:close()
assert(s:is_closed())

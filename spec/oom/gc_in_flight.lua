-- OOM scenario (see csrc/oom/oom_host.c): memory runs out while sessions start transfers and wait on them;
-- the sessions are dropped with transfers in flight or finished and not handed over, and the collector frees
-- them, the token's lines with them. (The collection runs after memory came back: Lua 5.4 drops a finalizer
-- whose own call runs out of memory, which no userdata can survive.)
local oom = _G.oom
local core = require "humanitec.core"
local url = assert(os.getenv("OOM_URL"), "OOM_URL")

local function armed_part()
  for round = 1, 2 do
    local s = core.session { token = "oom-token-1f2e" }
    s:start("GET", url .. "/slow?ms=50")
    s:start("POST", url .. "/echo", nil, "x")
    if round == 2 then
      for _ = 1, 100 do
        if s:wait(0.05) == 0 then break end
      end
    end
    s = nil -- luacheck: ignore 311
  end
end

oom.arm()
local ok, err = pcall(armed_part)
oom.disarm()
if not ok then assert(tostring(err):find("not enough memory", 1, true), err) end
collectgarbage("collect")

-- Raise injection: every Lua function the SDK calls back (on_trace, a request's callback, a batch's hook via
-- on_trace, the luv adapter's deliver and on_error) raises in turn, with a string, a table, and an error
-- object whose __tostring raises too. The process goes on, run() returns, every call ends once, and closing
-- the client releases its connections (the process's open descriptors come back to their count).
local helpers = require "support.helpers"
local humanitec = require "humanitec"

-- The process's open descriptors, from /proc (Linux; the suite runs on Debian).
local function open_fds()
  collectgarbage() -- what earlier specs left is closed first
  collectgarbage()
  local p = assert(io.popen("ls /proc/$PPID/fd")) -- the shell's parent: this process
  local n = 0
  for _ in p:lines() do n = n + 1 end
  p:close()
  return n
end

local RAISES = {
  string = function() error("injected", 0) end,
  table = function() error({ injected = true }) end,
  hostile = function()
    error(setmetatable({}, { __tostring = function() error("__tostring raised too") end }))
  end,
}

describe("raise injection", function()
  local server

  setup(function()
    server = helpers.start_server("spec/support/test_server.lua")
  end)

  teardown(function()
    server.stop()
  end)

  -- Before, under make asan every command ran behind one more shell (spec/support/sanitizer.lua), so $PPID
  -- named that shell and the counts below were of its descriptors, not of this process.
  it("counts the descriptors of this process", function()
    local stat = assert(io.open("/proc/self/stat"))
    local pid = stat:read("*l"):match("^%d+")
    stat:close()
    local p = assert(io.popen("echo $PPID"))
    local parent = p:read("*l")
    p:close()
    assert.equals(pid, parent)
  end)

  for kind, raise in pairs(RAISES) do
    for _, where in ipairs { "on_trace", "callback" } do
      it(("%s raising (%s): run() returns, every call ends once, close() releases all"):format(where, kind),
        function()
          local before = open_fds()
          local c = humanitec.new { token = "t", url = server.url, config_file = "/dev/null",
            on_trace = where == "on_trace" and raise or nil }
          local ended = {}
          for i = 1, 6 do
            c:start("GET", i % 2 == 0 and "/echo" or "/slow?ms=20", function()
              ended[i] = (ended[i] or 0) + 1
              if where == "callback" then raise() end
            end)
          end
          assert.is_true(c:run(20))
          for i = 1, 6 do assert.equals(1, ended[i]) end
          local results = c:batch { { "GET", "/echo" }, { "GET", "/slow?ms=10" } }
          assert.equals(2, #results)
          assert.equals(0, c._session:pending())
          c:close()
          assert.is_true(c:run(1))
          collectgarbage()
          collectgarbage()
          assert.is_true(open_fds() <= before, "a descriptor left open") -- earlier specs' may close meanwhile
        end)
    end
  end

  describe("under the luv adapter", function()
    local has_luv, uv = pcall(require, "luv")
    for _, where in ipairs { "callback", "deliver", "on_error", "all" } do
      it(("%s raising: the loop goes on, every call ends once, the handles close"):format(where), function()
        if not has_luv then
          pending("luv is not installed (an optional dependency)")
          return
        end
        local before = open_fds()
        local c = humanitec.new { token = "t", url = server.url, config_file = "/dev/null" }
        local delivered = 0
        local opts = {
          deliver = function(fn)
            delivered = delivered + 1
            fn()
            -- raising after running the callback: the SDK must not run it again
            if where == "deliver" or where == "all" then RAISES.hostile() end
          end,
          on_error = function(err)
            if where == "on_error" or where == "all" then error("on_error raised with " .. type(err), 0) end
          end,
        }
        local attached = require("humanitec.loop").luv(c, uv, opts)
        local ended = {}
        for i = 1, 6 do
          c:start("GET", i % 2 == 0 and "/echo" or "/slow?ms=20", function()
            ended[i] = (ended[i] or 0) + 1
            if where ~= "deliver" then RAISES.string() end
          end)
        end
        local function all_ended()
          for i = 1, 6 do if not ended[i] then return false end end
          return true
        end
        local deadline = os.time() + 20
        while not all_ended() and os.time() < deadline do uv.run("once") end
        assert.equals(0, c._session:pending())
        attached.close()
        c:close()
        uv.run("nowait")
        for i = 1, 6 do assert.equals(1, ended[i]) end
        assert.is_true(delivered >= 6)
        collectgarbage()
        collectgarbage()
        assert.is_true(open_fds() <= before, "a descriptor left open")
      end)
    end
  end)
end)

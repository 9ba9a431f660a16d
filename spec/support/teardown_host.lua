-- Run by spec/16_teardown_spec.lua as a child process, under lua5.4 or luajit with luv, or inside headless
-- Neovim: attaches an event-loop adapter, makes requests, then tears down in the order $ORDER names and, with
-- $AGAIN=1, runs the loop once more. Prints "teardown ok <results>" when the script reached its end; the
-- spec checks that line and that the process then exits with status 0 (luv 1.44 used to crash in lua_close).
package.path = "./lua/?.lua;./lua/?/init.lua;" .. package.path
local nvim = rawget(_G, "vim")
if nvim then package.cpath = "./build/luajit/?.so;" .. package.cpath end
local humanitec = require "humanitec"
local loop = require "humanitec.loop"
local uv = nvim and (nvim.uv or nvim.loop) or require "luv"

local order, again = os.getenv("ORDER"), os.getenv("AGAIN") == "1"
local client = humanitec.new { token = "teardown-token", url = os.getenv("TEST_URL"), config_file = "/dev/null" }
local attached = nvim and loop.nvim(client) or loop.luv(client, uv)

-- Runs the loop until `done()` (bounded), as the host would. Its own timers close inside the loop, so the
-- loop completes their closes before it returns (closed after it, they would meet luv 1.44's crash too).
local function run_until(done)
  if nvim then
    nvim.wait(5000, done, 5)
    return
  end
  local guard, check = uv.new_timer(), uv.new_timer()
  local function finish()
    guard:close()
    check:close()
    uv.stop()
  end
  guard:start(5000, 0, finish)
  check:start(2, 2, function() if done() then finish() end end)
  uv.run()
end

local results = {}
local function record(name)
  return function(_, err)
    results[#results + 1] = name .. "=" .. (err and err.kind or "ok")
    if order == "close-in-callback" and name == "fast" then client:close() end
    if order == "detach-in-callback" and name == "fast" then attached.close() end
  end
end
client:start("GET", "/echo", record("fast"))
if order == "close-in-callback" or order == "detach-in-callback" then
  client:start("GET", "/slow", { query = { ms = 2000 } }, record("slow"))
end
run_until(function() return #results >= 1 end)

if order == "close" then
  client:close()
elseif order == "detach" then
  attached.close()
elseif order == "detach-close" then
  attached.close()
  client:close()
elseif order == "close-detach" then
  client:close()
  attached.close()
elseif order == "detach-in-callback" then
  client:close()
end
if again then run_until(function() return true end) end
table.sort(results)
io.stdout:write("teardown ok ", table.concat(results, ","), "\n")

-- Run by spec/12_async_spec.lua inside headless Neovim (LuaJIT): 50 requests in flight to a slow loopback
-- server while a 10 ms timer measures how long the editor's loop ever went without running it. Prints one line:
-- "done N fast N maxgap MS ok BOOL".
package.path = "./lua/?.lua;./lua/?/init.lua;" .. package.path
package.cpath = "./build/luajit/?.so;" .. package.cpath
local humanitec = require "humanitec"
local uv = vim.uv or vim.loop

local client = humanitec.new { token = "nvim-token", url = os.getenv("TEST_URL"), config_file = "/dev/null" }
local attached = require("humanitec.loop").nvim(client)
local done, fast, failed = 0, 0, 0
local maxgap, last = 0, uv.hrtime()
local ticker = uv.new_timer()
ticker:start(10, 10, function()
  local now = uv.hrtime()
  maxgap = math.max(maxgap, (now - last) / 1e6)
  last = now
end)
for i = 1, 50 do
  client:start("GET", "/slow", { query = { ms = 1500, i = i } }, function(data)
    done = done + 1
    if not data then failed = failed + 1 end
    if vim.in_fast_event() then fast = fast + 1 end
    vim.api.nvim_get_current_buf() -- an editor API: allowed only outside fast events
  end)
end
local ok = vim.wait(10000, function() return done == 50 end, 5)
io.stdout:write(("done %d failed %d fast %d maxgap %.1f ok %s\n"):format(done, failed, fast, maxgap, tostring(ok)))
attached.close()
ticker:close()
client:close()

-- Packaging: the rockspec lists every module, `luarocks make` installs a module that works, and Neovim's
-- LuaJIT loads the LuaJIT build through package.cpath.
local helpers = require "support.helpers"

local function read(path)
  local f = assert(io.open(path, "r"))
  local text = f:read("*a")
  f:close()
  return text
end

local have = helpers.have

local function capture(command)
  local out, status = helpers.capture(command)
  return out, status == 0
end

describe("packaging", function()
  it("lists every Lua module and C source in the rockspec", function()
    local rockspec = read("humanitec-scm-1.rockspec")
    local listed = {}
    for file in rockspec:gmatch('"(lua/[^"]+%.lua)"') do listed[file] = true end
    local files = capture("find lua -name '*.lua' | sort")
    local count = 0
    for file in files:gmatch("[^\n]+") do
      assert.is_true(listed[file] ~= nil, file .. " is missing from the rockspec")
      count = count + 1
    end
    assert.is_true(count > 5)
    for source in capture("ls csrc/*.c"):gmatch("[^\n]+") do
      assert.is_truthy(rockspec:find('"' .. source .. '"', 1, true), source .. " is missing from the rockspec")
    end
  end)

  it("installs with luarocks make, and the installed module makes requests", function()
    if not have("luarocks") then
      pending("luarocks is not installed")
      return
    end
    local tree = os.tmpname()
    os.remove(tree)
    local version = _VERSION:match("%d+%.%d+")
    -- LuaJIT builds against its own headers, for the 5.1 ABI it shares.
    local incdir = jit and " LUA_INCDIR=/usr/include/luajit-2.1" or ""
    local out, ok = capture(("luarocks --lua-version %s --tree %s make --deps-mode none "
      .. "CURL_INCDIR=/usr/include/x86_64-linux-gnu%s humanitec-scm-1.rockspec"):format(version, tree, incdir))
    assert.is_true(ok, out)
    local server = helpers.start_server("spec/support/test_server.lua")
    local lua_dir = tree .. "/share/lua/" .. version
    local lib_dir = tree .. "/lib/lua/" .. version
    -- Only the installed tree (and the system's cjson) is on the path: not the sources here.
    local code = ([[
      package.path = %q .. "/?.lua;" .. %q .. "/?/init.lua;" .. package.path:gsub("%%./[^;]*;", "")
      package.cpath = %q .. "/?.so;" .. package.cpath
      local humanitec = require "humanitec"
      assert(package.searchpath == nil or package.searchpath("humanitec.core", package.cpath):find(%q, 1, true))
      local c = humanitec.new { token = "t", url = %q }
      local echo = assert(c:get("/echo"))
      io.write(echo.headers.authorization)
    ]]):format(lua_dir, lua_dir, lib_dir, tree, server.url)
    local pipe = assert(io.popen(helpers.LUA .. " -e " .. helpers.shell_quote(code) .. " 2>&1"))
    local result = pipe:read("*a")
    pipe:close()
    server.stop()
    os.execute("rm -rf " .. tree)
    assert.equals("Bearer t", result)
  end)

  it("loads in headless Neovim with the LuaJIT build", function()
    if not have("nvim") then
      pending("nvim is not installed")
      return
    end
    local server = helpers.start_server("spec/support/test_server.lua")
    local script = os.tmpname()
    local f = assert(io.open(script, "w"))
    f:write(([[
      package.path = "./lua/?.lua;./lua/?/init.lua;" .. package.path
      package.cpath = "./build/luajit/?.so;" .. package.cpath
      local ok, err = pcall(function()
        local humanitec = require "humanitec"
        local c = humanitec.new { token = "nvim-token", url = %q }
        local echo = assert(c:get("/echo"))
        io.stdout:write("ok ", echo.headers.authorization, " ", jit.version, "\n")
      end)
      if not ok then io.stdout:write("failed: ", tostring(err), "\n") end
    ]]):format(server.url))
    f:close()
    local out = capture("nvim --headless -u NONE -i NONE -n -c " .. helpers.shell_quote("luafile " .. script)
      .. " -c 'qa!' </dev/null")
    server.stop()
    os.remove(script)
    assert.matches("ok Bearer nvim%-token LuaJIT", out)
  end)
end)

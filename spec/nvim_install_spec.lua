-- The Neovim plugin, installed as lazy.nvim installs it: `make nvim` in a copy of the repository, the copy on the
-- runtimepath, and `require` with no path set by hand, while LUA_PATH and LUA_CPATH name Lua 5.4 modules (the
-- 5.4 lua-cjson and a 5.4 build of the core among them) that must never be loaded. Then :checkhealth humanitec
-- against the simulator, and what a wrong build or missing headers look like.
local helpers = require "support.helpers"
local nvim = require "support.nvim"

local have_nvim = helpers.have("nvim")
local q = helpers.shell_quote

-- The shared objects mapped into the Neovim process, one path each, from /proc/self/maps.
local MAPPED = [[
  local function mapped()
    local list, seen = {}, {}
    for line in io.lines("/proc/self/maps") do
      local path = line:match("%s(/%S+%.so[%.%d]*)$")
      if path and not seen[path] then seen[path] = true; list[#list + 1] = path end
    end
    return list
  end
]]

local function write_result(value_expr)
  return ("local f = assert(io.open(os.getenv('RESULT'), 'w')); f:write(vim.json.encode(%s)); f:close()\n")
    :format(value_expr)
end

describe("Neovim plugin install", function()
  local root, plugin, sim

  setup(function()
    if not have_nvim then return end
    root = nvim.temp_dir()
    plugin = nvim.install(root)
    sim = helpers.start_server("bin/humanitec-sim", { "--port", "0", "--org", "acme", "--token", "nvim-tok" })
  end)

  teardown(function()
    if sim then sim.stop() end
    if root then os.execute("rm -rf " .. q(root)) end
  end)

  local function env()
    return { HUMANITEC_TOKEN = "nvim-tok", HUMANITEC_ORG = "acme", HUMANITEC_API_PREFIX = sim.url }
  end

  it("builds with make nvim and loads from the runtimepath, LuaJIT modules only", function()
    if not have_nvim then
      pending("nvim is not installed")
      return
    end
    local result, out = nvim.run(root, plugin, MAPPED .. [[
      local r = {}
      local ok, err = pcall(function()
        local humanitec = require "humanitec"
        local c = humanitec.new {}
        local orgs = assert(c:get("/orgs"))
        r.org = orgs[1].id
        local json = require "humanitec.json"
        r.round_trip = json.encode(json.decode('{"a":{},"b":[],"c":null}'))
        r.mapped = mapped()
        r.cjson_loaded = package.loaded.cjson ~= nil
        r.jsonc_loaded = package.loaded["humanitec.jsonc"] ~= nil -- LUA_CPATH names a 5.4 build of it
        r.path = package.path -- LUA_PATH names Lua 5.4 folders
        c:close()
      end)
      r.error = not ok and tostring(err) or nil
    ]] .. write_result("r"), env())
    assert.is_table(result, out)
    assert.is_nil(result.error)
    assert.equals("acme", result.org)
    assert.is_truthy(result.round_trip:find('"a":{}', 1, true), result.round_trip)
    assert.is_truthy(result.round_trip:find('"b":[]', 1, true), result.round_trip)
    assert.is_truthy(result.round_trip:find('"c":null', 1, true), result.round_trip)
    assert.is_false(result.cjson_loaded)
    assert.is_false(result.jsonc_loaded)
    assert.is_nil(result.path:find("5%.4"), result.path)
    local core
    for _, path in ipairs(result.mapped) do
      assert.is_nil(path:find("lua/?5%.4/"), "a Lua 5.4 module was loaded: " .. path)
      if path:find("humanitec/core%.so$") then core = path end
    end
    assert.equals(plugin .. "/lua/humanitec/core.so", core)
  end)

  it(":checkhealth humanitec reports libcurl, JSON, the token's source and a timed GET /orgs", function()
    if not have_nvim then
      pending("nvim is not installed")
      return
    end
    local result, out = nvim.run(root, plugin, [[
      vim.cmd("checkhealth humanitec")
      local lines = vim.api.nvim_buf_get_lines(0, 0, -1, false)
    ]] .. write_result("lines"), env())
    assert.is_table(result, out)
    local text = table.concat(result, "\n")
    assert.matches("OK:? core: " .. plugin:gsub("%p", "%%%0") .. "/lua/humanitec/core%.so", text)
    assert.matches("OK:? libcurl %d+%.%d+%.%d+, TLS: %S+, HTTP/2: %a+, zlib: %a+", text)
    assert.matches("OK:? JSON: vim%.json", text)
    assert.matches("WARNING:? LUA_CPATH names modules for another Lua %(.*5%.4", text)
    assert.matches("OK:? token: from the environment variable HUMANITEC_TOKEN", text)
    assert.matches("OK:? organization: acme %(from the environment variable HUMANITEC_ORG%)", text)
    assert.matches("OK:? GET /orgs: 1 organization%(s%) in %d+ ms over HTTP/1%.1", text)
    assert.is_nil(text:find("nvim-tok", 1, true), "the token itself is shown")
    assert.is_nil(text:find("ERROR", 1, true), text)
  end)

  it(":checkhealth humanitec reports a wrong token as the API's answer", function()
    if not have_nvim then
      pending("nvim is not installed")
      return
    end
    local vars = env()
    vars.HUMANITEC_TOKEN = "not-the-token"
    local result, out = nvim.run(root, plugin, [[
      vim.cmd("checkhealth humanitec")
      local lines = vim.api.nvim_buf_get_lines(0, 0, -1, false)
    ]] .. write_result("lines"), vars)
    assert.is_table(result, out)
    local text = table.concat(result, "\n")
    assert.matches("ERROR:? GET /orgs failed after %d+ ms: .*401", text)
    assert.is_nil(text:find("not-the-token", 1, true), "the token itself is shown")
  end)

  it("reports a core that is not built, or built for another Lua, and does not crash", function()
    if not have_nvim then
      pending("nvim is not installed")
      return
    end
    if helpers.read_file("build/lua5.4/humanitec/core.so") == "" then
      pending("no Lua 5.4 core to offer Neovim: build/lua5.4 is missing (make build LUA=lua5.4)")
      return
    end
    local other = root .. "/unbuilt"
    local unbuilt = nvim.install(other, false)
    local script = [[
      local r = {}
      local hnvim = require "humanitec.nvim"
      local client, err = hnvim.client()
      r.client, r.err = client ~= nil, err
      r.require_ok, r.require_err = pcall(require, "humanitec")
      vim.cmd("checkhealth humanitec")
      r.health = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n")
    ]] .. write_result("r")
    local result, out = nvim.run(other, unbuilt, script, env())
    assert.is_table(result, out)
    assert.is_false(result.client)
    assert.matches("the core is not built: run `make nvim`", result.err)
    assert.is_false(result.require_ok) -- and a 5.4 core on LUA_CPATH was not tried instead
    assert.matches("the core is not built", result.require_err)
    assert.matches("ERROR:? the core is not built", result.health)

    -- A core built for Lua 5.4 where the LuaJIT one belongs.
    assert(os.execute(("cp build/lua5.4/humanitec/core.so %s/lua/humanitec/core.so"):format(q(unbuilt))))
    result, out = nvim.run(other, unbuilt, script, env())
    assert.is_table(result, out)
    assert.is_false(result.client)
    assert.matches("cannot load .*core%.so %(built for another Lua%? run `make nvim` again%)", result.err)
    assert.matches("ERROR:? cannot load", result.health)
    os.execute("rm -rf " .. q(other))
  end)

  it("names the package that gives missing headers, for Debian, Fedora, Arch and Homebrew", function()
    if not have_nvim then
      pending("nvim is not installed")
      return
    end
    -- A compiler that cannot find one header: what a machine without the package looks like to the build.
    local cc = root .. "/cc-without"
    local f = assert(io.open(cc, "w"))
    f:write('#!/bin/sh\nfor a; do case $a in *.c) grep -q "$HIDE" "$a" && exit 1;; esac; done\nexec cc "$@"\n')
    f:close()
    assert(os.execute("chmod +x " .. q(cc)))
    local out, status = helpers.capture(("cd %s && HIDE=curl/curl.h CC=%s PATH=/usr/bin:/bin tools/nvim-build")
      :format(q(plugin), q(cc)))
    assert.equals(1, status)
    assert.matches("libcurl's headers %(curl/curl%.h%) not found", out)
    assert.matches("apt%-get install libcurl4%-openssl%-dev", out)
    assert.matches("dnf install libcurl%-devel", out)
    assert.matches("pacman %-S curl", out)
    assert.matches("brew install curl", out)
    out, status = helpers.capture(("cd %s && HIDE=lauxlib.h CC=%s tools/nvim-build"):format(q(plugin), q(cc)))
    assert.equals(1, status)
    assert.matches("LuaJIT's headers %(lua%.h, lauxlib%.h%) not found", out)
    assert.matches("apt%-get install libluajit%-5%.1%-dev", out)
    assert.matches("dnf install luajit%-devel", out)
    assert.matches("pacman %-S luajit", out)
    assert.matches("brew install luajit", out)
  end)
end)

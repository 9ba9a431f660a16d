-- Packaging: the two rocks (rockspecs/): humanitec (the SDK, its core and the CLI) and humanitec-sim (the
-- simulator). Every module under lua/ belongs to exactly one of them, every `require` in a rock's files is the
-- standard library, the rock itself or a declared dependency, the versions agree everywhere they are written,
-- and `luarocks make` installs both into a fresh tree that works from outside the checkout. Also: Neovim's
-- LuaJIT loads the LuaJIT build through package.cpath.
local helpers = require "support.helpers"

local have, read_file, shell_quote = helpers.have, helpers.read_file, helpers.shell_quote

local function capture(command)
  local out, status = helpers.capture(command)
  return out, status == 0
end

-- The standard library of every interpreter we support (LuaJIT's bit, jit and ffi included).
local STDLIB = { string = true, table = true, math = true, io = true, os = true, coroutine = true, debug = true,
  package = true, utf8 = true, bit = true, bit32 = true, jit = true, ffi = true }
-- Modules the host provides, not a rock: the code that requires them runs only there.
local HOST = { health = "Neovim's (lua/humanitec/health.lua runs inside :checkhealth)" }
-- What each dependency we may declare provides: a module name, or a prefix ending in a dot.
local PROVIDES = {
  ["lua-cjson"] = { "cjson", "cjson." }, argparse = { "argparse" }, lyaml = { "lyaml", "lyaml.", "yaml" },
  basexx = { "basexx" }, http = { "http." }, cqueues = { "cqueues", "cqueues.", "_cqueues" },
  luaossl = { "openssl", "openssl.", "_openssl" },
}

local function load_rockspec(path)
  local text = read_file(path)
  assert(text ~= "", path .. " is missing")
  local env = {}
  local chunk
  if setfenv then
    chunk = assert(loadstring(text, "@" .. path))
    setfenv(chunk, env)
  else
    chunk = assert(load(text, "@" .. path, "t", env))
  end
  chunk()
  return env
end

local VERSION = require("humanitec").VERSION
local ROCKS = {
  humanitec = { versioned = "rockspecs/humanitec-" .. VERSION .. "-1.rockspec",
    scm = "rockspecs/humanitec-scm-1.rockspec" },
  ["humanitec-sim"] = { versioned = "rockspecs/humanitec-sim-" .. VERSION .. "-1.rockspec",
    scm = "rockspecs/humanitec-sim-scm-1.rockspec" },
}
local ROCK_NAMES = { "humanitec", "humanitec-sim" }

-- module name -> file, for the Lua modules a rockspec installs (builtin `modules` or `install.lua`).
local function lua_modules(spec)
  local out = {}
  for name, file in pairs(spec.build.modules or {}) do
    if type(file) == "string" then out[name] = file end
  end
  for name, file in pairs(spec.build.install and spec.build.install.lua or {}) do out[name] = file end
  return out
end

-- The C modules a rockspec installs: module name -> "C".
local function c_modules(spec)
  local out = {}
  for name in pairs(spec.build.install and spec.build.install.lib or {}) do out[name] = "C" end
  for name, m in pairs(spec.build.modules or {}) do
    if type(m) == "table" then out[name] = "C" end
  end
  return out
end

local function bins(spec)
  local out = {}
  for name, file in pairs(spec.build.install and spec.build.install.bin or {}) do out[name] = file end
  return out
end

-- The rock names a rockspec depends on ("lua" aside).
local function dependency_names(spec)
  local out = {}
  for _, d in ipairs(spec.dependencies or {}) do
    local name = d:match("^%s*([%w_%-%.]+)")
    if name ~= "lua" then out[name] = d end
  end
  return out
end

-- Every module a file requires: { name = ..., prefix = true when the name is completed at run time
-- (`require("x." .. name)`) }. Full-line comments are skipped: a doc example is not a dependency.
local function requires_of(path)
  local found = {}
  for line in (read_file(path) .. "\n"):gmatch("([^\n]*)\n") do
    local pos = 1
    while not line:find("^%s*%-%-") do
      local _, e = line:find("require", pos, true)
      if not e then break end
      local rest = line:sub(e + 1)
      -- require "x", require("x"), require 'x', pcall(require, "x")
      local _, name, after = rest:match("^%s*%(?%s*([\"'])([%w_%.%-]+)%1%s*(%.?%.?)")
      if not name then _, name, after = rest:match("^%s*,%s*([\"'])([%w_%.%-]+)%1%s*(%.?%.?)") end
      if name then found[#found + 1] = { name = name, prefix = after == ".." } end
      pos = e + 1
    end
  end
  return found
end

local function keys(t)
  local out = {}
  for k in pairs(t) do out[#out + 1] = k end
  return out
end

local function provided_by(module, prefix, provides)
  for _, p in ipairs(provides) do
    if p == module or (p:sub(-1) == "." and module:sub(1, #p) == p) or (prefix and p:sub(1, #module) == module) then
      return true
    end
  end
  return false
end

describe("packaging", function()
  local specs = {}
  for _, rock in ipairs(ROCK_NAMES) do
    specs[rock] = { versioned = load_rockspec(ROCKS[rock].versioned), scm = load_rockspec(ROCKS[rock].scm) }
  end

  it("has a versioned and an scm rockspec for each rock, alike but for version and source", function()
    for _, rock in ipairs(ROCK_NAMES) do
      local v, s = specs[rock].versioned, specs[rock].scm
      assert.equals(rock, v.package)
      assert.equals(rock, s.package)
      assert.equals(VERSION .. "-1", v.version)
      assert.equals("scm-1", s.version)
      assert.equals("v" .. VERSION, v.source.tag)
      assert.is_nil(s.source.tag)
      assert.equals(v.source.url, s.source.url)
      assert.same(v.build, s.build)
      assert.same(v.description, s.description)
      for _, field in ipairs({ "homepage", "license", "summary", "detailed" }) do
        assert.is_string(v.description[field], rock .. ": description." .. field)
      end
      assert.equals("MIT", v.description.license)
      assert.equals(#v.dependencies, #s.dependencies)
    end
    -- The simulator needs this very SDK.
    assert.equals("humanitec = " .. VERSION, dependency_names(specs["humanitec-sim"].versioned).humanitec)
    assert.equals("humanitec", dependency_names(specs["humanitec-sim"].scm).humanitec)
  end)

  it("puts every Lua file under lua/ in exactly one rock, by the name require finds it under", function()
    local owner = {}
    for _, rock in ipairs(ROCK_NAMES) do
      for name, file in pairs(lua_modules(specs[rock].versioned)) do
        assert.is_nil(owner[file], file .. " is in two rocks")
        owner[file] = rock
        local expected = file:gsub("^lua/", ""):gsub("%.lua$", ""):gsub("/init$", ""):gsub("/", ".")
        assert.equals(expected, name, file)
      end
    end
    local count = 0
    for file in capture("find lua -name '*.lua' | sort"):gmatch("[^\n]+") do
      assert.is_not_nil(owner[file], file .. " is in no rockspec: add it to rockspecs/ (both versions)")
      local sim = file:find("^lua/humanitec/sim/") ~= nil
      assert.equals(sim and "humanitec-sim" or "humanitec", owner[file], file)
      count = count + 1
      owner[file] = nil
    end
    assert.same({}, owner) -- listed files that do not exist
    assert.is_true(count > 40)
    assert.same({ humanitec = "bin/humanitec" }, bins(specs.humanitec.versioned))
    assert.same({ ["humanitec-sim"] = "bin/humanitec-sim" }, bins(specs["humanitec-sim"].versioned))
  end)

  it("declares every module a rock's files require, and needs every dependency it declares", function()
    local sdk_modules = lua_modules(specs.humanitec.versioned)
    for name in pairs(c_modules(specs.humanitec.versioned)) do sdk_modules[name] = "C" end
    assert.same({ ["humanitec.core"] = "C", ["humanitec.jsonc"] = "C" }, c_modules(specs.humanitec.versioned))
    for _, rock in ipairs(ROCK_NAMES) do
      local spec = specs[rock].versioned
      local own = lua_modules(spec)
      local own_names = keys(own)
      for name in pairs(c_modules(spec)) do own_names[#own_names + 1] = name end
      local provides = {}
      for dep in pairs(dependency_names(spec)) do
        provides[dep] = dep == "humanitec" and keys(sdk_modules) or PROVIDES[dep]
        assert.is_table(provides[dep], rock .. " declares " .. dep .. ": say in this spec what it provides")
      end
      local files = {}
      for _, file in pairs(own) do files[#files + 1] = file end
      for _, file in pairs(bins(spec)) do files[#files + 1] = file end
      table.sort(files)
      local unknown, used = {}, {}
      for _, file in ipairs(files) do
        for _, r in ipairs(requires_of(file)) do
          local ok = STDLIB[r.name] or HOST[r.name] or provided_by(r.name, r.prefix, own_names)
          for dep, names in pairs(provides) do
            if provided_by(r.name, r.prefix, names) then ok, used[dep] = true, true end
          end
          if not ok then unknown[#unknown + 1] = file .. ": " .. r.name end
        end
      end
      assert.same({}, unknown)
      for dep in pairs(provides) do
        assert.is_true(used[dep] == true, rock .. " declares " .. dep .. " but nothing in it requires it")
      end
    end
  end)

  it("says one version everywhere: humanitec.VERSION, the rockspecs, the simulator, the CHANGELOG, --version",
    function()
      assert.matches("^%d+%.%d+%.%d+$", VERSION)
      assert.equals(VERSION, require("humanitec.sim").VERSION)
      local changelog = read_file("CHANGELOG.md")
      assert.truthy(changelog:find("## [Unreleased]", 1, true), "CHANGELOG.md has no Unreleased section")
      local latest = changelog:match("\n## %[(%d+%.%d+%.%d+)%] %- %d%d%d%d%-%d%d%-%d%d\n")
      assert.equals(VERSION, latest, "the latest release in CHANGELOG.md")
      assert.truthy(changelog:find("\n%[" .. VERSION:gsub("%.", "%%.") .. "%]: %S+"), "a link for " .. VERSION)
      local out, ok = capture(helpers.LUA .. " bin/humanitec --version")
      assert.is_true(ok, out)
      assert.matches("^humanitec " .. VERSION:gsub("%.", "%%.") .. " ", out)
      assert.matches("MIT License", read_file("LICENSE"))
    end)

  it("passes luarocks lint, every rockspec", function()
    if not have("luarocks") then
      pending("luarocks is not installed")
      return
    end
    for _, rock in ipairs(ROCK_NAMES) do
      for _, which in ipairs({ "versioned", "scm" }) do
        local out, ok = capture("luarocks lint " .. shell_quote(ROCKS[rock][which]))
        assert.is_true(ok, ROCKS[rock][which] .. ": " .. out)
      end
    end
  end)

  it("installs both rocks with luarocks make into a fresh tree, which works from outside the checkout", function()
    if not have("luarocks") then
      pending("luarocks is not installed")
      return
    end
    local tree = os.tmpname()
    os.remove(tree)
    local elsewhere = os.tmpname()
    os.remove(elsewhere)
    assert.is_true(os.execute("mkdir " .. shell_quote(elsewhere)) ~= false)
    local log = os.tmpname()
    local server
    finally(function()
      if server then server.stop() end
      os.execute("rm -rf " .. shell_quote(tree) .. " " .. shell_quote(elsewhere))
      os.remove(log)
    end)
    local version = _VERSION:match("%d+%.%d+")
    local before = capture("git status --porcelain --ignored --untracked-files=all -- . ':!build' 2>/dev/null")
    -- LuaJIT builds against its own headers, for the 5.1 ABI it shares.
    local incdir = jit and " LUA_INCDIR=/usr/include/luajit-2.1" or ""
    -- The versioned rockspecs, what gets published (the scm ones differ only in version and source).
    for _, rock in ipairs(ROCK_NAMES) do
      local out, ok = capture(("luarocks --lua-version %s --tree %s make --deps-mode none "
        .. "CURL_INCDIR=/usr/include/x86_64-linux-gnu%s %s"):format(version, shell_quote(tree), incdir,
        shell_quote(ROCKS[rock].versioned)))
      assert.is_true(ok, out)
    end
    -- Nothing new in the checkout outside build/: no core.so or object files for the next interpreter to trip on.
    assert.equals(before, (capture("git status --porcelain --ignored --untracked-files=all -- . ':!build' "
      .. "2>/dev/null")))

    server = helpers.start_server("spec/support/test_server.lua")
    local lua_dir = tree .. "/share/lua/" .. version
    local lib_dir = tree .. "/lib/lua/" .. version
    -- From another folder, with only the tree and the system's libraries on the paths. Debian installs the
    -- pure-Lua dependencies (basexx, lua-http) for Lua 5.1 to 5.3 only: they come last, where luarocks would
    -- have put them (this installs with --deps-mode none).
    local code = ([[
      package.path = %q .. "/?.lua;" .. %q .. "/?/init.lua;" .. package.path:gsub("%%./[^;]*;", "")
        .. ";/usr/share/lua/5.3/?.lua;/usr/share/lua/5.1/?.lua"
      package.cpath = %q .. "/?.so;" .. package.cpath:gsub("%%./[^;]*;", "")
      local humanitec = require "humanitec"
      local found = package.searchpath and package.searchpath("humanitec.core", package.cpath)
      assert(found == nil or found:find(%q, 1, true), found)
      assert(package.searchpath == nil or package.searchpath("humanitec.sim", package.path):find(%q, 1, true))
      local c = humanitec.new { token = "t", url = %q }
      local echo = assert(c:get("/echo"))
      local sim = require("humanitec.sim").new { orgs = { "acme" }, tokens = { tok = { "acme" } } }
      local s = humanitec.new { transport = sim:transport(), token = "tok", org = "acme", url = "http://sim.invalid" }
      local apps = assert(s:list_applications())
      io.write(echo.headers.authorization, " ", #apps)
    ]]):format(lua_dir, lua_dir, lib_dir, tree, tree, server.url)
    local out = capture("cd " .. shell_quote(elsewhere) .. " && env -u LUA_PATH -u LUA_CPATH " .. helpers.LUA .. " -e "
      .. shell_quote(code))
    assert.equals("Bearer t 0", out)

    -- The executables, as a user of the tree runs them: with the paths `luarocks path` gives.
    local env = "cd " .. shell_quote(elsewhere) .. " && eval \"$(luarocks --lua-version " .. version .. " --tree "
      .. shell_quote(tree) .. " path)\" && "
    out = capture(env .. shell_quote(tree .. "/bin/humanitec") .. " --version")
    assert.matches("^humanitec " .. VERSION:gsub("%.", "%%.") .. " ", out)
    -- The simulator prints the URL it listens on first (waited for, at most 10 s); then it is stopped.
    capture(env .. shell_quote(tree .. "/bin/humanitec-sim") .. " --port 0 > " .. shell_quote(log)
      .. " 2>&1 & pid=$!; i=0; while [ $i -lt 100 ] && ! grep -q . " .. shell_quote(log)
      .. "; do sleep 0.1; i=$((i+1)); done; kill $pid; wait $pid")
    assert.matches("^http://127%.0%.0%.1:%d+", read_file(log))
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

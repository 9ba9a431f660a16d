-- `humanitec score ...`: the command line's flags reach humanitec.score.commands, in process against the
-- simulator.
local cli_helper = require "support.cli_helper"
local helpers = require "support.helpers"
local json = require "humanitec.json"
local sim_mod = require "humanitec.sim"

local SCORE = [[
apiVersion: score.dev/v1b1
metadata:
  name: web
containers:
  main:
    image: .
]]

describe("humanitec score", function()
  local sim, run, path

  before_each(function()
    sim = sim_mod.new { orgs = { "acme" }, tokens = { [cli_helper.TOKEN] = { "acme" } } }
    run = cli_helper.runner(sim)
    local client = require("humanitec").new { transport = sim:transport(), token = cli_helper.TOKEN, org = "acme",
      url = "http://sim.invalid", config_file = "/dev/null" }
    assert(client:ensure_app { appId = "shop", envs = { "development" } })
    path = helpers.temp_file(SCORE)
  end)

  after_each(function() os.remove(path) end)

  it("writes a template that validates, and says which files are valid", function()
    local code, out = run("score init --name web --stdout", { bare = true })
    assert.equals(0, code)
    assert.matches("name: web", out)
    local tmpl = helpers.temp_file(out)
    local c2, out2, err2 = run({ "score", "validate", tmpl, path }, { bare = true })
    os.remove(tmpl)
    assert.equals(0, c2, err2)
    assert.equals(tmpl .. ": valid\n" .. path .. ": valid\n", out2)
    local bad = helpers.temp_file("apiVersion: score.dev/v1b1\nmetadata: {}\ncontainers: {}\n")
    local c3, _, err3 = run({ "score", "validate", bad }, { bare = true })
    os.remove(bad)
    assert.equals(1, c3)
    assert.matches(bad:gsub("%p", "%%%0"), err3)
    assert.equals(2, (run("score validate", { bare = true })))
  end)

  it("deploys a Score file and waits, a line per status change on stderr", function()
    local code, out, err = run({ "score", "deploy", "-f", path, "--app", "shop", "--env", "development",
      "--image", "registry.example.com/web:1", "--wait", "-o", "json" })
    assert.equals(0, code, err)
    assert.equals("succeeded", json.decode(out).status)
    assert.matches("shop/development: deployment %x+ succeeded\n", err)
    code, out = run({ "score", "deploy", "-f", path, "--dry-run", "--image", "x:1", "-o", "json" }, { bare = true })
    assert.equals(0, code)
    assert.equals("x:1", json.decode(out).modules.add.web.spec.containers.main.image)
    assert.matches("needs %-%-env", select(3, run({ "score", "deploy", "-f", path, "--app", "shop" })))
  end)

  it("reads ./humanitec.score.yaml and ./overrides.score.yaml when the flags are absent", function()
    local root = helpers.capture("pwd"):match("^(.-)%s*$")
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir " .. helpers.shell_quote(dir)))
    local function write(name, text)
      local f = assert(io.open(dir .. "/" .. name, "w"))
      f:write(text)
      f:close()
    end
    write("score.yaml", SCORE)
    write("humanitec.score.yaml", "apiVersion: humanitec.org/v1b1\nprofile: example/from-default\n")
    write("overrides.score.yaml", "containers:\n  main:\n    variables:\n      FROM: default-overrides\n")
    write("other.yaml", "apiVersion: humanitec.org/v1b1\nprofile: example/from-flag\n")
    write("other-overrides.yaml", "containers:\n  main:\n    variables:\n      FROM: flag\n")
    local function deploy(args)
      local out, status = helpers.capture("cd " .. helpers.shell_quote(dir)
        .. " && env -u LUA_PATH -u LUA_CPATH HUMCTL_CONFIG=/dev/null " .. helpers.LUA .. " "
        .. helpers.shell_quote(root .. "/bin/humanitec") .. " score deploy --dry-run --image x:1 -o json " .. args
        .. " 2>&1")
      assert.equals(0, status, out)
      return json.decode(out).modules.add.web
    end
    local ok, err = pcall(function()
      local web = deploy("")
      assert.equals("example/from-default", web.profile)
      assert.equals("default-overrides", web.spec.containers.main.variables.FROM)
      web = deploy("--extensions other.yaml --overrides other-overrides.yaml")
      assert.equals("example/from-flag", web.profile)
      assert.equals("flag", web.spec.containers.main.variables.FROM)
    end)
    os.execute("rm -r " .. helpers.shell_quote(dir))
    assert(ok, err)
  end)

  it("decodes binaryContent from the executable with no Lua paths set (basexx found by bin/humanitec)", function()
    local root = helpers.capture("pwd"):match("^(.-)%s*$")
    local file = helpers.temp_file(SCORE .. "    files:\n      /etc/hello: {binaryContent: aGVsbG8=}\n")
    local out, status = helpers.capture("cd /tmp && env -u LUA_PATH -u LUA_CPATH HUMCTL_CONFIG=/dev/null "
      .. helpers.LUA .. " " .. helpers.shell_quote(root .. "/bin/humanitec") .. " score deploy --dry-run -o json"
      .. " --image x:1 -f " .. helpers.shell_quote(file) .. " 2>&1")
    os.remove(file)
    assert.equals(0, status, out)
    assert.equals("hello", json.decode(out).modules.add.web.spec.containers.main.files["/etc/hello"].value)
  end)

  it("parses --remove, --overrides and --mode into the dry run's delta", function()
    local ovr = helpers.temp_file("containers:\n  main:\n    variables:\n      FROM: overrides\n")
    local function dry(...)
      local args = { "score", "deploy", "-f", path, "--dry-run", "--image", "x:1", "-o", "json", ... }
      local code, out, err = run(args, { bare = true })
      return code, code == 0 and json.decode(out) or err
    end
    local code, delta = dry("--overrides", ovr, "--mode", "workloads")
    assert.equals(0, code, delta)
    assert.is_nil(delta.modules)
    assert.equals("overrides", delta.workloads.add.web.spec.containers.main.variables.FROM)
    code, delta = dry("--overrides", ovr, "--mode", "delta")
    assert.equals(0, code, delta)
    assert.equals("overrides", delta.modules.add.web.spec.containers.main.variables.FROM)
    code, delta = dry("--remove", "--overrides", ovr, "--mode", "workloads")
    assert.equals(0, code, delta)
    assert.same({ remove = { "web" } }, delta.workloads)
    code, delta = dry("--remove", "--mode", "delta")
    assert.equals(0, code, delta)
    assert.same({ remove = { "web" } }, delta.modules)
    assert.equals(2, (dry("--mode", "modules")))
    os.remove(ovr)
  end)

  it("lists the resource types with the configured client", function()
    local code, out, err = run("score available-resource-types")
    assert.equals(0, code, err)
    assert.matches("^TYPE%s+NAME%s+CATEGORY\n", out)
    assert.equals(3, (run("score available-resource-types", { bare = true })))
  end)
end)

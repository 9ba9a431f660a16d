-- The command line's output and context: table, wide, JSON and YAML against golden files, the terminal's
-- width, exit statuses, where org/app/env/token come from, `config`, `version` and `completion`.
local cli_helper = require "support.cli_helper"
local helpers = require "support.helpers"
local json = require "humanitec.json"
local format = require "humanitec.cli.format"
local sim_mod = require "humanitec.sim"

local lines = cli_helper.lines
local TOKEN = cli_helper.TOKEN

-- Golden files live in spec/golden/cli; UPDATE_GOLDEN=1 rewrites them from what the CLI prints.
local function golden(name, text)
  local path = "spec/golden/cli/" .. name
  if os.getenv("UPDATE_GOLDEN") == "1" then
    local f = assert(io.open(path, "w"))
    f:write(text)
    f:close()
  end
  assert.equals(helpers.read_file(path), text, "golden file " .. path)
end

describe("humanitec CLI output", function()
  local sim, run, printed

  before_each(function()
    printed = {}
    sim = sim_mod.new { orgs = { "acme" }, tokens = { [TOKEN] = { "acme" } } }
    run = cli_helper.runner(sim, printed)
    local client = require("humanitec").new { transport = sim:transport(), token = TOKEN, org = "acme",
      url = "http://sim.invalid", config_file = "/dev/null" }
    assert(client:ensure_app { appId = "shop", name = "Shop", envs = {
      "development", { id = "production", name = "Production", type = "production" } } })
    assert(client:ensure_app { appId = "checkout-service-with-a-long-name", envs = { "development" } })
  end)

  after_each(function()
    for _, text in ipairs(printed) do assert.is_nil(text:find(TOKEN, 1, true), "the token was printed") end
  end)

  describe("formats", function()
    -- created_at and the creator's id change from run to run in nothing: the simulator's clock and ids are fixed
    it("prints tables, wide tables, JSON and YAML as the golden files hold them", function()
      local cases = {
        { "get apps", "apps.table" }, { "get apps -o wide", "apps.wide" }, { "get envs --app shop", "envs.table" },
        { "get apps -o json", "apps.json" }, { "get apps -o json --pretty", "apps.pretty.json" },
        { "get apps -o yaml", "apps.yaml" }, { "get env production --app shop -o yaml", "env.yaml" },
      }
      for _, case in ipairs(cases) do
        local code, out, err = run(case[1])
        assert.equals(0, code, err)
        assert.equals("", err)
        golden(case[2], out)
      end
    end)

    it("indents JSON when a terminal reads it and keeps it compact when piped", function()
      local _, piped = run("get apps -o json")
      local _, tty = run("get apps -o json", { tty = true })
      assert.equals(1, #lines(piped))
      assert.is_true(#lines(tty) > 10)
      assert.same(json.decode(piped), json.decode(tty))
    end)

    it("cuts the widest columns of a table to the terminal's width", function()
      local _, out = run("get apps", { width = 40 })
      for _, l in ipairs(lines(out)) do assert.is_true(#l:gsub("[\128-\191]", "") <= 40, l) end
      assert.matches("…", out)
      local _, wide = run("get apps -o wide", { width = 40 })
      assert.matches("checkout%-service%-with%-a%-long%-name", wide) -- wide is never cut
    end)

    it("writes YAML that lyaml reads back as the same data", function()
      local ok, lyaml = pcall(require, "lyaml")
      if not ok then pending("lyaml is not installed") return end
      local _, js = run("get apps -o json")
      local _, ya = run("get apps -o yaml")
      local back = require("humanitec.yaml").load_all(ya)[1]
      assert.same(json.decode(js), back)
      assert.is_table(lyaml)
      local tricky = { s = "yes", n = "007", e = "", c = "a: b", l = "two\nlines", u = "ünï", t = true,
        empty_list = json.array(), empty_map = {}, null = json.null }
      assert.same(tricky, require("humanitec.yaml").load_all(format.yaml(tricky))[1])
    end)
  end)

  describe("exit statuses", function()
    it("is 0 on success, 1 on an API failure, 2 on a usage error, 3 on a configuration error", function()
      assert.equals(0, (run("get orgs")))
      local code, out, err = run("get app nope")
      assert.equals(1, code)
      assert.equals("", out)
      assert.matches("^humanitec: GET /orgs/acme/apps/nope: 404", err)
      code, out = run("get orgs --bogus")
      assert.equals(2, code)
      assert.equals("", out)
      local _
      code, _, err = run("get orgs", { bare = true })
      assert.equals(3, code)
      assert.equals("humanitec: no API token: run 'humanitec login', set HUMANITEC_TOKEN, or pass --token\n", err)
      code, _, err = run({ "--token", "wrong", "--url", "http://sim.invalid", "get", "orgs" }, { bare = true })
      assert.equals(3, code)
      assert.matches("401", err)
      code, _, err = run("get orgs", { bare = true, env = { HUMANITEC_TOKEN = TOKEN, HUMANITEC_API_PREFIX = "ftp://x" } })
      assert.equals(3, code)
      assert.matches("must start with http", err)
    end)
  end)

  describe("context", function()
    local file

    before_each(function() file = os.tmpname() end)
    after_each(function() os.remove(file) end)

    local function write(text)
      local f = assert(io.open(file, "w"))
      f:write(text)
      f:close()
    end

    local function view(env, argv)
      local code, out, err = run((argv or "") .. " config view -o json",
        { bare = true, env = env, config_file = file })
      assert.equals(0, code, err)
      return json.decode(out)
    end

    it("takes each setting from its flag, then its variable, then HUMANITEC_CONTEXT, then ~/.humctl", function()
      write("org: file-org\napp: file-app\nenv: file-env\ntoken: file-token\napiPrefix: http://file.invalid\n")
      assert.same({ org = "file-org", app = "file-app", env = "file-env", token = "(set)",
        url = "http://file.invalid", file = file }, view({}))
      local v = view({ HUMANITEC_CONTEXT = "/orgs/c-org/apps/c-app" })
      assert.equals("c-org", v.org)
      assert.equals("c-app", v.app)
      assert.equals("file-env", v.env)
      v = view({ HUMANITEC_CONTEXT = "/orgs/c-org/apps/c-app/envs/c-env", HUMANITEC_APP = "var-app",
        HUMANITEC_API_PREFIX = "http://var.invalid" })
      assert.same({ "c-org", "var-app", "c-env", "http://var.invalid" }, { v.org, v.app, v.env, v.url })
      v = view({ HUMANITEC_APP = "var-app" }, "--app flag-app --env flag-env")
      assert.same({ "file-org", "flag-app", "flag-env" }, { v.org, v.app, v.env })
      local code, _, err = run("config view", { bare = true, env = { HUMANITEC_CONTEXT = "/apps/x" },
        config_file = file })
      assert.equals(3, code)
      assert.matches("HUMANITEC_CONTEXT must look like /orgs/ORG/apps/APP/envs/ENV", err)
    end)

    it("uses the file's token, org and app for a command", function()
      write("token: " .. TOKEN .. "\norg: acme\napp: shop\napiPrefix: http://sim.invalid\n")
      local code, out, err = run("get envs", { bare = true, config_file = file })
      assert.equals(0, code, err)
      assert.matches("^ID%s+TYPE", out)
      code, out = run("config view", { bare = true, config_file = file })
      assert.equals(0, code)
      assert.matches("token  %(set%)%s+" .. file:gsub("%p", "%%%0"), out)
      assert.is_nil(out:find(TOKEN, 1, true))
    end)

    it("config set writes one key, keeps the others and leaves the file private", function()
      write("token: secret-stays\n# a comment\ncolor: blue\norg: old\n")
      local code, _, err = run("config set org acme", { bare = true, config_file = file })
      assert.equals(0, code, err)
      assert.equals("set org in " .. file .. "\n", err)
      assert.equals(0, (run("config set api-prefix http://127.0.0.1:9", { bare = true, config_file = file })))
      assert.equals(0, (run({ "config", "set", "app", "my shop: 1" }, { bare = true, config_file = file })))
      assert.equals('token: secret-stays\n# a comment\ncolor: blue\norg: acme\napiPrefix: http://127.0.0.1:9\n'
        .. 'app: "my shop: 1"\n', helpers.read_file(file))
      local v = view({})
      assert.equals("my shop: 1", v.app)
      assert.equals(0, (run({ "config", "set", "app", "" }, { bare = true, config_file = file })))
      assert.is_nil(helpers.read_file(file):find("app:", 1, true))
      local mode = helpers.capture("stat -c %a " .. file)
      assert.equals("600\n", mode)
      code, _, err = run("config set orgg x", { bare = true, config_file = file })
      assert.equals(2, code)
      assert.equals("humanitec: config set: unknown key 'orgg'; did you mean 'org'?\n", err)
      code, _, err = run("config set api-prefix nope", { bare = true, config_file = file })
      assert.equals(2, code)
      assert.matches("must start with http", err)
    end)
  end)

  describe("version and completion", function()
    it("prints the version either way, and as JSON", function()
      local code, out = run("version", { bare = true })
      assert.equals(0, code)
      assert.matches("^humanitec %d+%.%d+%.%d+ %(API [%d%.]+, ", out)
      local _, again = run("--version", { bare = true })
      assert.equals(out, again)
      local _, js = run("version -o json", { bare = true })
      assert.equals(require("humanitec").VERSION, json.decode(js).version)
    end)

    it("prints completion scripts that bash completes commands and kinds with", function()
      local code, script = run("completion bash", { bare = true })
      assert.equals(0, code)
      local path = helpers.temp_file(script)
      local out = helpers.capture("bash -c " .. helpers.shell_quote(". " .. path
        .. "; COMP_WORDS=(humanitec ge); COMP_CWORD=1; _humanitec; echo \"${COMPREPLY[*]}\";"
        .. " COMP_WORDS=(humanitec get resource-def); COMP_CWORD=2; _humanitec; echo \"${COMPREPLY[*]}\""))
      os.remove(path)
      assert.equals("get\nresource-definition resource-definition-version resource-definition-versions "
        .. "resource-definitions\n", out)
      for _, shell in ipairs({ "zsh", "fish" }) do
        local c, text = run("completion " .. shell, { bare = true })
        assert.equals(0, c)
        assert.matches("humanitec", text)
        if helpers.have(shell) then
          local p = helpers.temp_file(text)
          local _, status = helpers.capture(shell .. " -n " .. p)
          os.remove(p)
          assert.equals(0, status, shell)
        end
      end
      assert.equals(2, (run("completion tcsh", { bare = true })))
      local _, err
      code, _, err = run("get apps -o jsn")
      assert.equals(2, code)
      assert.matches("must be one of .*; did you mean 'json'%?", err)
    end)
  end)
end)

describe("humanitec CLI failure lines", function()
  local errors = require "humanitec.errors"
  local fail = require "humanitec.cli.fail"

  it("make a deployment's hostile error text one bounded line quickly", function()
    local hostile = "a" .. (" "):rep(40000) .. "b\n" .. ("\r\n \t"):rep(20000) .. "c"
    local err = errors.new { kind = "deployment_failed", message = "deployment d1 failed",
      errors = { { code = "RES-101", summary = "boom", message = hostile } } }
    local started = os.clock()
    local code, text = fail.classify(err)
    assert.is_true(os.clock() - started < 2, "classify took too long") -- loose sanity bound; was 13 s
    assert.equals(fail.FAILURE, code)
    local rows = {}
    for row in (text .. "\n"):gmatch("([^\n]*)\n") do rows[#rows + 1] = row end
    assert.equals(2, #rows)
    assert.matches("^  RES%-101: boom: a ", rows[2])
    assert.is_true(#rows[2] < 1100, "the line is bounded")
  end)

  it("scrub control characters from the server's text", function()
    local err = errors.new { kind = "deployment_failed", message = "deployment d1 \27[2Jfailed\7",
      errors = { { code = "RES\27]0;x\7-1", summary = "s\rt", message = "m" } } }
    local _, text = fail.classify(err)
    assert.is_nil(text:gsub("\n", ""):find("%c"), "a control character reached stderr")
    local _, line = fail.classify(errors.new { kind = "api", status = 500, message = "x\27[31my" })
    assert.is_nil(line:find("%c"))
  end)
end)

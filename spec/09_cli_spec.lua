-- The command line (bin/humanitec, humanitec.cli): in process against the simulator, whose clock the waiting
-- commands move, so nothing here sleeps; and the executable itself over HTTP against bin/humanitec-sim.
local cli = require "humanitec.cli"
local cli_helper = require "support.cli_helper"
local helpers = require "support.helpers"
local json = require "humanitec.json"
local sim_mod = require "humanitec.sim"

local TOKEN = "cli-secret-token-4711" -- must never appear in anything the CLI prints
local APP = "shop"

local WORKLOAD = {
  modules = { add = { web = { profile = "humanitec/default-module",
    spec = { containers = { web = { id = "web", image = "registry.example.com/web:1" } } } } } },
}

local buffer, lines, words = cli_helper.buffer, cli_helper.lines, cli_helper.words

describe("humanitec CLI in process", function()
  local sim, printed

  -- Runs `humanitec <argv>` against the simulator; returns the exit status, stdout and stderr.
  local function run(argv, extra)
    if type(argv) == "string" then argv = words(argv) end
    local full = { "--token", TOKEN, "--org", "acme", "--url", "http://sim.invalid" }
    for _, a in ipairs(argv) do full[#full + 1] = a end
    local out, err = buffer(), buffer()
    local opts = { transport = sim:transport(), stdout = out, stderr = err, config_file = "/dev/null",
      getenv = function() return nil end }
    for k, v in pairs(extra or {}) do opts[k] = v end
    local code = cli.main(full, opts)
    printed[#printed + 1] = out.text .. err.text
    return code, out.text, err.text
  end

  -- A failure: the given exit status, nothing on stdout, exactly one line on stderr; returns that line.
  local function fails(code, argv, extra)
    local got, out, err = run(argv, extra)
    assert.equals(code, got, err)
    assert.equals("", out)
    assert.matches("^humanitec: [^\n]+\n$", err)
    return err
  end

  local function delta_file(value)
    return helpers.temp_file(type(value) == "string" and value or json.encode(value))
  end

  local function client()
    return require("humanitec").new { transport = sim:transport(), token = TOKEN, org = "acme",
      url = "http://sim.invalid", config_file = "/dev/null" }
  end

  before_each(function()
    printed = {}
    sim = sim_mod.new { orgs = { "acme", "beta" }, tokens = { [TOKEN] = { "acme", "beta" } }, deploy_seconds = 60 }
    assert(client():ensure_app { appId = APP, envs = {
      "development", { id = "production", name = "Production", type = "production" } } })
  end)

  after_each(function()
    for _, text in ipairs(printed) do
      assert.is_nil(text:find(TOKEN, 1, true), "the token was printed")
    end
  end)

  describe("get", function()
    it("lists organizations and applications in aligned columns", function()
      local code, out, err = run("get orgs")
      assert.equals(0, code, err)
      assert.equals("", err)
      assert.same({ "ID    NAME", "acme  acme", "beta  beta" }, lines(out))

      assert(client():ensure_app { appId = "checkout-service", envs = { "development" } })
      code, out = run("get apps")
      assert.equals(0, code)
      local rows = lines(out)
      assert.equals("ID                NAME              ENVS", rows[1])
      assert.equals("shop              shop              development,production", rows[2])
      assert.equals("checkout-service  checkout-service  development", rows[3])
    end)

    it("lists environments with their last deployment, and deployments newest first", function()
      local code, out = run("get envs --app shop")
      assert.equals(0, code)
      assert.same({ "ID           TYPE         LAST-DEPLOY  STATUS",
        "development  development  -            -",
        "production   production   -            -" }, lines(out))

      local c = client()
      local first = assert(c:deploy { appId = APP, envId = "development", delta = WORKLOAD, comment = "first one" })
      local second = assert(c:deploy { appId = APP, envId = "development", delta = WORKLOAD, comment = "second" })
      code, out = run("get envs --app shop")
      assert.equals(0, code)
      assert.matches("development  development  " .. second.id .. "  succeeded\n", out, 1, true)

      code, out = run("get deploys --app shop --env development")
      assert.equals(0, code)
      local rows = lines(out)
      assert.equals(3, #rows)
      assert.matches("^ID%s+STATUS%s+CREATED%s+COMMENT$", rows[1])
      assert.matches("^" .. second.id .. "  succeeded  %S+Z%s+second$", rows[2])
      assert.matches("^" .. first.id .. "  succeeded  %S+Z%s+first one$", rows[3])
      -- every column starts where its header does
      assert.equals(rows[1]:find("COMMENT", 1, true), rows[3]:find("first one", 1, true))
    end)

    it("shows values with secrets hidden, at app level or as in force in an environment", function()
      assert(client():set_values { appId = APP, values = { LOG_LEVEL = "info", DB_PASSWORD = { secret = "hunter2" },
        MOTD = "two\nlines" } })
      assert(client():set_values { appId = APP, envId = "production", values = { LOG_LEVEL = "warn" } })
      local code, out = run("get values --app shop")
      assert.equals(0, code)
      local rows = lines(out)
      table.sort(rows, function(a, b) return a:find("^KEY") ~= nil or b:find("^KEY") == nil and a < b end)
      assert.same({ "KEY          VALUE", "DB_PASSWORD  (secret)", "LOG_LEVEL    info", "MOTD         two lines" },
        rows)
      assert.is_nil(out:find("hunter2", 1, true))
      code, out = run("get values --app shop --env production")
      assert.equals(0, code)
      assert.matches("LOG_LEVEL    warn\n", out, 1, true)
    end)

    it("prints the API's data as JSON with -o json", function()
      local code, out = run("get apps -o json")
      assert.equals(0, code)
      local apps = assert(json.decode(out))
      assert.equals(1, #apps)
      assert.equals(APP, apps[1].id)
      assert.equals("production", apps[1].envs[2].id)

      local deployment = assert(client():deploy { appId = APP, envId = "development", delta = WORKLOAD })
      code, out = run("get deploys --app shop --env development --output json")
      assert.equals(0, code)
      assert.equals(deployment.id, assert(json.decode(out))[1].id)

      assert(client():set_values { appId = APP, values = { A = "1", S = { secret = "x" } } })
      code, out = run("-o json get values --app shop") -- flags before the command work too
      assert.equals(0, code)
      local values = {}
      for _, v in ipairs(assert(json.decode(out))) do values[v.key] = v end
      assert.equals("1", values.A.value)
      assert.is_true(values.S.is_secret)
      assert.is_nil(out:find('"x"', 1, true))

      code, out = run("get envs --app nope -o json")
      assert.equals(1, code)
      assert.equals("", out)
    end)

    it("takes the flags before or after the command", function()
      local code, out = run("--app shop get envs")
      assert.equals(0, code)
      assert.matches("^ID%s+TYPE", out)
      code, out = run("get --app shop deploys --env production")
      assert.equals(0, code)
      assert.same({ "ID  STATUS  CREATED  COMMENT" }, lines(out))
    end)

    it("exits 1 with the API's error on one line", function()
      local line = fails(1, "get envs --app nope")
      assert.matches("404", line)
      assert.matches("application 'nope' not found", line, 1, true)
      line = fails(1, "--org gamma get apps") -- an org the token cannot reach
      assert.matches("GET /orgs/gamma/apps: 40[34]", line)
      line = fails(1, "get app nope")
      assert.matches("GET /orgs/acme/apps/nope: 404", line)
      sim:inject { status = 503, times = 3 } -- every attempt the retry policy makes
      assert.matches("503", fails(1, "get orgs"))
    end)

    it("exits 2 when an argument is missing or wrong, naming the command and the flag", function()
      assert.matches("get envs needs %-%-app", fails(2, "get envs"))
      assert.matches("get values needs %-%-app", fails(2, "get values"))
      assert.matches("get deploys needs %-%-env", fails(2, "get deploys --app shop"))
      assert.matches("get runs needs %-%-param pipelineId=ID", fails(2, "get runs --app shop"))
      assert.equals("humanitec: get: unknown kind 'xyzzy' (see 'humanitec get --help')\n", fails(2, "get xyzzy"))
      assert.equals("humanitec: get: unknown kind 'aps'; did you mean 'app'? (see 'humanitec get --help')\n",
        fails(2, "get aps"))
      assert.matches("see 'humanitec get %-%-help'", fails(2, "get"))
      assert.equals("humanitec: get: unknown option '--bogus' (see 'humanitec get --help')\n",
        fails(2, "get orgs --bogus"))
      assert.equals("humanitec: get: unknown option '--ap'; did you mean '--app'? (see 'humanitec get --help')\n",
        fails(2, "get envs --ap shop"))
      assert.equals("humanitec: unknown command 'gte'; did you mean 'get'? (see 'humanitec --help')\n",
        fails(2, "gte orgs"))
      assert.matches("'table', 'wide', 'json', 'yaml'", fails(2, "get orgs -o xml"))
      assert.matches("too many arguments", fails(2, "get orgs a b"))
    end)
  end)

  describe("deploy", function()
    it("deploys a delta file and prints a line per status change with --wait, on the simulator's clock", function()
      local path = delta_file(WORKLOAD)
      local started = os.time()
      local code, out, err = run("deploy --app shop --env development --wait --comment release-1 --delta " .. path)
      os.remove(path)
      assert.equals(0, code, err)
      assert.matches("^ID%s+STATUS%s+CREATED%s+COMMENT\n%x+  succeeded  %S+  release%-1\n$", out)
      assert.is_true(os.time() - started <= 2) -- 60 simulated seconds went by, not real ones
      local rows = lines(err)
      assert.equals(3, #rows)
      local id = rows[1]:match("^shop/development: deployment (%x+) pending$")
      assert.is_string(id, out)
      assert.equals("shop/development: deployment " .. id .. " in progress", rows[2])
      assert.equals("shop/development: deployment " .. id .. " succeeded", rows[3])
      local d = assert(client():get_deployment { appId = APP, envId = "development", deployId = id })
      assert.equals("succeeded", d.status)
      assert.equals("release-1", d.comment)
    end)

    it("returns at once without --wait, and deploys a set with --set", function()
      local path = delta_file(WORKLOAD)
      local code, out = run("deploy --app shop --env development --delta " .. path)
      os.remove(path)
      assert.equals(0, code)
      local id = lines(out)[2]:match("^(%x+)  pending ")
      assert.is_string(id, out)
      local c = client()
      assert.equals("pending", assert(c:get_deployment { appId = APP, envId = "development", deployId = id }).status)
      local done = assert(c:wait_deployment { appId = APP, envId = "development", deployId = id })

      local err
      code, out, err = run({ "deploy", "--app", APP, "--env", "production", "--set", done.set_id, "--wait" })
      assert.equals(0, code)
      local prod_id = err:match("deployment (%x+) succeeded\n$")
      assert.is_string(prod_id, out)
      local prod = assert(c:get_deployment { appId = APP, envId = "production", deployId = prod_id })
      assert.equals(done.set_id, prod.set_id)
    end)

    it("reads the delta from standard input with --delta -", function()
      local stdin = { read = function() return json.encode(WORKLOAD) end }
      local code, _, err = run("deploy --app shop --env development --delta - --wait", { stdin = stdin })
      assert.equals(0, code)
      assert.matches("succeeded\n$", err)
      local env = assert(client():get_environment { appId = APP, envId = "development" })
      assert.equals("succeeded", env.last_deploy.status)
    end)

    it("prints the deployment as JSON with -o json, the progress lines going to stderr", function()
      local path = delta_file(WORKLOAD)
      local code, out, err = run("deploy --app shop --env development --wait -o json --delta " .. path)
      os.remove(path)
      assert.equals(0, code)
      local d = assert(json.decode(out))
      assert.equals("succeeded", d.status)
      assert.same({ "shop/development: deployment " .. d.id .. " pending",
        "shop/development: deployment " .. d.id .. " in progress",
        "shop/development: deployment " .. d.id .. " succeeded" }, lines(err))
    end)

    it("exits 1 when the deployment fails, after its progress lines", function()
      sim:fail_next_deployment()
      local path = delta_file(WORKLOAD)
      local code, out, err = run("deploy --app shop --env development --wait --delta " .. path)
      os.remove(path)
      assert.equals(1, code)
      assert.equals("", out)
      local rows = lines(err)
      assert.matches(" failed$", rows[#rows - 2])
      assert.matches("^humanitec: deployment_failed: deployment %x+ in shop/development failed: "
        .. "Simulated deployment failure$", rows[#rows - 1])
      assert.equals("  SIM-001: Simulated deployment failure: the simulator was told to fail this deployment",
        rows[#rows])
    end)

    it("exits 1 when another deployment runs, when the wait times out, and on an unknown set", function()
      local c = client()
      assert(c:deploy { appId = APP, envId = "development", delta = WORKLOAD, wait = false })
      local path = delta_file(WORKLOAD)
      assert.matches("409", fails(1, "deploy --app shop --env development --delta " .. path))
      local code, out, err = run("deploy --app shop --env production --wait --timeout 20 --delta " .. path)
      os.remove(path)
      assert.equals(1, code)
      assert.equals("", out)
      assert.matches("pending", err)
      assert.matches("\nhumanitec: timeout: deployment %x+ still in progress after 20 s\n$", err)
      assert.matches("400", fails(1, "deploy --app shop --env production --set nope"))
    end)

    it("exits 2 on a usage error, before sending anything", function()
      local path = delta_file(WORKLOAD)
      assert.matches("deploy needs WHAT ID %(delta, set, env, deploy%) or %-%-delta FILE or %-%-set ID",
        fails(2, "deploy --app shop --env development"))
      assert.matches("can not be used together",
        fails(2, "deploy --app shop --env development --set a --delta " .. path))
      assert.matches("needs %-%-app", fails(2, "deploy --env development --delta " .. path))
      assert.matches("needs %-%-env", fails(2, "deploy --app shop --delta " .. path))
      assert.matches("%-%-timeout needs a number",
        fails(2, "deploy --app shop --env development --timeout soon --delta " .. path))
      os.remove(path)
      assert.equals("humanitec: deploy: cannot read /nonexistent/delta.json\n",
        fails(2, "deploy --app shop --env development --delta /nonexistent/delta.json"))
      local bad = delta_file("[1, 2")
      assert.matches("holds neither JSON nor YAML", fails(2, "deploy --app shop --env development --delta " .. bad))
      os.remove(bad)
      bad = delta_file("[1, 2]")
      assert.matches("does not hold one object", fails(2, "deploy --app shop --env development --delta " .. bad))
      assert.matches("unknown 'detla'; did you mean 'delta'%?", fails(2, "deploy detla 0a1b --app shop --env development"))
      assert.matches("deploy set needs an id", fails(2, "deploy set --app shop --env development"))
      os.remove(bad)
      assert.same({}, assert(client():list_deployments { appId = APP, envId = "development" }))
    end)
  end)

  describe("run", function()
    local script

    after_each(function()
      if script then os.remove(script) end
      script = nil
    end)

    it("runs a script with a configured client and its arguments, keeping its globals to itself", function()
      script = helpers.temp_file([[
        local app, env = arg[1], arg[2]
        created = assert(client:ensure_env { appId = app, envId = env })
        print("created", created.id, "args", #arg, select("#", ...), arg[3])
        print(client.org, arg[0] ~= nil, type(string.format), type(require))
      ]])
      local code, out, err = run({ "run", script, APP, "staging", "--flag" }) -- flags after the script are its own
      assert.equals(0, code, err)
      assert.equals("", err)
      assert.same({ "created\tstaging\targs\t3\t3\t--flag", "acme\ttrue\tfunction\tfunction" }, lines(out))
      assert.is_nil(rawget(_G, "created")) -- the script's globals live in its own environment
      assert(client():get_environment { appId = APP, envId = "staging" })
    end)

    it("exits 1 with one line when the script raises", function()
      script = helpers.temp_file("local x = 1\nerror('no release today')\n")
      local line = fails(1, { "run", script })
      assert.matches("^humanitec: " .. script:gsub("%p", "%%%0") .. ":2: no release today\n$", line)

      local f = assert(io.open(script, "w"))
      f:write("local app, err = client:get_application { appId = 'nope' }\nif not app then error(err) end\n")
      f:close()
      assert.matches("^humanitec: GET /orgs/acme/apps/nope: 404 %(API%-004%) application 'nope' not found\n$",
        fails(1, { "run", script }))

      f = assert(io.open(script, "w"))
      f:write("error({ 'a table' })\n")
      f:close()
      assert.matches("^humanitec: table: ", fails(1, { "run", script }))

      f = assert(io.open(script, "w"))
      f:write("this is not Lua\n")
      f:close()
      fails(1, { "run", script })
    end)

    it("exits 2 when the script cannot be read or is missing", function()
      assert.matches("cannot read the script /nonexistent/x%.lua", fails(2, "run /nonexistent/x.lua"))
      assert.matches("missing argument", fails(2, "run"))
    end)
  end)

  describe("--help", function()
    it("prints each command's help and exits 0, even when other arguments are missing", function()
      for _, argv in ipairs({ "--help", "get --help", "deploy --help", "deploy -h --app shop", "run --help" }) do
        local code, out, err = run(argv)
        assert.equals(0, code, argv)
        assert.equals("", err)
        local cmd = argv:match("^(%a+) ") or ""
        assert.matches("^Usage: humanitec " .. cmd, out)
        assert.matches("%-%-org", out)
        assert.matches("HUMANITEC_TOKEN", out) -- --token's help says to prefer the environment
      end
      local _, out = run("--help")
      assert.matches("process list", out)
      assert.matches("Exit status: 0 success; 1 the API, a deployment or a script failed; 2 a usage error; 3 a "
        .. "configuration or\nauthentication error", out)
      _, out = run("deploy --help")
      assert.matches("%-%-wait", out)
      assert.matches("%-%-delta <file>", out)
      for _, cmd in ipairs(cli.COMMANDS) do -- every command has an example of itself
        local code
        code, out = run(cmd .. " --help")
        assert.equals(0, code, cmd)
        assert.matches("\nExamples:\n  humanitec " .. cmd:gsub("%p", "%%%0") .. " ", out)
      end
    end)

    it("exits 2 with one line when no command or an unknown one is given", function()
      assert.matches("a command is required %(see 'humanitec %-%-help'%)", fails(2, ""))
      assert.matches("unknown command 'bogus'", fails(2, "bogus"))
    end)
  end)
end)

describe("bin/humanitec over HTTP", function()
  local server, root
  local HTTP_TOKEN = "http-secret-token-0815"

  setup(function()
    server = helpers.start_server("bin/humanitec-sim",
      { "--port", "0", "--org", "acme", "--token", HTTP_TOKEN, "--deploy-seconds", "1" })
    local pwd = assert(io.popen("pwd"))
    root = pwd:read("*l")
    pwd:close()
  end)

  teardown(function()
    if server then server.stop() end
  end)

  -- Runs the executable from another directory, with no Lua paths set, configured by `env`; returns the exit
  -- status, stdout and stderr.
  local function exe(args, env)
    local out_path, err_path = os.tmpname(), os.tmpname()
    local cmd = { "cd /tmp && env -u LUA_PATH -u LUA_CPATH -u HUMANITEC_TOKEN -u HUMANITEC_ORG",
      "-u HUMANITEC_API_PREFIX -u HUMANITEC_APP -u HUMANITEC_ENV -u HUMANITEC_CONTEXT HUMCTL_CONFIG=/dev/null" }
    for k, v in pairs(env or {}) do cmd[#cmd + 1] = helpers.shell_quote(k .. "=" .. v) end
    cmd[#cmd + 1] = helpers.shell_quote(root .. "/bin/humanitec")
    for _, a in ipairs(args) do cmd[#cmd + 1] = helpers.shell_quote(a) end
    local pipe = assert(io.popen(table.concat(cmd, " ") .. " >" .. out_path .. " 2>" .. err_path .. "; echo $?"))
    local code = tonumber(pipe:read("*a"):match("%d+"))
    pipe:close()
    local function slurp(path)
      local f = assert(io.open(path))
      local text = f:read("*a")
      f:close()
      os.remove(path)
      return text
    end
    return code, slurp(out_path), slurp(err_path)
  end

  local function configured()
    return { HUMANITEC_TOKEN = HTTP_TOKEN, HUMANITEC_ORG = "acme", HUMANITEC_API_PREFIX = server.url }
  end

  it("is configured from the environment and finds its modules next to itself", function()
    local code, out, err = exe({ "get", "orgs" }, configured())
    assert.equals(0, code, err)
    assert.same({ "ID    NAME", "acme  acme" }, lines(out))
    code, out, err = exe({ "--url", server.url, "--org", "acme", "get", "apps", "-o", "json" },
      { HUMANITEC_TOKEN = HTTP_TOKEN })
    assert.equals(0, code, err)
    assert.equals("[]\n", out)
  end)

  it("runs a script that sets up an app, then deploys to it with --wait, a line per status change", function()
    local script = helpers.temp_file("assert(client:ensure_app { appId = arg[1] })\nprint('ready ' .. arg[1])\n")
    local code, out, err = exe({ "run", script, "web" }, configured())
    os.remove(script)
    assert.equals(0, code, err)
    assert.equals("ready web\n", out)

    local delta = helpers.temp_file(json.encode(WORKLOAD))
    local started = os.time()
    code, out, err = exe({ "deploy", "--app", "web", "--env", "development", "--delta", delta, "--wait",
      "--timeout", "30" }, configured())
    os.remove(delta)
    assert.equals(0, code, err)
    assert.is_true(os.time() - started < 30)
    assert.matches("^ID%s+STATUS%s+CREATED%s+COMMENT\n%x+%s+succeeded ", out)
    local rows = lines(err)
    assert.matches("^web/development: deployment %x+ pending$", rows[1])
    assert.matches("^web/development: deployment %x+ succeeded$", rows[#rows])
    code, out = exe({ "get", "envs", "--app", "web" }, configured())
    assert.equals(0, code)
    assert.matches("development  development  %x+  succeeded\n", out)
  end)

  it("exits 1 on an API error and 2 on a usage error, one line on stderr, never showing the token", function()
    local code, out, err = exe({ "get", "envs", "--app", "nope" }, configured())
    assert.equals(1, code)
    assert.equals("", out)
    assert.matches("^humanitec: GET /orgs/acme/apps/nope/envs: 404 [^\n]+\n$", err)

    code, out, err = exe({ "--token", "wrong-" .. HTTP_TOKEN, "get", "orgs" }, configured())
    assert.equals(3, code)
    assert.matches("^humanitec: GET /orgs: 401 [^\n]+ %(check HUMANITEC_TOKEN, or log in with 'humanitec login'%)\n$",
      err)
    assert.is_nil((out .. err):find(HTTP_TOKEN, 1, true))

    code, out, err = exe({ "get", "orgs" }, { HUMANITEC_API_PREFIX = server.url })
    assert.equals(3, code)
    assert.equals("humanitec: no API token: run 'humanitec login', set HUMANITEC_TOKEN, or pass --token\n", err)
    assert.equals("", out)

    code, out, err = exe({ "get", "apps" }, { HUMANITEC_TOKEN = HTTP_TOKEN, HUMANITEC_API_PREFIX = server.url })
    assert.equals(3, code)
    assert.matches("^humanitec: get apps needs an organization: pass %-%-org, set HUMANITEC_ORG", err)
    assert.equals("", out)

    code, out, err = exe({ "deploy", "--app", "web", "--set", "0a1b" }, configured())
    assert.equals(2, code)
    assert.equals("", out)
    assert.equals("humanitec: deploy needs --env\n", err)
  end)

  it("loads neither the operation table nor libcurl for --help", function()
    local interp = jit and "luajit" or ("lua" .. _VERSION:match("%d+%.%d+"))
    local build = jit and "luajit" or interp
    local script = os.tmpname()
    local f = assert(io.open(script, "w"))
    f:write(([[
package.path = %q .. "/lua/?.lua;" .. %q .. "/lua/?/init.lua;" .. package.path
package.cpath = %q .. "/build/" .. %q .. "/?.so;" .. package.cpath
local argv = {}
for i = 1, #arg do argv[i] = arg[i] end
local status = require("humanitec.cli").main(argv, {})
io.stdout:flush()
io.stderr:write("loaded:", tostring(package.loaded["humanitec.operations"] ~= nil), ",",
  tostring(package.loaded["humanitec.core"] ~= nil), "\n")
os.exit(status)
]]):format(root, root, root, build))
    f:close()
    for _, argv in ipairs { "--help", "get --help" } do
      local pipe = assert(io.popen(("cd /tmp && HUMCTL_CONFIG=/dev/null %s %s %s 2>&1 >/dev/null"):format(interp,
        helpers.shell_quote(script), argv)))
      local err = pipe:read("*a")
      pipe:close()
      assert.matches("loaded:false,false\n$", err, argv)
    end
    os.remove(script)
  end)

  it("prints its help with exit status 0", function()
    local code, out, err = exe({ "--help" }, {})
    assert.equals(0, code, err)
    assert.matches("^Usage: humanitec", out)
    assert.matches("Prefer HUMANITEC_TOKEN", out)
  end)
end)

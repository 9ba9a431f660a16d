-- The executable over HTTP against bin/humanitec-sim (with its control API): `login` approved through the
-- control API, `apply` twice, YAML output, and the exit statuses a CI job sees.
local helpers = require "support.helpers"
local humanitec = require "humanitec"
local json = require "humanitec.json"

local TOKEN = "http-cli-token-2718"

describe("bin/humanitec over HTTP", function()
  local server, root, control, config

  setup(function()
    server = helpers.start_server("bin/humanitec-sim",
      { "--port", "0", "--org", "acme", "--token", TOKEN, "--deploy-seconds", "1", "--control" })
    root = helpers.capture("pwd"):match("^[^\n]+")
    control = humanitec.new { token = false, url = server.url, config_file = "/dev/null" }
  end)

  teardown(function()
    if control then control:close() end
    if server then server.stop() end
  end)

  before_each(function()
    config = os.tmpname()
  end)

  after_each(function() os.remove(config) end)

  -- The command line to run the executable from /tmp with no Lua paths and only `env` for context.
  local function command(args, env)
    local cmd = { "cd /tmp && env -u LUA_PATH -u LUA_CPATH -u HUMANITEC_TOKEN -u HUMANITEC_ORG -u HUMANITEC_APP",
      "-u HUMANITEC_ENV -u HUMANITEC_CONTEXT", "HUMCTL_CONFIG=" .. helpers.shell_quote(config),
      "HUMANITEC_API_PREFIX=" .. helpers.shell_quote(server.url) }
    for k, v in pairs(env or {}) do cmd[#cmd + 1] = helpers.shell_quote(k .. "=" .. v) end
    cmd[#cmd + 1] = helpers.shell_quote(root .. "/bin/humanitec")
    for _, a in ipairs(args) do cmd[#cmd + 1] = helpers.shell_quote(a) end
    return table.concat(cmd, " ")
  end

  -- Runs it; returns the exit status, stdout and stderr.
  local function exe(args, env, stdin)
    local out_path, err_path = os.tmpname(), os.tmpname()
    local input = stdin and (" <" .. helpers.shell_quote(stdin)) or ""
    local pipe = assert(io.popen(command(args, env) .. input .. " >" .. out_path .. " 2>" .. err_path
      .. "; echo $?"))
    local code = tonumber(pipe:read("*a"):match("%d+"))
    pipe:close()
    local out, err = helpers.read_file(out_path), helpers.read_file(err_path)
    os.remove(out_path)
    os.remove(err_path)
    return code, out, err
  end

  it("logs in through the device flow, approved through the control API, and uses the token", function()
    local f = assert(io.open(config, "w"))
    f:write("org: acme\n")
    f:close()
    local err_path = os.tmpname()
    local login = assert(io.popen(command({ "login", "--timeout", "30" }) .. " 2>" .. err_path .. "; echo $?"))
    local pending
    for _ = 1, 100 do -- up to 10 s for the CLI to start its request
      pending = assert(control:get("/_sim/devices"))
      if pending[1] then break end
      require("humanitec.core").sleep(0.1)
    end
    assert.is_table(pending[1], "the CLI never started a device log-in")
    assert.matches("^%x+$", pending[1].device_id)
    assert.equals(40, #pending[1].device_id)
    local approved = assert(control:post("/_sim/devices/approve", { security_code = pending[1].security_code,
      orgs = { "acme" } }))
    local code = tonumber(login:read("*a"):match("%d+"))
    login:close()
    local err = helpers.read_file(err_path)
    os.remove(err_path)
    assert.equals(0, code, err)
    assert.is_truthy(err:find("confirm the security code " .. pending[1].security_code, 1, true))
    assert.equals("org: acme\ntoken: " .. approved.access_token .. "\n", helpers.read_file(config))
    assert.equals("600\n", helpers.capture("stat -c %a " .. config))

    local c2, out = exe({ "get", "orgs" })
    assert.equals(0, c2)
    assert.matches("\nacme ", out)
    assert.equals(0, (exe({ "logout" })))
    assert.equals(3, (exe({ "get", "orgs" })))
  end)

  it("applies a file twice, the second time changing nothing, and prints YAML", function()
    local env = { HUMANITEC_TOKEN = TOKEN, HUMANITEC_ORG = "acme" }
    local manifest = helpers.temp_file("kind: Application\nid: http-shop\nname: HTTP Shop\n---\n"
      .. "kind: Environment\napp: http-shop\nid: qa\ntype: development\n")
    local code, out, err = exe({ "apply", "-f", manifest }, env)
    assert.equals(0, code, err)
    assert.equals("Application http-shop: created\nEnvironment http-shop/qa: created\n", out)
    code, out, err = exe({ "apply", "-f", "-" }, env, manifest)
    os.remove(manifest)
    assert.equals(0, code, err)
    assert.equals("nothing changed\n", err)
    assert.equals("Application http-shop: unchanged\nEnvironment http-shop/qa: unchanged\n", out)
    code, out = exe({ "get", "app", "http-shop", "-o", "yaml" }, env)
    assert.equals(0, code)
    local doc = require("humanitec.yaml").load_all(out)[1]
    assert.equals("HTTP Shop", doc.name)
    code, out = exe({ "get", "envs", "--app", "http-shop", "-o", "json" }, env)
    assert.equals(0, code)
    assert.equals(1, select(2, out:gsub("\n", ""))) -- piped: compact, one line
    assert.equals(2, #json.decode(out))
  end)

  it("exits 1, 2 and 3 as documented", function()
    local env = { HUMANITEC_TOKEN = TOKEN, HUMANITEC_ORG = "acme" }
    local code, out, err = exe({ "get", "app", "nope" }, env)
    assert.same({ 1, "" }, { code, out })
    assert.matches("404", err)
    assert.equals(2, (exe({ "get", "apps", "--bogus" }, env)))
    local _
    code, _, err = exe({ "get", "apps" }, { HUMANITEC_TOKEN = "expired-or-wrong", HUMANITEC_ORG = "acme" })
    assert.equals(3, code)
    assert.matches("401", err)
    assert.is_nil(err:find(TOKEN, 1, true))
  end)
end)

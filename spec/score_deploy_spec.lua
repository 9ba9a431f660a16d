-- Deploying Score files (humanitec.score.deploy) and the `score` commands (humanitec.score.commands), end to
-- end against the simulator in process: waiting moves the simulator's clock, so nothing sleeps.
local humanitec = require "humanitec"
local json = require "humanitec.json"
local score = require "humanitec.score"
local commands = require "humanitec.score.commands"
local sim_helper = require "support.sim_helper"

local C = "spec/fixtures/score/"
local APP, ENV = "shop", "development"
local MUTATING = { POST = true, PUT = true, PATCH = true, DELETE = true }

-- A simulator with org "acme" and app "shop", and a client on it that counts its requests by method.
local function setup()
  local client, sim, counts = sim_helper.counting_client { deploy_seconds = 30 }
  assert(client:ensure_app { appId = APP, envs = { ENV } })
  for k in pairs(counts) do counts[k] = nil end
  return client, sim, counts
end

local function mutations(counts)
  local n = 0
  for m, c in pairs(counts) do
    if MUTATING[m] then n = n + c end
  end
  return n
end

-- A stream that keeps what is written.
local function sink()
  local s = { text = "" }
  function s:write(...)
    for _, v in ipairs({ ... }) do self.text = self.text .. v end
    return self
  end
  return s
end

local function current_set(client)
  local env = assert(client:get_environment { appId = APP, envId = ENV })
  return assert(client:get_set { appId = APP, setId = env.last_deploy.set_id })
end

describe("humanitec.score.deploy", function()
  local client, sim, counts
  before_each(function() client, sim, counts = setup() end)

  it("deploys several Score files as one delta and waits, reporting each status", function()
    local seen = {}
    local files = { C .. "full.yaml", C .. "resources.yaml" }
    local d, err, delta = score.deploy(client, { file = files, appId = APP, envId = ENV, wait = true,
      extensions = C .. "extensions/full.humanitec.yaml", message = "release 7",
      on_progress = function(status) seen[#seen + 1] = status end })
    assert.is_nil(err)
    assert.equals("succeeded", d.status)
    assert.same({ "pending", "in progress", "succeeded" }, seen)
    assert.equals("release 7", d.comment)
    -- the delta sent is the translation of the files
    local docs = { assert(score.load(files[1])), assert(score.load(files[2])) }
    local expected = assert(score.to_delta(docs, { envId = ENV, message = "release 7",
      extensions = C .. "extensions/full.humanitec.yaml" }))
    assert.same(json.decode(json.encode(expected)), json.decode(json.encode(delta)))
    -- and what the environment now runs
    local set = current_set(client)
    assert.same(json.decode(json.encode(expected.modules.add["web-app"])), set.modules["web-app"])
    assert.same(json.decode(json.encode(expected.modules.add.orders)), set.modules.orders)
    for _, id in ipairs({ "main-db", "main-dns", "assets", "orders-dns" }) do assert.is_table(set.shared[id], id) end
  end)

  it("returns a failed deployment with its errors: code, summary, message", function()
    local errs = { { code = "IMAGE_PULL", summary = "image not found", message = "busybox:nope: manifest unknown" } }
    sim:fail_next_deployment { errors = errs }
    local d, err = score.deploy(client, { file = C .. "minimal.yaml", appId = APP, envId = ENV, wait = true,
      image = "busybox:nope" })
    assert.is_nil(d)
    assert.equals("deployment_failed", err.kind)
    assert.equals("failed", err.deployment.status)
    local got = json.decode(json.encode(err.errors))
    assert.equals(1, #got)
    for field, value in pairs(errs[1]) do assert.equals(value, got[1][field]) end
  end)

  it("returns the deployment as started unless told to wait", function()
    local d = assert(score.deploy(client, { file = C .. "minimal.yaml", appId = APP, envId = ENV }))
    assert.equals("pending", d.status)
  end)

  it("builds the delta and sends nothing on a dry run, app and env not needed", function()
    local delta, err = score.deploy(client, { file = C .. "full.yaml", dry_run = true, envId = ENV })
    assert.is_nil(err)
    assert.equals("humanitec/default-module", delta.modules.add["web-app"].profile)
    assert.equals(0, mutations(counts))
    assert.equals(0, counts.GET or 0)
  end)

  it("removes the workloads the files describe", function()
    assert(score.deploy(client, { file = { C .. "minimal.yaml", C .. "resources.yaml" }, appId = APP, envId = ENV,
      wait = true }))
    local d = assert(score.deploy(client, { file = C .. "minimal.yaml", appId = APP, envId = ENV, remove = true,
      wait = true }))
    assert.equals("succeeded", d.status)
    local set = current_set(client)
    assert.is_nil(set.modules["hello-world"])
    assert.is_table(set.modules.orders)
  end)

  it("deploys in Generic Mode: the Score spec travels as a workload", function()
    assert(score.deploy(client, { file = C .. "resources.yaml", appId = APP, envId = ENV, mode = "workloads",
      wait = true, image = "registry.example.com/orders:4" }))
    local set = current_set(client)
    assert.equals("registry.example.com/orders:4", set.workloads.orders.spec.containers.api.image)
    assert.equals("${resources.cache.host}", set.workloads.orders.spec.containers.api.variables.REDIS:match("%${[^}]+}"))
  end)

  it("sends nothing when a file is invalid, and says why", function()
    local d, err = score.deploy(client, { file = C .. "invalid/port-range.yaml", appId = APP, envId = ENV })
    assert.is_nil(d)
    assert.equals("score", err.kind)
    assert.equals(12, err.details[1].line)
    d, err = score.deploy(client, { file = C .. "no-such.yaml", appId = APP, envId = ENV })
    assert.is_nil(d)
    assert.equals("score", err.kind)
    assert.equals(0, mutations(counts))
  end)

  it("raises on misuse, naming the argument", function()
    assert.has_error(function() score.deploy(nil, {}) end, "bad argument #1 to 'deploy' (client expected, got nil)")
    assert.has_error(function() score.deploy(client, { appId = APP, envId = ENV }) end,
      "bad argument #2 to 'deploy' (give 'file', 'doc' or 'docs')")
    assert.has_error(function() score.deploy(client, { file = C .. "minimal.yaml", envId = ENV }) end,
      "bad argument #2 to 'deploy' (option 'appId' is required)")
    assert.has_error(function() score.deploy(client, { file = C .. "minimal.yaml", app = APP, envId = ENV }) end,
      "bad argument #2 to 'deploy' (unknown option 'app'; did you mean 'appId'?)")
    assert.has_error(function() score.deploy(client, { file = C .. "minimal.yaml", dry_run = true, imgae = "x" }) end,
      "bad argument #2 to 'deploy' (unknown option 'imgae'; did you mean 'image'?)")
    assert.has_error(function() score.deploy(client, { file = 7, dry_run = true }) end,
      "bad option 'file' to 'deploy' (string or table expected, got number)")
  end)
end)

describe("humanitec.score.commands", function()
  local client, sim, counts
  before_each(function() client, sim, counts = setup() end)

  it("validate: a line per valid file, every problem of the others, exit 1", function()
    local out, err = sink(), sink()
    assert.equals(0, commands.validate({ C .. "minimal.yaml", C .. "full.yaml" }, {}, out, err))
    assert.equals(C .. "minimal.yaml: valid\n" .. C .. "full.yaml: valid\n", out.text)
    assert.equals("", err.text)
    out, err = sink(), sink()
    assert.equals(1, commands.validate({ C .. "invalid/unknown-property.yaml", C .. "minimal.yaml",
      C .. "invalid/name-length.yaml" }, {}, out, err))
    assert.equals(C .. "minimal.yaml: valid\n", out.text)
    local lines = {}
    for l in err.text:gmatch("[^\n]+") do lines[#lines + 1] = l end
    assert.equals(4, #lines)
    assert.matches("unknown%-property.yaml:7: containers.app: missing required property 'image'", lines[1])
    assert.matches("name%-length.yaml:5: metadata.name: ", lines[4])
  end)

  it("validate: deprecated forms warn, and fail with --strict; unreadable files are usage errors", function()
    local out, err = sink(), sink()
    assert.equals(0, commands.validate({ C .. "arrays.yaml" }, {}, out, err))
    assert.matches("arrays.yaml:8: containers.app.files: warning: ", err.text)
    out, err = sink(), sink()
    assert.equals(1, commands.validate({ C .. "arrays.yaml" }, { strict = true }, out, err))
    assert.equals("", out.text)
    assert.matches("arrays.yaml:8: containers.app.files: uses a form", err.text)
    out, err = sink(), sink()
    assert.equals(2, commands.validate({ C .. "no-such.yaml" }, {}, out, err))
    assert.equals(2, commands.validate({}, {}, out, err))
    out, err = sink(), sink()
    local broken = os.tmpname()
    local f = assert(io.open(broken, "w"))
    f:write("apiVersion: [\n")
    f:close()
    assert.equals(1, commands.validate({ broken }, {}, out, err))
    os.remove(broken)
    assert.matches(":%d+: ", err.text)
  end)

  it("init: a commented score.yaml that validates, never over an existing file unless forced", function()
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir " .. dir))
    local file = dir .. "/score.yaml"
    local out, err = sink(), sink()
    assert.equals(0, commands.init({ file = file, name = "my-app" }, out, err))
    local doc = assert(score.load(file))
    assert.equals("my-app", doc.metadata.name)
    assert.is_true(score.validate(doc))
    assert.matches("# ", require("support.helpers").read_file(file))
    assert.equals(1, commands.init({ file = file }, out, err))
    assert.matches("exists", err.text)
    assert.equals(0, commands.init({ file = file, name = "other", force = true }, out, err))
    assert.equals("other", assert(score.load(file)).metadata.name)
    out = sink()
    assert.equals(0, commands.init({ stdout = true, name = "piped" }, out, err))
    assert.equals("piped", assert(score.decode(out.text)).metadata.name)
    assert.equals(2, commands.init({ stdout = true, name = "Bad_Name" }, sink(), sink()))
    os.remove(file)
    os.remove(dir)
  end)

  it("deploy --wait: progress on stderr, the deployment on stdout, exit 0", function()
    local out, err = sink(), sink()
    local status = commands.deploy(client, { file = { C .. "full.yaml" }, app = APP, env = ENV, wait = true,
      extensions = C .. "extensions/full.humanitec.yaml", property = { "containers.main.variables.EXTRA=1x" },
      output = "json" }, out, err)
    assert.equals(0, status, err.text)
    assert.matches("shop/development: deployment %x+ pending\n.*in progress\n.*succeeded\n", err.text)
    local d = assert(json.decode(out.text))
    assert.equals("succeeded", d.status)
    assert.equals("1x", current_set(client).modules["web-app"].spec.containers.main.variables.EXTRA)
  end)

  it("deploy --wait: a failed deployment shows its errors and exits 1", function()
    sim:fail_next_deployment { errors = {
      { code = "CRASH", summary = "container main crashed", message = "exit code 137" },
      { code = "PROBE", summary = "readiness probe failed", message = "GET /alive: 503" },
    } }
    local out, err = sink(), sink()
    local status = commands.deploy(client, { file = C .. "minimal.yaml", app = APP, env = ENV, wait = true }, out, err)
    assert.equals(1, status)
    assert.equals("", out.text)
    assert.matches("failed: container main crashed\n", err.text)
    assert.matches("\n  CRASH: container main crashed: exit code 137\n", err.text)
    assert.matches("\n  PROBE: readiness probe failed: GET /alive: 503\n", err.text)
  end)

  it("deploy --dry-run prints the delta and sends nothing; bad input exits 1 or 2", function()
    local out, err = sink(), sink()
    assert.equals(0, commands.deploy(nil, { file = C .. "resources.yaml", dry_run = true, env = ENV }, out, err))
    local delta = assert(json.decode(out.text))
    assert.equals("redis", delta.modules.add.orders.externals.cache.type)
    assert.equals(0, mutations(counts))
    assert.equals(1, commands.deploy(client, { file = C .. "invalid/probe-empty.yaml", app = APP, env = ENV },
      sink(), err))
    assert.matches("probe%-empty.yaml:8: containers.app.livenessProbe: expected at least one", err.text)
    assert.equals(2, commands.deploy(client, { file = C .. "missing.yaml", app = APP, env = ENV }, sink(), sink()))
    assert.equals(2, commands.deploy(client, { file = C .. "minimal.yaml", env = ENV }, sink(), sink()))
    assert.equals(1, commands.deploy(client, { file = C .. "minimal.yaml", app = "no-app", env = ENV }, sink(),
      sink()))
  end)

  it("available-resource-types: the organization's types as a table", function()
    -- the simulator may not serve resource types: a transport that answers them stands in front of it
    local types = { { type = "postgres", name = "PostgreSQL", category = "datastore", use = "direct" },
      { type = "dns", name = "DNS", category = "dns", use = "direct" } }
    local inner = sim:transport()
    local transport = { open = function(_, o)
      local session = inner:open(o)
      return setmetatable({ request = function(_, method, url, ...)
        if method == "GET" and url:match("/orgs/acme/resources/types$") then
          return 200, { ["content-type"] = "application/json" }, json.encode(types), { total = 0 }
        end
        return session:request(method, url, ...)
      end }, { __index = session })
    end }
    local c = humanitec.new { transport = transport, token = "tok", org = "acme", url = "http://sim.invalid",
      config_file = "/dev/null" }
    local out, err = sink(), sink()
    assert.equals(0, commands.available_resource_types(c, {}, out, err))
    local lines = {}
    for l in out.text:gmatch("[^\n]+") do lines[#lines + 1] = l end
    assert.matches("^TYPE%s+NAME%s+CATEGORY", lines[1])
    assert.matches("^dns%s+DNS%s+dns", lines[2])
    assert.matches("^postgres%s+PostgreSQL%s+datastore", lines[3])
    out = sink()
    assert.equals(0, commands.available_resource_types(c, { output = "json" }, out, err))
    assert.equals(2, #assert(json.decode(out.text)))
    local bad = humanitec.new { transport = sim:transport(), token = "wrong", org = "acme", url = "http://sim.invalid",
      config_file = "/dev/null" }
    err = sink()
    assert.equals(3, commands.available_resource_types(bad, {}, sink(), err))
    assert.matches("401", err.text)
  end)
end)

describe("humanitec score deploy, from the command line", function()
  local cli_helper = require "support.cli_helper"

  it("waits for a deployment that fails, shows its errors and exits 1", function()
    local sim = require("humanitec.sim").new { orgs = { "acme" },
      tokens = { [cli_helper.TOKEN] = { "acme" } } }
    local run = cli_helper.runner(sim)
    local client = humanitec.new { transport = sim:transport(), token = cli_helper.TOKEN, org = "acme",
      url = "http://sim.invalid", config_file = "/dev/null" }
    assert(client:ensure_app { appId = APP, envs = { ENV } })
    sim:fail_next_deployment { errors = {
      { code = "CRASH", summary = "container main crashed", message = "exit code 137" } } }
    local code, out, err = run({ "score", "deploy", "-f", C .. "full.yaml", "--extensions",
      C .. "extensions/full.humanitec.yaml", "--app", APP, "--env", ENV, "--wait", "--message", "v2" })
    assert.equals(1, code)
    assert.equals("", out)
    assert.matches("shop/development: deployment %x+ pending\n", err)
    assert.matches("failed: container main crashed\n  CRASH: container main crashed: exit code 137\n", err)
    -- and the next one goes through, with the same files
    code, out, err = run({ "score", "deploy", "-f", C .. "full.yaml", "-f", C .. "resources.yaml", "--app", APP,
      "--env", ENV, "--wait", "-o", "json" })
    assert.equals(0, code, err)
    assert.equals("succeeded", json.decode(out).status)
  end)
end)

describe("examples/score.lua", function()
  it("validates, translates, deploys with an image chosen then, waits, and cleans up", function()
    local out, status = require("support.helpers").capture("tools/run-example score")
    assert.equals(0, status, out)
    assert.matches("Validating examples/score.yaml\n  valid, 0 warning%(s%)\n", out)
    assert.matches("Module web: profile humanitec/default%-module, image registry.example.com/web:1.0\n", out)
    assert.matches("  DB_URL = postgres://%${externals.db.username}:%${externals.db.password}@"
      .. "%${externals.db.host}/%${externals.db.name}\n  LOG_LEVEL = %${values.LOG_LEVEL}\n", out)
    assert.matches("\n  succeeded\nDeployment %x+ succeeded; development runs registry.example.com/web:1.0\n", out)
    assert.matches("Cleaned up score%-%d+\n$", out)
  end)
end)

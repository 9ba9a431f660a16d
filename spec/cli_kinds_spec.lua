-- `get`, `create`, `update`, `delete` and `api` on the kinds made from the generated operations, in process
-- against the simulator.
local cli_helper = require "support.cli_helper"
local json = require "humanitec.json"
local kinds = require "humanitec.cli.kinds"
local operations = require "humanitec.operations"
local sim_mod = require "humanitec.sim"

local lines = cli_helper.lines
local TOKEN = cli_helper.TOKEN

local WORKLOAD = { profile = "humanitec/default-module",
  spec = { containers = { web = { id = "web", image = "registry.example.com/web:1" } } } }

describe("humanitec CLI kinds", function()
  local sim, run, client, printed

  before_each(function()
    printed = {}
    sim = sim_mod.new { orgs = { "acme" }, tokens = { [TOKEN] = { "acme" } } }
    run = cli_helper.runner(sim, printed)
    client = require("humanitec").new { transport = sim:transport(), token = TOKEN, org = "acme",
      url = "http://sim.invalid", config_file = "/dev/null" }
    assert(client:ensure_app { appId = "shop", envs = { "development" } })
  end)

  after_each(function()
    for _, text in ipairs(printed) do assert.is_nil(text:find(TOKEN, 1, true), "the token was printed") end
  end)

  it("has a kind for every list operation of the spec, none by hand", function()
    local lists = 0
    for _, name in ipairs(operations.names) do
      local op = operations.operations[name]
      if op.method == "GET" and name:find("^list_") and not op.path:find("}$") then lists = lists + 1 end
    end
    assert.equals(lists, #kinds.all)
    local code, out = run("get kinds")
    assert.equals(0, code)
    assert.equals(lists + 1, #lines(out))
    for _, want in ipairs({ "organizations", "applications", "environments", "environment-types", "deltas", "sets",
      "deployments", "app-values", "env-values", "app-value-set-versions", "pipelines", "pipeline-runs",
      "resource-definitions", "active-resources", "resource-types", "workload-profiles", "user-roles-in-org",
      "user-tokens", "audit-log-entries" }) do
      assert.matches("\n" .. want:gsub("%-", "%%-") .. " ", out)
    end
  end)

  it("creates, shows, updates and deletes applications, environments and values", function()
    local _
    local code, out, err = run("create app blog -F name=Blog -o json")
    assert.equals(0, code, err)
    assert.equals("Blog", json.decode(out).name)
    code, out = run("get app blog")
    assert.equals(0, code)
    assert.matches("^ID%s+NAME%s+ENVS\nblog%s+Blog", out)
    assert.equals(0, (run("create env staging --app blog -F type=development")))
    _, out = run("get envs --app blog -o json")
    local ids = {}
    for _, e in ipairs(json.decode(out)) do ids[#ids + 1] = e.id end
    assert.is_truthy(table.concat(ids, ","):find("staging", 1, true))
    assert.equals(0, (run("update env staging --app blog -F name=Staging")))
    assert.equals("Staging", assert(client:get_environment { appId = "blog", envId = "staging" }).name)

    code, _, err = run("create value LOG_LEVEL --app blog -F value=debug -F description=verbosity")
    assert.equals(0, code, err)
    code, out = run("get value LOG_LEVEL --app blog -o yaml")
    assert.equals(0, code)
    assert.matches("\nkey: LOG_LEVEL\n", out)
    assert.matches("\nvalue: debug\n", out)
    assert.equals(0, (run("update value LOG_LEVEL --app blog -F value=info")))
    _, out = run("get values --app blog")
    assert.same({ "KEY        VALUE", "LOG_LEVEL  info" }, lines(out))
    code, out, err = run("delete value LOG_LEVEL --app blog")
    assert.equals(0, code, err)
    assert.equals("deleted app-values LOG_LEVEL\n", err)
    assert.equals("", out)
    assert.equals(1, (run("get value LOG_LEVEL --app blog")))

    code, _, err = run("delete env staging --app blog --dry-run")
    assert.equals(0, code)
    assert.equals("would delete environments staging\n", err)
    assert(client:get_environment { appId = "blog", envId = "staging" })
    assert.equals(0, (run("delete env staging --app blog")))
    assert.equals(0, (run("delete app blog")))
    assert.matches("404", select(3, run("get app blog")))
  end)

  it("refuses a --param no operation of the kind takes, with a hint, instead of dropping it", function()
    local code, _, err = run("get runs --app shop --param pipelinId=ci")
    assert.equals(2, code)
    assert.equals("humanitec: get runs: --param 'pipelinId' is no parameter of pipeline-runs; did you mean "
      .. "'pipelineId'?\n", err)
    code, _, err = run("get apps --param colour=red")
    assert.equals(2, code)
    assert.equals("humanitec: get apps: --param 'colour' is no parameter of applications\n", err)
    code, _, err = run("get runs --app shop --param pipelineId=ci")
    assert.is_true(code ~= 2, err) -- taken: the request is made (and may answer 404)
  end)

  it("reads bodies inline, from a file and from standard input, as JSON or YAML", function()
    local code, _, err = run({ "create", "app", "-d", '{"id":"one","name":"One"}' })
    assert.equals(0, code, err)
    local path = os.tmpname()
    local f = assert(io.open(path, "w"))
    f:write("id: two\nname: Two\n")
    f:close()
    code, _, err = run({ "create", "app", "-d", "@" .. path })
    os.remove(path)
    assert.equals(0, code, err)
    local stdin = { read = function() return '{"id":"three","name":"Three"}' end }
    code, _, err = run({ "create", "app", "-d", "-" }, { stdin = stdin })
    assert.equals(0, code, err)
    for _, id in ipairs({ "one", "two", "three" }) do assert(client:get_application { appId = id }) end
    code, _, err = run({ "create", "app", "-d", "@/nonexistent.json" })
    assert.equals(2, code)
    assert.equals("humanitec: create: cannot read /nonexistent.json\n", err)
    code, _, err = run({ "create", "app", "-d", "{not: [json" })
    assert.equals(2, code)
    assert.matches("^humanitec: create: the body holds neither JSON nor YAML", err)
  end)

  it("changes a delta with add, replace and remove as JSON Patch does", function()
    local delta = assert(client:create_delta { appId = "shop", body = { metadata = { env_id = "development" },
      modules = { add = {} } } })
    local id = type(delta) == "table" and delta.id or delta
    local code, out, err = run({ "update", "delta", id, "--app", "shop", "add", "/modules/add/web",
      json.encode(WORKLOAD), "-o", "json" })
    assert.equals(0, code, err)
    assert.equals("humanitec/default-module", json.decode(out).modules.add.web.profile)
    local _
    code, _, err = run({ "update", "delta", id, "--app", "shop", "replace",
      "/modules/add/web/spec/containers/web/image", "registry.example.com/web:2" })
    assert.equals(0, code, err)
    local got = assert(client:get_delta { appId = "shop", deltaId = id })
    assert.equals("registry.example.com/web:2", got.modules.add.web.spec.containers.web.image)
    code, _, err = run({ "update", "delta", id, "--app", "shop", "remove", "/modules/add/web" })
    assert.equals(0, code, err)
    got = assert(client:get_delta { appId = "shop", deltaId = id })
    assert.is_nil((got.modules.add or {}).web)
    assert.matches("nothing at /modules/add/gone", select(3, run({ "update", "delta", id, "--app", "shop",
      "remove", "/modules/add/gone" })))
    assert.matches("must be add, remove or replace", select(3, run({ "update", "delta", id, "--app", "shop",
      "move", "/a", "/b" })))
    assert.matches("did you mean 'replace'%?", select(3, run({ "update", "delta", id, "--app", "shop",
      "replce", "/a", "1" })))
    assert.matches("are for deltas", select(3, run({ "update", "app", "shop", "add", "/a", "1" })))
  end)

  it("keeps every part of a delta that update delta does not touch, workloads among them", function()
    local delta = assert(client:create_delta { appId = "shop", body = { metadata = { env_id = "development" },
      modules = { add = {} }, workloads = { add = { api = WORKLOAD } } } })
    local id = type(delta) == "table" and delta.id or delta
    assert.is_table(assert(client:get_delta { appId = "shop", deltaId = id }).workloads.add.api)
    local code, _, err = run({ "update", "delta", id, "--app", "shop", "add", "/modules/add/web",
      json.encode(WORKLOAD) })
    assert.equals(0, code, err)
    local got = assert(client:get_delta { appId = "shop", deltaId = id })
    assert.equals("humanitec/default-module", got.modules.add.web.profile)
    assert.is_table(got.workloads.add.api, "update delta dropped the delta's workloads")
  end)

  it("lists what an environment holds with get all", function()
    assert(client:deploy { appId = "shop", envId = "development", delta = { modules = { add = { web = WORKLOAD } } } })
    local code, out, err = run("get all --app shop --env development")
    assert.equals(0, code, err)
    assert.matches("# deployments\nID%s+STATUS%s+CREATED%s+COMMENT\n%x+%s+succeeded", out)
    assert.matches("# env%-values\n%(none%)", out)
    code, out = run("get all --app shop --env development -o json")
    assert.equals(0, code)
    assert.equals("succeeded", json.decode(out).deployments[1].status)
    assert.matches("get all needs %-%-env", select(3, run("get all --app shop")))
    assert.equals(1, (run("get all --app shop --env nope")))
  end)

  it("sends any request with api, filling {org}, {app} and {env}", function()
    local code, out, err = run({ "api", "GET", "/orgs/{org}/apps/{app}", "--app", "shop" })
    assert.equals(0, code, err)
    assert.equals("shop", json.decode(out).id)
    code, out, err = run({ "api", "post", "/orgs/acme/apps", "-d", '{"id":"via-api","name":"Via"}', "-o", "yaml" })
    assert.equals(0, code, err)
    assert.matches("\nid: via%-api\n", out)
    code, out = run({ "api", "DELETE", "/orgs/acme/apps/via-api" })
    assert.equals(0, code)
    assert.equals("", out)
    code, out, err = run({ "api", "GET", "/orgs/acme/apps/via-api" })
    assert.equals(1, code)
    assert.equals("", out)
    assert.matches("^humanitec: GET /orgs/acme/apps/via%-api: 404", err)
    assert.equals(2, (run({ "api", "FETCH", "/orgs" })))
    assert.equals(2, (run({ "api", "GET", "orgs" })))
    assert.matches("needs %-%-env", select(3, run({ "api", "GET", "/orgs/{org}/apps/shop/envs/{env}" })))
  end)
end)

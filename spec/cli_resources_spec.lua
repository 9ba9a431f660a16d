-- `humanitec diff sets` and `humanitec resources graph|active-resource-usage` against the simulator. Two specs
-- answer the resource graph request themselves (a transport in front of the simulator): one with edges between
-- resources, one with the 404 of an API that has no graph.
local cli_helper = require "support.cli_helper"
local json = require "humanitec.json"
local sim_mod = require "humanitec.sim"

local lines = cli_helper.lines

local function workload(image, externals, extra)
  local modules = { web = { profile = "humanitec/default-module",
    spec = { containers = { web = { id = "web", image = image } } }, externals = externals } }
  if extra then modules.api = { profile = "humanitec/default-module" } end
  return { modules = { add = modules } }
end

describe("humanitec diff and resources", function()
  local sim, run, client

  before_each(function()
    sim = sim_mod.new { orgs = { "acme" }, tokens = { [cli_helper.TOKEN] = { "acme" } } }
    run = cli_helper.runner(sim)
    client = require("humanitec").new { transport = sim:transport(), token = cli_helper.TOKEN, org = "acme",
      url = "http://sim.invalid", config_file = "/dev/null" }
    assert(client:ensure_app { appId = "shop", envs = { "development", "production" } })
    assert(client:apply_resource_definition { id = "shop-db", name = "db", type = "postgres",
      driver_type = "humanitec/echo", criteria = { { app_id = "shop" } } })
    assert(client:apply_resource_definition { id = "cache", name = "cache", type = "redis",
      driver_type = "humanitec/echo", criteria = { {} } })
    assert(client:apply_resource_definition { id = "unused", name = "unused", type = "dns",
      driver_type = "humanitec/echo" })
    assert(client:deploy { appId = "shop", envId = "development",
      delta = workload("web:1", { db = { type = "postgres" }, cache = { type = "redis" } }) })
    assert(client:deploy { appId = "shop", envId = "production", delta = workload("web:2", nil, true) })
  end)

  it("diffs the sets two environments run, and two set ids", function()
    local code, out, err = run("diff sets env/development env/production --app shop")
    assert.equals(0, code, err)
    assert.same({ "+ modules/api", "~ modules/web", "    remove /externals/cache", "    remove /externals/db",
      '    replace /spec/containers/web/image: "web:2"' }, lines(out))
    local dev = assert(client:get_environment { appId = "shop", envId = "development" }).last_deploy.set_id
    local prod = assert(client:get_environment { appId = "shop", envId = "production" }).last_deploy.set_id
    code, out = run({ "diff", "sets", prod, dev, "--app", "shop", "-o", "json" })
    assert.equals(0, code)
    local diff = json.decode(out)
    assert.same({ "api" }, diff.modules.remove)
    code, out, err = run("diff sets env/development env/development --app shop")
    assert.equals(0, code)
    assert.equals("", out)
    assert.equals("no differences\n", err)
    assert.matches("must be one of", select(3, run("diff values a b --app shop")))
    assert.matches("needs %-%-app", select(3, run("diff sets a b")))
    code, out, err = run("diff sets development env/production --app shop")
    assert.equals(1, code)
    assert.equals("", out)
    assert.matches("404.*give env/development%)\n$", err)
  end)

  it("draws the workloads over their resources, as text, DOT and JSON", function()
    local _
    local code, out, err = run("resources graph --app shop --env development")
    assert.equals(0, code, err)
    assert.equals("modules.web (workload)\n├─ modules.web.externals.cache (redis, def cache)\n"
      .. "└─ modules.web.externals.db (postgres, def shop-db)\n", out)
    assert.equals("", err)
    code, out = run("resources graph --app shop --env development -o dot")
    assert.equals(0, code)
    assert.matches('^digraph "shop/development" {\n', out)
    assert.matches('\n  "modules.web" %-> "modules.web.externals.db";\n', out)
    assert.matches("\n}\n$", out)
    code, out = run("resources graph --app shop --env development -o json")
    assert.equals(0, code)
    assert.same({ "modules.web.externals.cache", "modules.web.externals.db" }, json.decode(out)[1].depends_on)
    code, _, err = run("resources graph --app shop --env production")
    assert.equals(0, code)
    assert.equals("shop/production has no active resources\n", err)
    assert.equals(2, (run("get apps -o dot")))
  end)

  -- The simulator's transport, except that `answer(body)` responds to the resource graph request.
  local function graph_transport(answer)
    local inner = sim:transport()
    return { open = function(_, opts)
      local session = inner:open(opts)
      return setmetatable({ request = function(_, method, url, headers, body, timeout)
        if method == "POST" and url:find("/resources/graph$") then return answer(body) end
        return session:request(method, url, headers, body, timeout)
      end }, { __index = function(_, k)
        local v = session[k]
        if type(v) == "function" then return function(_, ...) return v(session, ...) end end
        return v
      end })
    end }
  end

  it("draws the API's resource-to-resource edges", function()
    local graph = graph_transport(function(body)
      local nodes = json.array()
      for i, r in ipairs(json.decode(body)) do
        nodes[i] = { id = r.id, type = r.type, class = r.class, guresid = "g" .. i, def_id = "d" .. i,
          depends_on = json.array() }
      end
      nodes[2].depends_on[1] = "g1" -- the database needs the cache
      return 200, { ["content-type"] = "application/json" }, json.encode(nodes), {}
    end)
    local code, out, err = run("resources graph --app shop --env development", { transport = graph })
    assert.equals(0, code, err)
    assert.equals("", err)
    assert.equals("modules.web (workload)\n├─ modules.web.externals.cache (redis, def d1)\n"
      .. "└─ modules.web.externals.db (postgres, def d2)\n   └─ modules.web.externals.cache (shown above)\n", out)
  end)

  it("draws a shared dependency once, so a layered diamond grows with its nodes, not its paths", function()
    local layers = 30 -- 2^30 paths from the top
    local graph = graph_transport(function()
      local nodes = json.array()
      for i = 1, layers do
        for _, side in ipairs({ "a", "b" }) do
          local deps = json.array()
          if i < layers then deps[1], deps[2] = "a" .. (i + 1), "b" .. (i + 1) end
          nodes[#nodes + 1] = { id = side .. i, type = "t", guresid = side .. i, depends_on = deps }
        end
      end
      return 200, { ["content-type"] = "application/json" }, json.encode(nodes), {}
    end)
    local code, out, err = run("resources graph --app shop --env development", { transport = graph })
    assert.equals(0, code, err)
    local rows = lines(out)
    assert.is_true(#rows <= 4 * layers, "the graph printed " .. #rows .. " lines")
    assert.equals("a1 (t)", rows[1])
    assert.equals("├─ a2 (t)", rows[2])
    local drawn = 0
    for _, row in ipairs(rows) do
      if not row:find("(shown above)", 1, true) then drawn = drawn + 1 end
    end
    assert.equals(2 * layers, drawn) -- every node drawn in full exactly once
  end)

  it("puts many resources under their workload in time linear in their number", function()
    local count = 20000 -- a scan of the workload's list per resource made this 2 * 10^8 comparisons
    local graph = graph_transport(function()
      local nodes = json.array()
      for i = 1, count do
        nodes[i] = { id = "modules.web.externals.r" .. i, type = "t", guresid = "g" .. i, depends_on = json.array() }
      end
      return 200, { ["content-type"] = "application/json" }, json.encode(nodes), {}
    end)
    local started = os.clock()
    local code, out, err = run("resources graph --app shop --env development", { transport = graph })
    assert.equals(0, code, err)
    assert.is_true(os.clock() - started < 5, "the graph took too long") -- a loose sanity bound
    local rows = lines(out)
    assert.equals(count + 1, #rows)
    assert.equals("modules.web (workload)", rows[1])
  end)

  it("draws the workloads over their resources when the API has no resource graph", function()
    local graph = graph_transport(function()
      return 404, { ["content-type"] = "application/json" }, json.encode({ error = "API-004",
        message = "no such endpoint" }), {}
    end)
    local code, out, err = run("resources graph --app shop --env development", { transport = graph })
    assert.equals(0, code, err)
    assert.matches("the API has no resource graph here", err)
    assert.equals("modules.web (workload)\n├─ modules.web.externals.cache (redis, def cache)\n"
      .. "└─ modules.web.externals.db (postgres, def shop-db)\n", out)
  end)

  it("lists every resource definition with the active resources it provisions", function()
    local code, out, err = run("resources active-resource-usage")
    assert.equals(0, code, err)
    assert.same({ "DEFINITION  TYPE      DRIVER          ACTIVE", "cache       redis     humanitec/echo  1",
      "shop-db     postgres  humanitec/echo  1", "unused      dns       humanitec/echo  0" }, lines(out))
    code, out = run("resources active-resource-usage -o json")
    assert.equals(0, code)
    local usage = json.decode(out)
    assert.equals("modules.web.externals.db", usage[2].active[1].res_id)
    assert.same({}, usage[3].active)
  end)
end)

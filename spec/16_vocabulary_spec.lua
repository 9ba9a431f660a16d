-- One vocabulary: the helpers take the operations' names, every entry point refuses a key it does not take with a
-- hint, programmer errors blame the caller's line, and the helpers' retry loops wait and give up saying why.
local humanitec = require "humanitec"
local operations = require "humanitec.operations"
local vocabulary = require "humanitec.vocabulary"
local workflows = require "humanitec.workflows"

-- A transport that answers every request from `answer(method, path)` and runs on a clock it keeps itself, so
-- the helpers' waits take no time; `log` holds "METHOD path" per request and `sleeps` every wait.
local function scripted(answer)
  local t = { log = {}, sleeps = {}, clock = 0 }
  function t.open()
    local session = {}
    function session.request(_, method, url)
      local path = url:match("^https?://[^/]+(/[^?]*)")
      t.log[#t.log + 1] = method .. " " .. path
      local status, body = answer(method, path)
      return status, { ["content-type"] = "application/json" }, body, {}
    end
    function session.now() return t.clock end
    function session.sleep(_, seconds)
      t.sleeps[#t.sleeps + 1] = seconds
      t.clock = t.clock + seconds
    end
    function session.close() end
    return session
  end
  return t
end

local function client_on(transport)
  return humanitec.new { token = "tok", org = "acme", url = "http://api.invalid", transport = transport,
    config_file = "/dev/null", retries = false }
end

describe("one vocabulary", function()
  it("has an options table for every helper, whose ids are the operations' parameter names", function()
    local params = {}
    for _, op in pairs(operations.operations) do
      for _, p in ipairs(op.params) do params[p.name] = true end
    end
    local helpers = {}
    for name in pairs(workflows) do helpers[#helpers + 1] = name end
    table.sort(helpers)
    assert.same(helpers, vocabulary.names(vocabulary.HELPERS))
    for helper, fields in pairs(vocabulary.HELPERS) do
      for key in pairs(fields) do
        if key:find("Id$") then
          assert.is_true(params[key] == true, helper .. "." .. key .. " is no operation's parameter")
        end
        assert.is_nil(key:find("^app$") or key:find("^env$"), helper .. " takes the old name " .. key)
      end
      for _, key in ipairs(vocabulary.REQUIRED[helper]) do
        assert.is_not_nil(fields[key], helper .. " requires " .. key .. ", which it does not take")
      end
    end
  end)

  it("names no operation like a client method or helper, which would hide it", function()
    local Client = require("humanitec.client").Client
    local client = client_on(scripted(function() return 200, "[]" end))
    for name in pairs(operations.operations) do
      assert.is_nil(rawget(Client, name), name .. " is a client method too")
      assert.is_function(client[name], name)
    end
    client:close()
  end)

  it("suggests the closest name, and nothing for a name far from all", function()
    local names = { "appId", "envId", "on_progress", "wait", "wait_for_running" }
    assert.equals(" (did you mean 'appId'?)", vocabulary.suggest("app", names))
    assert.equals(" (did you mean 'appId'?)", vocabulary.suggest("app_id", names))
    assert.equals(" (did you mean 'on_progress'?)", vocabulary.suggest("on_progres", names))
    assert.equals(" (did you mean 'wait'?)", vocabulary.suggest("wiat", names))
    assert.equals("", vocabulary.suggest("colour", names))
    assert.equals("", vocabulary.suggest(("x"):rep(100000), names)) -- a long key costs nothing
  end)

  describe("every entry point refuses an unknown key with a hint", function()
    local client
    before_each(function()
      client = client_on(scripted(function() return 200, "{}" end))
    end)

    local cases = {
      { function(c) c:deploy { app = "web", envId = "dev", set_id = "s" } end,
        "bad argument #1 to 'deploy' (unknown option 'app'; did you mean 'appId'?)" },
      { function(c) c:deploy { appId = "web", envId = "dev", set_id = "s", on_progres = print } end,
        "bad argument #1 to 'deploy' (unknown option 'on_progres'; did you mean 'on_progress'?)" },
      { function(c) c:deploy { appId = "web", envId = "dev", set_id = "s", wiat = false } end,
        "bad argument #1 to 'deploy' (unknown option 'wiat'; did you mean 'wait'?)" },
      { function(c) c:set_values { appId = "web", env = "dev", values = {} } end,
        "bad argument #1 to 'set_values' (unknown option 'env'; did you mean 'envId'?)" },
      { function(c) c:wait_pipeline_run { appId = "web", pipeline = "p", runId = "r" } end,
        "bad argument #1 to 'wait_pipeline_run' (unknown option 'pipeline'; did you mean 'pipelineId'?)" },
      { function(c) c:ensure_app { appId = "web", envs = { { id = "dev", typ = "x" } } } end,
        "bad option 'envs' to 'ensure_app' (item 1: unknown key 'typ'; did you mean 'type'?)" },
      { function(c) c:wait_deployment { appId = "web", envId = "dev", deployId = "d1", interval = 0 } end,
        "bad option 'interval' to 'wait_deployment' (a number greater than 0 expected)" },
      { function(c) c:deploy { appId = "web", envId = "dev", set_id = "s", wait_for_running = true, interval = 0 } end,
        "bad option 'interval' to 'deploy' (a number greater than 0 expected)" },
      { function(c) c:set_values { appId = "web", values = { PW = { value = "pw", is_secret = true } } } end,
        "bad value 'PW' to 'set_values' (unknown field 'is_secret'; did you mean 'secret'?)" },
      { function(c) c:apply_resource_definition { id = "db", type = "postgres", driver_type = "humanitec/echo",
          criteria = { { env_type = "development" }, { envtype = "production" } } } end,
        "bad option 'criteria[2]' to 'apply_resource_definition' (unknown field 'envtype'; did you mean 'env_type'?)" },
      { function(c) c:get_application { appid = "web" } end,
        "humanitec: get_application (getApplication): unknown parameter 'appid' (did you mean 'appId'?)" },
      { function(c) c:get("/x", { qurey = {} }) end,
        "bad argument #3 to 'get' (unknown option 'qurey'; did you mean 'query'?)" },
      { function(c) c:post("/x", {}, { timout = 1 }) end,
        "bad argument #3 to 'post' (unknown option 'timout'; did you mean 'timeout'?)" },
      { function(c) c:ensure_app { id = "web" } end,
        "bad argument #1 to 'ensure_app' (unknown option 'id'; did you mean 'appId'?)" },
      { function(c) c:wait_deployment { appId = "web", envId = "dev", id = "d1" } end,
        "bad argument #1 to 'wait_deployment' (unknown option 'id'; did you mean 'deployId'?)" },
      { function(c) c:batch({}, { concurency = 2 }) end,
        "bad argument #2 to 'batch' (unknown option 'concurency'; did you mean 'concurrency'?)" },
      { function(c) require("humanitec.loop").luv(c, { new_timer = function() end }, { on_eror = print }) end,
        "bad argument #3 to 'luv' (unknown option 'on_eror'; did you mean 'on_error'?)" },
      { function() humanitec.new { tokn = "t" } end,
        "unknown option 'tokn' to 'humanitec.new' (did you mean 'token'?)" },
    }
    for i, case in ipairs(cases) do
      it("case " .. i .. ": " .. case[2], function()
        assert.has_error(function() case[1](client) end, case[2])
      end)
    end
  end)

  it("blames the caller's line for a programmer error, at every entry point", function()
    local client = client_on(scripted(function() return 200, "[]" end))
    local function where(f)
      local ok, message = pcall(f)
      assert.is_false(ok)
      return message
    end
    local here = "^spec/16_vocabulary_spec%.lua:%d+: "
    local entries = {
      function() client:get("nope") end,
      function() client:post("/x", { modules = { web = { x = print } } }) end,
      function() client:request("GET", "/x", { body = 1 }) end,
      function() client:get_application {} end,
      function() client:call("get_application", { appId = 1 }) end,
      function() client:deploy { appId = "web" } end,
      function() client:rollback { appId = "web", envId = "dev", to = -1 } end,
      function() client:each("list_applications", { nope = 1 }) end,
      function() client:all("list_pipeline_runs", { nope = 1 }) end,
      function() client:start("GET", "nope", function() end) end,
      function() client:await("GET", "nope") end,
      function() client:get("/x", { headers = { ["Bad Name"] = "x" } }) end,
      function() client:set_values { appId = "web", values = { PW = { value = "pw", is_secret = true } } } end,
      function() client:apply_resource_definition { id = "db", criteria = { { app = "web" } } } end,
    }
    for i, f in ipairs(entries) do
      local message = where(f)
      assert.matches(here, message, nil, false, "entry " .. i .. ": " .. message)
    end
    assert.matches(here .. "bad argument to 'post' %(body%.modules%.web%.x: a function cannot be sent as JSON%)",
      where(entries[2]))
    local helpers_json = {
      { function() client:deploy { appId = "web", envId = "dev", delta = { modules = { add = { x = print } } } } end,
        "bad option 'delta' to 'deploy' %(delta%.modules%.add%.x: a function cannot be sent as JSON%)" },
      { function() client:run_pipeline { appId = "web", pipelineId = "p", inputs = { n = 0 / 0 } } end,
        "bad option 'inputs' to 'run_pipeline' %(inputs%.n: NaN or infinity cannot be sent as JSON%)" },
      { function() client:apply_resource_definition { id = "db", type = "postgres", driver_type = "humanitec/echo",
          driver_inputs = { values = { f = print } } } end,
        "bad option 'driver_inputs' to 'apply_resource_definition' %(driver_inputs%.values%.f: a function" },
      { function() client:ensure_app { appId = "web", envs = { { id = "dev", type = print } } } end,
        "bad option 'envs' to 'ensure_app' %(item 1: 'type' must be a string, got function%)" },
    }
    for _, case in ipairs(helpers_json) do
      assert.matches(here .. case[2], where(case[1]))
    end
    client:close()
    assert.matches(here .. "attempt to use a closed humanitec client", where(function() client:get("/x") end))
    for _, f in ipairs {
      function() client:all("list_applications") end,
      function() client:each("list_audit_log_entries") end,
      function() client:deploy { appId = "web", envId = "dev", set_id = "s" } end,
      function() client:get_values { appId = "web" } end,
      function() client:ensure_app { appId = "web" } end,
    } do
      assert.matches(here .. "attempt to use a closed humanitec client", where(f))
    end
  end)

  -- deploy with wait_for_running where POST .../deploys always answers 409 (with `conflict`, a JSON body) and
  -- the rest as `answer` says (200 and [] by default): the error, the sleeps taken and the POSTs sent, and the
  -- transport's clock at the end.
  local function deploy_conflicted(conflict, answer, interval, timeout)
    local t = scripted(function(method, path)
      if method == "POST" and path:find("/deploys$") then return 409, conflict end
      local status, body = (answer or function() end)(method, path)
      if status then return status, body end
      return 200, "[]"
    end)
    local client = client_on(t)
    local deployment, err = client:deploy { appId = "web", envId = "dev", set_id = "s1", wait_for_running = true,
      interval = interval, timeout = timeout }
    client:close()
    assert.is_nil(deployment)
    local posts = 0
    for _, line in ipairs(t.log) do
      if line:find("^POST") then posts = posts + 1 end
    end
    return err, t.sleeps, posts, t.clock
  end

  it("deploy with wait_for_running gives up on a 409 with nothing running, after a few waits, saying why", function()
    local err, sleeps, posts = deploy_conflicted('{"error":"API-007","message":"environment is locked"}', nil, 1)
    assert.equals(409, err.status)
    assert.equals("API-007", err.code)
    assert.matches("environment is locked %(gave up after 4 tries: no deployment was running", err.message)
    assert.equals(4, posts)
    assert.same({ 1, 1.5, 2.25 }, sleeps) -- on the client's clock, backing off
  end)

  it("deploy with wait_for_running backs off when the deployment listed as running has already ended", function()
    local err, sleeps, posts = deploy_conflicted('{"message":"conflict"}', function(method, path)
      if method == "GET" and path:find("/deploys$") then return 200, '[{"id":"d1","status":"in progress"}]' end
      if method == "GET" and path:find("/deploys/d1$") then return 200, '{"id":"d1","status":"succeeded"}' end
    end, 1)
    assert.equals(409, err.status)
    assert.matches("conflict %(gave up after 4 tries: the deployment listed as running had already ended", err.message)
    assert.equals(4, posts)
    assert.same({ 1, 1.5, 2.25 }, sleeps)
  end)

  it("deploy with wait_for_running paces its tries as the waits do: a first interval over 10 s is kept", function()
    local err, sleeps, posts = deploy_conflicted('{"message":"locked"}', nil, 20)
    assert.matches("gave up after 4 tries: no deployment was running", err.message)
    assert.equals(4, posts)
    assert.same({ 20, 20, 20 }, sleeps) -- never below the interval asked for, as wait_deployment polls
  end)

  it("deploy with wait_for_running gives up when time runs out first", function()
    local err, _, posts, clock = deploy_conflicted('{"message":"locked"}', nil, 2, 3)
    assert.matches("gave up after 2 tries: out of time, and no deployment was running", err.message)
    assert.equals(2, posts)
    assert.is_true(clock <= 3)
  end)
end)

-- The workflow helpers against the simulator in process: success, failure, timeout and conflict paths. Waiting
-- moves the simulator's clock, so nothing here sleeps for real.
local humanitec = require "humanitec"
local sim_helper = require "support.sim_helper"

local APP = "shop"

local WORKLOAD = {
  modules = { add = { web = { profile = "humanitec/default-module",
    spec = { containers = { web = { id = "web", image = "registry.example.com/web:1" } } } } } },
}

local APPROVAL_PIPELINE = [[
apiVersion: pipelines.humanitec.io/v1alpha1
kind: Pipeline
metadata:
  name: Gate
  id: gate
spec:
  on:
    pipeline_call: {}
  jobs:
    gate:
      steps:
        - name: ask
          uses: actions/approve
          with:
            message: Ship it?
            env_id: production
]]

local SIMPLE_PIPELINE = [[
name: Build
jobs:
  main:
    steps:
      - name: noop
        uses: actions/humanitec/log@v1
        with:
          message: hi
]]

-- A simulator with org "acme", and a client on it that counts the requests it makes by method.
local setup_client = sim_helper.counting_client

local function real_seconds(f)
  local t = os.time()
  f()
  return os.time() - t
end

describe("workflow helpers", function()
  local client, sim, counts

  before_each(function()
    -- Long enough in each status that polls every 2 to 10 s see them all.
    client, sim, counts = setup_client { deploy_seconds = 60 }
    local _, _, created = assert(client:ensure_app { appId = APP, envs = {
      "development", { id = "production", name = "Production", type = "production" },
    } })
    assert.is_true(created.app)
  end)

  describe("deploy and wait_deployment", function()
    it("creates the delta, deploys, and reports each status change once", function()
      local seen = {}
      local took = real_seconds(function()
        local d, err = client:deploy { appId = APP, envId = "development", delta = WORKLOAD, comment = "first",
          on_progress = function(status, deployment)
            seen[#seen + 1] = status
            assert.is_string(deployment.id)
          end }
        assert.is_table(d, tostring(err))
        assert.equals("succeeded", d.status)
        assert.equals("first", d.comment)
      end)
      assert.same({ "pending", "in progress", "succeeded" }, seen)
      assert.is_true(took <= 2) -- the simulator's clock moved, not the real one
      local env = assert(client:get_environment { appId = APP, envId = "development" })
      assert.equals("succeeded", env.last_deploy.status)
    end)

    it("deploys a delta id or a set id, and returns at once without wait", function()
      local delta = assert(client:create_delta { appId = APP, body = WORKLOAD })
      local started = assert(client:deploy { appId = APP, envId = "development", delta = delta.id, wait = false })
      assert.equals("pending", started.status)
      local done = assert(client:wait_deployment { appId = APP, envId = "development", deployId = started.id })
      assert.equals("succeeded", done.status)
      local again = assert(client:deploy { appId = APP, envId = "production", set_id = done.set_id })
      assert.equals(done.set_id, again.set_id)
    end)

    it("returns a failed deployment as deployment_failed, with the API's errors", function()
      sim:fail_next_deployment()
      local d, err = client:deploy { appId = APP, envId = "development", delta = WORKLOAD }
      assert.is_nil(d)
      assert.equals("deployment_failed", err.kind)
      assert.equals("failed", err.deployment.status)
      assert.is_true(#err.errors >= 1)
      assert.matches("failed", tostring(err))
    end)

    it("gives up at the timeout with the last status seen", function()
      client, sim = setup_client { deploy_seconds = 3600, pending_seconds = 1 }
      assert(client:ensure_app { appId = APP })
      local d, err = client:deploy { appId = APP, envId = "development", delta = WORKLOAD, timeout = 30 }
      assert.is_nil(d)
      assert.equals("timeout", err.kind)
      assert.equals("in progress", err.last_status)
      assert.matches("still in progress after 30 s", err.message)
    end)

    it("backs off between polls, from 2 s up to 10 s", function()
      client, sim, counts = setup_client { deploy_seconds = 100, pending_seconds = 1 }
      assert(client:ensure_app { appId = APP })
      local start = sim:now()
      assert(client:deploy { appId = APP, envId = "development", delta = WORKLOAD })
      local polls = counts.GET
      -- 100 s with a fixed 2 s interval would take 50 polls; backing off to 10 s takes far fewer.
      assert.is_true(polls < 20, "polled " .. tostring(polls) .. " times")
      assert.is_true(sim:now() - start >= 100)
    end)

    it("answers 409 while another deployment runs, or waits for it with wait_for_running", function()
      local first = assert(client:deploy { appId = APP, envId = "development", delta = WORKLOAD, wait = false })
      local d, err = client:deploy { appId = APP, envId = "development", delta = WORKLOAD }
      assert.is_nil(d)
      assert.equals(409, err.status)
      local second = assert(client:deploy { appId = APP, envId = "development", delta = WORKLOAD,
        wait_for_running = true })
      assert.equals("succeeded", second.status)
      assert.are_not.equal(first.id, second.id)
      local old = assert(client:get_deployment { appId = APP, envId = "development", deployId = first.id })
      assert.equals("succeeded", old.status)
    end)

    it("raises on misuse, naming the field", function()
      assert.has_error(function() client:deploy { appId = APP, envId = "development" } end,
        "bad argument #1 to 'deploy' (give one of 'delta' and 'set_id')")
      assert.has_error(function() client:deploy { envId = "development", set_id = "x" } end,
        "bad argument #1 to 'deploy' (option 'appId' is required)")
      assert.has_error(function() client:wait_deployment { appId = APP, envId = "development" } end,
        "bad argument #1 to 'wait_deployment' (option 'deployId' is required)")
      assert.has_error(function() client:deploy { appId = APP, envId = "development", set_id = 1 } end,
        "bad option 'set_id' to 'deploy' (string expected, got number)")
      assert.has_error(function() client:deploy { appId = APP, envId = "development", delta = 1 } end,
        "bad option 'delta' to 'deploy' (table or string expected, got number)")
    end)
  end)

  describe("promote, clone_env, rollback", function()
    it("promotes what runs in one environment to another", function()
      local dev = assert(client:deploy { appId = APP, envId = "development", delta = WORKLOAD })
      local seen = {}
      local prod = assert(client:promote { appId = APP, from = "development", to = "production",
        on_progress = function(status) seen[#seen + 1] = status end })
      assert.equals("succeeded", prod.status)
      assert.equals(dev.set_id, prod.set_id)
      assert.same({ "pending", "in progress", "succeeded" }, seen)
    end)

    it("refuses to promote from an environment that has no deployment", function()
      local d, err = client:promote { appId = APP, from = "development", to = "production" }
      assert.is_nil(d)
      assert.equals("no_deployment", err.kind)
    end)

    it("clones an environment from its current deployment", function()
      local dev = assert(client:deploy { appId = APP, envId = "development", delta = WORKLOAD })
      local env = assert(client:clone_env { appId = APP, from = "development", envId = "staging" })
      assert.equals("staging", env.id)
      assert.equals("development", env.type)
      local got = assert(client:get_environment { appId = APP, envId = "staging" })
      assert.equals(dev.id, got.from_deploy and got.from_deploy.id)
      local _, err = client:clone_env { appId = APP, from = "development", envId = "staging" }
      assert.equals(409, err.status)
    end)

    it("rolls back by steps or to a deployment id", function()
      local first = assert(client:deploy { appId = APP, envId = "development", delta = WORKLOAD })
      local second = assert(client:deploy { appId = APP, envId = "development", delta = {
        modules = { add = { api = { profile = "humanitec/default-module", spec = {} } } } } })
      assert.are_not.equal(first.set_id, second.set_id)
      local back = assert(client:rollback { appId = APP, envId = "development", to = 1 })
      assert.equals(first.set_id, back.set_id)
      assert.matches(first.id, back.comment)
      local again = assert(client:rollback { appId = APP, envId = "development", to = second.id })
      assert.equals(second.set_id, again.set_id)
      local _, err = client:rollback { appId = APP, envId = "development", to = 10 }
      assert.equals("no_deployment", err.kind)
      assert.has_error(function() client:rollback { appId = APP, envId = "development", to = 0 } end)
    end)
  end)

  describe("values", function()
    it("creates, updates and leaves alone, at app and environment level; secrets stay hidden", function()
      local changes = assert(client:set_values { appId = APP, values = {
        LOG_LEVEL = "info", DB_PASSWORD = { secret = "hunter2" }, REGION = { value = "eu", description = "where" },
      } })
      assert.same({ "DB_PASSWORD", "LOG_LEVEL", "REGION" }, changes.created)
      local posts = counts.POST or 0
      changes = assert(client:set_values { appId = APP, values = { LOG_LEVEL = "info", REGION = "us" } })
      assert.same({ "REGION" }, changes.updated)
      assert.same({ "LOG_LEVEL" }, changes.unchanged)
      assert.equals(posts, counts.POST or 0)
      local values = assert(client:get_values { appId = APP })
      assert.equals("info", values.LOG_LEVEL)
      assert.equals("us", values.REGION)
      assert.is_true(values.DB_PASSWORD.secret)
      assert.is_nil(values.DB_PASSWORD.value)
      changes = assert(client:set_values { appId = APP, envId = "production", values = { LOG_LEVEL = "warn" } })
      assert.same({ "LOG_LEVEL" }, changes.created) -- an override of the app's value
      local prod = assert(client:get_values { appId = APP, envId = "production" })
      assert.equals("warn", prod.LOG_LEVEL)
      assert.equals("info", assert(client:get_values { appId = APP }).LOG_LEVEL)
    end)

    it("returns the API's error and raises on a bad value", function()
      local _, err = client:set_values { appId = "nope", values = { A = "1" } }
      assert.equals(404, err.status)
      assert.has_error(function() client:set_values { appId = APP, values = { A = {} } } end)
      assert.has_error(function() client:set_values { appId = APP, values = { A = { secret = 1 } } } end)
    end)
  end)

  describe("pipelines", function()
    before_each(function()
      assert(client:create_pipeline { appId = APP, body = SIMPLE_PIPELINE, content_type = "application/x-yaml" })
      assert(client:create_pipeline { appId = APP, body = APPROVAL_PIPELINE, content_type = "application/x-yaml" })
    end)

    local function pipeline_id(name)
      for _, p in ipairs(assert(client:list_pipelines { appId = APP })) do
        if p.name == name then return p.id end
      end
    end

    it("runs a pipeline and waits for it, reporting each status", function()
      local seen = {}
      local run = assert(client:run_pipeline { appId = APP, pipelineId = pipeline_id("Build"), wait = true,
        on_progress = function(status) seen[#seen + 1] = status end })
      assert.equals("succeeded", run.status)
      assert.equals("succeeded", seen[#seen])
      assert.is_true(#seen >= 2)
    end)

    it("starts one run for one idempotency key, however often it is sent", function()
      local id = pipeline_id("Build")
      local a = assert(client:run_pipeline { appId = APP, pipelineId = id, idempotency_key = "release-42" })
      local b = assert(client:run_pipeline { appId = APP, pipelineId = id, idempotency_key = "release-42" })
      assert.equals(a.id, b.id)
      local c = assert(client:run_pipeline { appId = APP, pipelineId = id })
      local d = assert(client:run_pipeline { appId = APP, pipelineId = id })
      assert.are_not.equal(c.id, d.id) -- each call makes its own key
    end)

    it("approves and denies what waits for approval", function()
      local id = pipeline_id("Gate")
      local run = assert(client:run_pipeline { appId = APP, pipelineId = id })
      local _, err = client:wait_pipeline_run { appId = APP, pipelineId = id, runId = run.id, timeout = 20 }
      assert.equals("timeout", err.kind)
      assert.equals("executing", err.last_status)
      assert.is_truthy(next(err.run.waiting_for)) -- held up by the approval
      local approved = assert(client:approve { appId = APP, pipelineId = id, runId = run.id })
      assert.equals(1, #approved)
      assert.equals("succeeded", assert(client:wait_pipeline_run { appId = APP, pipelineId = id, runId = run.id }).status)

      local denied_run = assert(client:run_pipeline { appId = APP, pipelineId = id })
      client:wait_pipeline_run { appId = APP, pipelineId = id, runId = denied_run.id, timeout = 20 }
      assert(client:deny { appId = APP, pipelineId = id, runId = denied_run.id })
      local ended, failed = client:wait_pipeline_run { appId = APP, pipelineId = id, runId = denied_run.id }
      assert.is_nil(ended)
      assert.equals("pipeline_failed", failed.kind)
      local none, none_err = client:approve { appId = APP, pipelineId = id, runId = denied_run.id }
      assert.is_nil(none)
      assert.equals("no_approval", none_err.kind)
    end)
  end)

  describe("apply_resource_definition", function()
    local DEF = {
      id = "main-db", name = "Database", type = "postgres", driver_type = "humanitec/echo",
      driver_inputs = { values = { host = "db.internal", port = 5432 } },
      criteria = { { app_id = APP }, { env_type = "production" } },
    }

    it("creates, then changes nothing when nothing differs, then only what differs", function()
      local changes = assert(client:apply_resource_definition(DEF))
      assert.is_true(changes.created)
      local before = { POST = counts.POST or 0, PATCH = counts.PATCH or 0, PUT = counts.PUT or 0,
        DELETE = counts.DELETE or 0 }
      changes = assert(client:apply_resource_definition(DEF))
      assert.is_false(changes.created)
      assert.same({}, changes.updated)
      assert.equals(0, changes.criteria_added + changes.criteria_removed)
      for method, n in pairs(before) do assert.equals(n, counts[method] or 0, method) end

      local changed = {}
      for k, v in pairs(DEF) do changed[k] = v end
      changed.name = "Primary database"
      changed.criteria = { { app_id = APP }, { env_id = "staging" } }
      changes = assert(client:apply_resource_definition(changed))
      assert.same({ "name" }, changes.updated)
      assert.equals(1, changes.criteria_added)
      assert.equals(1, changes.criteria_removed)
      local got = assert(client:get_resource_definition { defId = "main-db" })
      assert.equals("Primary database", got.name)
      assert.equals(2, #got.criteria)
    end)

    it("returns the API's conflict errors", function()
      assert(client:apply_resource_definition(DEF))
      local other = { id = "other-db", name = "Other", type = "postgres", driver_type = "humanitec/echo",
        criteria = { { app_id = APP }, { app_id = APP } } }
      local _, err = client:apply_resource_definition(other)
      assert.is_truthy(err)
      assert.is_true(err.status == 409 or err.status == 400)
    end)
  end)

  describe("ensure_app and ensure_env", function()
    it("creates what is missing and nothing else", function()
      local _, _, created = assert(client:ensure_app { appId = APP, envs = { "development", "staging" } })
      assert.is_false(created.app)
      assert.same({ "staging" }, created.envs)
      local env, _, was_created = assert(client:ensure_env { appId = APP, envId = "staging" })
      assert.equals("staging", env.id)
      assert.is_false(was_created)
      local _, _, fresh = assert(client:ensure_app { appId = "other" })
      assert.is_true(fresh.app)
      local envs = assert(client:list_environments { appId = "other" })
      assert.equals("development", envs[1].id) -- the API's own first environment
    end)
  end)

  describe("API tokens", function()
    it("creates a service user and a token that works, lists it, and revokes it", function()
      local token = assert(client:create_api_token { service_user = "ci-bot", tokenId = "ci", role = "administrator",
        description = "CI" })
      assert.is_string(token.token)
      assert.is_string(token.user_id)
      local bot = humanitec.new { transport = sim:transport(), token = token.token, org = "acme",
        url = "http://sim.invalid", config_file = "/dev/null" }
      assert(bot:list_applications())
      local second = assert(client:create_api_token { service_user = "ci-bot", tokenId = "ci-2" })
      assert.equals(token.user_id, second.user_id) -- the same service user, not a new one
      local tokens = assert(client:list_api_tokens { userId = token.user_id })
      local ids = {}
      for _, t in ipairs(tokens) do ids[#ids + 1] = t.id; assert.is_nil(t.token) end
      table.sort(ids)
      assert.same({ "ci", "ci-2" }, ids)
      assert.is_true(client:revoke_api_token { userId = token.user_id, tokenId = "ci" })
      local _, err = bot:list_applications()
      assert.equals(401, err.status)
      local _, dup = client:create_api_token { service_user = "ci-bot", tokenId = "ci-2" }
      assert.equals(409, dup.status)
    end)
  end)
end)

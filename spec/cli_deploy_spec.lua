-- `humanitec deploy` in humctl's forms (delta, set, env, deploy +N) against the simulator, on its clock.
local cli_helper = require "support.cli_helper"
local json = require "humanitec.json"
local sim_mod = require "humanitec.sim"

local lines = cli_helper.lines

local function workload(image)
  return { modules = { add = { web = { profile = "humanitec/default-module",
    spec = { containers = { web = { id = "web", image = image } } } } } } }
end

describe("humanitec deploy", function()
  local sim, run, client

  before_each(function()
    sim = sim_mod.new { orgs = { "acme" }, tokens = { [cli_helper.TOKEN] = { "acme" } }, deploy_seconds = 30 }
    run = cli_helper.runner(sim)
    client = require("humanitec").new { transport = sim:transport(), token = cli_helper.TOKEN, org = "acme",
      url = "http://sim.invalid", config_file = "/dev/null" }
    assert(client:ensure_app { appId = "shop", envs = { "development", { id = "production", type = "production" } } })
  end)

  local function deployed(env, id)
    return assert(client:get_deployment { appId = "shop", envId = env, deployId = id })
  end

  it("deploys a delta by id and a set by id, with a message, one line per status change", function()
    local delta = assert(client:create_delta { appId = "shop", body = workload("web:1") })
    local code, out, err = run({ "deploy", "delta", delta.id, "development", "--app", "shop", "--wait",
      "--message", "first", "-o", "json" })
    assert.equals(0, code, err)
    local d = json.decode(out)
    assert.equals("succeeded", d.status)
    assert.equals("first", deployed("development", d.id).comment)
    assert.same({ "shop/development: deployment " .. d.id .. " pending",
      "shop/development: deployment " .. d.id .. " in progress",
      "shop/development: deployment " .. d.id .. " succeeded" }, lines(err))

    code, out, err = run({ "deploy", "set", d.set_id, ".", "--app", "shop", "--env", "production", "--wait",
      "-o", "json" })
    assert.equals(0, code, err)
    assert.equals(d.set_id, deployed("production", json.decode(out).id).set_id)
  end)

  it("deploys one environment into another and rolls back +N", function()
    local first = assert(client:deploy { appId = "shop", envId = "development", delta = workload("web:1") })
    assert(client:deploy { appId = "shop", envId = "development", delta = workload("web:2") })
    local code, out, err = run("deploy env development production --app shop --wait -o json")
    assert.equals(0, code, err)
    local promoted = json.decode(out)
    local dev = assert(client:get_environment { appId = "shop", envId = "development" })
    assert.equals(dev.last_deploy.set_id, promoted.set_id)

    code, out, err = run("deploy deploy +1 . --app shop --env development --wait -o json")
    assert.equals(0, code, err)
    assert.equals(first.set_id, json.decode(out).set_id)
    assert.matches("none 5 back", select(3, run("deploy deploy +5 . --app shop --env development")))
  end)

  it("passes --values-version through", function()
    assert(client:set_values { appId = "shop", envId = "development", values = { LOG_LEVEL = "debug" } })
    local versions = assert(client:list_env_value_set_versions { appId = "shop", envId = "development" })
    local version = versions[1].id
    local delta = assert(client:create_delta { appId = "shop", body = workload("web:1") })
    local code, out, err = run({ "deploy", "delta", delta.id, "--app", "shop", "--env", "development",
      "--values-version", version, "-o", "json" })
    assert.equals(0, code, err)
    assert.equals(version, deployed("development", json.decode(out).id).value_set_version_id)
  end)

  it("refuses --values-version where it would be ignored: a rollback, or an environment into another", function()
    local code, out, err = run("deploy deploy +1 . --app shop --env development --values-version v1")
    assert.equals(2, code)
    assert.equals("", out)
    assert.matches("deploy deploy: %-%-values%-version goes with delta or set", err)
    local _
    code, _, err = run("deploy env development production --app shop --values-version v1")
    assert.equals(2, code)
    assert.matches("deploy env: %-%-values%-version goes with delta or set", err)
  end)

  it("prints a failed deployment's errors, and includes them with -o json, exiting 1", function()
    sim:fail_next_deployment { errors = { { code = "RES-101", summary = "Resource provisioning failed",
      message = "postgres: quota exceeded", scope = "resource", object_id = "db" } } }
    local delta = assert(client:create_delta { appId = "shop", body = workload("web:1") })
    local code, out, err = run({ "deploy", "delta", delta.id, "--app", "shop", "--env", "development", "--wait" })
    assert.equals(1, code)
    assert.equals("", out)
    local rows = lines(err)
    assert.equals("  RES-101: Resource provisioning failed: postgres: quota exceeded", rows[#rows])
    assert.matches("^humanitec: deployment_failed: deployment %x+ in shop/development failed", rows[#rows - 1])

    sim:fail_next_deployment { errors = { { code = "RES-101", summary = "again", message = "m" } } }
    code, out = run({ "deploy", "delta", delta.id, "--app", "shop", "--env", "development", "--wait", "-o", "json" })
    assert.equals(1, code)
    local d = json.decode(out)
    assert.equals("failed", d.status)
    assert.equals("RES-101", d.errors[1].code)
  end)
end)

-- The workflow examples run end to end against bin/humanitec-sim over HTTP (tools/run-example), and fail with
-- one line when the API refuses them.
local helpers = require "support.helpers"

-- Runs a shell command; returns its exit status and its output.
local function sh(command)
  local out, status = helpers.capture(command)
  return status, out
end

local function run_example(name)
  local status, out = sh("tools/run-example " .. name .. " 2>&1")
  assert.equals(0, status, out)
  assert.matches("^Simulator listening on http://127%.0%.0%.1:%d+\n", out)
  return out
end

local function escape(s)
  return (s:gsub("%p", "%%%0"))
end

describe("examples over HTTP", function()
  it("promote.lua deploys, promotes, rolls back, clones and cleans up", function()
    local out = run_example("promote")
    -- a line per status change of each deployment, each deployment ending as succeeded
    local ids = {}
    for env, id in out:gmatch("\n  (%w+)%s+(%x+)  pending\n") do
      assert.matches("\n  " .. env .. "%s+" .. id .. "  succeeded\n", out)
      ids[#ids + 1] = env .. " " .. id
    end
    assert.equals(4, #ids, out)
    assert.matches("^production ", ids[2])
    -- production runs what development ran, and development is back on it after the rollback
    local sets = {}
    for env, set in out:gmatch("\n  (%w+) runs set (%S+)\n") do sets[#sets + 1] = env .. " " .. set end
    assert.equals(3, #sets, out)
    local first = sets[1]:match(" (%S+)$")
    assert.same({ "development " .. first, "production " .. first, "development " .. first }, sets)
    assert.matches("hotfix, of type production, starts from deployment " .. ids[2]:match(" (%x+)$"), out)
    assert.matches("\n  development%s+development%s+succeeded%s+Roll back to %x+\n", out)
    assert.matches("\n  production%s+production%s+succeeded%s+Promote %x+ from development\n", out)
    assert.matches("\n  hotfix%s+production%s+%-%s+none\n", out)
    assert.matches("Cleaned up promote%-%d+\n$", out)
  end)

  it("values.lua writes only what differs, overrides per environment, never shows a secret", function()
    local out = run_example("values")
    assert.matches("Setting the app's values\n  created   DB_PASSWORD, LOG_LEVEL, REGION\n", out)
    assert.matches("LOG_LEVEL changed\n  updated   LOG_LEVEL\n  unchanged REGION\n", out)
    assert.matches("Overriding LOG_LEVEL in production\n  created   LOG_LEVEL\n", out)
    assert.matches("\n  DB_PASSWORD%s+%(secret%)%s+%(secret%)\n", out)
    assert.matches("\n  LOG_LEVEL%s+debug%s+warn\n", out)
    assert.matches("\n  REGION%s+eu%-west%-1%s+eu%-west%-1\n", out)
    assert.is_nil(out:find("s3cr3t-example", 1, true))
    assert.matches("Cleaned up values%-%d+\n$", out)
  end)

  it("pipeline.lua runs a pipeline, approves its gate, and waits for it to succeed", function()
    local out = run_example("pipeline")
    local run = out:match("Started run (%S+): queued\n")
    assert.is_string(run, out)
    assert.matches("Run " .. escape(run) .. " is executing, waiting for approval\n"
      .. "Approved: Ship this release to production%? %(approved%)\n", out)
    assert.matches("\n  run succeeded\nRun " .. escape(run) .. " succeeded\n", out)
    assert.matches("Cleaned up pipeline%-%d+\n$", out)
  end)

  it("resource_definitions.lua creates, changes nothing the second time, then shows the diff", function()
    local out = run_example("resource_definitions")
    assert.matches("in org demo\n  created\nApplying the same definition again\n  no changes\n", out)
    assert.matches("\n  updated name, driver_inputs; 1 criteria added; 1 criteria removed\n", out)
    assert.matches('\n  %- name: "Database"\n  %+ name: "Primary database"\n', out)
    assert.matches('\n  %- driver_inputs: {[^\n]*"port":5432[^\n]*}\n  %+ driver_inputs: {[^\n]*"port":6432', out)
    assert.matches("\n  %- criteria: env_type=development class=lua%-example\n"
      .. "  %+ criteria: env_type=production class=lua%-example\n", out)
    assert.matches("Cleaned up example%-db%-%d+\n$", out)
  end)

  it("tools/run-example refuses a name that is not an example", function()
    local status, out = sh("tools/run-example 2>&1")
    assert.equals(2, status)
    assert.matches("usage: tools/run%-example NAME.*promote", out)
    status, out = sh("tools/run-example ../Makefile 2>&1")
    assert.equals(2, status)
    assert.matches("^usage: ", out)
    status, out = sh("tools/run-example nope 2>&1")
    assert.equals(2, status)
    assert.matches("no examples/nope%.lua", out)
  end)

  describe("when the API refuses", function()
    local server

    setup(function()
      server = helpers.start_server("bin/humanitec-sim", { "--port", "0", "--org", "demo", "--token", "right" })
    end)

    teardown(function()
      if server then server.stop() end
    end)

    for _, name in ipairs({ "promote", "values", "pipeline", "resource_definitions" }) do
      it(name .. ".lua exits 1 with one line on stderr", function()
        local err_path = os.tmpname()
        local status, out = sh(("env HUMANITEC_TOKEN=wrong HUMANITEC_ORG=demo HUMANITEC_API_PREFIX=%s "
          .. "HUMCTL_CONFIG=/dev/null LUA_PATH='./lua/?.lua;./lua/?/init.lua;;' LUA_CPATH='./build/lua5.4/?.so;;' "
          .. "lua5.4 examples/%s.lua 2>%s"):format(helpers.shell_quote(server.url), name, err_path))
        local f = assert(io.open(err_path))
        local err = f:read("*a")
        f:close()
        os.remove(err_path)
        assert.equals(1, status, out .. err)
        assert.matches("^" .. name .. "%.lua: [%w%s']+ failed: humanitec: %u+ /orgs/demo/[^\n]*: 401 [^\n]+\n$", err)
      end)
    end
  end)
end)

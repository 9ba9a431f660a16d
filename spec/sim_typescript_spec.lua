-- Fidelity: Humanitec's official TypeScript client (@humanitec/autogen, unchanged) drives a workflow against
-- bin/humanitec-sim over HTTP, then calls a wide range of operations (spec/support/ts/wide.mjs). tools/deps
-- installs it into build/npm.
local helpers = require "support.helpers"

local NPM = "build/npm"

local function exists(path)
  local f = io.open(path, "r")
  if f then f:close() end
  return f ~= nil
end

describe("the simulator with Humanitec's TypeScript client", function()
  it("lists orgs, creates an app and a delta, deploys, reads the deployment until it succeeds, and more", function()
    if not exists(NPM .. "/node_modules/@humanitec/autogen/package.json") then
      pending("@humanitec/autogen is not installed in build/npm: run tools/deps test")
      return
    end
    local token = "ts-token-" .. os.time()
    local sim = helpers.start_server("bin/humanitec-sim", { "--port", "0", "--org", "acme", "--token", token })
    -- ES modules resolve packages next to the script, so it runs from the install folder.
    assert(os.execute("cp spec/support/ts/workflow.mjs " .. NPM .. "/workflow.mjs"))
    local body, status = helpers.capture(("HUMANITEC_TOKEN=%s timeout 60 node %s/workflow.mjs %s acme")
      :format(helpers.shell_quote(token), NPM, helpers.shell_quote(sim.url)))
    -- Then a wide range of operations, on the app the workflow made.
    assert(os.execute("cp spec/support/ts/wide.mjs " .. NPM .. "/wide.mjs"))
    local wide_body, wide_status = helpers.capture(("HUMANITEC_TOKEN=%s timeout 120 node %s/wide.mjs %s acme")
      :format(helpers.shell_quote(token), NPM, helpers.shell_quote(sim.url)))
    sim.stop()
    assert.equals(0, status, body)
    assert.equals(0, wide_status, wide_body)
    local wide = assert(require("humanitec.json").decode(wide_body:match("([^\n]+)%s*$")))
    assert.same({}, wide.failed)
    assert.equals(30, #wide.ok)
    assert.equals("humanitec/default-module", wide.set_module_profile)
    assert.equals(1, wide.version_count)
    local seen = assert(require("humanitec.json").decode(body:match("([^\n]+)%s*$"))) -- its last line
    assert.same({ "acme" }, seen.orgs)
    assert.equals("ts-app", seen.app)
    assert.same({ "development" }, seen.envs)
    assert.matches("^%x+$", seen.delta)
    assert.matches("^%x+$", seen.deploy)
    assert.is_true(seen.created_at_valid)
    assert.same({ "pending", "in progress", "succeeded" }, seen.statuses)
  end)
end)

-- Fidelity: Humanitec's official TypeScript client (@humanitec/autogen, unchanged) drives a workflow against
-- bin/humanitec-sim over HTTP. tools/deps installs it into build/npm.
local helpers = require "support.helpers"

local NPM = "build/npm"

local function exists(path)
  local f = io.open(path, "r")
  if f then f:close() end
  return f ~= nil
end

describe("the simulator with Humanitec's TypeScript client", function()
  it("lists orgs, creates an app and a delta, deploys, and reads the deployment until it succeeds", function()
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
    sim.stop()
    assert.equals(0, status, body)
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

-- The examples run, end to end, against the simulator over HTTP, the way `make demo` runs them.
describe("examples", function()
  it("deploy.lua creates, deploys, promotes, reports and cleans up (make demo)", function()
    local body, status = require("support.helpers").capture("tools/demo")
    assert.equals(0, status, body)
    assert.matches("Simulator listening on http://127%.0%.0%.1:%d+", body)
    assert.matches("DB_PASSWORD%s+%(secret%)", body)
    assert.is_nil(body:find("s3cr3t-demo", 1, true)) -- a secret's value never comes back
    -- one line per status change, in order, for each environment
    assert.matches("development%s+pending\n%s+development%s+in progress\n%s+development%s+succeeded", body)
    assert.matches("production%s+pending\n%s+production%s+in progress\n%s+production%s+succeeded", body)
    assert.matches("development%s+development%s+succeeded %(%x+%)", body)
    assert.matches("production%s+production%s+succeeded %(%x+%)", body)
    assert.matches("Cleaned up demo%-%d+", body)
  end)
end)

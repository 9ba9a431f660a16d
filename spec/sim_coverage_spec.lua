-- How much of the API the simulator serves: every operation of the spec (humanitec.operations) is either
-- routed by the simulator or listed as unserved. The count is printed so progress is visible, and may only
-- go up: FLOOR is raised as operations are added.
local operations = require "humanitec.operations"
local sim_mod = require "humanitec.sim"

local FLOOR = 221

describe("humanitec.sim coverage", function()
  it("serves at least " .. FLOOR .. " of the spec's operations, and prints the count", function()
    local served, unserved = sim_mod.coverage()
    local total = 0
    for _ in pairs(operations.operations) do total = total + 1 end
    assert.equal(total, #served + #unserved)
    print(("\nsimulator: %d of %d operations served"):format(#served, total))
    if os.getenv("HUMANITEC_SIM_COVERAGE_VERBOSE") == "1" then
      for _, name in ipairs(unserved) do print("  unserved: " .. name) end
    end
    assert.is_true(#served >= FLOOR, ("%d served, fewer than the %d already reached"):format(#served, FLOOR))
  end)

  it("counts an operation only when the simulator routes its method and path", function()
    local served, unserved = sim_mod.coverage()
    local is_served = {}
    for _, name in ipairs(served) do is_served[name] = true end
    assert.is_true(is_served.list_applications)
    assert.is_true(is_served.get_environment_type) -- {envTypeId} in the spec, another name in the router
    for _, name in ipairs(unserved) do assert.is_nil(is_served[name]) end
  end)
end)

describe("humanitec.sim schema facts", function()
  it("are exactly what tools/gen-sim-schemas.lua makes from api/openapi.json now", function()
    local helpers = require "support.helpers"
    local dir = helpers.capture("mktemp -d"):match("^%s*(.-)%s*$")
    finally(function() os.execute("rm -rf " .. helpers.shell_quote(dir)) end)
    assert(os.execute("mkdir -p " .. helpers.shell_quote(dir .. "/lua/humanitec/sim")))
    local out, status = helpers.capture("lua5.4 tools/gen-sim-schemas.lua api/openapi.json "
      .. helpers.shell_quote(dir) .. " 2>&1")
    assert.equals(0, status, out)
    local made = helpers.read_file(dir .. "/lua/humanitec/sim/schemas.lua")
    assert.equals(helpers.read_file("lua/humanitec/sim/schemas.lua"), made, "run make generate")
  end)
end)

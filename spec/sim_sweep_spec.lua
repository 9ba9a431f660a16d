-- The sweep in process: every operation of the spec called against the simulator (parents created first),
-- each answer judged against the spec: a declared status, and a body valid for the declared schema. Prints
-- the served count and every violation; the count may only go up and the violations only down.
local sim_mod = require "humanitec.sim"
local cases_mod = require "support.contract.cases"
local sweep = require "support.sweep"

local SPEC = "api/openapi.json" -- the facts-only copy (make facts), relative to the repository root
local ORG = "sample-org"
local SERVED_FLOOR = 221
local VIOLATIONS_CEILING = 0

describe("humanitec.sim sweep (in process)", function()
  it("serves every operation with answers the spec allows", function()
    local document = cases_mod.load(SPEC)
    if not document then
      pending("the OpenAPI facts are not at " .. SPEC .. " (run the suite from the repository root)")
      return
    end
    local sim = sim_mod.new { orgs = { ORG }, tokens = { tok = { ORG } } }
    local recorder = sweep.recorder(sim:transport())
    local client = sweep.client(recorder, "http://sim.invalid", ORG, "tok")
    local result = sweep.run(client, recorder, document, ORG, function(s) sim:advance(s) end)
    local lines = { ("sweep: %d of %d operations served, %d answered as the spec says, %d violations"):format(
      #result.served, result.total, #result.ok, #result.violations) }
    for _, v in ipairs(result.violations) do lines[#lines + 1] = "  violation: " .. v end
    if os.getenv("HUMANITEC_SIM_COVERAGE_VERBOSE") == "1" then
      for _, n in ipairs(result.unserved) do lines[#lines + 1] = "  unserved: " .. n end
    end
    print("\n" .. table.concat(lines, "\n"))
    assert.is_true(#result.served >= SERVED_FLOOR)
    assert.is_true(#result.violations <= VIOLATIONS_CEILING)
  end)
end)

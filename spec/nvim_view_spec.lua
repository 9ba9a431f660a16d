-- The text of the Neovim plugin's buffers, from API answers: no editor needed. Secrets never shown, JSON null
-- taken as absent, and text from the server unable to break a line or to take long.
local view = require "humanitec.nvim.view"
local json = require "humanitec.json"

local where = { org = "acme", app = "web", env = "dev" }

describe("Neovim plugin views", function()
  it("shows an environment with its last deployment, modules and values, secrets masked", function()
    local env = json.decode([[{"id":"dev","name":"Dev","type":"development","last_deploy":{"id":"d1",
      "status":"succeeded","created_at":"2024-01-01T00:00:00Z","created_by":"u1","comment":"ship\nit",
      "set_id":"s1"}}]])
    local set = json.decode([[{"modules":{"worker":{"profile":"p"},"api":{"spec":{"containers":
      {"main":{"image":"img:1"},"side":{"image":"img:2"}}}}}}]])
    local values = json.decode([[[{"key":"B","value":"","is_secret":true},{"key":"A","value":"x","is_secret":false},
      {"key":"C","value":"also-secret","is_secret":true}]
    ]])
    assert.same({
      "Environment dev (app web, org acme)",
      "Name: Dev",
      "Type: development",
      "",
      "Last deployment: d1",
      "  Status: succeeded",
      "  Created: 2024-01-01T00:00:00Z by u1",
      "  Comment: ship",
      "",
      "Modules (2)",
      "  api",
      "    container main: img:1",
      "    container side: img:2",
      "  worker",
      "    profile: p",
      "",
      "Values (3)",
      "  A = x",
      "  B = ******** (secret)",
      "  C = ******** (secret)",
    }, view.environment(where, env, set, values))
  end)

  it("takes JSON null and missing parts as absent", function()
    local env = json.decode('{"id":"dev","name":null,"type":"development","last_deploy":null}')
    local lines = view.environment(where, env, nil, nil)
    assert.equals("Name: ", lines[2])
    assert.equals("Last deployment: none", lines[5])
    assert.equals("Modules (0)", lines[7])
    assert.equals("Values (0)", lines[9])
  end)

  it("lists deployments with the id of each line, and shows one with its errors", function()
    local list = json.decode([[[{"id":"d2","status":"failed","created_at":"t2","comment":"two"},
      {"id":"d1","status":"succeeded","created_at":"t1","comment":null}]
    ]])
    local lines, ids = view.deployments(where, list)
    assert.equals("d2  failed       t2  two", lines[2])
    assert.equals("d1  succeeded    t1  ", lines[3])
    assert.same({ [2] = "d2", [3] = "d1" }, ids)
    local none = view.deployments(where, json.decode("[]"))
    assert.equals("(none)", none[2])

    local d = json.decode('{"id":"d2","status":"failed","created_at":"t2","created_by":"u","delta_id":"x"}')
    local errs = json.decode('[{"scope":"workload","object_id":"api","summary":"boom","code":"E1","message":"m"}]')
    assert.same({
      "Deployment d2 of web/dev (org acme)", "Status: failed", "Created: t2 by u", "Delta: x", "",
      "Errors (1)", "  workload api: boom [E1]", "    m",
    }, view.deployment(where, d, errs))
  end)

  it("keeps server text on one bounded line, in linear time", function()
    local hostile = ("\n\r\0\27["):rep(200000) -- 1 MB of control characters
    local started = os.clock()
    local lines = view.deployment(where, { id = hostile, status = ("x"):rep(1000000) }, { { summary = hostile } })
    assert.is_true(os.clock() - started < 2, "rendering took too long")
    for _, line in ipairs(lines) do
      assert.is_nil(line:find("[%c]"), "a control character reached a line")
      assert.is_true(#line < 5000, "a line of " .. #line .. " bytes")
    end
    assert.matches("^Deployment \\n\\013\\000\\027%[", lines[1])
  end)
end)

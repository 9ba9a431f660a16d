-- The runtime stand-in: made from the last deployment, paused and scaled through the API, steered by tests.
local H = require "support.sim_helper"

local ENV = "/orgs/acme/apps/web/envs/development"

for mode in H.modes() do
  describe(mode.name, function()
    setup(mode.start)
    teardown(mode.stop)

    describe("humanitec.sim runtime", function()
      local sim, api
      before_each(function()
        sim, api = mode.new({ deploy_seconds = 2 })
        H.app(api, "web")
        local delta = H.delta(api, "web", { api = { profile = "humanitec/default-module",
          spec = { containers = { main = { id = "main", image = "r/api:1" } } } } })
        api.post(ENV .. "/deploys", { delta_id = delta, comment = "x" })
      end)

      it("reports modules Starting while deploying, then Running, in both response versions", function()
        local _, rt = api.get(ENV .. "/runtime")
        assert.equal("Starting", rt.modules.api.api.status)
        sim:advance(3)
        _, rt = api.get(ENV .. "/runtime")
        assert.equal("acme-web-development", rt.namespace)
        assert.same({ "Running", 1 }, { rt.modules.api.api.status, rt.modules.api.api.replicas })
        local status, v2, headers = api.get(ENV .. "/runtime", nil, { headers = { accept = "application/v2+json" } })
        assert.equal(200, status)
        assert.equal("application/v2+json", H.header(headers, "content-type"))
        assert.same({ "Running", "Success" }, { v2.modules.api.status, v2.modules.api.status_class })
        assert.equal(1, v2.modules.api.controllers.api.replicas)
      end)

      it("pauses and scales, and lists each environment's state", function()
        sim:advance(3)
        assert.equal(204, (api.patch(ENV .. "/runtime/replicas", { api = 3 })))
        local _, rt = api.get(ENV .. "/runtime")
        assert.equal(3, #rt.modules.api.api.pods)
        assert.equal(204, (api.put(ENV .. "/runtime/paused", "true")))
        local _, list = api.get("/orgs/acme/apps/web/runtime")
        assert.same({ "development", true, "Stopped" }, { list[1].id, list[1].paused, list[1].status })
        assert.equal(400, (api.put(ENV .. "/runtime/paused", '"yes"')))
        assert.equal(400, (api.patch(ENV .. "/runtime/replicas", { api = -1 })))
      end)

      it("lets a test steer the status, and serves a log line per container", function()
        sim:advance(3)
        sim:set_runtime { app = "web", env = "development", status = "Failed" }
        local _, rt = api.get(ENV .. "/runtime")
        assert.equal("Failed", rt.modules.api.api.status)
        sim:set_runtime { app = "web", env = "development" }
        _, rt = api.get(ENV .. "/runtime")
        assert.equal("Running", rt.modules.api.api.status)
        assert.has_error(function() sim:set_runtime { app = "web", env = "development", status = "Dancing" } end)
        local _, logs = api.get(ENV .. "/logs?workload_id=api")
        assert.same({ "api", "main", "INFO" }, { logs[1].workload_id, logs[1].container_id, logs[1].level })
      end)
    end)
  end)
end

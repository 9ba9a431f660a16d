-- Organizations, environment types, applications and environments.
local H = require "support.sim_helper"
local _ -- placeholder for unused results

for mode in H.modes() do
  describe(mode.name, function()
    setup(mode.start)
    teardown(mode.stop)

    describe("humanitec.sim organizations and environment types", function()
      local api
      before_each(function() _, api = mode.new() end)

      it("gets an organization", function()
        local status, org = api.get("/orgs/acme")
        assert.equal(200, status)
        assert.equal("acme", org.id)
        assert.is_string(org.created_at)
      end)

      it("has development and production environment types by default", function()
        local status, list = api.get("/orgs/acme/env-types")
        assert.equal(200, status)
        assert.same({ "development", "production" }, { list[1].id, list[2].id })
        assert.equal(200, (api.get("/orgs/acme/env-types/production")))
      end)

      it("creates, gets, patches and deletes an environment type", function()
        local status, t = api.post("/orgs/acme/env-types", { id = "staging", description = "Staging" })
        assert.equal(201, status)
        assert.same({ id = "staging", description = "Staging" }, t)
        local _, got = api.get("/orgs/acme/env-types/staging")
        assert.equal("Staging", got.description)
        local _, patched = api.patch("/orgs/acme/env-types/staging", { description = "QA" })
        assert.equal("QA", patched.description)
        -- A known deviation (README): the spec gives this 204 a JSON body, HTTP gives a 204 none.
        local status_d, _, _, raw = api.delete("/orgs/acme/env-types/staging")
        assert.same({ 204, "" }, { status_d, raw })
        assert.equal(404, (api.get("/orgs/acme/env-types/staging")))
      end)

      it("rejects duplicate, invalid and missing environment type ids", function()
        assert.equal(409, (api.post("/orgs/acme/env-types", { id = "development" })))
        assert.equal(400, (api.post("/orgs/acme/env-types", { id = "Bad Id" })))
        assert.equal(400, (api.post("/orgs/acme/env-types", { description = "no id" })))
        assert.equal(404, (api.get("/orgs/acme/env-types/nope")))
      end)

      it("refuses to delete an environment type in use, listing the environments that use it", function()
        H.app(api, "web")
        H.app(api, "api")
        assert.equal(201, (api.post("/orgs/acme/apps/web/envs", { id = "qa", name = "QA", type = "development" })))
        local status, body, _, raw = api.delete("/orgs/acme/env-types/development")
        assert.equal(409, status)
        -- the spec's body: an array of {app_id, env_id}
        assert.equal("[", raw:sub(1, 1))
        assert.same({
          { app_id = "api", env_id = "development" },
          { app_id = "web", env_id = "development" },
          { app_id = "web", env_id = "qa" },
        }, body)
        assert.equal(200, (api.get("/orgs/acme/env-types/development")))
      end)
    end)

    describe("humanitec.sim applications", function()
      local api
      before_each(function() _, api = mode.new() end)

      it("creates an application with a development environment", function()
        local status, app = api.post("/orgs/acme/apps", { id = "web", name = "Web" })
        assert.equal(201, status)
        assert.equal("web", app.id)
        assert.equal("acme", app.org_id)
        assert.equal("active", app.status)
        assert.same({ { id = "development", name = "Development", type = "development" } }, app.envs)
        local _, env = api.get("/orgs/acme/apps/web/envs/development")
        assert.equal("development", env.type)
      end)

      it("creates the first environment from the env field", function()
        local _, app = api.post("/orgs/acme/apps",
          { id = "web", name = "Web", env = { id = "prod", name = "Prod", type = "production" } })
        assert.equal("prod", app.envs[1].id)
        assert.equal(400, (api.post("/orgs/acme/apps",
          { id = "web2", name = "W", env = { id = "x1", name = "X", type = "no-such-type" } })))
      end)

      it("skips the environment with skip_environment_creation", function()
        local _, app = api.post("/orgs/acme/apps", { id = "web", name = "Web", skip_environment_creation = true })
        assert.same({}, app.envs)
        local _, _, _, raw = api.get("/orgs/acme/apps/web/envs")
        assert.equal("[]", raw)
      end)

      it("lists, gets and patches applications", function()
        H.app(api, "one")
        H.app(api, "two")
        local _, list = api.get("/orgs/acme/apps")
        assert.same({ "one", "two" }, { list[1].id, list[2].id })
        local status, patched = api.patch("/orgs/acme/apps/two", { name = "Second" })
        assert.equal(200, status)
        assert.equal("Second", patched.name)
        local _, got = api.get("/orgs/acme/apps/two")
        assert.equal("Second", got.name)
      end)

      it("validates patches: name required, no other fields", function()
        H.app(api, "web")
        assert.equal(400, (api.patch("/orgs/acme/apps/web", {})))
        assert.equal(400, (api.patch("/orgs/acme/apps/web", { name = "x", id = "other" })))
        assert.equal(404, (api.patch("/orgs/acme/apps/nope", { name = "x" })))
      end)

      it("rejects duplicates, bad ids and missing fields", function()
        H.app(api, "web")
        local status, body = api.post("/orgs/acme/apps", { id = "web", name = "Again" })
        assert.equal(409, status)
        assert.equal("API-006", body.error)
        assert.equal(400, (api.post("/orgs/acme/apps", { id = "Web!", name = "x" })))
        assert.equal(400, (api.post("/orgs/acme/apps", { id = "web3" })))
        assert.equal(400, (api.post("/orgs/acme/apps", { id = 7, name = "x" })))
        assert.equal(400, (api.post("/orgs/acme/apps", { id = string.rep("a", 51), name = "x" })))
      end)

      it("deletes with 202, after which the application is gone", function()
        H.app(api, "web")
        assert.equal(202, (api.delete("/orgs/acme/apps/web")))
        assert.equal(404, (api.get("/orgs/acme/apps/web")))
        assert.equal(404, (api.delete("/orgs/acme/apps/web")))
        assert.equal(201, (api.post("/orgs/acme/apps", { id = "web", name = "Back" })))
      end)
    end)

    describe("humanitec.sim environments", function()
      local sim, api
      before_each(function()
        sim, api = mode.new()
        H.app(api, "web")
      end)

      it("creates, lists, gets and patches environments", function()
        local status, env = api.post("/orgs/acme/apps/web/envs", { id = "prod", name = "Prod", type = "production" })
        assert.equal(201, status)
        assert.equal("production", env.type)
        local _, list = api.get("/orgs/acme/apps/web/envs")
        assert.same({ "development", "prod" }, { list[1].id, list[2].id })
        local _, patched = api.patch("/orgs/acme/apps/web/envs/prod", { name = "Production" })
        assert.equal("Production", patched.name)
        local _, app = api.get("/orgs/acme/apps/web")
        assert.equal(2, #app.envs)
      end)

      it("defaults the type to development", function()
        local _, env = api.post("/orgs/acme/apps/web/envs", { id = "qa", name = "QA" })
        assert.equal("development", env.type)
      end)

      it("rejects duplicates, unknown types, bad ids and unknown apps", function()
        assert.equal(409, (api.post("/orgs/acme/apps/web/envs", { id = "development", name = "D" })))
        assert.equal(400, (api.post("/orgs/acme/apps/web/envs", { id = "qa", name = "QA", type = "nope" })))
        assert.equal(400, (api.post("/orgs/acme/apps/web/envs", { id = "QA", name = "QA" })))
        assert.equal(400, (api.post("/orgs/acme/apps/web/envs", { id = "qa" })))
        assert.equal(404, (api.post("/orgs/acme/apps/nope/envs", { id = "qa", name = "QA" })))
        assert.equal(404, (api.get("/orgs/acme/apps/web/envs/nope")))
      end)

      it("deletes an environment but never the last one", function()
        api.post("/orgs/acme/apps/web/envs", { id = "qa", name = "QA" })
        assert.equal(204, (api.delete("/orgs/acme/apps/web/envs/qa")))
        assert.equal(404, (api.get("/orgs/acme/apps/web/envs/qa")))
        local status, body = api.delete("/orgs/acme/apps/web/envs/development")
        assert.equal(400, status)
        assert.matches("last environment", body.message)
      end)

      describe("with a deployment", function()
        local deploy
        before_each(function()
          local delta = H.delta(api, "web", { api = { profile = "p", spec = {} } })
          _, deploy = api.post("/orgs/acme/apps/web/envs/development/deploys", { delta_id = delta })
          sim:advance(5)
        end)

        it("creates an environment from a deployment with from_deploy_id", function()
          local status, env = api.post("/orgs/acme/apps/web/envs",
            { id = "qa", name = "QA", from_deploy_id = deploy.id })
          assert.equal(201, status)
          assert.equal(deploy.id, env.from_deploy.id)
          assert.equal(400, (api.post("/orgs/acme/apps/web/envs", { id = "qa2", name = "QA", from_deploy_id = "nope" })))
        end)

        it("rebases an environment with PUT from_deploy_id", function()
          api.post("/orgs/acme/apps/web/envs", { id = "qa", name = "QA" })
          local status = api.put("/orgs/acme/apps/web/envs/qa/from_deploy_id", '"' .. deploy.id .. '"')
          assert.equal(204, status)
          local _, env = api.get("/orgs/acme/apps/web/envs/qa")
          assert.equal(deploy.id, env.from_deploy.id)
          -- the next deployment in qa builds on the rebased set
          local _, next_deploy = api.post("/orgs/acme/apps/web/envs/qa/deploys",
            { delta_id = H.delta(api, "web", { worker = { profile = "p" } }) })
          assert.equal(deploy.id, next_deploy.from_id)
          local _, set = api.get("/orgs/acme/apps/web/sets/" .. next_deploy.set_id)
          assert.is_table(set.modules.api)
          assert.is_table(set.modules.worker)
        end)

        it("rejects a rebase onto an unknown deployment or a body that is not a string", function()
          assert.equal(400, (api.put("/orgs/acme/apps/web/envs/development/from_deploy_id", '"nope"')))
          assert.equal(400, (api.put("/orgs/acme/apps/web/envs/development/from_deploy_id", "{}")))
          assert.equal(400, (api.put("/orgs/acme/apps/web/envs/development/from_deploy_id", "nope")))
          assert.equal(404, (api.put("/orgs/acme/apps/web/envs/nope/from_deploy_id", '"' .. deploy.id .. '"')))
        end)
      end)
    end)
  end)
end

-- Resource definitions, matching criteria, active resources and the spec's 409 cases.
local H = require "support.sim_helper"
local _ -- placeholder for unused results

local DEFS = "/orgs/acme/resources/defs"

local function def(id, criteria, extra)
  local body = { id = id, name = id, type = "postgres", driver_type = "humanitec/echo", criteria = criteria }
  for k, v in pairs(extra or {}) do body[k] = v end
  return body
end

for mode in H.modes() do
  describe(mode.name, function()
    setup(mode.start)
    teardown(mode.stop)

    describe("humanitec.sim resource definitions", function()
      local sim, api
      before_each(function() sim, api = mode.new({ deploy_seconds = 1 }) end)

      it("creates, gets, lists, patches and replaces a definition", function()
        local status, d = api.post(DEFS, def("pg-dev", { { env_type = "development" } },
          { driver_inputs = { values = { host = "h" }, secrets = { password = "s3cret" } } }))
        assert.equal(200, status)
        assert.same({ "pg-dev", "postgres", "acme", false }, { d.id, d.type, d.org_id, d.is_deleted })
        assert.equal("development", d.criteria[1].env_type)
        assert.equal("default", d.criteria[1].class)
        assert.is_string(d.criteria[1].id)
        assert.equal("h", d.driver_inputs.values.host)
        local _, _, _, raw = api.get(DEFS .. "/pg-dev")
        assert.is_nil(raw:find("s3cret", 1, true))
        local _, list = api.get(DEFS)
        assert.equal(1, #list)
        local _, patched = api.patch(DEFS .. "/pg-dev", { name = "Dev DB" })
        assert.equal("Dev DB", patched.name)
        assert.are_not.equal(d.active_version_id, patched.active_version_id)
        local _, put = api.put(DEFS .. "/pg-dev", { name = "Replaced", driver_type = "humanitec/other" })
        assert.same({ "Replaced", "humanitec/other" }, { put.name, put.driver_type })
        assert.equal(400, (api.put(DEFS .. "/pg-dev", { driver_type = "x" })))
      end)

      it("filters the list by type and criteria", function()
        api.post(DEFS, def("pg-dev", { { env_type = "development" } }))
        api.post(DEFS, def("pg-web", { { app_id = "web" } }))
        api.post(DEFS, { id = "dns-all", name = "d", type = "dns", driver_type = "x", criteria = { {} } })
        local _, pg = api.get(DEFS .. "?res_type=postgres")
        assert.equal(2, #pg)
        local _, prod = api.get(DEFS .. "?env_type=production&res_type=postgres")
        assert.same({ "pg-web" }, { prod[1].id, prod[2] })
      end)

      it("validates the request", function()
        assert.equal(400, (api.post(DEFS, def("PG", {}))))
        assert.equal(400, (api.post(DEFS, { id = "pg-dev", name = "n", type = "postgres" })))
        assert.equal(400, (api.post(DEFS, def("pg-dev", { "not an object" }))))
        assert.equal(404, (api.get(DEFS .. "/nope")))
        assert.equal(404, (api.patch(DEFS .. "/nope", { name = "x" })))
      end)

      describe("409 cases", function()
        it("rejects a definition id that exists", function()
          api.post(DEFS, def("pg-dev", {}))
          local status, body = api.post(DEFS, def("pg-dev", {}))
          assert.equal(409, status)
          assert.equal("API-006", body.error)
        end)

        it("rejects criteria that another definition of the type already uses, or twice in one list", function()
          api.post(DEFS, def("pg-dev", { { env_type = "development" } }))
          assert.equal(409, (api.post(DEFS, def("pg-two", { { env_type = "development" } }))))
          api.post(DEFS, def("pg-two", {}))
          assert.equal(409, (api.post(DEFS .. "/pg-two/criteria", { env_type = "development" })))
          assert.equal(409, (api.put(DEFS .. "/pg-two/criteria", { { app_id = "a1" }, { app_id = "a1" } })))
          -- another class is another criterion
          assert.equal(200, (api.post(DEFS .. "/pg-two/criteria", { env_type = "development", class = "large" })))
          -- another type does not conflict
          assert.equal(200, (api.post(DEFS, { id = "dns-dev", name = "d", type = "dns", driver_type = "x",
            criteria = { { env_type = "development" } } })))
        end)

        describe("with active resources", function()
          local deploy
          before_each(function()
            H.app(api, "web")
            api.post(DEFS, def("pg-generic", { {} }))
            api.post(DEFS, def("pg-dev", { { env_type = "development" } }))
            local delta = H.delta(api, "web", { api = { profile = "p", externals = { db = { type = "postgres" } } } })
            _, deploy = api.post("/orgs/acme/apps/web/envs/development/deploys", { delta_id = delta })
            sim:advance(1)
          end)

          it("provisions through the most specific matching definition", function()
            local _, active = api.get(DEFS .. "/pg-dev/resources")
            assert.equal(1, #active)
            assert.same({ "web", "development", "modules.api.externals.db", deploy.id },
              { active[1].app_id, active[1].env_id, active[1].res_id, active[1].deploy_id })
            local _, _, _, none = api.get(DEFS .. "/pg-generic/resources")
            assert.equal("[]", none)
            assert.is_false(active[1].scheduled_deletion) -- a boolean, as the spec requires
            local _, in_env = api.get("/orgs/acme/apps/web/envs/development/resources")
            assert.equal("pg-dev", in_env[1].def_id)
          end)

          it("refuses to delete a definition in use, listing the changes, unless forced", function()
            local status, changes = api.delete(DEFS .. "/pg-dev")
            assert.equal(409, status)
            assert.same({ { app_id = "web", env_id = "development", res_id = "modules.api.externals.db",
              from_def = "pg-dev", to_def = "pg-generic" } }, changes)
            assert.equal(204, (api.delete(DEFS .. "/pg-dev?force=true")))
            assert.equal(404, (api.get(DEFS .. "/pg-dev")))
            local _, deleted = api.get(DEFS .. "/pg-dev?deleted=true")
            assert.is_true(deleted.is_deleted)
            local _, list = api.get(DEFS .. "?deleted=true")
            assert.equal(2, #list)
          end)

          it("refuses to delete a criterion that would move a resource, unless forced", function()
            local _, d = api.get(DEFS .. "/pg-dev")
            local cid = d.criteria[1].id
            local status, changes = api.delete(DEFS .. "/pg-dev/criteria/" .. cid)
            assert.equal(409, status)
            assert.equal("pg-generic", changes[1].to_def)
            assert.equal(204, (api.delete(DEFS .. "/pg-dev/criteria/" .. cid .. "?force=true")))
            local _, after = api.get(DEFS .. "/pg-dev")
            assert.same({}, after.criteria)
            assert.equal(404, (api.delete(DEFS .. "/pg-dev/criteria/" .. cid)))
          end)

          it("deletes an unused definition and criterion at once", function()
            local _, generic = api.get(DEFS .. "/pg-generic")
            assert.equal(204, (api.delete(DEFS .. "/pg-generic/criteria/" .. generic.criteria[1].id)))
            assert.equal(204, (api.delete(DEFS .. "/pg-generic")))
          end)

          it("forgets an environment's resources when the environment or application goes", function()
            api.post("/orgs/acme/apps/web/envs", { id = "qa", name = "QA" })
            api.delete("/orgs/acme/apps/web/envs/development")
            assert.equal(204, (api.delete(DEFS .. "/pg-dev")))
          end)
        end)
      end)

      it("replaces criteria with PUT, keeping the ids of unchanged ones", function()
        local _, d = api.post(DEFS, def("pg-dev", { { env_type = "development" } }))
        local status, list = api.put(DEFS .. "/pg-dev/criteria", { { env_type = "development" }, { app_id = "web" } })
        assert.equal(200, status)
        assert.equal(d.criteria[1].id, list[1].id)
        assert.equal("web", list[2].app_id)
        assert.equal(404, (api.put(DEFS .. "/nope/criteria", {})))
        assert.equal(404, (api.post(DEFS .. "/nope/criteria", {})))
      end)
    end)
  end)
end

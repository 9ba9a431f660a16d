-- Invitations, groups, permissions, the audit log, the current user's profile, public keys, and the
-- behaviour beside the plain collections (registry credentials, classes, profile versions, trigger runs).
local H = require "support.sim_helper"

local PIPELINE = [[
name: Release
on:
  deployment_request: {}
jobs:
  main:
    steps:
      - uses: actions/echo
]]

for mode in H.modes() do
  describe(mode.name, function()
    setup(mode.start)
    teardown(mode.stop)

    describe("humanitec.sim access", function()
      local api
      before_each(function()
        local _
        _, api = mode.new()
      end)

      it("invites a member at once and lists the invitation; refuses a second one", function()
        local status, roles = api.post("/orgs/acme/invitations", { email = "ann@example.com", role = "member" })
        assert.equal(200, status)
        assert.same({ "ann@example.com", "member" }, { roles[1].email, roles[1].role })
        local _, invites = api.get("/orgs/acme/invitations")
        assert.same({ roles[1].id, "ann@example.com" }, { invites[1].user_id, invites[1].email })
        local _, member = api.get("/orgs/acme/users/" .. roles[1].id)
        assert.equal("member", member.role)
        assert.equal(409, (api.post("/orgs/acme/invitations", { email = "ann@example.com", role = "member" })))
        local _, perms = api.get("/orgs/acme/users/" .. roles[1].id .. "/perms")
        assert.same({ "app.create", "app.view" }, perms.objects["/orgs/acme"].permissions)
      end)

      it("creates groups, which have no members without an identity provider", function()
        local status, g = api.post("/orgs/acme/groups", { group_id = "devs", idp_id = "okta", role = "member" })
        assert.equal(200, status)
        assert.matches("^g%-", g.id)
        local _, _, _, raw = api.get("/orgs/acme/groups/" .. g.id .. "/users")
        assert.equal("[]", raw)
        assert.equal(404, (api.get("/orgs/acme/groups/g-none/users")))
      end)

      it("records every change in the audit log, and updates the current user's profile", function()
        H.app(api, "web")
        local status, me = api.patch("/current-user", { name = "Ann", properties = { theme = "dark" } })
        assert.equal(200, status)
        assert.same({ "Ann", "dark" }, { me.name, me.properties.theme })
        local _, log = api.get("/orgs/acme/audit-logs")
        assert.same({ "POST", "/orgs/acme/apps", 201 }, { log[1].request_method, log[1].request_path,
          log[1].response_status })
      end)

      it("keeps public keys, registry credentials, classes and workload profile versions", function()
        local status, key = api.post("/orgs/acme/keys", '"-----BEGIN PUBLIC KEY-----\\nx\\n-----END PUBLIC KEY-----"')
        assert.equal(200, status)
        assert.matches("BEGIN PUBLIC KEY", key.key)
        assert.equal(204, (api.delete("/orgs/acme/keys/" .. key.id)))
        assert.equal(400, (api.post("/orgs/acme/keys", "{}")))
        api.post("/orgs/acme/registries", { id = "reg-1", registry = "r.example.com", type = "basic",
          creds = { username = "u", password = "p" } })
        local _, creds = api.get("/orgs/acme/registries/reg-1/creds")
        assert.same({ "r.example.com", "u" }, { creds.registry, creds.username })
        api.post("/orgs/acme/resources/types/postgres/classes", { id = "small", description = "S" })
        local _, classes = api.get("/orgs/acme/resources/classes")
        assert.same({ "small", "postgres" }, { classes[1].id, classes[1].resource_type })
        api.post("/orgs/acme/workload-profiles", { id = "wp", spec_definition = {}, version = "1.0.0",
          workload_profile_chart = { id = "c", version = "1" } })
        api.put("/orgs/acme/workload-profiles/wp", { spec_definition = {}, version = "1.1.0",
          workload_profile_chart = { id = "c", version = "2" } })
        local _, versions = api.get("/orgs/acme/workload-profiles/wp/versions")
        assert.same({ "1.1.0", "1.0.0" }, { versions[1].version, versions[2].version })
        local _, latest = api.get("/orgs/acme/workload-profiles/wp/versions/latest")
        assert.equal("1.1.0", latest.version)
      end)

      it("starts the pipeline whose criteria a deployment request fits, and answers 204 when none does", function()
        H.app(api, "web")
        local _, p = api.post("/orgs/acme/apps/web/pipelines", PIPELINE,
          { headers = { ["content-type"] = "application/x-yaml" } })
        assert.equal(204, (api.post("/orgs/acme/apps/web/pipeline-runs", { trigger = "deployment_request",
          env_id = "development" })))
        local status, c = api.post("/orgs/acme/apps/web/pipelines/" .. p.id .. "/criteria",
          { trigger = "deployment_request", env_type = "development" })
        assert.equal(201, status)
        local _, listed = api.get("/orgs/acme/apps/web/pipeline-criteria")
        assert.same({ c.id, "Release" }, { listed[1].id, listed[1].pipeline_name })
        local s2, run = api.post("/orgs/acme/apps/web/pipeline-runs", { trigger = "deployment_request",
          env_id = "development", delta_id = "abc" })
        assert.equal(201, s2)
        assert.equal(p.id, run.pipeline_id)
      end)
    end)
  end)
end

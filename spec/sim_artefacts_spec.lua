-- Artefact versions, convertScoreToSet, resource definition versions, graphs, set inputs, and pinning or
-- deleting active resources.
local H = require "support.sim_helper"

local SCORE = {
  apiVersion = "score.dev/v1b1",
  metadata = { name = "web" },
  containers = {
    main = {
      image = ".",
      variables = { DB_HOST = "${resources.db.host}", NAME = "${metadata.name}", LOG = "${resources.env.LOG}",
        CACHE = "${resources.cache.url}" },
      files = { { target = "/etc/app.conf", mode = "0644", content = "db=${resources.db.name}" } },
    },
  },
  service = { ports = { www = { port = 80, targetPort = 8080 } } },
  resources = {
    db = { type = "postgres" },
    env = { type = "environment" },
    cache = { type = "redis", metadata = { annotations = { ["score.humanitec.io/resId"] = "shared.cache" } } },
  },
}

for mode in H.modes() do
  describe(mode.name, function()
    setup(mode.start)
    teardown(mode.stop)

    describe("humanitec.sim artefacts and Score", function()
      local api
      before_each(function()
        local _
        _, api = mode.new()
      end)

      it("converts a Score workload into set content (convertScoreToSet)", function()
        local status, set = api.post("/orgs/acme/artefact-versions/convert-score",
          { spec = SCORE, image = "registry.example.com/web:2", extensions = { apiVersion = "humanitec.org/v1b1",
            profile = "humanitec/default-module", spec = { labels = { team = "a" } } } })
        assert.equal(200, status)
        local web = set.modules.web
        assert.equal("humanitec/default-module", web.profile)
        local main = web.spec.containers.main
        assert.same({ "main", "registry.example.com/web:2" }, { main.id, main.image })
        assert.same({ DB_HOST = "${externals.db.host}", NAME = "web", LOG = "${values.LOG}",
          CACHE = "${shared.cache.url}" }, main.variables)
        assert.same({ mode = "0644", value = "db=${externals.db.name}" }, main.files["/etc/app.conf"])
        assert.same({ protocol = "TCP", service_port = 80, container_port = 8080 }, web.spec.service.ports.www)
        assert.same({ team = "a" }, web.spec.labels)
        assert.same({ db = { type = "postgres", class = "default" } }, web.externals)
        assert.same({ cache = { type = "redis", class = "default" } }, set.shared)
      end)

      it("refuses a Score workload whose placeholders name nothing, or that has no image", function()
        local bad = { apiVersion = "score.dev/v1b1", metadata = { name = "w1" }, containers = { c1 = { image = "x",
          variables = { A = "${resources.ghost.host}" } } } }
        local status, body = api.post("/orgs/acme/artefact-versions/convert-score", { spec = bad })
        assert.equal(400, status)
        assert.matches("ghost", body.message)
        assert.equal(400, (api.post("/orgs/acme/artefact-versions/convert-score",
          { spec = { apiVersion = "score.dev/v1b1", metadata = { name = "w1" }, containers = { c1 = { image = "." } } } })))
      end)

      it("registers workload versions with their set, and container versions, under artefacts", function()
        local status, v = api.post("/orgs/acme/artefact-versions",
          { type = "workload", name = "web", version = "1", spec = SCORE, image = "r/web:1" })
        assert.equal(200, status)
        local _, set = api.get("/orgs/acme/artefact-versions/" .. v.id .. "/workload-deployment-set")
        assert.equal("r/web:1", set.modules.web.spec.containers.main.image)
        local _, spec = api.get("/orgs/acme/artefact-versions/" .. v.id .. "/workload-spec")
        assert.equal("web", spec.metadata.name)
        api.post("/orgs/acme/artefact-versions", { type = "container", name = "r/web", commit = "abcdef1",
          ref = "refs/heads/main", digest = "sha256:00" })
        local _, artefacts = api.get("/orgs/acme/artefacts")
        assert.same({ "web", "r/web" }, { artefacts[1].name, artefacts[2].name })
        local _, containers = api.get("/orgs/acme/artefact-versions?type=container")
        assert.equal(1, #containers)
        local _, patched = api.patch("/orgs/acme/artefacts/" .. v.artefact_id .. "/versions/" .. v.id,
          { archived = true })
        assert.is_true(patched.archived)
        assert.equal(204, (api.delete("/orgs/acme/artefacts/" .. v.artefact_id)))
        assert.equal(404, (api.get("/orgs/acme/artefact-versions/" .. v.id)))
        assert.equal(204, (api.post("/orgs/acme/artefact-versions?dry_run=true", { type = "container", name = "x" })))
      end)
    end)

    describe("humanitec.sim resource versions, graphs and active resources", function()
      local sim, api
      local DEFS = "/orgs/acme/resources/defs"
      local ENV = "/orgs/acme/apps/web/envs/development"
      before_each(function()
        sim, api = mode.new({ deploy_seconds = 1 })
        H.app(api, "web")
        api.post(DEFS, { id = "pg-db", name = "PG", type = "postgres", driver_type = "humanitec/echo",
          criteria = { { app_id = "web" } } })
      end)

      it("keeps a version per change; promotes and archives versions", function()
        local _, first = api.get(DEFS .. "/pg-db")
        local _, changed = api.patch(DEFS .. "/pg-db", { name = "PG 2" })
        local _, versions = api.get(DEFS .. "/pg-db/versions")
        assert.equal(2, #versions)
        assert.same({ changed.active_version_id, true }, { versions[1].id, versions[1].active })
        assert.equal(400, (api.post(DEFS .. "/pg-db/versions/" .. changed.active_version_id .. "/actions/archive", {})))
        assert.equal(204, (api.post(DEFS .. "/pg-db/versions/" .. first.active_version_id .. "/actions/promote")))
        local _, back = api.get(DEFS .. "/pg-db")
        assert.same({ "PG", first.active_version_id }, { back.name, back.active_version_id })
        assert.equal(204, (api.post(DEFS .. "/pg-db/versions/" .. changed.active_version_id .. "/actions/archive",
          { archived = true })))
        local _, one = api.get(DEFS .. "/pg-db/versions/" .. changed.active_version_id)
        assert.is_true(one.archived)
      end)

      it("resolves a resource graph against the definitions, and keeps it", function()
        local status, nodes = api.post(ENV .. "/resources/graph", { { id = "modules.w.externals.db",
          type = "postgres" } })
        assert.equal(200, status)
        assert.same({ "pg-db", "postgres" }, { nodes[1].def_id, nodes[1].type })
        local _, graph = api.post(ENV .. "/resources/graphs", { { id = "x", type = "postgres" } })
        local _, again = api.get(ENV .. "/resources/graphs/" .. graph.id)
        assert.equal(graph.hash, again.hash)
        assert.equal(400, (api.post(ENV .. "/resources/graph", { { id = "x", type = "mysql" } })))
      end)

      it("lists a set's resource inputs, pins and deletes active resources", function()
        local delta = H.delta(api, "web",
          { w = { profile = "humanitec/default-module", externals = { db = { type = "postgres" } } } })
        local _, dep = api.post(ENV .. "/deploys", { delta_id = delta, comment = "x" })
        sim:advance(2)
        local _, inputs = api.get("/orgs/acme/apps/web/sets/" .. dep.set_id .. "/resources")
        assert.same({ "modules.w.externals.db", "postgres" }, { inputs[1].id, inputs[1].type })
        local _, def = api.get(DEFS .. "/pg-db")
        local res = ENV .. "/resources/postgres/modules.w.externals.db"
        local status, pinned = api.post(res .. "/actions/pin", { target_def_version_id = def.active_version_id })
        assert.equal(200, status)
        assert.equal(def.active_version_id, pinned.def_version_id)
        assert.is_false(pinned.scheduled_deletion)
        assert.equal(204, (api.delete(res)))
        assert.equal(404, (api.delete(res)))
      end)
    end)
  end)
end

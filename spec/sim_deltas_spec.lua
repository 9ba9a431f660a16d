-- Deltas (create, list with filters, PATCH combination, PUT, metadata) and Sets (content ids, apply, diff).
local H = require "support.sim_helper"
local patch = require "humanitec.sim.patch"
local deltas_mod = require "humanitec.sim.deltas"
local _ -- placeholder for unused results

local BASE = "/orgs/acme/apps/web"

for mode in H.modes() do
  describe(mode.name, function()
    setup(mode.start)
    teardown(mode.stop)

    describe("humanitec.sim deltas", function()
      local sim, api, other
      before_each(function()
        sim, api = mode.new({ tokens = { tok = { "acme" }, second = { user = "bob", "acme" } } })
        other = H.client(sim, "second")
        H.app(api, "web")
      end)

      it("creates a delta with metadata and the full response shape", function()
        local status, d = api.post(BASE .. "/deltas", {
          metadata = { name = "first", env_id = "development" },
          modules = { add = { api = { profile = "humanitec/default-module", spec = { image = "nginx" } } } },
        })
        assert.equal(200, status)
        assert.matches("^%x+$", d.id)
        assert.equal("first", d.metadata.name)
        assert.equal("development", d.metadata.env_id)
        assert.is_false(d.metadata.archived)
        assert.equal("nginx", d.modules.add.api.spec.image)
        assert.same({}, d.modules.remove)
        assert.same({}, d.shared)
        local _, got = api.get(BASE .. "/deltas/" .. d.id)
        assert.same(d, got)
      end)

      it("rejects malformed deltas", function()
        assert.equal(400, (api.post(BASE .. "/deltas", { modules = { add = { api = 5 } } })))
        assert.equal(400, (api.post(BASE .. "/deltas", { modules = { remove = "api" } })))
        assert.equal(400, (api.post(BASE .. "/deltas", { modules = { update = { api = { { path = "/x" } } } } })))
        assert.equal(400, (api.post(BASE .. "/deltas", { shared = { 1 } })))
        assert.equal(400, (api.post(BASE .. "/deltas", { metadata = { env_id = "Bad Env" } })))
        assert.equal(404, (api.post("/orgs/acme/apps/nope/deltas", {})))
        assert.equal(404, (api.get(BASE .. "/deltas/nope")))
      end)

      it("lists deltas filtered by archived and env", function()
        local a = H.delta(api, "web", { a = { profile = "p" } })
        local _, b = api.post(BASE .. "/deltas", { metadata = { env_id = "development" } })
        local c = H.delta(api, "web", { c = { profile = "p" } })
        assert.equal(204, (api.put(BASE .. "/deltas/" .. c .. "/metadata/archived", "true")))
        local _, live = api.get(BASE .. "/deltas")
        assert.same({ a, b.id }, { live[1].id, live[2].id, live[3] })
        local _, archived = api.get(BASE .. "/deltas?archived=true")
        assert.same({ c }, { archived[1].id, archived[2] })
        local _, in_env = api.get(BASE .. "/deltas?env=development")
        assert.same({ b.id }, { in_env[1].id, in_env[2] })
        assert.equal(400, (api.get(BASE .. "/deltas?env=Not_Valid")))
        assert.equal(400, (api.get(BASE .. "/deltas?archived=maybe")))
      end)

      it("updates metadata name, env_id and archived with typed bodies", function()
        local id = H.delta(api, "web", {})
        assert.equal(204, (api.put(BASE .. "/deltas/" .. id .. "/metadata/name", '"renamed"')))
        assert.equal(204, (api.put(BASE .. "/deltas/" .. id .. "/metadata/env_id", '"development"')))
        local _, d = api.get(BASE .. "/deltas/" .. id)
        assert.equal("renamed", d.metadata.name)
        assert.equal("development", d.metadata.env_id)
        assert.equal(400, (api.put(BASE .. "/deltas/" .. id .. "/metadata/archived", '"yes"')))
        assert.equal(400, (api.put(BASE .. "/deltas/" .. id .. "/metadata/name", "5")))
        assert.equal(400, (api.put(BASE .. "/deltas/" .. id .. "/metadata/env_id", '"Bad Env"')))
        assert.equal(404, (api.put(BASE .. "/deltas/nope/metadata/name", '"x"')))
      end)

      it("replaces a delta's content with PUT", function()
        local id = H.delta(api, "web", { a = { profile = "p" } })
        assert.equal(204, (api.put(BASE .. "/deltas/" .. id, { modules = { add = { b = { profile = "q" } } } })))
        local _, d = api.get(BASE .. "/deltas/" .. id)
        assert.is_nil(d.modules.add.a)
        assert.equal("q", d.modules.add.b.profile)
        assert.equal(400, (api.put(BASE .. "/deltas/" .. id, { modules = 3 })))
      end)

      describe("PATCH combines an array of deltas", function()
        it("replaces additions and concatenates updates", function()
          local id = H.delta(api, "web", { a = { profile = "p", spec = { n = 1 } } })
          local status, d = api.patch(BASE .. "/deltas/" .. id, {
            { modules = { add = { b = { profile = "q", spec = {} } } } },
            { modules = { update = { c = { { op = "add", path = "/spec/x", value = 1 } } } } },
            { modules = { update = { c = { { op = "add", path = "/spec/y", value = 2 } } } } },
          })
          assert.equal(200, status)
          assert.equal("p", d.modules.add.a.profile)
          assert.equal("q", d.modules.add.b.profile)
          assert.equal(2, #d.modules.update.c)
        end)

        it("folds updates of added modules into the addition", function()
          local id = H.delta(api, "web", { a = { profile = "p", spec = { n = 1 } } })
          local _, d = api.patch(BASE .. "/deltas/" .. id, {
            { modules = { update = { a = { { op = "replace", path = "/spec/n", value = 2 } } } } },
          })
          assert.equal(2, d.modules.add.a.spec.n)
          assert.is_nil(d.modules.update.a)
        end)

        it("lets removals win over additions and a null addition withdraw a removal", function()
          local id = H.delta(api, "web", { a = { profile = "p" } })
          local _, d = api.patch(BASE .. "/deltas/" .. id, { { modules = { remove = { "a", "z" } } } })
          assert.is_nil(d.modules.add.a)
          assert.same({ "a", "z" }, d.modules.remove)
          local json = require "humanitec.json"
          local _, d2 = api.patch(BASE .. "/deltas/" .. id, { { modules = { add = { z = json.null } } } })
          assert.same({ "a" }, d2.modules.remove)
        end)

        it("simplifies patches: a later write to a path supersedes earlier ones", function()
          local id = H.delta(api, "web", {})
          local _, d = api.patch(BASE .. "/deltas/" .. id, {
            { shared = { { op = "add", path = "/a/b", value = 1 }, { op = "add", path = "/c", value = 1 } } },
            { shared = { { op = "replace", path = "/a", value = { b = 2 } } } },
          })
          assert.same({ { op = "add", path = "/c", value = 1 }, { op = "replace", path = "/a", value = { b = 2 } } },
            d.shared)
        end)

        it("drops delta-scoped removes along with what they cancel", function()
          local id = H.delta(api, "web", {})
          local _, d = api.patch(BASE .. "/deltas/" .. id, {
            { modules = { update = { m = { { op = "add", path = "/spec/x", value = 1 } } } } },
            { modules = { update = { m = { { op = "remove", path = "/spec/x", value = { scope = "delta" } } } } } },
          })
          assert.same({}, d.modules.update.m)
        end)

        it("adds a different caller to the contributors and updates last_modified_at", function()
          local id = H.delta(api, "web", {})
          sim:advance(10)
          local _, d = other.patch(BASE .. "/deltas/" .. id, { {} })
          assert.same({ "bob" }, d.metadata.contributers)
          assert.equal("2024-01-01T00:00:10.000Z", d.metadata.last_modified_at)
          local _, again = other.patch(BASE .. "/deltas/" .. id, { {} })
          assert.same({ "bob" }, again.metadata.contributers)
        end)

        it("rejects a body that is not an array, and leaves the delta as it was on failure", function()
          local id = H.delta(api, "web", { a = { profile = "p" } })
          assert.equal(400, (api.patch(BASE .. "/deltas/" .. id, { modules = {} })))
          assert.equal(400, (api.patch(BASE .. "/deltas/" .. id, {
            { modules = { update = { a = { { op = "replace", path = "/missing/deep", value = 1 } } } } },
          })))
          local _, d = api.get(BASE .. "/deltas/" .. id)
          assert.same({}, d.modules.update)
          assert.equal(404, (api.patch(BASE .. "/deltas/nope", {})))
        end)
      end)
    end)

    describe("humanitec.sim sets", function()
      local api
      before_each(function()
        _, api = mode.new()
        H.app(api, "web")
      end)

      it("stores added modules in the spec's ModuleResponse shape", function()
        local json = require "humanitec.json"
        local status, d, _, raw = api.post(BASE .. "/deltas", { modules = { add = { api = { profile = "p" } } } })
        assert.equal(200, status)
        assert.same({ profile = "p", spec = {}, externals = {} }, d.modules.add.api)
        assert.matches('"spec":{}', raw, 1, true)
        assert.matches('"externals":{}', raw, 1, true)
        local _, set_id = api.post(BASE .. "/sets/" .. deltas_mod.EMPTY_SET_ID,
          { modules = { add = { api = { profile = "p", spec = { image = "x" }, externals = json.null } } } })
        local _, set = api.get(BASE .. "/sets/" .. set_id)
        assert.same({ profile = "p", spec = { image = "x" }, externals = {} }, set.modules.api)
      end)

      it("answers 400 for a module that is not an object or has no profile", function()
        local bad = {
          { api = 5 }, { api = "p" }, { api = { 1, 2 } }, { api = {} }, { api = { spec = {} } },
          { api = { profile = 5 } }, { api = { profile = "p", spec = "x" } }, { api = { profile = "p", externals = { 1 } } },
        }
        for i, modules in ipairs(bad) do
          local status, body = api.post(BASE .. "/deltas", { modules = { add = modules } })
          assert.equal(400, status, "delta " .. i)
          assert.matches("modules.add.api", body.message, 1, true)
          assert.equal(400, (api.post(BASE .. "/sets/" .. deltas_mod.EMPTY_SET_ID, { modules = { add = modules } })),
            "set " .. i)
          assert.equal(400, (api.put(BASE .. "/deltas/" .. H.delta(api, "web", {}), { modules = { add = modules } })))
        end
        local _, list = api.get(BASE .. "/sets")
        assert.equal(0, #list)
        -- an update may not take the profile away
        local _, set_id = api.post(BASE .. "/sets/" .. deltas_mod.EMPTY_SET_ID,
          { modules = { add = { api = { profile = "p" } } } })
        local status, body = api.post(BASE .. "/sets/" .. set_id, { modules = { update = { api = {
          { op = "remove", path = "/profile" } } } } })
        assert.equal(400, status)
        assert.matches("profile", body.message, 1, true)
        local id = H.delta(api, "web", { api = { profile = "p" } })
        assert.equal(400, (api.patch(BASE .. "/deltas/" .. id, { { modules = { update = { api = {
          { op = "replace", path = "/spec", value = 3 } } } } } })))
      end)

      it("names the empty set by its content and serves it in every application", function()
        local status, set = api.get(BASE .. "/sets/" .. deltas_mod.EMPTY_SET_ID)
        assert.equal(200, status)
        assert.same({}, set.modules)
        assert.equal(43, #set.id)
      end)

      it("applies a delta to a set, giving a content-derived id", function()
        local body = { modules = { add = { api = { profile = "p", spec = { b = 1, a = 2 } } } } }
        local status, id = api.post(BASE .. "/sets/" .. deltas_mod.EMPTY_SET_ID, body)
        assert.equal(200, status)
        assert.is_string(id)
        local _, again = api.post(BASE .. "/sets/" .. deltas_mod.EMPTY_SET_ID, body)
        assert.equal(id, again)
        local _, set = api.get(BASE .. "/sets/" .. id)
        assert.equal(2, set.modules.api.spec.a)
        local _, list = api.get(BASE .. "/sets")
        assert.equal(1, #list)
        -- a different content gives a different id
        local _, other = api.post(BASE .. "/sets/" .. id, { modules = { update = { api = {
          { op = "replace", path = "/spec/a", value = 3 } } } } })
        assert.are_not.equal(id, other)
      end)

      it("rejects deltas incompatible with the set", function()
        local status, body = api.post(BASE .. "/sets/" .. deltas_mod.EMPTY_SET_ID,
          { modules = { update = { ghost = { { op = "add", path = "/x", value = 1 } } } } })
        assert.equal(400, status)
        assert.matches("ghost", body.message)
        assert.equal(404, (api.post(BASE .. "/sets/nope", {})))
        local status2, message = api.get(BASE .. "/sets/nope")
        assert.equal(404, status2)
        assert.is_string(message) -- the spec declares these 404s as a JSON string
        local status3, message3 = api.get(BASE .. "/deltas/nope")
        assert.equal(404, status3)
        assert.matches("nope", message3)
      end)

      it("diffs two sets into a delta that turns one into the other", function()
        local _, s1 = api.post(BASE .. "/sets/" .. deltas_mod.EMPTY_SET_ID, { modules = { add = {
          keep = { profile = "p", spec = { n = 1 } }, gone = { profile = "p" } } } })
        local _, s2 = api.post(BASE .. "/sets/" .. s1, {
          modules = { remove = { "gone" }, add = { new = { profile = "q" } },
            update = { keep = { { op = "replace", path = "/spec/n", value = 2 } } } },
          shared = { { op = "add", path = "/host", value = "h" } },
        })
        local status, diff = api.get(BASE .. "/sets/" .. s2 .. "/diff/" .. s1)
        assert.equal(200, status)
        assert.same({ "gone" }, diff.modules.remove)
        assert.equal("q", diff.modules.add.new.profile)
        assert.same({ { op = "replace", path = "/spec/n", value = 2 } }, diff.modules.update.keep)
        assert.same({ { op = "add", path = "/host", value = "h" } }, diff.shared)
        -- the diff applied to the source gives the target
        local _, rebuilt = api.post(BASE .. "/sets/" .. s1, diff)
        assert.equal(s2, rebuilt)
        -- ?diff= on GET gives the same answer
        local _, same = api.get(BASE .. "/sets/" .. s2 .. "?diff=" .. s1)
        assert.same(diff, same)
        assert.equal(404, (api.get(BASE .. "/sets/" .. s2 .. "/diff/nope")))
      end)
    end)
  end)
end

describe("humanitec.sim.patch", function()
  it("applies the RFC 6902 operations", function()
    local doc = { a = { b = { 1, 2 } }, c = "x" }
    local out = assert(patch.apply(doc, {
      { op = "add", path = "/a/b/1", value = 9 },
      { op = "add", path = "/a/b/-", value = 3 },
      { op = "replace", path = "/c", value = "y" },
      { op = "copy", from = "/c", path = "/d" },
      { op = "move", from = "/d", path = "/e" },
      { op = "remove", path = "/a/b/0" },
      { op = "test", path = "/e", value = "y" },
      { op = "add", path = "/f~1g", value = true },
    }))
    assert.same({ a = { b = { 9, 2, 3 } }, c = "y", e = "y", ["f/g"] = true }, out)
    assert.same({ 1, 2 }, doc.a.b) -- the input is not modified
  end)

  it("reports operations that cannot apply", function()
    assert.is_nil((patch.apply({}, { { op = "remove", path = "/x" } })))
    assert.is_nil((patch.apply({ a = 1 }, { { op = "test", path = "/a", value = 2 } })))
    assert.is_nil((patch.apply({ a = { 1 } }, { { op = "add", path = "/a/5", value = 2 } })))
    assert.is_nil((patch.apply({}, { { op = "frobnicate", path = "/a" } })))
    local _, err = patch.apply({}, { { op = "replace", path = "/q", value = 1 } })
    assert.matches("does not exist", err)
  end)
end)

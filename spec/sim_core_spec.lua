-- The simulator's core: authentication, routing, malformed input, fault injection, the clock, determinism.
local json = require "humanitec.json"
local sim_mod = require "humanitec.sim"
local H = require "support.sim_helper"

for mode in H.modes() do
  describe(mode.name, function()
    setup(mode.start)
    teardown(mode.stop)

    describe("humanitec.sim core", function()
      local sim, api

      before_each(function()
        sim, api = mode.new({ orgs = { "acme", "beta" }, tokens = { tok = { "acme" }, both = { "acme", "beta" } } })
      end)

      describe("authentication", function()
        it("answers 401 without a token", function()
          local status, body = H.client(sim, nil).get("/orgs")
          assert.equal(401, status)
          assert.equal("API-002", body.error)
          assert.is_string(body.message)
        end)

        it("answers 401 for an unknown token and for a non-bearer scheme", function()
          assert.equal(401, (H.client(sim, "wrong").get("/orgs/acme")))
          local status = sim:handle{ method = "GET", path = "/orgs", headers = { authorization = "Basic dG9rOg==" } }
          assert.equal(401, status)
        end)

        it("answers 403 for an organization the token cannot reach", function()
          local status, body = api.get("/orgs/beta/apps")
          assert.equal(403, status)
          assert.equal("API-003", body.error)
          sim:add_token("ghost-tok", { "ghost" })
          assert.equal(403, (H.client(sim, "ghost-tok").get("/orgs/acme")))
        end)

        -- In process only: no request removes an organization a token still reaches, so the spec takes it out
        -- of the simulator's state directly.
        if mode.in_process then
          it("answers 404 for an organization that does not exist", function()
            sim:add_token("ghost-tok", { "ghost" })
            sim.orgs.ghost = nil
            assert.equal(404, (H.client(sim, "ghost-tok").get("/orgs/ghost")))
          end)
        end

        it("lists only the organizations the token reaches", function()
          local _, one = api.get("/orgs")
          assert.same({ "acme" }, { one[1].id, one[2] and one[2].id })
          local _, two = H.client(sim, "both").get("/orgs")
          assert.equal(2, #two)
          assert.equal("beta", two[2].id)
        end)

        it("accepts header names in any case", function()
          local status = sim:handle{ method = "GET", path = "/orgs", headers = { Authorization = "Bearer tok" } }
          assert.equal(200, status)
        end)
      end)

      describe("routing and malformed requests", function()
        it("answers 404 with an error body for an unknown path", function()
          local status, body = api.get("/nothing/here")
          assert.equal(404, status)
          assert.equal("API-004", body.error)
        end)

        it("answers 401 before routing: no token on an unknown path is 401, not 404", function()
          local anonymous = H.client(sim, nil)
          assert.equal(401, (anonymous.get("/nothing/here")))
          assert.equal(401, (anonymous.call("PUT", "/orgs")))
          assert.equal(401, (H.client(sim, "wrong").get("/nothing/here")))
        end)

        it("answers 415 for a body in a media type the operation does not take, and acts on nothing", function()
          local status, body = api.post("/orgs/acme/apps", '{"id":"web","name":"Web"}',
            { headers = { ["content-type"] = "text/plain" } })
          assert.equal(415, status)
          assert.matches("application/json", body.message)
          assert.equal(404, (api.get("/orgs/acme/apps/web")))
          assert.equal(201, (api.post("/orgs/acme/apps", '{"id":"web","name":"Web"}',
            { headers = { ["content-type"] = "Application/JSON; charset=utf-8" } })))
        end)

        it("answers in the form the spec declares: undeclared fields dropped, required ones present", function()
          local status, reg = api.post("/orgs/acme/registries", { id = "reg-x", registry = "r.example.com",
            type = "basic", bogus = "not in the spec" })
          assert.equal(201, status)
          assert.is_nil(reg.bogus)
          assert.is_false(reg.enable_ci) -- required by RegistryResponse, given by nobody
          assert.is_string(reg.created_at)
        end)

        it("answers 405 with Allow for a known path and another method", function()
          local status, _, headers = api.call("PUT", "/orgs")
          assert.equal(405, status)
          assert.equal("GET", headers.allow)
        end)

        it("ignores a trailing slash", function()
          assert.equal(200, (api.get("/orgs/acme/")))
        end)

        it("answers 400 for a body that is not JSON (the spec's \"payload malformed\") or of the wrong shape", function()
          local status, body = api.post("/orgs/acme/apps", "{not json")
          assert.equal(400, status)
          assert.equal("API-001", body.error)
          assert.equal(400, (api.post("/orgs/acme/apps", "[1, 2]")))
          assert.equal(400, (api.post("/orgs/acme/apps", "")))
        end)

        it("reads a hostile body with the SDK's decoder, in linear time: 400 within a loose bound", function()
          -- The previous issue's inputs: a 160 KB object whose 100 KB escaped name holds 20000 [], which
          -- is valid JSON of the wrong shape, and the same body with a NUL after it, which is not JSON.
          local now = require("humanitec.core").now
          local name = string.rep("\\\"[]", 20000) .. string.rep("x", 20000)
          local hostile = '{"' .. name .. '":[],"pad":"' .. string.rep("[]", 30000) .. '"}'
          assert.is_true(#hostile > 150000)
          local t0 = now()
          local status, body = api.post("/orgs/acme/apps", hostile)
          assert.equal(400, status)
          assert.equal("missing required field 'id'", body.message)
          status, body = api.post("/orgs/acme/apps", hostile .. "\0")
          assert.equal(400, status)
          -- The decoder's own message (csrc/jdecode.c): trailing content, a NUL included, at its offset.
          assert.equal("request body is not valid JSON: content after the value at byte offset " .. #hostile,
            body.message)
          status, body = api.post("/orgs/acme/apps", '{"id":"a","name":"a"}\0{"\\q":[]}')
          assert.equal(400, status)
          assert.equal("request body is not valid JSON: content after the value at byte offset 21", body.message)
          local seconds = now() - t0
          assert.is_true(seconds < 5, seconds .. " s") -- a loose bound: milliseconds are expected
        end)

        it("answers 400 for path ids that break the spec's pattern", function()
          local status, body = api.get("/orgs/acme/apps/Not_Valid")
          assert.equal(400, status)
          assert.matches("appId", body.message)
          assert.equal(400, (api.get("/orgs/acme/apps/a--b")))
          assert.equal(400, (api.get("/orgs/acme/apps/" .. string.rep("a", 51))))
        end)

        -- In process only: the spec corrupts the simulator's state directly, which no request can do.
        if mode.in_process then
          it("answers 500 with an error body when a handler fails, and keeps serving", function()
            sim.orgs.acme.apps = nil -- corrupt the state so the handler trips over it
            local status, body = api.get("/orgs/acme/apps")
            assert.equal(500, status)
            assert.equal("API-010", body.error)
            sim.orgs.acme.apps = {}
            assert.equal(200, (api.get("/orgs/acme/apps")))
          end)
        end

        it("never raises on garbage requests", function()
          -- A bounded, seeded stream of odd requests: every one must come back as a status and a string body.
          local rng_state = 12345
          local function rand(n)
            rng_state = (rng_state * 1103515245 + 12345) % 2147483648
            return rng_state % n + 1
          end
          local paths = { "/orgs/acme/apps", "/orgs/acme/apps/x1", "/orgs/acme/apps/x1/envs", "/orgs/acme/apps/x1/deltas",
            "/orgs/acme/apps/x1/envs/development/deploys", "/orgs/acme/apps/x1/values", "/orgs/acme/resources/defs",
            "/orgs/acme/apps/x1/pipelines", "/users/u1/tokens", "/orgs/acme/env-types", "/orgs/acme/users",
            "/orgs/acme/apps/x1/sets/abc", "/orgs/acme/apps/x1/envs/development/from_deploy_id", "/%zz/%00" }
          local bodies = { false, "", "{", "[]", "null", "1", '"s"', '{"id":5}', '{"id":"x1","name":"n"}',
            '{"modules":{"add":[]}}', '{"modules":{"update":{"m":[{"op":"nope"}]}}}', '[{"shared":7}]',
            '{"key":"%%%","description":""}', '{"delta_id":"zzz"}',
            '{"id":"x-y","name":"n","type":"t","driver_type":"d","criteria":[1]}',
            "name: [unclosed", '{"inputs":[]}', '{"id":"t","type":"static","expires_at":"yesterday"}' }
          local methods = { "GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS" }
          api.post("/orgs/acme/apps", { id = "x1", name = "x1" })
          for _ = 1, 400 do
            local status, headers, body = sim:handle{
              method = methods[rand(#methods)], path = paths[rand(#paths)],
              query = rand(3) == 1 and "per_page=0&page=%%" or nil,
              headers = { authorization = "Bearer tok",
                ["content-type"] = rand(2) == 1 and "application/json" or "application/x-yaml" },
              body = bodies[rand(#bodies)] or nil, -- false stands for "no body"
            }
            assert.is_number(status)
            assert.is_table(headers)
            assert.is_string(body)
            assert.is_true(status ~= 500, "a 500 means a simulator bug: " .. body)
          end
        end)

        -- In process only: these are misuses of the Lua API, which no HTTP request can make.
        if mode.in_process then
          it("raises on programmer errors in the call itself", function()
            assert.has_error(function() sim:handle("GET /orgs") end)
            assert.has_error(function() sim:handle{ method = "GET" } end)
            assert.has_error(function() sim_mod.new{ clock = 5 } end)
            assert.has_error(function() sim_mod.new{ deploy_seconds = -1 } end)
          end)
        end
      end)

      describe("fault injection", function()
        it("answers 429 with Retry-After for the given number of requests", function()
          sim:inject{ status = 429, retry_after = 2, times = 2 }
          local s1, b1, h1 = api.get("/orgs")
          assert.equal(429, s1)
          assert.equal("2", h1["retry-after"])
          assert.equal("API-009", b1.error)
          assert.equal(429, (api.get("/orgs")))
          assert.equal(200, (api.get("/orgs")))
        end)

        it("matches faults by path pattern and method", function()
          sim:inject{ status = 503, path = "/apps$", method = "POST" }
          assert.equal(200, (api.get("/orgs/acme/apps")))
          assert.equal(503, (api.post("/orgs/acme/apps", { id = "a1", name = "a" })))
          assert.equal(201, (api.post("/orgs/acme/apps", { id = "a1", name = "a" })))
        end)

        it("does not run the handler of a faulted request", function()
          sim:inject{ status = 503 }
          api.post("/orgs/acme/apps", { id = "a1", name = "a" })
          assert.equal(404, (api.get("/orgs/acme/apps/a1")))
        end)

        -- The pure core reports the latency for its caller to apply; the HTTP server sleeps it.
        if mode.in_process then
          it("reports injected latency, alone or with a status", function()
            sim:inject{ latency = 1.5 }
            local _, _, _, latency = sim:handle{ method = "GET", path = "/orgs",
              headers = { authorization = "Bearer tok" } }
            assert.equal(1.5, latency)
            local _, _, _, after = sim:handle{ method = "GET", path = "/orgs", headers = { authorization = "Bearer tok" } }
            assert.equal(0, after)
          end)
        else
          it("delays the answer by injected latency, alone or with a status", function()
            local monotime = require("cqueues").monotime
            local function timed(fn)
              local t0 = monotime()
              local status = fn()
              return status, monotime() - t0
            end
            sim:inject{ latency = 0.3 }
            local status, took = timed(function() return api.get("/orgs") end)
            assert.equal(200, status)
            assert.is_true(took >= 0.3, "the answer took " .. took .. " s")
            sim:inject{ status = 503, latency = 0.3 }
            status, took = timed(function() return api.get("/orgs") end)
            assert.equal(503, status)
            assert.is_true(took >= 0.3, "the answer took " .. took .. " s")
            assert.equal(200, (api.get("/orgs")))
          end)
        end

        it("keeps answering with a fault given times = math.huge until cleared", function()
          sim:inject{ status = 503, times = math.huge }
          for _ = 1, 5 do assert.equal(503, (api.get("/orgs"))) end
          sim:clear_faults()
          assert.equal(200, (api.get("/orgs")))
        end)

        it("rejects a fault without status or latency", function()
          assert.has_error(function() sim:inject{ times = 1 } end)
          assert.has_error(function() sim:inject{ status = 42 } end)
        end)
      end)

      describe("clock", function()
        it("starts the manual clock at 2024-01-01 and moves it only with advance", function()
          H.app(api, "web")
          local _, app = api.get("/orgs/acme/apps/web")
          assert.equal("2024-01-01T00:00:00.000Z", app.created_at)
          sim:advance(90.5)
          H.app(api, "web2")
          local _, app2 = api.get("/orgs/acme/apps/web2")
          assert.equal("2024-01-01T00:01:30.500Z", app2.created_at)
        end)

        -- In process only: the spec passes its own Lua clock function, which cannot cross HTTP (over HTTP the
        -- real clock refusing /_sim/advance is in sim_http_spec).
        if mode.in_process then
          it("uses a clock function when given one, and then refuses advance", function()
            local t = 1700000000
            local s = sim_mod.new{ orgs = { "acme" }, tokens = { tok = { "acme" } }, clock = function() return t end }
            local c = H.client(s, "tok")
            c.post("/orgs/acme/apps", { id = "web", name = "w" })
            local _, app = c.get("/orgs/acme/apps/web")
            assert.equal("2023-11-14T22:13:20.000Z", app.created_at)
            assert.has_error(function() s:advance(1) end)
          end)
        end
      end)

      describe("determinism", function()
        local function ids(seed)
          local _, c = mode.new{ seed = seed }
          H.app(c, "web")
          local d = H.delta(c, "web", { m = { profile = "p" } })
          local _, dep = c.post("/orgs/acme/apps/web/envs/development/deploys", { delta_id = d })
          return d .. "/" .. dep.id
        end

        it("gives the same ids for the same seed and different ones for another", function()
          assert.equal(ids("one"), ids("one"))
          assert.are_not.equal(ids("one"), ids("two"))
        end)

        it("encodes empty lists as []", function()
          H.app(api, "web")
          local _, _, _, raw = api.get("/orgs/acme/apps/web/deltas")
          assert.equal("[]", raw)
          local _, _, _, values = api.get("/orgs/acme/apps/web/values")
          assert.equal("[]", values)
        end)
      end)

      it("exposes json-compatible error bodies everywhere", function()
        local _, _, _, raw = api.get("/orgs/acme/apps/nope")
        local body = json.decode(raw)
        assert.same({ "error", "message" }, (function()
          local keys = {}
          for k in pairs(body) do keys[#keys + 1] = k end
          table.sort(keys)
          return keys
        end)())
      end)
    end)
  end)
end

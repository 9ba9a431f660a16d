-- Pipelines from YAML, runs on the simulator's clock, the completed filter, cancel, approvals, pagination.
local H = require "support.sim_helper"
local _ -- placeholder for unused results

local P = "/orgs/acme/apps/web/pipelines"
local YAML = { headers = { ["content-type"] = "application/x-yaml" } }

local APPROVAL_PIPELINE = [[
apiVersion: pipelines.humanitec.io/v1alpha1
kind: Pipeline
metadata:
  name: Promote
  id: promote
spec:
  on:
    pipeline_call: {}
  jobs:
    gate:
      steps:
        - name: ask
          uses: actions/approve
          with:
            message: Ship it?
            env_id: production
        - name: deploy
          uses: actions/humanitec/deploy
]]

local function simple(name, steps)
  local lines = { "name: " .. name, "jobs:", "  main:", "    steps:" }
  for i = 1, steps or 1 do lines[#lines + 1] = "      - uses: actions/echo-" .. i end
  return table.concat(lines, "\n") .. "\n"
end

for mode in H.modes() do
  describe(mode.name, function()
    setup(mode.start)
    teardown(mode.stop)

    describe("humanitec.sim pipelines", function()
      local sim, api
      before_each(function()
        sim, api = mode.new({ step_seconds = 1 })
        H.app(api, "web")
      end)

      it("creates a pipeline from YAML with an Etag, and gets it", function()
        local status, p, headers = api.post(P, simple("Build It"), YAML)
        assert.equal(201, status)
        assert.same({ "build-it", "Build It", "web", "active" }, { p.id, p.name, p.app_id, p.status })
        assert.same({ "pipeline_call" }, p.trigger_types)
        assert.equal('"' .. p.etag .. '"', headers.etag)
        local _, got = api.get(P .. "/build-it")
        assert.same(p, got)
        local _, kinded = api.post(P, APPROVAL_PIPELINE, YAML)
        assert.same({ "promote", "Promote" }, { kinded.id, kinded.name })
        local _, _, schema_headers, schema = api.get(P .. "/promote/schema")
        assert.matches("yaml", schema_headers["content-type"])
        assert.equal(APPROVAL_PIPELINE, schema)
        local _, as_json = api.get(P .. "/promote/schema", nil, { headers = { accept = "application/json" } })
        assert.equal("Promote", as_json.metadata.name)
      end)

      it("rejects invalid definitions and duplicates", function()
        assert.equal(400, (api.post(P, "name: [unclosed", YAML)))
        assert.equal(400, (api.post(P, "jobs: {}\n", YAML)))
        assert.equal(400, (api.post(P, "name: x1\njobs:\n  a:\n    steps:\n      - name: no-uses\n", YAML)))
        assert.equal(400, (api.post(P, "- just\n- a list\n", YAML)))
        assert.equal(400, (api.post(P, "", YAML)))
        api.post(P, simple("dup"), YAML)
        assert.equal(409, (api.post(P, simple("dup"), YAML)))
        assert.equal(204, (api.post(P .. "?dry_run=true", simple("dry"), YAML)))
        assert.equal(404, (api.get(P .. "/dry")))
      end)

      it("rejects YAML aliases, so an alias bomb is never expanded", function()
        -- Each anchor repeats the one before nine times: a 9^5 expansion here, 9^9 with four more lines.
        local lines = { "a0: &a0 [x, x, x, x, x, x, x, x, x]" }
        for i = 1, 5 do
          local refs = {}
          for j = 1, 9 do refs[j] = "*a" .. (i - 1) end -- not string.rep's separator: Lua 5.1 has none
          lines[#lines + 1] = string.format("a%d: &a%d [%s]", i, i, table.concat(refs, ", "))
        end
        local bomb = table.concat(lines, "\n") .. "\n" .. simple("bomb")
        local status, body = api.post(P, bomb, YAML)
        assert.equal(400, status)
        assert.matches("alias", body.message, 1, true)
        assert.equal(404, (api.get(P .. "/bomb")))
        local shared = "name: shared\njobs:\n  a:\n    steps:\n      - &step {uses: actions/echo}\n      - *step\n"
        assert.equal(400, (api.post(P, shared, YAML)))
        assert.equal(404, (api.get(P .. "/shared")))
        -- An anchor alone expands nothing and is still accepted.
        assert.equal(201, (api.post(P, "name: anchored\njobs:\n  a: &job\n    steps:\n      - uses: x\n", YAML)))
      end)

      it("rejects YAML that is too large or nested too deep", function()
        local big = simple("big") .. "# " .. string.rep("x", 1024 * 1024) .. "\n" -- just over the 1 MiB cap
        local status, body = api.post(P, big, YAML)
        assert.equal(400, status)
        assert.matches("larger than", body.message, 1, true)
        assert.equal(404, (api.get(P .. "/big")))
        local deep = simple("deep") .. "        with:\n          v: " .. string.rep("[", 200) .. string.rep("]", 200) .. "\n"
        status, body = api.post(P, deep, YAML)
        assert.equal(400, status)
        assert.matches("deeper", body.message, 1, true)
        local fine = simple("fine") .. "        with:\n          v: " .. string.rep("[", 20) .. string.rep("]", 20) .. "\n"
        assert.equal(201, (api.post(P, fine, YAML)))
      end)

      it("updates a pipeline with a new version, checking If-Match", function()
        local _, p = api.post(P, simple("Build"), YAML)
        local status = api.patch(P .. "/build", simple("Build", 2), { headers = {
          ["content-type"] = "application/x-yaml", ["if-match"] = '"stale"' } })
        assert.equal(412, status)
        local _, p2 = api.patch(P .. "/build", simple("Build", 2), { headers = {
          ["content-type"] = "application/x-yaml", ["if-match"] = '"' .. p.etag .. '"' } })
        assert.are_not.equal(p.version, p2.version)
        local _, versions = api.get(P .. "/build/versions")
        assert.same({ p2.version, p.version }, { versions[1].id, versions[2].id })
        local _, old = api.get(P .. "/build?version=" .. p.version)
        assert.equal(p.version, old.version)
      end)

      describe("runs", function()
        before_each(function() api.post(P, simple("Build", 2), YAML) end)

        it("goes queued -> executing -> succeeded, one step per step_seconds", function()
          local status, run, headers = api.post(P .. "/build/runs", { inputs = { ref = "main" } })
          assert.equal(201, status)
          assert.equal("queued", run.status)
          assert.is_string(headers.etag)
          sim:advance(1)
          local _, r1 = api.get(P .. "/build/runs/" .. run.id)
          assert.equal("executing", r1.status)
          local _, jobs = api.get(P .. "/build/runs/" .. run.id .. "/jobs")
          assert.equal("executing", jobs[1].status)
          sim:advance(1)
          local _, job = api.get(P .. "/build/runs/" .. run.id .. "/jobs/main")
          assert.same({ "succeeded", "executing" }, { job.steps[1].status, job.steps[2].status })
          sim:advance(1)
          local _, done = api.get(P .. "/build/runs/" .. run.id)
          assert.equal("succeeded", done.status)
          assert.equal("2024-01-01T00:00:03.000Z", done.completed_at)
          assert.equal("main", done.inputs.ref)
        end)

        it("filters runs by completed and status", function()
          local _, first = api.post(P .. "/build/runs", { inputs = {} })
          sim:advance(10)
          local _, second = api.post(P .. "/build/runs", { inputs = {} })
          local _, completed = api.get(P .. "/build/runs?completed=true")
          assert.same({ first.id }, { completed[1].id, completed[2] })
          local _, open = api.get(P .. "/build/runs?completed=false")
          assert.same({ second.id }, { open[1].id, open[2] })
          local _, by_status = api.get(P .. "/build/runs?status=queued&status=executing")
          assert.same({ second.id }, { by_status[1].id, by_status[2] })
          local _, org_wide = api.get("/orgs/acme/pipeline-runs?completed=true&app=web&pipeline=build")
          assert.same({ first.id }, { org_wide[1].id, org_wide[2] })
          local _, _, _, other_app = api.get("/orgs/acme/pipeline-runs?app=other")
          assert.equal("[]", other_app)
          local _, after = api.get("/orgs/acme/pipeline-runs?created_after=2024-01-01T00:00:05Z")
          assert.same({ second.id }, { after[1].id, after[2] })
          assert.equal(400, (api.get(P .. "/build/runs?completed=sometimes")))
          assert.equal(400, (api.get(P .. "/build/runs?created_before=yesterday")))
        end)

        it("cancels a run that has not completed, and only that", function()
          local _, run = api.post(P .. "/build/runs", { inputs = {} })
          sim:advance(1)
          assert.equal(204, (api.post(P .. "/build/runs/" .. run.id .. "/cancel")))
          local _, r = api.get(P .. "/build/runs/" .. run.id)
          assert.equal("cancelled", r.status)
          assert.is_string(r.cancellation_requested_at)
          sim:advance(10)
          assert.equal("cancelled", select(2, api.get(P .. "/build/runs/" .. run.id)).status)
          assert.equal(409, (api.post(P .. "/build/runs/" .. run.id .. "/cancel")))
          assert.equal(404, (api.post(P .. "/build/runs/nope/cancel")))
        end)

        it("deletes completed runs, restarts them, and keeps Idempotency-Key runs single", function()
          local _, run = api.post(P .. "/build/runs", { inputs = { n = 1 } }, { headers = { ["idempotency-key"] = "k1" } })
          local _, same = api.post(P .. "/build/runs", { inputs = { n = 1 } }, { headers = { ["idempotency-key"] = "k1" } })
          assert.equal(run.id, same.id)
          assert.equal(409, (api.delete(P .. "/build/runs/" .. run.id)))
          assert.equal(409, (api.delete(P .. "/build")))
          sim:advance(10)
          local _, again = api.post(P .. "/build/runs/" .. run.id .. "/restart")
          assert.are_not.equal(run.id, again.id)
          assert.equal(1, again.inputs.n)
          assert.equal(204, (api.delete(P .. "/build/runs/" .. run.id)))
          assert.equal(404, (api.get(P .. "/build/runs/" .. run.id)))
        end)

        it("validates run requests", function()
          assert.equal(400, (api.post(P .. "/build/runs", {})))
          assert.equal(404, (api.post(P .. "/nope/runs", { inputs = {} })))
          api.post(P, "name: Hook\non:\n  deployment_request: {}\njobs:\n  a:\n    steps:\n      - uses: x\n", YAML)
          assert.equal(422, (api.post(P .. "/hook/runs", { inputs = {} })))
        end)
      end)

      describe("approvals", function()
        local run
        before_each(function()
          api.post(P, APPROVAL_PIPELINE, YAML)
          _, run = api.post(P .. "/promote/runs", { inputs = {} })
          sim:advance(1)
        end)

        local function approval()
          local _, list = api.get("/orgs/acme/apps/web/approvals?status=waiting")
          return list[1]
        end

        it("waits for an approval, then goes on when approved", function()
          local a = approval()
          assert.same({ "waiting", "Ship it?", "production", "gate" }, { a.status, a.message, a.env_id, a.job_id })
          sim:advance(100)
          local _, waiting = api.get(P .. "/promote/runs/" .. run.id)
          assert.equal("executing", waiting.status)
          assert.equal("approval", waiting.waiting_for.gate)
          assert.same({ "production" }, waiting.env_ids)
          local path = P .. "/promote/runs/" .. run.id .. "/jobs/gate/approvals/" .. a.id
          local status, approved = api.post(path .. "/approve")
          assert.equal(200, status)
          assert.equal("approved", approved.status)
          assert.is_string(approved.approved_by)
          assert.equal(400, (api.post(path .. "/approve")))
          sim:advance(1)
          assert.equal("succeeded", select(2, api.get(P .. "/promote/runs/" .. run.id)).status)
          assert.equal("approved", select(2, api.get(path)).status)
        end)

        it("fails the run when denied", function()
          local a = approval()
          local path = P .. "/promote/runs/" .. run.id .. "/jobs/gate/approvals/" .. a.id
          local _, denied = api.post(path .. "/deny")
          assert.equal("denied", denied.status)
          local _, r = api.get(P .. "/promote/runs/" .. run.id)
          assert.equal("failed", r.status)
          local _, job = api.get(P .. "/promote/runs/" .. run.id .. "/jobs/gate")
          assert.same({ "failed", "cancelled" }, { job.steps[1].status, job.steps[2].status })
        end)

        it("cancels waiting approvals with the run and 404s on a wrong path", function()
          local a = approval()
          api.post(P .. "/promote/runs/" .. run.id .. "/cancel")
          local _, list = api.get("/orgs/acme/apps/web/approvals?run=" .. run.id)
          assert.equal("cancelled", list[1].status)
          assert.equal(404, (api.get(P .. "/promote/runs/" .. run.id .. "/jobs/other/approvals/" .. a.id)))
        end)
      end)

      describe("pagination", function()
        before_each(function()
          for i = 1, 5 do api.post(P, simple("p" .. i .. "x"), YAML) end
        end)

        it("pages with per_page and a Link header with rel=next", function()
          local seen = {}
          local status, page, headers = api.get(P .. "?per_page=2")
          assert.equal(200, status)
          while true do
            for _, p in ipairs(page) do seen[#seen + 1] = p.id end
            local link = headers.link
            if not link then break end
            local url = link:match('^<([^>]+)>; rel="next"$')
            assert.is_string(url)
            assert.matches("per_page=2", url)
            _, page, headers = api.get(url)
            assert.is_true(#seen < 10)
          end
          assert.same({ "p1x", "p2x", "p3x", "p4x", "p5x" }, seen)
          local _, org = api.get("/orgs/acme/pipelines?per_page=5")
          assert.equal(5, #org)
        end)

        it("makes the next link relative to the request, whatever the Host header says", function()
          for _, host in ipairs({ "sim.test:8080", "evil.test>; rel=\"prev\", <http://x", "a b", "" }) do
            local _, _, headers = api.get(P .. "?per_page=1", nil, { headers = { host = host } })
            assert.matches('^</orgs/acme/apps/web/pipelines%?per_page=1&page=[^>]+>; rel="next"$', headers.link, nil, false,
              "Host " .. host)
          end
        end)

        it("has no Link on the last page and rejects bad per_page and page", function()
          local _, page, headers = api.get(P)
          assert.equal(5, #page)
          assert.is_nil(headers.link)
          assert.equal(400, (api.get(P .. "?per_page=0")))
          assert.equal(400, (api.get(P .. "?per_page=101")))
          assert.equal(400, (api.get(P .. "?per_page=two")))
          for _, bad in ipairs({ "0x10", "1e1", "2.0", "+2", "-1", "%202", "2%20", "", "0" }) do
            assert.equal(400, (api.get(P .. "?per_page=" .. bad)), "per_page=" .. bad)
          end
          local status, two = api.get(P .. "?per_page=02")
          assert.same({ 200, 2 }, { status, #two })
          assert.equal(400, (api.get(P .. "?page=garbage!")))
        end)
      end)
    end)
  end)
end

-- The retry policy: what is retried and what never is, backoff and Retry-After on the simulator's clock, the
-- call's deadline, and the per-client budget.
local helpers = require "support.helpers"
local humanitec = require "humanitec"
local retry = require "humanitec.retry"
local sim_mod = require "humanitec.sim"

local function always(x) return function() return x end end

-- A client on a simulator (whose clock the retry waits move), counting the requests that reach the transport.
local function sim_client(opts)
  local sim = sim_mod.new { orgs = { "acme" }, tokens = { tok = { "acme" } } }
  local inner = sim:transport()
  local sent = {}
  local transport = { open = function(_, o)
    local session = inner:open(o)
    return setmetatable({ request = function(_, method, url, ...)
      sent[#sent + 1] = method .. " " .. url:gsub("^http://sim%.invalid", "")
      return session:request(method, url, ...)
    end }, { __index = session })
  end }
  local c = humanitec.new { transport = transport, token = "tok", org = "acme", url = "http://sim.invalid",
    config_file = "/dev/null", retries = opts }
  return c, sim, sent
end

describe("retries", function()
  describe("against the simulator", function()
    it("retries a GET on 503 until it succeeds, and says how many attempts it took", function()
      local c, sim, sent = sim_client { random = always(0) }
      sim:inject { status = 503, times = 2, path = "^/orgs/acme/apps$" }
      local apps, _, res = c:list_applications()
      assert.is_table(apps)
      assert.equals(3, res.attempts)
      assert.equals(3, #sent)
    end)

    it("gives up after the attempts allowed, with err.attempts", function()
      local c, sim, sent = sim_client { random = always(0) }
      sim:inject { status = 502, times = 10 }
      local _, err = c:list_applications()
      assert.equals(502, err.status)
      assert.equals(3, err.attempts)
      assert.equals(3, #sent)
    end)

    it("never sends a POST or PATCH twice without an Idempotency-Key", function()
      local c, sim, sent = sim_client { random = always(0) }
      sim:inject { status = 503, times = 10 }
      local _, err = c:create_application { body = { id = "web", name = "Web" } }
      assert.equals(503, err.status)
      assert.equals(1, err.attempts)
      sim:clear_faults()
      sim:inject { status = 429, times = 10 }
      _, err = c:request("PATCH", "/orgs/acme/apps/web", { body = { name = "x" } })
      assert.equals(1, err.attempts)
      assert.equals(2, #sent)
    end)

    it("retries a POST that carries an Idempotency-Key, with the same key", function()
      local c, sim, sent = sim_client { random = always(0) }
      assert(c:create_application { body = { id = "web", name = "Web" } })
      assert(c:create_pipeline { appId = "web", content_type = "application/x-yaml", body =
        "name: Build\njobs:\n  main:\n    steps:\n      - name: n\n        uses: actions/humanitec/log@v1\n" })
      local pipelines = assert(c:list_pipelines { appId = "web" })
      sim:inject { status = 503, times = 1, method = "POST" }
      local before = #sent
      local run, _, res = c:run_pipeline { appId = "web", pipelineId = pipelines[1].id, idempotency_key = "k-1" }
      assert.is_table(run, tostring(res))
      assert.equals(2, #sent - before)
      local runs = assert(c:list_pipeline_runs { appId = "web", pipelineId = pipelines[1].id })
      assert.equals(1, #runs) -- the retry did not start a second run
    end)

    it("never retries 400, 401, 403, 404, 409 or 422", function()
      for _, status in ipairs { 400, 401, 403, 404, 409, 422 } do
        local c, sim, sent = sim_client { random = always(0) }
        sim:inject { status = status, times = 10 }
        local _, err = c:list_applications()
        assert.equals(status, err.status)
        assert.equals(1, err.attempts, "status " .. status)
        assert.equals(1, #sent)
      end
    end)

    it("waits with full jitter: random() * min(cap, base * 2^retry)", function()
      local c, sim = sim_client { random = always(1), base = 0.5, cap = 20, attempts = 4 }
      sim:inject { status = 503, times = 3 }
      local start = sim:now()
      assert(c:list_applications())
      assert.near(0.5 + 1 + 2, sim:now() - start, 1e-9)
      c, sim = sim_client { random = always(1), base = 8, cap = 10, attempts = 3 }
      sim:inject { status = 503, times = 2 }
      start = sim:now()
      assert(c:list_applications())
      assert.near(8 + 10, sim:now() - start, 1e-9) -- the second wait is capped
    end)

    it("honours Retry-After in seconds, capped at 60 s, within the deadline", function()
      local c, sim = sim_client { random = always(0) }
      sim:inject { status = 429, retry_after = 7, times = 1 }
      local start = sim:now()
      local _, _, res = assert(c:list_applications())
      assert.equals(2, res.attempts)
      assert.near(7, sim:now() - start, 1e-9)
      sim:inject { status = 429, retry_after = 120, times = 1 }
      start = sim:now()
      assert(c:list_applications())
      assert.near(60, sim:now() - start, 1e-9)
      c, sim = sim_client { random = always(0), deadline = 30 }
      sim:inject { status = 503, retry_after = 45, times = 1 }
      local _, err = c:list_applications()
      assert.equals(1, err.attempts) -- waiting 45 s would pass the 30 s deadline
      assert.equals(503, err.status)
    end)

    it("stops retrying when the client's budget is spent, and recovers with successes", function()
      local c, sim = sim_client { random = always(0) }
      sim:inject { status = 503, times = math.huge }
      local attempts = {}
      for i = 1, 60 do
        local _, err = c:list_applications()
        attempts[i] = err.attempts
        if err.retry_budget_exhausted then break end
      end
      -- 500 tokens at 5 a retry: 50 calls retried twice, then no more retries.
      assert.equals(3, attempts[50])
      assert.equals(1, attempts[51])
      sim:clear_faults()
      for _ = 1, 10 do assert(c:list_applications()) end -- each success puts a token back
      sim:inject { status = 503, times = 1 }
      local _, _, res = c:list_applications()
      assert.equals(2, res.attempts)
    end)

    it("can be turned off per client and changed per call", function()
      local c, sim = sim_client(false)
      sim:inject { status = 503, times = 10 }
      local _, err = c:list_applications()
      assert.equals(1, err.attempts)
      _, err = c:request("GET", "/orgs/acme/apps", { retries = { attempts = 5, random = always(0) } })
      assert.equals(5, err.attempts)
    end)

    it("raises on a bad policy, naming the field", function()
      assert.has_error(function() humanitec.new { retries = { attempt = 3 } } end,
        "bad option 'retries' to 'humanitec.new' (unknown field 'attempt'; did you mean 'attempts'?)")
      assert.has_error(function() humanitec.new { retries = { attempts = 0 } } end)
      assert.has_error(function() humanitec.new { retries = "yes" } end)
    end)
  end)

  describe("over HTTP", function()
    local server
    setup(function() server = helpers.start_server("spec/support/test_server.lua") end)
    teardown(function() server.stop() end)

    it("retries a refused connection for GET, never for POST", function()
      local c = humanitec.new { token = "t", url = "http://127.0.0.1:1", retries = { random = always(0) } }
      local _, err = c:get("/x")
      assert.equals("connect", err.kind)
      assert.equals(3, err.attempts)
      _, err = c:post("/x", { a = 1 })
      assert.equals(1, err.attempts)
    end)

    it("retries a GET that timed out, and not a POST", function()
      local c = humanitec.new { token = "t", url = server.url, timeout = 0.2, retries = { random = always(0) } }
      local _, err = c:get("/slow", { query = { ms = 1500 } })
      assert.equals("timeout", err.kind)
      assert.equals(3, err.attempts)
      _, err = c:post("/slow?ms=1500", { a = 1 })
      assert.equals(1, err.attempts)
    end)
  end)

  describe("Retry-After", function()
    it("reads seconds and HTTP dates", function()
      assert.equals(5, retry.retry_after_seconds("5", 0))
      local now = 784111777 -- Sun, 06 Nov 1994 08:49:37 GMT
      assert.equals(0, retry.retry_after_seconds("Sun, 06 Nov 1994 08:49:37 GMT", now))
      assert.equals(23, retry.retry_after_seconds("Sun, 06 Nov 1994 08:50:00 GMT", now))
      assert.equals(86400, retry.retry_after_seconds("Mon, 07 Nov 1994 08:49:37 GMT", now))
      assert.is_nil(retry.retry_after_seconds("soon", now))
    end)
  end)
end)

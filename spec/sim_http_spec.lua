-- bin/humanitec-sim over HTTP on loopback, driven with curl: its options, its control API (--control) and bad
-- request framing. The route specs (spec/sim_*_spec.lua) run over HTTP too, through support.sim_helper.
local json = require "humanitec.json"
local server_mod = require "support.sim_server"

-- Polls `fn` until it returns true or `seconds` of wall time pass: the HTTP simulator runs on real time, so
-- this is the one place a bounded wait stands in for driving the clock.
local function eventually(seconds, fn)
  local deadline = os.time() + seconds
  repeat
    if fn() then return true end
    os.execute("sleep 0.05")
  until os.time() > deadline
  return fn()
end

describe("bin/humanitec-sim", function()
  local server

  setup(function()
    server = server_mod.start{ "--org", "acme", "--org", "beta", "--token", "tok", "--deploy-seconds", "3" }
    -- 3 s: long enough that the second POST below meets the first deployment still running, even when a
    -- loaded machine takes a second to start curl; the wait for it to finish allows for the same.
  end)
  teardown(function() server:stop() end)

  it("prints the URL it listens on first", function()
    assert.matches("^http://127%.0%.0%.1:%d+$", server.url)
  end)

  it("authenticates requests with --token, for every --org", function()
    local status, body, headers = server:curl("GET", "/orgs", { token = "tok" })
    assert.equal(200, status)
    assert.equal("application/json", headers["content-type"])
    local orgs = json.decode(body)
    assert.same({ "acme", "beta" }, { orgs[1].id, orgs[2].id })
    local s401, b401 = server:curl("GET", "/orgs")
    assert.equal(401, s401)
    assert.equal("API-002", json.decode(b401).error)
    assert.equal(401, (server:curl("GET", "/orgs", { token = "nope" })))
    assert.equal(403, (server:curl("GET", "/orgs/gamma/apps", { token = "tok" })))
  end)

  it("creates an application and deploys it, finishing on real time", function()
    local opts = { token = "tok", content_type = "application/json" }
    opts.body = json.encode{ id = "web", name = "Web" }
    assert.equal(201, (server:curl("POST", "/orgs/acme/apps", opts)))
    opts.body = json.encode{ modules = { add = { api = { profile = "p" } } } }
    local _, delta_body = server:curl("POST", "/orgs/acme/apps/web/deltas", opts)
    opts.body = json.encode{ delta_id = json.decode(delta_body).id }
    local status, dep_body = server:curl("POST", "/orgs/acme/apps/web/envs/development/deploys", opts)
    assert.equal(201, status)
    local dep = json.decode(dep_body)
    assert.equal("pending", dep.status)
    assert.equal(409, (server:curl("POST", "/orgs/acme/apps/web/envs/development/deploys", opts)))
    local done = eventually(20, function()
      local _, b = server:curl("GET", "/orgs/acme/apps/web/envs/development/deploys/" .. dep.id, { token = "tok" })
      return json.decode(b).status == "succeeded"
    end)
    assert.is_true(done)
  end)

  it("answers malformed input with error bodies", function()
    local status, body = server:curl("POST", "/orgs/acme/apps", { token = "tok", body = "{nope",
      content_type = "application/json" })
    assert.equal(400, status)
    assert.equal("API-001", json.decode(body).error)
    assert.equal(400, (server:curl("GET", "/orgs/acme/apps/Bad_App", { token = "tok" })))
    assert.equal(404, (server:curl("GET", "/no/such/thing", { token = "tok" })))
    assert.equal(405, (server:curl("DELETE", "/orgs", { token = "tok" })))
  end)

  it("creates pipelines from YAML and pages with a relative Link", function()
    local opts = { token = "tok", content_type = "application/json", body = json.encode{ id = "ci", name = "CI" } }
    server:curl("POST", "/orgs/beta/apps", opts)
    for i = 1, 3 do
      local status = server:curl("POST", "/orgs/beta/apps/ci/pipelines", { token = "tok",
        content_type = "application/x-yaml", body = "name: p" .. i .. "x\njobs:\n  a:\n    steps:\n      - uses: x\n" })
      assert.equal(201, status)
    end
    local status, body, headers = server:curl("GET", "/orgs/beta/apps/ci/pipelines?per_page=2", { token = "tok" })
    assert.equal(200, status)
    assert.equal(2, #json.decode(body))
    local next_url = headers.link:match('^<([^>]+)>; rel="next"$')
    assert.matches("^/orgs/beta/apps/ci/pipelines%?per_page=2&page=", next_url)
    local _, rest = server:curl("GET", next_url, { token = "tok" })
    assert.equal("p3x", json.decode(rest)[1].id)
  end)

  it("answers a request line over 4 KiB with a 400 instead of a reset, and keeps serving", function()
    local status, body = server:curl("GET", "/orgs/acme/apps?filter=" .. string.rep("a", 6000), { token = "tok" })
    assert.equal(400, status)
    assert.matches("request line", json.decode(body).message)
    assert.equal(200, (server:curl("GET", "/orgs/acme/apps?filter=" .. string.rep("a", 3000), { token = "tok" })))
  end)

  it("makes absolute Link headers from --public-url, for clients behind a proxy", function()
    local proxied = server_mod.start{ "--org", "acme", "--token", "tok", "--public-url", "https://proxy.test/api/" }
    local ok, err = pcall(function()
      proxied:curl("POST", "/orgs/acme/apps", { token = "tok", content_type = "application/json",
        body = json.encode{ id = "ci", name = "CI" } })
      for i = 1, 2 do
        proxied:curl("POST", "/orgs/acme/apps/ci/pipelines", { token = "tok", content_type = "application/x-yaml",
          body = "name: p" .. i .. "x\njobs:\n  a:\n    steps:\n      - uses: x\n" })
      end
      local status, _, h = proxied:curl("GET", "/orgs/acme/apps/ci/pipelines?per_page=1", { token = "tok",
        headers = { "Host: internal.invalid:1234" } })
      assert.equal(200, status)
      assert.matches('^<https://proxy%.test/api/orgs/acme/apps/ci/pipelines%?per_page=1&page=[^>]+>; rel="next"$',
        h.link)
    end)
    proxied:stop()
    assert(ok, err)
  end)

  it("answers Expect: 100-continue at once, so a large body does not stall", function()
    local status, body, _, total = server:curl("POST", "/orgs/acme/apps", { token = "tok",
      content_type = "application/json", headers = { "Expect: 100-continue" },
      body = json.encode{ id = "big", name = string.rep("x", 200000) } })
    assert.equal(201, status)
    assert.equal(200000, #json.decode(body).name)
    assert.is_true(total < 0.9, "curl waited " .. total .. " s for 100 Continue")
  end)

  it("serves an empty list as []", function()
    local _, body = server:curl("GET", "/orgs/beta/apps/ci/deltas", { token = "tok" })
    assert.equal("[]", body)
  end)

  it("has no control API without --control: /_sim/ is an unknown path like any other", function()
    local status, body = server:curl("GET", "/_sim/now", { token = "tok" })
    assert.equal(404, status)
    assert.equal("API-004", json.decode(body).error)
    assert.equal(401, (server:curl("POST", "/_sim/clear-faults"))) -- no token: 401 before any routing
  end)
end)

describe("bin/humanitec-sim --control", function()
  local server
  setup(function() server = server_mod.start{ "--control", "--org", "acme", "--token", "tok" } end)
  teardown(function() server:stop() end)

  -- A control request with an optional JSON body: the status, the decoded body (nil when empty), the headers.
  local function control(method, name, body)
    local status, text, headers = server:curl(method, "/_sim/" .. name, { content_type = "application/json",
      body = type(body) == "table" and json.encode(body) or body })
    return status, text ~= "" and json.decode(text) or nil, headers
  end

  it("reports the real clock, and refuses to advance it", function()
    local status, now = control("GET", "now")
    assert.equal(200, status)
    assert.is_false(now.manual_clock)
    assert.is_true(math.abs(now.now - os.time()) < 60, "now is " .. tostring(now.now))
    assert.matches("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d%.%d%d%dZ$", now.time)
    local s409, body = control("POST", "advance", { seconds = 1 })
    assert.equal(409, s409)
    assert.matches("manual%-clock", body.message)
  end)

  it("injects faults that the API's routes meet and its own do not", function()
    assert.equal(204, (control("POST", "inject", { status = 503, retry_after = 3, times = "always" })))
    for _ = 1, 2 do
      local status, _, headers = server:curl("GET", "/orgs", { token = "tok" })
      assert.equal(503, status)
      assert.equal("3", headers["retry-after"])
    end
    assert.equal(200, (control("GET", "now")))
    assert.equal(204, (control("POST", "inject", { status = 429, path = "^/orgs/acme$", method = "get" })))
    assert.equal(204, (control("POST", "clear-faults")))
    assert.equal(200, (server:curl("GET", "/orgs", { token = "tok" })))
    assert.equal(200, (server:curl("GET", "/orgs/acme", { token = "tok" })))
  end)

  it("adds tokens, and resets to the startup state or to the options given", function()
    local status, added = control("POST", "tokens", { token = "t2", orgs = { "beta" }, user = "bob", name = "Bob" })
    assert.equal(201, status)
    assert.same({ token = "t2", user_id = "bob" }, added)
    local _, orgs = server:curl("GET", "/orgs", { token = "t2" })
    assert.equal("beta", json.decode(orgs)[1].id)
    assert.equal(201, (server:curl("POST", "/orgs/acme/apps", { token = "tok", content_type = "application/json",
      body = json.encode{ id = "web", name = "Web" } })))
    assert.equal(204, (control("POST", "reset")))
    assert.equal(401, (server:curl("GET", "/orgs", { token = "t2" })))
    assert.equal(404, (server:curl("GET", "/orgs/acme/apps/web", { token = "tok" })))
    assert.equal(204, (control("POST", "reset", { orgs = { "zed" },
      tokens = { z = { "zed" }, y = { orgs = { "zed" }, user = "yan" } }, deploy_seconds = 0 })))
    assert.equal(401, (server:curl("GET", "/orgs", { token = "tok" })))
    local _, me = server:curl("GET", "/current-user", { token = "y" })
    assert.equal("yan", json.decode(me).id)
    local _, zed = server:curl("GET", "/orgs", { token = "z" })
    assert.equal("zed", json.decode(zed)[1].id)
    assert.equal(204, (control("POST", "reset", {})))
    assert.equal(200, (server:curl("GET", "/orgs/acme", { token = "tok" })))
  end)

  it("answers bad control requests with error bodies", function()
    local status, body = control("POST", "inject", { times = 1 })
    assert.equal(400, status)
    assert.equal("API-001", body.error)
    assert.matches("status", body.message)
    assert.equal(400, (control("POST", "inject", { status = 42 })))
    assert.equal(400, (control("POST", "fail-next-deployment", { errors = "boom" })))
    assert.equal(400, (control("POST", "tokens", { orgs = { "acme" } })))
    assert.equal(400, (control("POST", "reset", { bogus = 1 })))
    assert.equal(400, (control("POST", "reset", { deploy_seconds = -1 })))
    assert.equal(400, (control("POST", "reset", { start = 5 })), "start needs the manual clock")
    assert.equal(400, (control("POST", "inject", "{nope")))
    assert.equal(404, (control("POST", "nothing")))
    local s405, _, headers = control("GET", "reset")
    assert.equal(405, s405)
    assert.equal("POST", headers.allow)
    assert.equal(200, (server:curl("GET", "/orgs", { token = "tok" })), "the simulator is unchanged")
  end)
end)

describe("bin/humanitec-sim --control --manual-clock", function()
  it("starts the clock at 2024-01-01 and moves it only with /_sim/advance", function()
    local server = server_mod.start{ "--control", "--manual-clock", "--org", "acme", "--token", "tok" }
    local ok, err = pcall(function()
      local _, now = server:curl("GET", "/_sim/now")
      assert.same({ now = 1704067200, time = "2024-01-01T00:00:00.000Z", manual_clock = true }, json.decode(now))
      local status, moved = server:curl("POST", "/_sim/advance", { body = '{"seconds": 90.5}' })
      assert.equal(200, status)
      assert.equal("2024-01-01T00:01:30.500Z", json.decode(moved).time)
      assert.equal(400, (server:curl("POST", "/_sim/advance", { body = '{"seconds": -1}' })))
      assert.equal(400, (server:curl("POST", "/_sim/advance")))
      assert.equal(204, (server:curl("POST", "/_sim/reset", { body = '{"start": 1700000000}' })))
      assert.equal("2023-11-14T22:13:20.000Z", json.decode(select(2, server:curl("GET", "/_sim/now"))).time)
    end)
    server:stop()
    assert(ok, err)
  end)
end)

describe("bin/humanitec-sim options", function()
  it("adds --latency to every answer", function()
    local server = server_mod.start{ "--org", "acme", "--token", "tok", "--latency", "300" }
    local ok, err = pcall(function()
      local status, _, _, total = server:curl("GET", "/orgs", { token = "tok" })
      assert.equal(200, status)
      assert.is_true(total >= 0.3, "time_total was " .. total)
    end)
    server:stop()
    assert(ok, err)
  end)

  it("stops serving when killed", function()
    local server = server_mod.start{ "--org", "acme", "--token", "tok" }
    local url = server.url
    server:stop()
    local status = server_mod.curl(url, "GET", "/orgs", { token = "tok" })
    assert.is_nil(status)
  end)

  it("rejects bad arguments", function()
    local p = io.popen("bin/humanitec-sim --port nope 2>&1; echo rc=$?")
    local out = p:read("*a")
    p:close()
    assert.matches("rc=2", out)
    assert.matches("port", out)
  end)
end)

describe("bin/humanitec-sim with bad request framing", function()
  local raw = require "support.sim_raw"
  local server
  local head = "POST /orgs/acme/apps HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok\r\n"
    .. "Content-Type: application/json\r\n"

  -- A fresh server for each case, so one case's damage does not hide the next one's.
  before_each(function()
    server = server_mod.start{ "--org", "acme", "--token", "tok", "--max-body", "1000" }
  end)
  after_each(function() server:stop() end)

  -- The server is up and answers a normal request at once.
  local function assert_healthy(after)
    assert.is_true(server:alive(), "the simulator exited after " .. after)
    local status, _, _, total = server:curl("GET", "/orgs", { token = "tok", max_time = 3 })
    assert.equal(200, status, "no answer after " .. after)
    assert.is_true(total < 1, "the answer after " .. after .. " took " .. total .. " s")
  end

  local cases = {
    { "a negative Content-Length", "Content-Length: -5\r\n\r\n", 400 },
    { "a Content-Length that is not a number", "Content-Length: abc\r\n\r\n", 400 },
    { "a hexadecimal Content-Length", "Content-Length: 0x10\r\n\r\n0123456789abcdef", 400 },
    { "a signed Content-Length", "Content-Length: +2\r\n\r\n{}", 400 },
    { "two Content-Lengths", "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 400 },
    { "Content-Length with Transfer-Encoding", "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400 },
    { "an unknown Transfer-Encoding", "Transfer-Encoding: gzip\r\n\r\n", 400 },
    { "a malformed chunk", "Transfer-Encoding: chunked\r\n\r\nZZ\r\nxx\r\n0\r\n\r\n", 400 },
    { "a Content-Length over the limit", "Content-Length: 1001\r\n\r\n", 413 },
    { "a huge Content-Length", "Content-Length: 99999999999999999999999\r\n\r\n", 413 },
    { "a chunked body over the limit", "Transfer-Encoding: chunked\r\n\r\n" .. string.rep("64\r\n" .. string.rep("x", 100)
      .. "\r\n", 11) .. "0\r\n\r\n", 413 },
  }
  for _, case in ipairs(cases) do
    it("answers " .. case[1] .. " with " .. case[3] .. ", closes, and keeps serving", function()
      local reply, closed = raw.send(server.url, head .. case[2])
      assert.equal(case[3], raw.status(reply), reply)
      assert.is_true(closed, "the connection was left open")
      assert.equal("application/json", reply:match("\r\ncontent%-type: ([^\r]+)"))
      assert_healthy(case[1])
    end)
  end

  it("answers a body cut short by the client with 400 and keeps serving", function()
    local reply = raw.send(server.url, head .. "Content-Length: 100\r\n\r\n{\"id\":", { shutdown = true })
    assert.equal(400, raw.status(reply), reply)
    assert.matches("ended after 6 of 100 bytes", reply, 1, true)
    assert_healthy("a short body")
  end)

  it("serves others while a client is slow to send its body", function()
    local conn = raw.open(server.url, head .. "Content-Length: 100\r\n\r\n{\"id\":")
    local ok, err = pcall(assert_healthy, "a slow body")
    conn:close()
    assert(ok, err)
    assert_healthy("a slow client going away")
  end)

  it("still reads a well-framed chunked body and keeps the connection", function()
    local body = '{"id":"chunky","name":"Chunky"}'
    local request = head .. "Transfer-Encoding: chunked\r\n\r\n" .. string.format("%x\r\n%s\r\n0\r\n\r\n", #body, body)
    local conn = raw.open(server.url, request .. "GET /orgs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok\r\n"
      .. "Connection: close\r\n\r\n")
    local reply, closed = conn:read(2)
    conn:close()
    assert.equal(201, raw.status(reply), reply)
    assert.is_true(closed)
    assert.matches("HTTP/1.1 200 OK", reply, 1, true)
  end)
end)

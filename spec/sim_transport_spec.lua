-- The in-process transport: the client's transport contract, served by the simulator without sockets.
local json = require "humanitec.json"
local sim_mod = require "humanitec.sim"

describe("humanitec.sim transport", function()
  local sim, transport, session
  before_each(function()
    sim = sim_mod.new{ orgs = { "acme" }, tokens = { tok = { "acme" } }, deploy_seconds = 1 }
    transport = sim:transport()
    session = transport:open{ token = "tok", connect_timeout = 5, max_body = 1024 * 1024, trace = false }
  end)
  after_each(function() session:close() end)

  it("answers with status, lowercase headers, body and timing info", function()
    local status, headers, body, info = session:request("GET", "http://sim.invalid/orgs",
      { { "Accept", "application/json" } }, nil, 5)
    assert.equal(200, status)
    assert.equal("application/json", headers["content-type"])
    assert.equal("acme", json.decode(body)[1].id)
    assert.same({ "number", "number", "number", "number" },
      { type(info.total), type(info.connect), type(info.tls), type(info.first_byte) })
  end)

  it("sends bodies and headers, and returns an empty string for no body", function()
    local status, _, body = session:request("POST", "http://sim.invalid/orgs/acme/apps",
      { { "Content-Type", "application/json" } }, json.encode{ id = "web", name = "Web" }, 5)
    assert.equal(201, status)
    assert.equal("web", json.decode(body).id)
    local s2, _, b2 = session:request("DELETE", "http://sim.invalid/orgs/acme/apps/web", {}, nil, 5)
    assert.equal(202, s2)
    assert.equal("", b2)
  end)

  it("passes the query string and answers Link headers relative to the request", function()
    session:request("POST", "http://sim.invalid/orgs/acme/apps", {}, json.encode{ id = "web", name = "Web" })
    for i = 1, 3 do
      session:request("POST", "http://sim.invalid/orgs/acme/apps/web/pipelines", { { "Content-Type", "application/x-yaml" } },
        "name: p" .. i .. "x\njobs:\n  a:\n    steps:\n      - uses: x\n")
    end
    local status, headers, body =
      session:request("GET", "http://sim.invalid:8080/orgs/acme/apps/web/pipelines?per_page=2")
    assert.equal(200, status)
    assert.equal(2, #json.decode(body))
    local next_url = headers.link:match('^<([^>]+)>; rel="next"$')
    assert.matches("^/orgs/acme/apps/web/pipelines%?", next_url)
    local _, _, rest = session:request("GET", "http://sim.invalid:8080" .. next_url)
    assert.equal("p3x", json.decode(rest)[1].id)
  end)

  it("authenticates with the token the session was opened with", function()
    local anonymous = transport:open{}
    assert.equal(401, (anonymous:request("GET", "http://sim.invalid/orgs")))
    local wrong = transport:open{ token = "nope" }
    assert.equal(401, (wrong:request("GET", "http://sim.invalid/orgs")))
    -- an Authorization pair does not override the session's token
    assert.equal(200, (session:request("GET", "http://sim.invalid/orgs", { { "Authorization", "Bearer nope" } })))
  end)

  it("turns injected latency beyond the timeout into a timeout failure", function()
    sim:inject{ latency = 3 }
    local status, message, kind = session:request("GET", "http://sim.invalid/orgs", {}, nil, 1)
    assert.is_nil(status)
    assert.matches("timed out", message)
    assert.equal("timeout", kind)
    sim:inject{ latency = 0.5 }
    local ok, _, _, info = session:request("GET", "http://sim.invalid/orgs", {}, nil, 1)
    assert.equal(200, ok)
    assert.equal(0.5, info.total)
  end)

  it("passes injected statuses through", function()
    sim:inject{ status = 429, retry_after = 7 }
    local status, headers = session:request("GET", "http://sim.invalid/orgs")
    assert.equal(429, status)
    assert.equal("7", headers["retry-after"])
  end)

  it("fails a response larger than max_body", function()
    local small = transport:open{ token = "tok", max_body = 10 }
    local status, message, kind = small:request("GET", "http://sim.invalid/orgs")
    assert.is_nil(status)
    assert.matches("max_body", message)
    assert.equal("too_large", kind)
  end)

  it("reports a URL it cannot use as a failure and misuse as an error", function()
    local status, _, kind = session:request("GET", "ftp://sim.invalid/orgs")
    assert.is_nil(status)
    assert.equal("url", kind)
    assert.has_error(function() session:request(nil, "http://sim.invalid/orgs") end)
    assert.has_error(function() session:request("GET", "http://sim.invalid/orgs", "not a table") end)
    assert.has_error(function() transport:open{ token = 5 } end)
  end)

  it("closes idempotently and refuses requests afterwards", function()
    session:close()
    session:close()
    assert.has_error(function() session:request("GET", "http://sim.invalid/orgs") end)
  end)

  it("drives a deployment to success with the manual clock", function()
    session:request("POST", "http://sim.invalid/orgs/acme/apps", {}, json.encode{ id = "web", name = "Web" })
    local _, _, delta = session:request("POST", "http://sim.invalid/orgs/acme/apps/web/deltas", {}, "{}")
    local _, _, dep = session:request("POST", "http://sim.invalid/orgs/acme/apps/web/envs/development/deploys", {},
      json.encode{ delta_id = json.decode(delta).id })
    local id = json.decode(dep).id
    sim:advance(1)
    local _, _, got = session:request("GET", "http://sim.invalid/orgs/acme/apps/web/envs/development/deploys/" .. id)
    assert.equal("succeeded", json.decode(got).status)
  end)
end)

-- TLS against loopback HTTPS servers with a test CA made at spec time: verification is on by default (an unknown
-- CA, a wrong host name and an expired certificate all fail with kind "tls"), ca_file and ca_path let the test CA
-- in, insecure turns verification off only when given as true, a connection is reused and a new one offers
-- the cached TLS session, and the token stays out of traces over TLS, HTTP/2 included. Through humanitec.new
-- and through the core session.
local helpers = require "support.helpers"
local tls = require "support.tls"
local humanitec = require "humanitec"
local core = require "humanitec.core"
local cjson = require "cjson"

-- Long, so that libcurl's HTTP/2 trace text would cut it short; its first characters mark any piece of it.
local TOKEN = "tls-spec-token-7c3e9a-" .. string.rep("0123456789abcdef", 20)
local TOKEN_PREFIX = TOKEN:sub(1, 22)

local HTTP2 = core.version().http2

describe("TLS", function()
  local certs, good, wrong, expired, h1
  local clients = {}

  setup(function()
    certs = tls.create()
    -- good: a certificate for 127.0.0.1 and localhost from the test CA, which no system store knows.
    good = helpers.start_server("spec/support/tls_server.lua", { certs.good, certs.key })
    wrong = helpers.start_server("spec/support/tls_server.lua", { certs.wrong, certs.key })
    expired = helpers.start_server("spec/support/tls_server.lua", { certs.expired, certs.key })
    h1 = helpers.start_server("spec/support/tls_server.lua", { certs.good, certs.key, "http/1.1" })
  end)

  teardown(function()
    for _, server in pairs { good, wrong, expired, h1 } do server.stop() end -- pairs: setup may have failed
    if certs then certs.remove() end
  end)

  -- A client for `server`, with `opts` added; closed after each test.
  local function client(server, opts)
    local o = { token = TOKEN, url = server.url, config_file = "/dev/null" }
    for k, v in pairs(opts or {}) do o[k] = v end
    local c = humanitec.new(o)
    clients[#clients + 1] = c
    return c
  end

  after_each(function()
    for i = #clients, 1, -1 do
      clients[i]:close()
      clients[i] = nil
    end
  end)

  -- Asserts a failed call: nil, and an error of kind "tls" whose message matches `pattern`, after one attempt
  -- (a certificate that fails now fails again: nothing is retried).
  local function assert_tls_failure(pattern, data, err)
    assert.is_nil(data)
    assert.is_table(err)
    assert.equals("tls", err.kind)
    assert.is_nil(err.status)
    assert.matches(pattern, err.message)
    assert.equals(1, err.attempts)
    assert.equals("GET", err.method)
    assert.equals("/echo", err.path)
    assert.matches(pattern, tostring(err))
  end

  -- Asserts that a request reached the server with the token: the server echoes the Authorization it got.
  local function assert_arrived(data, response)
    assert.is_table(data)
    assert.equals("Bearer " .. TOKEN, data.authorization)
    assert.equals(200, response.status)
  end

  describe("default verification", function()
    it("rejects a certificate from an unknown CA", function()
      assert_tls_failure("unable to get local issuer certificate", client(good):get("/echo"))
    end)

    it("rejects a certificate for another host name, even from a trusted CA", function()
      assert_tls_failure("host name '127%.0%.0%.1'", client(wrong, { ca_file = certs.ca_file }):get("/echo"))
    end)

    it("rejects an expired certificate, even from a trusted CA", function()
      assert_tls_failure("expired", client(expired, { ca_file = certs.ca_file }):get("/echo"))
    end)

    it("stays on when insecure = false is given", function()
      assert_tls_failure("unable to get local issuer certificate", client(good, { insecure = false }):get("/echo"))
    end)

    it("reports a ca_file that cannot be read as a tls failure", function()
      assert_tls_failure("/nonexistent/ca%.pem", client(good, { ca_file = "/nonexistent/ca.pem" }):get("/echo"))
    end)

    it("rejects the same in concurrent requests (batch)", function()
      local results = client(good):batch({ { "GET", "/echo", {} }, { "GET", "/echo", {} } })
      assert.equals(2, #results)
      for _, r in ipairs(results) do
        assert.is_nil(r.data)
        assert.equals("tls", r.err.kind)
      end
      results = client(expired, { ca_file = certs.ca_file }):batch({ { "GET", "/echo", {} } })
      assert.equals("tls", results[1].err.kind)
      assert.matches("expired", results[1].err.message)
    end)

    it("rejects all three through the core session: nil, message, \"tls\"", function()
      local s = core.session { token = TOKEN }
      local status, message, kind = s:request("GET", good.url .. "/echo")
      assert.is_nil(status)
      assert.matches("unable to get local issuer certificate", message)
      assert.equals("tls", kind)
      s:close()

      s = core.session { token = TOKEN, ca_file = certs.ca_file }
      status, message, kind = s:request("GET", wrong.url .. "/echo")
      assert.is_nil(status)
      assert.matches("host name", message)
      assert.equals("tls", kind)
      status, message, kind = s:request("GET", expired.url .. "/echo")
      assert.is_nil(status)
      assert.matches("expired", message)
      assert.equals("tls", kind)
      -- The same session still verifies and succeeds where the certificate is right.
      status = s:request("GET", good.url .. "/echo")
      assert.equals(200, status)
      s:close()
    end)
  end)

  describe("ca_file and ca_path", function()
    it("ca_file accepts the test CA's certificate, by IP address and by DNS name", function()
      local data, _, response = client(good, { ca_file = certs.ca_file }):get("/echo")
      assert_arrived(data, response)
      local localhost = good.url:gsub("127%.0%.0%.1", "localhost")
      local _
      data, _, response = client({ url = localhost }, { ca_file = certs.ca_file }):get("/echo")
      assert_arrived(data, response)
    end)

    it("ca_file is the only CA trusted: libcurl's built-in folder is not consulted beside it", function()
      local traces = {}
      local data, _, response = client(good, { ca_file = certs.ca_file,
        on_trace = function(t) traces[#traces + 1] = t end }):get("/echo")
      assert_arrived(data, response)
      local trace = table.concat(traces)
      assert.matches("CAfile: " .. certs.ca_file:gsub("%p", "%%%0"), trace)
      assert.matches("CApath: none", trace)
    end)

    it("ca_path accepts a hashed directory holding the test CA", function()
      local data, _, response = client(good, { ca_path = certs.ca_path }):get("/echo")
      assert_arrived(data, response)
    end)

    it("speaks HTTP/2 over TLS where libcurl has it", function()
      if not HTTP2 then
        pending("this libcurl has no HTTP/2")
        return
      end
      local data, _, response = client(good, { ca_file = certs.ca_file }):get("/echo")
      assert.equals("2", response.timings.http_version)
      assert.equals("2", data.http_version) -- the server agrees
      local _
      data, _, response = client(h1, { ca_file = certs.ca_file }):get("/echo")
      assert.equals("1.1", response.timings.http_version)
      assert.equals("1.1", data.http_version)
    end)

    it("works through the core session, with ca_file and with ca_path", function()
      for _, opts in ipairs { { ca_file = certs.ca_file }, { ca_path = certs.ca_path } } do
        opts.token = TOKEN
        local s = core.session(opts)
        local status, _, body, info = s:request("GET", good.url .. "/echo")
        assert.equals(200, status)
        assert.equals("Bearer " .. TOKEN, cjson.decode(body).authorization)
        assert.is_true(info.tls > 0)
        s:close()
      end
    end)
  end)

  describe("insecure", function()
    it("= true turns verification off: unknown CA, wrong name and expired certificates are accepted", function()
      for _, server in ipairs { good, wrong, expired } do
        local data, _, response = client(server, { insecure = true }):get("/echo")
        assert_arrived(data, response)
      end
      local s = core.session { token = TOKEN, insecure = true }
      local status, _, body = s:request("GET", good.url .. "/echo")
      assert.equals(200, status)
      assert.equals("Bearer " .. TOKEN, cjson.decode(body).authorization)
      s:close()
    end)

    it("must be a boolean: a truthy value of another type raises, naming the option", function()
      assert.has_error(function() client(good, { insecure = "yes" }) end,
        "bad option 'insecure' to 'humanitec.new' (boolean expected, got string)")
      assert.has_error(function() client(good, { insecure = 1 }) end,
        "bad option 'insecure' to 'humanitec.new' (boolean expected, got number)")
      assert.has_error(function() core.session { insecure = "yes" } end,
        "bad option 'insecure' (boolean expected, got string)")
      assert.has_error(function() core.session { insecure = 1 } end,
        "bad option 'insecure' (boolean expected, got number)")
    end)

    it("is never turned on by the environment or the humctl file", function()
      local humctl = helpers.temp_file("insecure: true\ntls-skip-verify: true\ninsecureSkipTlsVerify: true\n"
        .. "skipTlsVerify: true\nverify: false\n")
      local env = {
        HUMANITEC_TOKEN = TOKEN, HUMANITEC_API_PREFIX = good.url, HUMCTL_CONFIG = humctl,
        HUMANITEC_INSECURE = "true", HUMANITEC_TLS_INSECURE = "1", HUMANITEC_SKIP_TLS_VERIFY = "true",
        HUMANITEC_TLS_VERIFY = "false", HUMANITEC_SSL_VERIFY = "0", HUMANITEC_INSECURE_SKIP_VERIFY = "1",
        HUMCTL_INSECURE = "true", HUMCTL_TLS_SKIP_VERIFY = "true", INSECURE = "1",
        CURL_INSECURE = "1", CURL_SSL_NO_VERIFY = "1", CURLOPT_SSL_VERIFYPEER = "0", GIT_SSL_NO_VERIFY = "1",
        NODE_TLS_REJECT_UNAUTHORIZED = "0", PYTHONHTTPSVERIFY = "0", SSL_NO_VERIFY = "1",
      }
      local out, ok = helpers.run_lua([[
        local humanitec = require "humanitec"
        local c = humanitec.new {}
        local data, err = c:get("/echo")
        local _, _, kind = require("humanitec.core").session({}):request("GET", os.getenv("HUMANITEC_API_PREFIX"))
        io.write(tostring(data and "accepted" or err.kind), " ", tostring(kind))
      ]], env)
      os.remove(humctl)
      assert.is_true(ok, out)
      assert.equals("tls tls", out)
    end)
  end)

  describe("reuse", function()
    it("sends the second request of a client on the first one's connection: no connect, no handshake", function()
      local c = client(good, { ca_file = certs.ca_file })
      local first, _, r1 = c:get("/echo")
      local second, _, r2 = c:get("/echo")
      assert_arrived(first, r1)
      assert_arrived(second, r2)
      assert.is_true(r1.timings.connect > 0)
      assert.is_true(r1.timings.tls > 0)
      assert.equals(0, r2.timings.connect)
      assert.equals(0, r2.timings.tls)
      assert.equals(first.connection, second.connection) -- the server saw one connection
    end)

    it("does the same through the core session, for requests marked repeatable", function()
      local s = core.session { token = TOKEN, ca_file = certs.ca_file }
      local _, _, body1, info1 = s:request("GET", good.url .. "/echo", nil, nil, nil, true)
      local _, _, body2, info2 = s:request("GET", good.url .. "/echo", nil, nil, nil, true)
      assert.is_true(info1.tls > 0)
      assert.equals(0, info2.connect)
      assert.equals(0, info2.tls)
      assert.equals(cjson.decode(body1).connection, cjson.decode(body2).connection)
      s:close()
    end)

    it("offers the cached TLS session when a new connection is needed", function()
      -- The test server (luaossl) does not resume sessions, so what is checked is the client's side: after the
      -- server has ended the first connection (Connection: close, over HTTP/1.1, where the client knows before
      -- its next request; a GOAWAY in HTTP/2 could cross it), the new handshake offers the session it cached.
      local traces = {}
      local c = client(h1, { ca_file = certs.ca_file, on_trace = function(t) traces[#traces + 1] = t end })
      local first, _, r1 = c:get("/echo", { query = { close = 1 } })
      local second, _, r2 = c:get("/echo")
      assert_arrived(first, r1)
      assert_arrived(second, r2)
      assert.are_not.equal(first.connection, second.connection)
      assert.is_true(r2.timings.tls > 0)
      assert.equals(2, #traces)
      assert.is_nil(traces[1]:find("SSL re%-?using session"))
      assert.matches("SSL re%-?using session", traces[2])
    end)
  end)

  describe("traces", function()
    -- Asserts that `trace` shows the request but neither the token nor any piece of it.
    local function assert_clean(trace, version)
      assert.matches("> GET /echo HTTP/" .. version:gsub("%.", "%%."), trace)
      assert.matches("SSL certificate verify ok", trace) -- the trace covers the TLS handshake
      assert.is_nil(trace:find(TOKEN_PREFIX, 1, true))
      local masked = 0
      for line in trace:gmatch("[^\n]+") do
        if line:lower():find("authorization", 1, true) then
          assert.matches("%[redacted%]$", line)
          masked = masked + 1
        end
      end
      assert.is_true(masked > 0, "no Authorization line in the trace")
    end

    it("never show the token over TLS with HTTP/1.1", function()
      local traces = {}
      local c = client(h1, { ca_file = certs.ca_file, on_trace = function(t) traces[#traces + 1] = t end })
      local data, _, response = c:get("/echo")
      assert_arrived(data, response)
      assert.equals("1.1", response.timings.http_version)
      assert.equals(1, #traces)
      assert_clean(traces[1], "1.1")
      assert.matches("[Aa]uthorization: %[redacted%]", traces[1])
    end)

    it("never show the token over TLS with HTTP/2", function()
      if not HTTP2 then
        pending("this libcurl has no HTTP/2")
        return
      end
      local traces = {}
      local c = client(good, { ca_file = certs.ca_file, on_trace = function(t) traces[#traces + 1] = t end })
      for _ = 1, 2 do
        local data, _, response = c:get("/echo")
        assert_arrived(data, response)
        assert.equals("2", response.timings.http_version)
      end
      assert.equals(2, #traces)
      assert_clean(traces[1], "2")
      assert.matches("authorization: %[redacted%]", traces[1])
      assert.is_nil(traces[2]:find(TOKEN_PREFIX, 1, true))
      assert.matches("> GET /echo HTTP/2", traces[2]) -- the reused connection's request

      local s = core.session { token = TOKEN, ca_file = certs.ca_file, trace = true }
      local status, _, _, info = s:request("GET", good.url .. "/echo")
      assert.equals(200, status)
      assert.equals("2", info.http_version)
      assert_clean(info.trace, "2")
      s:close()
    end)

    it("show no token when the handshake fails", function()
      local traces = {}
      local c = client(expired, { ca_file = certs.ca_file, on_trace = function(t) traces[#traces + 1] = t end })
      local data, err = c:get("/echo")
      assert.is_nil(data)
      assert.equals("tls", err.kind)
      assert.equals(1, #traces)
      assert.matches("expired", traces[1])
      assert.is_nil(traces[1]:find(TOKEN_PREFIX, 1, true))
    end)
  end)
end)

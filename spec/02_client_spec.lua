-- The Lua client over the real C core, against a loopback server: the header and auth contract, JSON, the
-- error contract, and the token kept out of everything printable.
local helpers = require "support.helpers"
local humanitec = require "humanitec"
local json = require "humanitec.json"

local TOKEN = "client-spec-token-9d2e"

describe("humanitec client", function()
  local server, client

  setup(function()
    server = helpers.start_server("spec/support/test_server.lua")
  end)

  teardown(function()
    server.stop()
  end)

  before_each(function()
    client = humanitec.new { token = TOKEN, url = server.url, org = "acme", config_file = "/dev/null" }
  end)

  after_each(function()
    client:close()
  end)

  local function count(path)
    local probe = humanitec.new { token = "x", url = server.url, config_file = "/dev/null" }
    local data = assert(probe:get("/count", { query = { path = path } }))
    probe:close()
    return data.count
  end

  describe("headers", function()
    it("sends the token, Accept, and both user-agent headers", function()
      local echo = assert(client:get("/echo"))
      assert.equals("Bearer " .. TOKEN, echo.headers.authorization)
      assert.equals("application/json", echo.headers.accept)
      assert.matches("^lua%-humanitec/" .. humanitec.VERSION:gsub("%p", "%%%0"), echo.headers["user-agent"])
      assert.equals("sdk lua-humanitec/" .. humanitec.VERSION, echo.headers["humanitec-user-agent"])
      assert.is_nil(echo.headers["content-type"])
    end)

    it("puts user_agent in both user-agent headers", function()
      local c = humanitec.new { token = TOKEN, url = server.url, user_agent = "release-bot/1.2" }
      local echo = assert(c:get("/echo"))
      assert.matches(" release%-bot/1%.2$", echo.headers["user-agent"])
      assert.equals("app release-bot/1.2; sdk lua-humanitec/" .. humanitec.VERSION, echo.headers["humanitec-user-agent"])
      c:close()
    end)

    it("sends Content-Type with a JSON body, and the caller's headers", function()
      local echo = assert(client:post("/echo", { a = 1 }, { headers = { ["X-Request-Id"] = "r1" } }))
      assert.equals("application/json", echo.headers["content-type"])
      assert.equals("r1", echo.headers["x-request-id"])
      assert.same({ a = 1 }, json.decode(echo.body))
    end)

    it("lets the caller's header replace a default of the same name", function()
      local echo = assert(client:get("/echo", { headers = { accept = "application/x-yaml" } }))
      assert.equals("application/x-yaml", echo.headers.accept) -- one value, not a list of two
    end)

    it("rejects CR or LF in a header value, and an Authorization header of the caller's", function()
      assert.has_error(function()
        client:get("/echo", { headers = { ["X-A"] = "1\r\nX-B: 2" } })
      end, "bad header 'X-A' (must not contain CR, LF or NUL)")
      assert.has_error(function()
        client:get("/echo", { headers = { Authorization = "Bearer x" } })
      end, "bad header 'Authorization' (the client sends its token itself)")
      assert.equals(0, count("/echo-never"))
    end)
  end)

  describe("requests", function()
    it("has verb helpers for every method", function()
      for _, verb in ipairs { "get", "post", "put", "patch", "delete" } do
        local echo = assert(client[verb](client, "/echo/" .. verb))
        assert.equals(verb:upper(), echo.method)
        assert.equals("/echo/" .. verb, echo.path)
      end
    end)

    it("encodes the query: sorted keys, repeated keys for lists, percent-encoding", function()
      local echo = assert(client:get("/echo", { query = { b = "x y/z", a = { 1, 2 }, c = true } }))
      assert.equals("a=1&a=2&b=x%20y%2Fz&c=true", echo.query)
    end)

    it("takes a raw body with its content type", function()
      local echo = assert(client:request("POST", "/echo", { raw_body = "a: 1\n", content_type = "application/x-yaml" }))
      assert.equals("a: 1\n", echo.body)
      assert.equals("application/x-yaml", echo.headers["content-type"])
    end)

    it("raises on programmer errors, naming the argument", function()
      assert.has_error(function() client:get("orgs") end,
        "bad argument #2 to 'get' (path starting with '/' expected, got orgs)")
      assert.has_error(function() client:request("GET", "/echo", { qurey = {} }) end,
        "bad argument #3 to 'request' (unknown option 'qurey'; did you mean 'query'?)")
      assert.has_error(function() client:post("/echo", { f = print }) end)
      assert.has_error(function() client:request("POST", "/echo", { body = 1, raw_body = "x" }) end,
        "bad argument #3 to 'request' (give body or raw_body, not both)")
      assert.has_error(function() client.get(nil, "/echo") end)
    end)

    it("escapes path segments so an id cannot walk the path", function()
      assert.equals("..%2Fx", humanitec.escape("../x"))
      assert.equals("%2E%2E", humanitec.escape(".."))
      assert.equals("a%20b%3Fc%23d", humanitec.escape("a b?c#d"))
      local echo = assert(client:get("/echo/" .. humanitec.escape("../../secret")))
      assert.equals("/echo/..%2F..%2Fsecret", echo.path)
    end)
  end)

  describe("the return convention", function()
    it("answers data, nil, response on success, so `if err then` is always right", function()
      local data, err, response = client:get("/echo")
      assert.is_nil(err)
      assert.equals("GET", data.method)
      assert.equals(200, response.status)
      assert.equals(1, response.attempts)
      local app, app_err, app_response = client:request("POST", "/echo", { body = { id = "web" } })
      assert.is_nil(app_err)
      assert.is_table(app)
      assert.equals("POST", app_response.method)
    end)

    it("answers nil, err on failure, and assert() raises with the error", function()
      local data, err, response = client:get("/respond", { query = { status = 404 } })
      assert.is_nil(data)
      assert.equals(404, err.status)
      assert.is_nil(response)
      local ok, raised = pcall(function() return assert(client:get("/respond", { query = { status = 500 } })) end)
      assert.is_false(ok)
      assert.matches("GET /respond: 500 Internal Server Error", tostring(raised))
    end)

    it("tells a JSON false or null body from a failure by err", function()
      local data, err, response = client:get("/respond", { query = { type = "application/json", body = "false" } })
      assert.is_false(data)
      assert.is_nil(err)
      assert.equals(200, response.status)
      data, err = client:get("/respond", { query = { type = "application/json", body = "null" } })
      assert.equals(humanitec.null, data)
      assert.is_nil(err)
    end)

    it("calls back with data, err, response", function()
      local got
      client:start("GET", "/echo", function(...) got = table.pack and table.pack(...) or { n = select("#", ...), ... } end)
      assert.is_true(client:run(10))
      assert.equals(3, got.n)
      assert.equals("GET", got[1].method)
      assert.is_nil(got[2])
      assert.equals(200, got[3].status)
      client:start("GET", "/respond", { query = { status = 409 } }, function(...) got = { n = select("#", ...), ... } end)
      assert.is_true(client:run(10))
      assert.is_nil(got[1])
      assert.equals(409, got[2].status)
    end)
  end)

  describe("verbs", function()
    it("post(path, body) sends the second argument as the body, whatever its keys", function()
      local echo = assert(client:post("/echo", { timeout = 30 }))
      assert.same({ timeout = 30 }, json.decode(echo.body))
      echo = assert(client:put("/echo", { query = { a = 1 } }, { query = { b = 2 } }))
      assert.same({ query = { a = 1 } }, json.decode(echo.body))
      assert.equals("b=2", echo.query)
      echo = assert(client:patch("/echo"))
      assert.equals("PATCH", echo.method)
      assert.equals("", echo.body)
    end)

    it("get and delete take options second and refuse a body among them", function()
      local echo = assert(client:get("/echo", { query = { a = 1 } }))
      assert.equals("a=1", echo.query)
      assert.has_error(function() client:get("/echo", { body = {} }) end,
        "bad argument #3 to 'get' (a GET request takes no body)")
      assert.has_error(function() client:request("HEAD", "/echo", { raw_body = "x" }) end,
        "bad argument #3 to 'request' (a HEAD request takes no body)")
      assert.has_error(function() client:post("/echo", {}, { body = {} }) end,
        "bad argument #3 to 'post' (the body is the second argument: client:post(path, body, opts))")
    end)
  end)

  describe("query", function()
    it("adds opts.query to a query already in the path", function()
      local echo = assert(client:get("/echo?per_page=5", { query = { page = "abc" } }))
      assert.equals("per_page=5&page=abc", echo.query)
      echo = assert(client:get("/echo?per_page=5&", { query = { page = 2 } }))
      assert.equals("per_page=5&page=2", echo.query)
      echo = assert(client:get("/echo?per_page=5", { query = {} }))
      assert.equals("per_page=5", echo.query)
    end)

    it("lets opts.query replace a key the path's query holds too, so none is sent twice", function()
      local echo = assert(client:get("/echo?per_page=5&page=1&sort=id", { query = { page = 2 } }))
      assert.equals("per_page=5&sort=id&page=2", echo.query)
      echo = assert(client:get("/echo?page=1", { query = { page = { "a", "b" } } }))
      assert.equals("page=a&page=b", echo.query)
      echo = assert(client:get("/echo?my%20key=1&x=2", { query = { ["my key"] = "y" } }))
      assert.equals("x=2&my%20key=y", echo.query)
    end)
  end)

  describe("JSON", function()
    local function round_trip(value)
      local data, _, response = client:post("/mirror", value)
      assert.is_not_nil(data, tostring(response))
      assert.equals(200, response.status)
      return data
    end

    it("round-trips null, empty arrays and objects, nesting and unicode", function()
      local sent = {
        null = humanitec.null,
        empty_array = humanitec.array(),
        empty_object = {},
        nested = { list = { 1, 2, { deep = humanitec.array() } }, text = "Grüße, 世界 ✓" },
      }
      local back = round_trip(sent)
      assert.equals(humanitec.null, back.null)
      assert.is_true(json.is_array(back.empty_array))
      assert.is_false(json.is_array(back.empty_object))
      assert.equals("Grüße, 世界 ✓", back.nested.text)
      assert.is_true(json.is_array(back.nested.list[3].deep))
      -- and what came back goes out again the same
      local again = assert(client:post("/echo", back))
      assert.same(json.decode(json.encode(sent)), json.decode(again.body))
      assert.matches('"empty_array":%[%]', again.body)
      assert.matches('"empty_object":{}', again.body)
    end)

    it("sends and receives scalar bodies", function()
      assert.equals("just a string", round_trip("just a string"))
      assert.equals(false, round_trip(false))
      assert.equals(true, round_trip(true))
      assert.equals(42, round_trip(42))
      assert.equals(humanitec.null, round_trip(humanitec.null))
      local echo = assert(client:put("/echo", true))
      assert.equals("true", echo.body)
    end)

    it("returns the body as a string for other content types, and true for an empty body", function()
      local text, _, response = client:get("/respond", { query = { type = "text/plain", body = "hello" } })
      assert.equals("hello", text)
      assert.equals(200, response.status)
      assert.equals("text/plain", response:header("Content-Type"))
      local empty, _, res2 = client:get("/respond", { query = { status = 204 } })
      assert.is_true(empty)
      assert.equals(204, res2.status)
    end)

    it("reports invalid JSON in a success as a decode error", function()
      local data, err = client:get("/respond", { query = { type = "application/json", body = "{not json" } })
      assert.is_nil(data)
      assert.equals("decode", err.kind)
      assert.equals(200, err.status)
    end)
  end)

  describe("errors", function()
    local function failing(status, body, content_type)
      local data, err = client:get("/respond", {
        query = { status = status, body = body, type = content_type or "application/json" },
      })
      assert.is_nil(data)
      assert.is_true(humanitec.is_error(err))
      return err
    end

    it("reads Humanitec's error body", function()
      local err = failing(409, json.encode { error = "API-002", message = "App already exists", details = { id = "web" } })
      assert.equals("http", err.kind)
      assert.equals(409, err.status)
      assert.equals("API-002", err.code)
      assert.equals("App already exists", err.message)
      assert.same({ id = "web" }, err.details)
      assert.equals("GET", err.method)
      assert.equals("/respond", err.path)
      assert.equals("humanitec: GET /respond: 409 (API-002) App already exists", tostring(err))
    end)

    it("reads a bare JSON string, an array, and an empty body", function()
      local err = failing(404, '"Delta not found"')
      assert.equals("Delta not found", err.message)
      err = failing(400, '[{"field":"id"}]')
      assert.same({ { field = "id" } }, err.details)
      assert.equals("Bad Request", err.message)
      err = failing(500, "", "")
      assert.equals("Internal Server Error", err.message)
      assert.equals("humanitec: GET /respond: 500 Internal Server Error", tostring(err))
    end)

    it("turns an HTML error page into one line", function()
      local err = failing(502, "<html><body><h1>502 Bad Gateway</h1>\n<p>nginx</p></body></html>", "text/html")
      assert.equals(502, err.status)
      assert.equals("502 Bad Gateway nginx", err.message)
      assert.is_nil(tostring(err):find("\n"))
    end)

    it("returns a redirect as an error instead of following it", function()
      local data, err = client:get("/redirect", { query = { to = "/echo" } })
      assert.is_nil(data)
      assert.equals(302, err.status)
      assert.equals("/echo", err.headers.location)
      assert.equals(0, count("/echo-redirected"))
    end)

    it("reports a server that answers too late as a timeout", function()
      local data, err = client:get("/slow", { query = { ms = 3000 }, timeout = 0.3 })
      assert.is_nil(data)
      assert.equals("timeout", err.kind)
      assert.equals("/slow", err.path)
      assert.matches("^humanitec: GET /slow: timeout: ", tostring(err))
    end)

    it("reports a refused connection", function()
      local c = humanitec.new { token = TOKEN, url = "http://127.0.0.1:1" }
      local data, err = c:get("/orgs")
      assert.is_nil(data)
      assert.equals("connect", err.kind)
      c:close()
    end)

    it("stops a body over max_body", function()
      local c = humanitec.new { token = TOKEN, url = server.url, max_body = 1000 }
      local data, err = c:get("/bytes", { query = { n = 5000 } })
      assert.is_nil(data)
      assert.equals("too_large", err.kind)
      c:close()
    end)
  end)

  describe("the token", function()
    it("never shows in tostring of a client, response or error", function()
      assert.is_nil(tostring(client):find(TOKEN, 1, true))
      local _, _, response = client:get("/echo")
      assert.is_nil(tostring(response):find(TOKEN, 1, true))
      -- a server that echoes the token back in its error body
      local _, err = client:get("/respond", { query = {
        status = 401, type = "application/json",
        body = json.encode { error = "AUTH", message = "bad token " .. TOKEN, details = { got = TOKEN } },
      } })
      assert.is_nil(tostring(err):find(TOKEN, 1, true))
      assert.is_nil(err.message:find(TOKEN, 1, true))
      assert.is_nil(json.encode(err.details):find(TOKEN, 1, true))
      for k, v in pairs(client) do
        assert.is_nil(tostring(v):find(TOKEN, 1, true), "client field " .. tostring(k))
      end
    end)

    it("never shows in a trace", function()
      local traces = {}
      local c = humanitec.new {
        token = TOKEN, url = server.url, on_trace = function(t) traces[#traces + 1] = t end, retries = false,
      }
      assert(c:get("/echo"))
      c:get("/slow", { query = { ms = 2000 }, timeout = 0.2 })
      c:close()
      assert.equals(2, #traces)
      for _, t in ipairs(traces) do
        assert.matches("> GET /", t)
        assert.is_nil(t:find(TOKEN, 1, true))
      end
      assert.matches("Authorization: %[redacted%]", traces[1])
    end)
  end)

  describe("life cycle", function()
    it("raises a clear error when used after close, and closes twice without harm", function()
      local c = humanitec.new { token = TOKEN, url = server.url }
      c:close()
      c:close()
      assert.has_error(function() c:get("/echo") end, "attempt to use a closed humanitec client")
      assert.matches("closed", tostring(c))
    end)

    it("survives clients collected by the GC while others are in use", function()
      local kept = humanitec.new { token = TOKEN, url = server.url }
      for i = 1, 30 do
        local c = humanitec.new { token = TOKEN, url = server.url }
        assert(c:get("/echo"))
        if i % 5 == 0 then
          collectgarbage("collect")
          assert(kept:get("/echo"))
        end
      end
      collectgarbage("collect")
      assert(kept:get("/echo"))
      kept:close()
    end)
  end)
end)

describe("require \"humanitec\" (cold start)", function()
  it("loads neither the operations, the workflow helpers, the concurrent methods nor the core until used", function()
    local out, ok = helpers.run_lua([[
      local humanitec = require "humanitec"
      local function loaded()
        local words = {}
        for _, name in ipairs { "operations", "workflows", "core", "async" } do
          words[#words + 1] = package.loaded["humanitec." .. name] ~= nil and "yes" or "no"
        end
        io.write(table.concat(words, " "), "\n")
      end
      loaded()
      local client = humanitec.new { token = "t", url = "http://127.0.0.1:9", retries = false }
      assert(client:get("/orgs") == nil)
      loaded()
      assert(type(client.deploy) == "function" and type(client.list_applications) == "function")
      assert(type(client.batch) == "function")
      loaded()
      client:close()
    ]])
    assert.is_true(ok, out)
    assert.equals("no no no no\nno no yes no\nyes yes yes yes\n", out)
  end)
end)

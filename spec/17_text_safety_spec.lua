-- Text from a server, made safe to show: the token masked where it stands as a whole token (also after JSON
-- unescaping), userinfo hidden, retries said, and every summary of hostile text linear and bounded.
local helpers = require "support.helpers"
local humanitec = require "humanitec"
local errors = require "humanitec.errors"
local json = require "humanitec.json"

-- Seconds of CPU `f` takes.
local function cpu(f)
  local start = os.clock()
  f()
  return os.clock() - start
end

describe("text safety", function()
  local server

  setup(function() server = helpers.start_server("spec/support/test_server.lua") end)
  teardown(function() server.stop() end)

  local function answer(client, status, body, content_type)
    local _, err = client:get("/respond", { query = { status = status, type = content_type or "application/json",
      body = body } })
    return err
  end

  it("masks a short token where it stands as a whole token, not inside words (the README's `tok`)", function()
    local client = humanitec.new { token = "tok", url = server.url, config_file = "/dev/null", retries = false }
    local err = answer(client, 403, json.encode { message = "the token has no access; tok was refused (tok)" })
    assert.equals("the token has no access; [redacted] was refused ([redacted])", err.message)
    err = answer(client, 502, "<p>tokens: tok</p>", "text/html")
    assert.equals("tokens: [redacted]", err.message)
    client:close()
  end)

  it("masks a token the server echoed JSON-escaped, after decoding", function()
    local client = humanitec.new { token = "tok/en-9", url = server.url, config_file = "/dev/null", retries = false }
    local err = answer(client, 401, '{"message":"bad \\u0074ok\\/en-9 here","details":{"t":"tok\\/en-9"}}')
    assert.equals("bad [redacted] here", err.message)
    assert.same({ t = "[redacted]" }, err.details)
    assert.is_nil(tostring(err):find("tok/en-9", 1, true))
    client:close()
  end)

  it("masks a token the server echoed in a response header, in the error's headers", function()
    local client = humanitec.new { token = "tok/en-9", url = server.url, config_file = "/dev/null", retries = false }
    local _, err = client:get("/respond", { query = { status = 401, type = "application/json", body = "{}",
      header = { "www-authenticate: Bearer tok/en-9 was refused", "x-echo: tok/en-9" } } })
    assert.equals("Bearer [redacted] was refused", err.headers["www-authenticate"])
    assert.equals("[redacted]", err.headers["x-echo"])
    client:close()
  end)

  it("hides a user name and password in the URL from tostring of the client and a response", function()
    local url = server.url:gsub("^http://", "http://alice:s3cret-pw@")
    local client = humanitec.new { token = "t", url = url, config_file = "/dev/null" }
    assert.is_nil(tostring(client):find("s3cret", 1, true))
    assert.matches("http://%*%*%*@127%.0%.0%.1", tostring(client))
    local _, err, response = client:get("/echo")
    assert.is_nil(err, tostring(err))
    assert.is_not_nil(response)
    assert.is_nil(tostring(response):find("s3cret", 1, true))
    assert.matches("%*%*%*@", tostring(response))
    client:close()
  end)

  it("await answers a failure as nil and the error, masked, in the main thread and in a coroutine", function()
    local client = humanitec.new { token = "tok", url = server.url, config_file = "/dev/null", retries = false }
    local query = { status = 404, type = "application/json", body = '{"message":"tok not found"}' }
    local data, err, response = client:await("GET", "/respond", { query = query })
    assert.is_nil(data)
    assert.is_nil(response)
    assert.equals(404, err.status)
    assert.equals("[redacted] not found", err.message)
    local got
    local co = coroutine.create(function() got = { client:await("GET", "/respond", { query = query }) } end)
    assert.is_true((coroutine.resume(co)))
    assert.equals("dead", coroutine.status(co))
    assert.is_nil(got[1])
    assert.equals(404, got[2].status)
    assert.equals("[redacted] not found", got[2].message)
    client:close()
  end)

  it("says how many attempts a retried call made", function()
    local client = humanitec.new { token = "t", url = server.url, config_file = "/dev/null",
      retries = { attempts = 3, base = 0.001, cap = 0.002 } }
    local err = answer(client, 503, '{"message":"down"}')
    assert.equals(3, err.attempts)
    assert.matches("503 down %(3 attempts%)$", tostring(err))
    assert.has_error(function() humanitec.new { token = "t", retries = { atempts = 2 } } end,
      "bad option 'retries' to 'humanitec.new' (unknown field 'atempts'; did you mean 'attempts'?)")
    client:close()
  end)

  describe("hostile text, in linear time and bounded", function()
    it("summarises 20 KB and 200 KB of '<' quickly, keeping at most 200 bytes", function()
      for _, n in ipairs { 20000, 200000 } do
        local fields
        local took = cpu(function() fields = errors.from_body(502, nil, ("<"):rep(n)) end)
        assert.is_true(took < 0.5, n .. " '<' took " .. took .. " s")
        assert.is_true(#fields.message <= 200)
      end
      local fields = errors.from_body(502, nil, ("<a>"):rep(50000) .. "<p>bad gateway</p>")
      assert.is_true(#fields.message <= 200)
    end)

    it("makes one line of a message with 20 000 spaces and line breaks quickly", function()
      local message = ("x" .. (" "):rep(20000) .. "\n"):rep(3)
      local err = errors.new { kind = "http", status = 500, message = message, method = "GET", path = "/x" }
      local text
      local took = cpu(function() text = tostring(err) end)
      assert.is_true(took < 0.5, "took " .. took .. " s")
      assert.is_nil(text:find("\n", 1, true))
      assert.is_true(#text < 1100)
    end)

    it("keeps at most 8 KiB of a server's message", function()
      local fields = errors.from_body(500, { message = ("m"):rep(100000) }, "")
      assert.is_true(#fields.message <= 8192 + 3)
    end)
  end)
end)

describe("the CLI's table printer", function()
  it("prints a 10 KB app name among short ones in linear time", function()
    local format = require "humanitec.cli.format"
    local rows = { { ("a"):rep(10000), "Long" } }
    for i = 1, 200 do rows[#rows + 1] = { "app-" .. i, "" } end
    local start = os.clock()
    local text = format.table({ "ID", "NAME" }, rows)
    local took = os.clock() - start
    assert.is_true(took < 1, "took " .. took .. " s")
    assert.matches("\napp%-1 + %-\n", text)
  end)
end)

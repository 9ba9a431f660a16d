-- Token safety, end to end: with tracing on, the token never appears in traces, error messages, or tostring of
-- a client, session, error or response, nor in the process's command line; CR or LF in a token, a header value
-- or an id is rejected.
local helpers = require "support.helpers"
local humanitec = require "humanitec"
local core = require "humanitec.core"
local json = require "humanitec.json"

local TOKEN = "hum-token-safety-8c41d2e7a9f0"

local function refuses_token(text, what)
  assert.is_nil(tostring(text):find(TOKEN, 1, true), what .. " shows the token")
end

describe("the token", function()
  local server

  setup(function() server = helpers.start_server("spec/support/test_server.lua") end)
  teardown(function() server.stop() end)

  it("stays out of traces, errors and every tostring, whatever the server sends back", function()
    local traces = {}
    local client = humanitec.new { token = TOKEN, url = server.url, config_file = "/dev/null",
      on_trace = function(t) traces[#traces + 1] = t end, retries = false }
    local _, _, response = assert(client:get("/echo"))
    local echoed = json.decode(response.body).headers.authorization
    assert.equals("Bearer " .. TOKEN, echoed) -- it was sent...
    local outcomes = {
      { client:get("/respond", { query = { status = 401, type = "application/json",
        body = json.encode { error = "AUTH", message = "token " .. TOKEN .. " is bad", details = { TOKEN } } } }) },
      { client:get("/respond", { query = { status = 500, type = "text/html", body = "<p>" .. TOKEN .. "</p>" } }) },
      { client:get("/slow", { query = { ms = 2000 }, timeout = 0.1 }) },
      { client:get("/respond", { query = { status = 200, type = "application/json", body = "{bad " .. TOKEN } }) },
    }
    refuses_token(client, "tostring(client)")
    refuses_token(client._session, "tostring(session)")
    refuses_token(response, "tostring(response)")
    for i, o in ipairs(outcomes) do
      local err = o[2]
      assert.is_true(humanitec.is_error(err), "outcome " .. i)
      refuses_token(err, "tostring(err) " .. i)
      refuses_token(err.message, "err.message " .. i)
      if err.details ~= nil then refuses_token(json.encode(err.details), "err.details " .. i) end
    end
    assert.is_true(#traces >= 5)
    for i, t in ipairs(traces) do refuses_token(t, "trace " .. i) end
    client:close()
  end)

  it("is not in the command line of a process that uses it", function()
    -- A child process makes a slow request with the token from its environment, as the examples do; while
    -- the request is in flight its command line is read from /proc.
    local code = ([[
      local c = require("humanitec").new { url = %q, config_file = "/dev/null" }
      io.stdout:write("started\n"); io.stdout:flush()
      c:get("/slow", { query = { ms = 1500 } })
    ]]):format(server.url)
    local pipe = assert(io.popen(("echo $$; exec env HUMANITEC_TOKEN=%s LUA_PATH='./lua/?.lua;./lua/?/init.lua;;' "
      .. "LUA_CPATH=%s %s -e %s"):format(helpers.shell_quote(TOKEN), helpers.shell_quote(helpers.CPATH .. ";;"),
      helpers.LUA_RUN, helpers.shell_quote(code))))
    local pid = pipe:read("*l")
    assert.equals("started", pipe:read("*l"))
    local f = assert(io.open("/proc/" .. pid .. "/cmdline", "rb"))
    local cmdline = f:read("*a")
    f:close()
    pipe:close()
    assert.is_truthy(cmdline:find("humanitec", 1, true)) -- it is the right process
    refuses_token(cmdline, "the command line")
  end)

  it("with CR or LF is rejected, as is a header value or an id with them", function()
    local ok_new, message = pcall(humanitec.new,
      { token = "abc\r\nX-Injected: 1", url = server.url, config_file = "/dev/null" })
    assert.is_false(ok_new)
    assert.matches("bad option 'token' to 'humanitec.new' %(the token must not contain CR, LF or NUL%)", message)
    assert.is_nil(message:find("abc", 1, true))
    assert.has_error(function() core.session { token = "a\nb" } end)
    local ok = humanitec.new { token = TOKEN, url = server.url, org = "acme", config_file = "/dev/null" }
    assert.has_error(function() ok:get("/echo", { headers = { ["X-Note"] = "a\r\nX-Injected: 1" } }) end)
    assert.has_error(function() ok:get_application { appId = "web\r\nX-Injected: 1" } end)
    assert.has_error(function() humanitec.escape("web\nx") end)
    ok:close()
  end)
end)

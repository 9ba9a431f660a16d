-- Regression specs for the red-team pass's JSON bodies (issue 12), through the client: a NUL inside a body is
-- nil, err of kind "decode" on the blocking path, in batch and under the luv adapter (it used to raise, or
-- read `{}` NUL `[]` as an array), and a body with a 100 KB escaped key holding 20 000 empty arrays (10.5 s
-- once) decodes at once. The loopback test server's /mirror route answers with the bytes it was sent.
local helpers = require "support.helpers"
local humanitec = require "humanitec"
local now = require("humanitec.core").now

local NUL_BODIES = {
  ["{} NUL {\"\\q\":[]}"] = '{}\0{"\\q":[]}',
  ["{} NUL []"] = "{}\0[]",
}

local function opts(body)
  return { raw_body = body, content_type = "application/json" }
end

describe("hostile JSON bodies", function()
  local server, client

  setup(function()
    server = helpers.start_server("spec/support/test_server.lua")
  end)

  teardown(function()
    server.stop()
  end)

  before_each(function()
    client = humanitec.new { token = "t", url = server.url, config_file = "/dev/null" }
  end)

  after_each(function()
    client:close()
  end)

  for name, body in pairs(NUL_BODIES) do
    describe(name, function()
      it("is nil, err of kind decode on the blocking path", function()
        local data, err = client:request("POST", "/mirror", opts(body))
        assert.is_nil(data)
        assert.equals("decode", err.kind)
        assert.equals(200, err.status)
      end)

      it("is an err of kind decode in batch, the other call unharmed", function()
        local results = client:batch { { "POST", "/mirror", opts(body) }, { "GET", "/echo" } }
        assert.is_nil(results[1].data)
        assert.equals("decode", results[1].err.kind)
        assert.equals("GET", results[2].data.method)
      end)

      it("is an err of kind decode under the luv adapter, and the loop ends", function()
        local has_luv, uv = pcall(require, "luv")
        if not has_luv then
          pending("luv is not installed (an optional dependency)")
          return
        end
        local attached = require("humanitec.loop").luv(client, uv)
        local got
        client:start("POST", "/mirror", opts(body), function(data, err) got = { data = data, err = err } end)
        local deadline = os.time() + 20
        while not got and os.time() < deadline do uv.run("once") end
        assert.equals(0, client._session:pending())
        attached.close()
        uv.run("nowait")
        assert.is_nil(got.data)
        assert.equals("decode", got.err.kind)
      end)
    end)
  end

  it("decodes a 160 KB body, one 100 KB escaped key holding 20 000 [], within a loose bound", function()
    local key = ("\\n"):rep(50000)
    local body = '{"' .. key .. '":[' .. ("[],"):rep(19999) .. "[]]}"
    assert.is_true(#body > 150000)
    local started = now()
    local data, err = client:request("POST", "/mirror", opts(body))
    local took = now() - started
    assert.is_nil(err)
    local list = data[("\n"):rep(50000)]
    assert.equals(20000, #list)
    assert.equals(0, #list[1])
    assert.equals(0, #list[20000])
    assert.is_true(took < 5, ("took %.2f s (10.5 s before the linear decoder)"):format(took))
  end)
end)

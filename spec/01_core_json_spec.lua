-- The core decoding JSON responses itself (the session's json option): straight from libcurl's buffer into
-- tables, on the blocking and the concurrent path, with the body handed over as a userdata that becomes a
-- string only when asked; and the client on top of it.
local helpers = require "support.helpers"
local core = require "humanitec.core"
local json = require "humanitec.json"
local humanitec = require "humanitec"

local function percent(s)
  return (s:gsub("[^%w%-_.~]", function(c) return ("%%%02X"):format(c:byte()) end))
end

describe("humanitec.core with the json option", function()
  local server, session

  setup(function()
    server = helpers.start_server("spec/support/test_server.lua")
    session = assert(core.session { json = { array_mt = json.array_mt, null = json.null } })
  end)

  teardown(function()
    session:close()
    server.stop()
  end)

  local function respond(body, content_type)
    return server.url .. "/respond?type=" .. percent(content_type or "application/json") .. "&body=" .. percent(body)
  end

  it("decodes a JSON response into tables, with marks, and hands the body over untouched", function()
    local text = '{"id":5432,"tags":[],"meta":{},"none":null,"s":"caf\\u00e9"}'
    local status, headers, body, info, data, err = session:request("GET", respond(text), {}, nil, 10)
    assert.equals(200, status)
    assert.equals("application/json", headers["content-type"])
    assert.is_table(info)
    assert.is_nil(err)
    assert.equals(5432, data.id)
    if math.type then assert.equals("integer", math.type(data.id)) end
    assert.is_true(json.is_array(data.tags))
    assert.is_false(json.is_array(data.meta))
    assert.equals(json.null, data.none)
    assert.equals("café", data.s)
    assert.equals("userdata", type(body))
    assert.equals(#text, #body)
    assert.equals(text, tostring(body))
  end)

  it("decodes +json types and parameters, and leaves other types as text", function()
    local _, _, _, _, data = session:request("GET", respond("[1]", "application/problem+json; charset=utf-8"), {},
      nil, 10)
    assert.same({ 1 }, data)
    local status, _, body, _, data2 = session:request("GET", respond("[1]", "text/plain"), {}, nil, 10)
    assert.equals(200, status)
    assert.equals("[1]", body)
    assert.is_nil(data2)
  end)

  it("answers invalid JSON with nil and the decoder's message, the body still there", function()
    local status, _, body, _, data, err = session:request("GET", respond('{"a":1}\0[]'), {}, nil, 10)
    assert.equals(200, status)
    assert.is_nil(data)
    assert.is_truthy(err:find("content after the value at byte offset 7", 1, true), err)
    assert.equals('{"a":1}\0[]', tostring(body))
  end)

  it("decodes on the concurrent path too", function()
    local id = assert(session:start("GET", respond('{"list":[[],{}]}'), {}, nil, 10))
    local results
    for _ = 1, 200 do
      session:wait(0.05)
      results = session:completed()
      if #results > 0 then break end
    end
    local r = results[1]
    assert.equals(id, r[1])
    assert.equals(200, r[2])
    assert.is_true(json.is_array(r[6].list[1]))
    assert.is_false(json.is_array(r[6].list[2]))
    assert.equals('{"list":[[],{}]}', tostring(r[4]))
  end)

  it("refuses a json option without an array mark", function()
    assert.has_error(function() core.session { json = {} } end, "bad option 'json' (array_mt: table expected)")
    assert.has_error(function() core.session { json = true } end, "bad option 'json' (table expected)")
  end)

  it("gives the client data and a response whose body is the text, made when read", function()
    local client = humanitec.new { url = server.url, token = "t", retries = false }
    local data, err, response = client:request("GET", "/respond?type=application%2Fjson&body=" .. percent('{"n":[]}'))
    assert.is_nil(err)
    assert.is_true(json.is_array(data.n))
    assert.is_nil(rawget(response, "body"))
    assert.equals('{"n":[]}', response.body)
    assert.equals('{"n":[]}', rawget(response, "body"))
    local _, derr = client:request("GET", "/respond?type=application%2Fjson&body=" .. percent("{bad"))
    assert.equals("decode", derr.kind)
    assert.is_truthy(derr.message:find("at byte offset 1", 1, true), derr.message)
    local _, herr = client:request("GET", "/respond?status=404&type=application%2Fjson&body="
      .. percent('{"error":"API-404","message":"no such app"}'))
    assert.equals("http", herr.kind)
    assert.equals("no such app", herr.message)
    client:close()
  end)
end)

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

  -- An event loop's dispatch asks for a budget, so that bodies finishing together are not all decoded while
  -- the host's loop waits (humanitec.async).
  it("hands finished transfers over a budget of body bytes at a time when asked, one at least", function()
    local function finish(n, size)
      local ids = {}
      for i = 1, n do ids[i] = assert(session:start("GET", server.url .. "/bytes?n=" .. size, {}, nil, 10)) end
      for _ = 1, 400 do
        if session:wait(0.05) == 0 then break end
      end
      assert.equals(n, session:pending())
      return ids
    end
    local ids = finish(3, 300000)
    local got = {}
    for round = 1, 3 do
      local list, more = session:completed(256 * 1024)
      assert.equals(1, #list)
      assert.equals(300000, #tostring(list[1][4]))
      got[#got + 1] = list[1][1]
      assert.equals(round < 3, more)
    end
    table.sort(ids)
    table.sort(got)
    assert.same(ids, got)
    finish(3, 1000)
    local list, more = session:completed(256 * 1024)
    assert.equals(3, #list)
    assert.is_false(more)
    assert.has_error(function() session:completed(-1) end,
      "bad argument #1 to 'completed' (a non-negative number of bytes expected)")
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

describe("headers and timings made when first read (the lazy_head option)", function()
  local server

  setup(function() server = helpers.start_server("spec/support/test_server.lua") end)
  teardown(function() server.stop() end)

  local TIMING_FIELDS = { "total", "connect", "tls", "first_byte", "http_version" }

  it("hands over one userdata that makes the same tables the eager session does", function()
    local eager = assert(core.session {})
    local lazy = assert(core.session { lazy_head = true })
    local _, headers = eager:request("GET", server.url .. "/repeated")
    local status, head, body, info = lazy:request("GET", server.url .. "/repeated")
    assert.equals(200, status)
    assert.equals("{}", body)
    assert.equals("userdata", type(head))
    assert.is_true(rawequal(head, info))
    assert.same(headers, head:headers())
    assert.same({ "one", "two", "three" }, head:headers()["x-multi"])
    assert.equals("one", head:header("X-Multi"))
    assert.equals("only", head:header("x-single"))
    assert.is_nil(head:header("x-none"))
    assert.is_nil(head.trace)
    local timings = head:timings()
    for _, field in ipairs(TIMING_FIELDS) do assert.is_not_nil(timings[field], field) end
    assert.is_true(timings.total >= timings.first_byte)
    assert.equals("1.1", timings.http_version)
    eager:close()
    lazy:close()
  end)

  it("builds neither table for a response nobody reads, and the right ones when read", function()
    local client = humanitec.new { url = server.url, token = "t", retries = false }
    local data, err, response = client:request("GET", "/repeated")
    assert.is_nil(err)
    assert.same({}, data)
    assert.is_nil(rawget(response, "headers"))
    assert.is_nil(rawget(response, "timings"))
    -- One header by name is found in the block, without the table.
    assert.equals("one", response:header("X-MULTI"))
    assert.equals("application/json", response:header("Content-Type"))
    assert.is_nil(rawget(response, "headers"))
    local headers = response.headers
    assert.same({ "one", "two", "three" }, headers["x-multi"])
    assert.equals("only", headers["x-single"])
    assert.is_true(rawequal(headers, rawget(response, "headers")))
    assert.is_true(rawequal(headers, response.headers))
    assert.is_nil(rawget(response, "timings"))
    local timings = response.timings
    for _, field in ipairs(TIMING_FIELDS) do assert.is_not_nil(timings[field], field) end
    assert.is_true(rawequal(timings, rawget(response, "timings")))
    client:close()
  end)

  it("makes fewer tables per request than the eager path", function()
    -- Counts the tables a request leaves alive in the response, by walking it: the eager path's headers and
    -- timings are two of them (and the list of a repeated header a third).
    local client = humanitec.new { url = server.url, token = "t", retries = false }
    local _, _, response = client:request("GET", "/repeated")
    local tables = 0
    for _, v in pairs(response) do
      if type(v) == "table" then tables = tables + 1 end
    end
    assert.equals(0, tables)
    client:close()
  end)

  it("gives an error the header table, and on_trace and timings the trace", function()
    local traces = {}
    local client = humanitec.new { url = server.url, token = "t", retries = false,
      on_trace = function(t) traces[#traces + 1] = t end }
    local _, herr = client:request("GET", "/respond?status=404&type=application%2Fjson&header=X-Why%3A%20gone&body="
      .. percent('{"message":"no such app"}'))
    assert.equals("http", herr.kind)
    assert.is_table(herr.headers)
    assert.equals("gone", herr.headers["x-why"])
    assert.equals(1, #traces)
    local _, _, response = client:request("GET", "/repeated")
    assert.equals(2, #traces)
    assert.equals(traces[2], response.timings.trace)
    client:close()
  end)
end)

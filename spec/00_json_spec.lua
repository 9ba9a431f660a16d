-- The JSON policy: null, empty arrays against empty objects, strictness, and a private cjson instance.
local json = require "humanitec.json"
local cjson = require "cjson"

describe("humanitec.json", function()
  it("keeps empty arrays and empty objects apart through a round trip", function()
    local v = assert(json.decode('{"a":[],"b":{},"c":[1,[ ],{"d":[]}],"s":"[]","e":"\\"[]"}'))
    assert.is_true(json.is_array(v.a))
    assert.is_false(json.is_array(v.b))
    assert.is_true(json.is_array(v.c[2]))
    assert.is_true(json.is_array(v.c[3].d))
    assert.equals("[]", v.s) -- inside strings nothing changes
    assert.equals('"[]', v.e)
    local again = json.decode(json.encode(v))
    assert.same(v, again)
    assert.is_true(json.is_array(again.c[3].d))
    assert.is_true(json.is_array(json.decode("[]")))
    assert.equals("[]", json.encode(json.decode("  [ ]  ")))
  end)

  it("tells a [] in a string from an empty array", function()
    local v = assert(json.decode('{"a":"x[]y","b":[],"c":["[]",[]],"d":"\\\\"}'))
    assert.equals("x[]y", v.a)
    assert.is_true(json.is_array(v.b))
    assert.equals("[]", v.c[1])
    assert.is_true(json.is_array(v.c[2]))
    assert.equals("\\", v.d)
    local w = assert(json.decode('{"a":"x[ ]y","b":[ ],"c":"\\\\\\"[]"}'))
    assert.equals("x[ ]y", w.a)
    assert.is_true(json.is_array(w.b))
    assert.equals('\\"[]', w.c)
  end)

  it("finds empty arrays by the names and places that lead to them", function()
    -- Names that look like structure, names with escapes, and strings full of brackets and quotes.
    local v = assert(json.decode(
      '{"[]":{"x":[]},"a\\"b":[],"\\u00e9t\\u00e9":[[],{}],"q":"\\\\","s":["{[\\"", [ ],"]"],"k,:":{"":[]}}'))
    assert.is_true(json.is_array(v["[]"].x))
    assert.is_true(json.is_array(v['a"b']))
    assert.is_true(json.is_array(v["été"][1]))
    assert.is_false(json.is_array(v["été"][2]))
    assert.equals("\\", v.q)
    assert.same({ '{[\"', {}, "]" }, v.s)
    assert.is_true(json.is_array(v.s[2]))
    assert.is_true(json.is_array(v["k,:"][""]))
    -- Deeper than the scan's first, small stack of steps.
    local deep = string.rep('{"n":[1,', 60) .. "[]" .. string.rep("]}", 60)
    local d = assert(json.decode(deep))
    for _ = 1, 60 do d = d.n[2] end
    assert.is_true(json.is_array(d))
    assert.is_true(json.is_array(json.decode("[[[]]]")[1][1]))
  end)

  it("round-trips random values with empty arrays, empty objects and tricky strings", function()
    -- A fixed seed and a bounded count: the same 300 values every run.
    local seed = 12345
    local function rand(n) -- Park-Miller: its products stay below 2^53, so every interpreter draws the same
      seed = (seed * 16807) % 2147483647
      return seed % n + 1
    end
    local pieces = { "[", "]", "{", "}", '"', "\\", ",", ":", " ", "[]", "{}", "[ ]", "é", "a" }
    local function text()
      local out = {}
      for i = 1, rand(6) - 1 do out[i] = pieces[rand(#pieces)] end
      return table.concat(out)
    end
    local function value(depth)
      local kind = depth > 4 and rand(3) or rand(7)
      if kind == 1 then return text() end
      if kind == 2 then return rand(100) end
      if kind == 3 then return json.null end
      if kind == 4 then return json.array() end
      if kind == 5 then return {} end
      if kind == 6 then
        local list = {}
        for i = 1, rand(4) do list[i] = value(depth + 1) end
        return list
      end
      local object = {}
      for _ = 1, rand(4) do object[text() .. rand(9)] = value(depth + 1) end
      return object
    end
    -- Equal values, and each empty table marked exactly when the original was.
    local function same(a, b, where)
      if type(a) ~= "table" then
        assert(a == b, where)
        return
      end
      assert(type(b) == "table", where)
      assert(json.is_array(a) == json.is_array(b), "mark differs at " .. where)
      for k, v in pairs(a) do same(v, b[k], where .. "/" .. tostring(k)) end
      for k in pairs(b) do assert(a[k] ~= nil, where .. ": extra key " .. tostring(k)) end
    end
    for i = 1, 300 do
      local original = value(1)
      local encoded = json.encode(original)
      same(original, assert(json.decode(encoded)), "value " .. i .. " " .. encoded)
    end
  end)

  it("follows cjson when a name is given twice: the last value wins, and with it its kind", function()
    local v = assert(json.decode('{"a":[],"a":{},"b":{},"b":[],"c":{"x":[]},"c":{"x":{}},"d":[],"d":1}'))
    assert.is_false(json.is_array(v.a))
    assert.is_true(json.is_array(v.b))
    assert.is_false(json.is_array(v.c.x))
    assert.equals(1, v.d)
  end)

  it("encodes marked empty arrays as [] and plain empty tables as {}", function()
    assert.equals("[]", json.encode(json.array()))
    assert.equals("{}", json.encode({}))
    assert.equals('{"x":[[]]}', json.encode { x = { json.array() } })
    local inner = { json.array() }
    local value = { inner = inner }
    json.encode(value)
    assert.equals(inner, value.inner) -- the caller's tables are left as they were
    assert.is_true(json.is_array(inner[1]))
  end)

  it("maps null both ways", function()
    assert.equals(json.null, json.decode("null"))
    assert.equals('[null,1]', json.encode { json.null, 1 })
  end)

  it("keeps unicode", function()
    assert.equals("Grüße ✓", json.decode('"Gr\\u00fc\\u00dfe \\u2713"'))
    assert.equals("Grüße ✓", json.decode(json.encode("Grüße ✓")))
  end)

  it("returns nil and a message for invalid JSON, and refuses NaN and Infinity", function()
    local v, err = json.decode("{bad")
    assert.is_nil(v)
    assert.is_string(err)
    assert.is_nil(json.decode("NaN"))
    assert.is_nil(json.decode('"unterminated [] '))
  end)

  it("raises on values JSON cannot hold", function()
    local t = {}
    t.self = t
    assert.has_error(function() json.encode(t) end, "value.self: a table that contains itself cannot be sent as JSON")
    assert.has_error(function() json.encode { f = print } end, "value.f: a function cannot be sent as JSON")
    assert.has_error(function() json.encode({ modules = { web = { x = print } } }, "body") end,
      "body.modules.web.x: a function cannot be sent as JSON")
    assert.has_error(function() json.encode { a = { 1, 2, 0 / 0 } } end, "value.a[3]: NaN or infinity cannot be sent as JSON")
    assert.has_error(function() json.encode { [true] = 1 } end, "value: a boolean key cannot be sent as JSON")
    assert.has_error(function() json.encode(0 / 0) end)
    assert.has_error(function() json.decode(42) end, "bad argument #1 to 'decode' (string expected, got number)")
  end)

  it("leaves the host's cjson settings alone", function()
    -- Our instance refuses NaN; the shared module still accepts it as it does by default.
    assert.is_nil(json.decode("NaN"))
    local ok, v = pcall(cjson.decode, "NaN")
    assert.is_true(ok)
    assert.is_true(v ~= v)
  end)
end)

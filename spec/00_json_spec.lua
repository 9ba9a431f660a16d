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

  it("tells a [] in a string from an empty array, on the fast path and the exact one", function()
    local v = assert(json.decode('{"a":"x[]y","b":[],"c":["[]",[]],"d":"\\\\"}'))
    assert.equals("x[]y", v.a)
    assert.is_true(json.is_array(v.b))
    assert.equals("[]", v.c[1])
    assert.is_true(json.is_array(v.c[2]))
    assert.equals("\\", v.d)
    local w = assert(json.decode('{"a":"x[ ]y","b":[ ],"c":"\\\\\\"[]"}')) -- white space: the exact scan
    assert.equals("x[ ]y", w.a)
    assert.is_true(json.is_array(w.b))
    assert.equals('\\"[]', w.c)
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
    assert.has_error(function() json.encode(t) end, "cannot encode a table that contains itself")
    assert.has_error(function() json.encode { f = print } end)
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

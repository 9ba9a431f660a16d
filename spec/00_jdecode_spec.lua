-- The SDK's JSON decoder (csrc/jdecode.c, as humanitec.jsonc and humanitec.core) against lua-cjson, the
-- reference: the same values, the same empty-array marks, the same verdict on every valid document and on
-- seeded random API-shaped ones; where the two part (cjson's leniencies), the decoder is the strict one.
-- Then the decisions RFC 8259 leaves open, and hostile inputs with loose time bounds.
local json = require "humanitec.json"
local jsonc = require "humanitec.jsonc"
local cjson = require "cjson"
local reference = require "support.json_reference"

local decode = jsonc.decoder(json.array_mt, json.null)
local has_integers = math.type ~= nil
local function compare(text, where) return reference.compare(decode, text, where) end

-- Seeded random API-shaped documents, written as text (so white space, escapes and number forms vary).
local seed
local function rand(n) -- Park-Miller: products below 2^53, so every interpreter draws the same
  seed = (seed * 16807) % 2147483647
  return seed % n + 1
end
local function pick(list) return list[rand(#list)] end
local NAMES = { "id", "name", "type", "created_at", "metadata", "resources", "env_type", "status", "a\\u00e9",
  "\\\"q\\\"", "", "[]", "{}", "x y", "\\ud83d\\ude00" }
local STRINGS = { "", "prod", "2024-01-02T03:04:05Z", "Gr\\u00fc\\u00dfe", "\\ud83d\\ude00", "caf\195\169",
  "a\\nb\\tc\\\\d\\/e\\b\\f\\r", "[]", "{\\\"a\\\":[]}", "\\u0000", "\\u001f", string.rep("long", 20) }
local NUMBERS = { "0", "-0", "1", "-1", "42", "5432", "0.5", "-0.25", "1e3", "1E-3", "2.5e+10", "123456789",
  "9007199254740993", "-9223372036854775808", "9223372036854775807", "18446744073709551616", "1e308",
  "1e400", "-1e400", "1e-400", "123456789012345678901234567890", "3.141592653589793", "0.1", "-0.0" }
local SPACE = { "", "", "", " ", "\n  ", "\t", "\r\n" }
local function text_value(depth)
  local kind = depth > 5 and rand(4) or rand(7)
  if kind == 1 then return '"' .. pick(STRINGS) .. '"' end
  if kind == 2 then return pick(NUMBERS) end
  if kind == 3 then return pick { "true", "false", "null" } end
  if kind == 4 then return pick { "[]", "{}", "[ ]", "{\n}", "[\t]" } end
  local parts = {}
  if kind == 5 then
    for i = 1, rand(5) - 1 do parts[i] = pick(SPACE) .. text_value(depth + 1) .. pick(SPACE) end
    return "[" .. table.concat(parts, ",") .. "]"
  end
  for i = 1, rand(6) - 1 do
    parts[i] = pick(SPACE) .. '"' .. pick(NAMES) .. '"' .. pick(SPACE) .. ":" .. pick(SPACE) .. text_value(depth + 1)
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

describe("humanitec.jsonc", function()
  it("decodes hand-picked valid documents exactly as cjson does, marks included", function()
    local docs = {
      "0", "-0", "1.5", '"x"', "true", "false", "null", "[]", "{}", " [ ] ", "[[]]", "[[],{}]", '{"a":[]}',
      '{"a":[],"a":{}}', '{"a":{},"a":[]}', '{"a":[1],"a":[]}', '{"c":{"x":[]},"c":{"x":{}}}',
      '["\\u00e9\\ud83d\\ude00\\"\\\\\\/\\b\\f\\n\\r\\t"]', '{"":0,"\\u0000":1}', '"\\uD834\\uDD1E"',
      '[1e2,1E+2,1e-2,-1.25e-3,0.0,100,1e22,1e23,5e-324,1.7976931348623157e308,2.2250738585072014e-308]',
      '{"items":[{"id":"a","tags":[],"meta":{}},{"id":"b","tags":["x"],"meta":{"k":null}}],"next":null}',
      string.rep("[", 1000) .. string.rep("]", 1000),
      string.rep('{"a":', 999) .. "[]" .. string.rep("}", 999),
      "[" .. string.rep("1,", 70000) .. "[]]",
    }
    for i, doc in ipairs(docs) do
      assert.is_true(compare(doc, "document " .. i), "document " .. i .. " refused")
    end
  end)

  it("agrees with cjson on 2000 seeded random API-shaped documents", function()
    seed = 4242
    for i = 1, 2000 do
      local doc = pick(SPACE) .. text_value(1) .. pick(SPACE)
      assert.is_true(compare(doc, "document " .. i), "document " .. i .. " refused: " .. doc)
    end
  end)

  it("agrees with cjson on 3000 seeded mutations of them, and is the strict one where they part", function()
    seed = 777
    local BYTES = { "[", "]", "{", "}", ",", ":", '"', "\\", "0", "-", ".", "e", "\0", " ", "a", "u", "\1",
      "\255", "n", "t", "+" }
    local accepted = 0
    for i = 1, 3000 do
      local doc = text_value(1)
      for _ = 1, rand(3) do
        local at = rand(#doc + 1) - 1
        local how = rand(3)
        if how == 1 then
          doc = doc:sub(1, at) .. doc:sub(at + 2)
        elseif how == 2 then
          doc = doc:sub(1, at) .. pick(BYTES) .. doc:sub(at + 1)
        else
          doc = doc:sub(1, at) .. pick(BYTES) .. doc:sub(at + 2)
        end
      end
      if compare(doc, "mutation " .. i) then accepted = accepted + 1 end
    end
    -- Both verdicts were exercised.
    assert.is_true(accepted > 100 and accepted < 2900, accepted .. " accepted")
  end)

  it("is the same decoder in humanitec.core", function()
    local core = require "humanitec.core"
    local via_core = core.json_decoder(json.array_mt, json.null)
    local v = assert(via_core('{"a":[],"b":null}'))
    assert.is_true(json.is_array(v.a))
    assert.equals(json.null, v.b)
    assert.equals(cjson.null, v.b)
  end)

  describe("numbers", function()
    it("makes integers that fit in 64 bits Lua integers on 5.3 and 5.4, and all others floats", function()
      local cases = {
        { "5432", 5432, "integer" }, { "-17", -17, "integer" }, { "0", 0, "integer" },
        { "9223372036854775807", has_integers and math.maxinteger or 2 ^ 63, "integer" },
        { "-9223372036854775808", has_integers and math.mininteger or -2 ^ 63, "integer" },
        { "9223372036854775808", 2 ^ 63, "float" }, { "5432.0", 5432, "float" }, { "1e3", 1000, "float" },
        { "123456789012345678901234567890", 1.2345678901234568e29, "float" },
      }
      for _, case in ipairs(cases) do
        local v = decode(case[1])
        assert.equals(case[2], v, case[1])
        if has_integers then assert.equals(case[3], math.type(v), case[1]) end
      end
      if has_integers then assert.equals("5432", tostring(decode('{"id":5432}').id)) end
    end)

    it("decodes -0 as the float -0.0, 1e400 as math.huge and 1e-400 as 0.0", function()
      local z = decode("-0")
      assert.equals(0, z)
      assert.equals(-math.huge, 1 / z)
      if has_integers then assert.equals("float", math.type(z)) end
      assert.equals(math.huge, decode("1e400"))
      assert.equals(-math.huge, decode("-1e400"))
      assert.equals(0, decode("1e-400"))
      assert.equals(math.huge, decode("1e99999999999999999999999999"))
      assert.equals(0, decode("0e99999999999999999999999999"))
    end)

    it("rounds long and odd numbers correctly, whatever the locale", function()
      -- Under a locale whose decimal point is ',', strtod would stop at the '.'; the decoder does not care.
      local old = os.setlocale(nil, "numeric")
      local switched = os.setlocale("de_DE.UTF-8", "numeric") or os.setlocale("fr_FR.UTF-8", "numeric")
      local ok, err = pcall(function()
        assert.equals(0.1, decode("0.1"))
        assert.equals(3.141592653589793, decode("3.14159265358979323846264338327950288419716939937510"))
        assert.equals(1, decode("1" .. string.rep("0", 400) .. "e-400"))
        assert.equals(1, decode("0." .. string.rep("0", 399) .. "1e400"))
        assert.equals(9007199254740992, decode("9007199254740993.0")) -- ties to even
        assert.equals(9007199254740994, decode("9007199254740993." .. string.rep("0", 900) .. "1"))
        assert.equals(5e-324, decode("4.9406564584124654e-324"))
      end)
      os.setlocale(old, "numeric")
      assert(ok, err)
      if not switched then print("(no de_DE or fr_FR locale installed: decoded under the C locale only)") end
    end)
  end)

  describe("RFC 8259 decisions", function()
    local function refuses(text, message, offset)
      local v, err, at = decode(text)
      assert.is_nil(v, ("%q"):format(text))
      assert.is_truthy(err:find(message, 1, true), err)
      assert.equals(offset, at, ("%q"):format(text))
      assert.is_truthy(err:find("at byte offset " .. offset, 1, true), err)
    end

    it("refuses content after the value, a NUL included, naming its offset", function()
      refuses("{}\0{\"\\q\":[]}", "content after the value", 2)
      refuses("{}\0[]", "content after the value", 2)
      refuses("[] x", "content after the value", 3)
      refuses("1 2", "content after the value", 2)
      assert.same({}, decode("{} \n\t\r"))
    end)

    it("refuses a byte-order mark, empty text and what JSON does not allow", function()
      refuses("\239\187\191{}", "byte-order mark", 0)
      refuses("", "expected a value", 0)
      refuses("  ", "expected a value", 2)
      refuses("[1,]", "expected a value", 3)
      refuses('{"a":1,}', "expected a name", 7)
      refuses("{'a':1}", "expected a name", 1)
      refuses("[1 2]", "expected ',' or ']'", 3)
      refuses('{"a" 1}', "expected ':'", 5)
      refuses("NaN", "expected a value", 0)
      refuses("nul", "invalid literal", 0)
      refuses("01", "content after the value", 1)
      refuses("[1.]", "invalid number", 1)
      refuses("-.5", "invalid number", 0)
      refuses("+1", "expected a value", 0)
      refuses("[", "expected a value", 1)
      refuses("[1", "unexpected end", 2)
      refuses('"abc', "unterminated string", 0)
      refuses('"ab\\', "unterminated string", 0)
    end)

    it("decodes escapes and surrogate pairs exactly, and refuses lone surrogates and raw control bytes", function()
      assert.equals("\0", decode('"\\u0000"'))
      assert.equals("\240\157\132\158", decode('"\\ud834\\udd1e"'))
      assert.equals("\239\191\191", decode('"\\uFFFF"'))
      assert.equals("\"\\/\8\12\n\r\t", decode('"\\"\\\\\\/\\b\\f\\n\\r\\t"'))
      refuses('"\\ud800"', "high surrogate without its low surrogate", 1)
      refuses('"\\ud800\\u0041"', "high surrogate without its low surrogate", 1)
      refuses('"x\\udc00"', "lone low surrogate", 2)
      refuses('"\\u12G4"', "invalid \\u escape", 1)
      refuses('"\\x"', "invalid escape", 1)
      refuses('"a\tb"', "control character in a string", 2)
      refuses('"a\0b"', "control character in a string", 2)
    end)

    it("passes bytes that are not valid UTF-8 through as they are", function()
      assert.equals("\255\254", decode('"\255\254"'))
      assert.equals("\192\128", decode('"\192\128"'))
      assert.same({ ["\237\160\128"] = 1 }, decode('{"\237\160\128":1}'))
    end)

    it("keeps the last value of a name given twice, also past the point where a big object gets its table", function()
      local parts = { '"a":1' }
      for i = 1, 70000 do parts[#parts + 1] = '"k' .. i .. '":' .. i end
      parts[#parts + 1] = '"a":[]'
      local v = assert(decode("{" .. table.concat(parts, ",") .. "}"))
      assert.is_true(json.is_array(v.a))
      assert.equals(70000, v.k70000)
      local w = assert(decode('{"a":[],"a":{},"b":{},"b":[],"d":[],"d":1}'))
      assert.is_false(json.is_array(w.a))
      assert.is_true(json.is_array(w.b))
      assert.equals(1, w.d)
    end)

    it("nests 1000 deep and no deeper, also when every level is wide", function()
      assert.is_table(decode(string.rep("[", 1000) .. string.rep("]", 1000)))
      refuses(string.rep("[", 1001) .. string.rep("]", 1001), "nesting deeper than 1000", 1000)
      -- Each level holds many elements before the next one opens: the stack stays within LuaJIT's bound.
      local open = string.rep('{"a":1,"b":2,"c":[1,2,3,4,5,6,7,8,9,10],"d":"x","n":[' .. string.rep("0,", 20), 499)
      local v = assert(decode(open .. "[]" .. string.rep("]}", 499)))
      for _ = 1, 499 do v = v.n[21] end
      assert.is_true(json.is_array(v))
    end)

    it("never raises: every refusal is nil, a message and an offset", function()
      seed = 99
      local BYTES = { "[", "]", "{", "}", ",", ":", '"', "\\", "0", "-", "e", "\0", " ", "u", "d", "8" }
      for _ = 1, 2000 do
        local parts = {}
        for i = 1, rand(24) do parts[i] = pick(BYTES) end
        local text = table.concat(parts)
        local ok, v, err, offset = pcall(decode, text)
        assert.is_true(ok, v)
        if v == nil then
          assert.is_string(err)
          assert.is_true(offset >= 0 and offset <= #text)
        end
      end
      assert.has_error(function() decode({}) end)
    end)
  end)

  describe("hostile inputs", function()
    local function timed(f)
      local t0 = os.clock()
      local a, b = f()
      return os.clock() - t0, a, b
    end

    it("refuses the previous issue's NUL-joined bodies quickly", function()
      local _, v, err = timed(function() return decode("{}\0{\"\\q\":[]}") end)
      assert.is_nil(v)
      assert.is_truthy(err:find("offset 2", 1, true))
      assert.is_nil((decode("{}\0[]")))
      assert.is_nil((json.decode("{}\0[]")))
    end)

    it("decodes a 160 KB body with a 100 KB escaped name of 20000 [] in linear time", function()
      local name = string.rep("\\\"[]", 20000) .. string.rep("x", 20000)
      local body = '{"' .. name .. '":[],"pad":"' .. string.rep("[]", 30000) .. '"}'
      assert.is_true(#body > 150000 and #name >= 100000)
      local seconds, v = timed(function() return decode(body) end)
      assert.is_table(v)
      local key = string.rep('"[]', 20000) .. string.rep("x", 20000)
      assert.is_true(json.is_array(v[key]))
      assert.is_true(seconds < 2, seconds .. " s") -- a loose bound: milliseconds are expected
      -- Ten times the size takes nowhere near a hundred times as long.
      local big = '{"' .. string.rep(name, 10) .. '":[],"pad":"' .. string.rep("[]", 300000) .. '"}'
      local big_seconds, w = timed(function() return decode(big) end)
      assert.is_table(w)
      assert.is_true(big_seconds < 10 * seconds + 0.5, big_seconds .. " s against " .. seconds .. " s")
    end)

    it("decodes 200 000 empty arrays in a list and an object quickly", function()
      local list = "[" .. string.rep("[],", 199999) .. "[]]"
      local seconds, v = timed(function() return decode(list) end)
      assert.equals(200000, #v)
      assert.is_true(json.is_array(v[200000]))
      assert.is_true(seconds < 5, seconds .. " s")
    end)
  end)
end)

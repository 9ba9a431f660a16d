-- humanitec.hex: lowercase hexadecimal for digests and random tokens (the CLI's device id, the pipelines'
-- Idempotency-Key, the simulator's content-derived ids).
local hex = require "humanitec.hex"

describe("humanitec.hex", function()
  it("writes every byte as two lowercase digits", function()
    assert.equals("", hex.encode(""))
    assert.equals("00ff0a7f80", hex.encode("\0\255\n\127\128"))
    local all = {}
    for b = 0, 255 do all[#all + 1] = string.char(b) end
    local text = hex.encode(table.concat(all))
    assert.equals(512, #text)
    assert.equals("000102", text:sub(1, 6))
    assert.equals("fdfeff", text:sub(-6))
    assert.is_nil(text:find("[^0-9a-f]"))
  end)

  it("makes random tokens of 2n digits that differ from call to call", function()
    local a, b = assert(hex.random(20)), assert(hex.random(20))
    assert.matches("^[0-9a-f]+$", a)
    assert.equals(40, #a)
    assert.not_equals(a, b)
    assert.equals(2, #assert(hex.random(1)))
  end)

  it("raises at the caller on a bad argument", function()
    local cases = {
      { function() hex.encode(nil) end, "bad argument #1 to 'encode' (string expected, got nil)" },
      { function() hex.random(0) end, "bad argument #1 to 'random' (a whole number of bytes expected)" },
      { function() hex.random(1.5) end, "bad argument #1 to 'random' (a whole number of bytes expected)" },
    }
    for _, case in ipairs(cases) do
      local ok, err = pcall(case[1])
      assert.is_false(ok)
      assert.matches("hex_spec%.lua:%d+: ", err) -- the caller's line, not hex.lua's
      assert.is_truthy(err:find(case[2], 1, true))
    end
  end)
end)

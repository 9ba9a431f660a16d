--- SHA-256 in pure Lua, for content-derived ids (Deployment Sets) and deterministic pseudo-random ids.
--
-- Works on Lua 5.1-5.4 and LuaJIT: the 32-bit operations come from the `bit` library where there is one
-- (LuaJIT) and from Lua 5.3+'s native operators otherwise. The native ones are compiled with `load`, so this
-- file still parses under interpreters that lack the `&`/`|`/`~` syntax.
local M = {}

local band, bor, bxor, bnot, rshift, lshift

local has_bit, bitlib = pcall(require, "bit")
if has_bit and type(bitlib) == "table" and bitlib.band then
  -- LuaJIT's results are signed 32-bit; `% 2^32` brings them back to 0 .. 2^32-1 where it matters.
  band, bor, bxor, bnot = bitlib.band, bitlib.bor, bitlib.bxor, bitlib.bnot
  rshift, lshift = bitlib.rshift, bitlib.lshift
elseif _VERSION >= "Lua 5.3" then
  local chunk = assert(load([[
    local function band(a, b) return a & b & 0xffffffff end
    local function bor(a, b) return (a | b) & 0xffffffff end
    local function bxor(a, b) return (a ~ b) & 0xffffffff end
    local function bnot(a) return ~a & 0xffffffff end
    local function rshift(a, n) return (a & 0xffffffff) >> n end
    local function lshift(a, n) return (a << n) & 0xffffffff end
    return band, bor, bxor, bnot, rshift, lshift
  ]]))
  band, bor, bxor, bnot, rshift, lshift = chunk()
else
  -- Plain Lua 5.1 has neither: arithmetic on 4-bit digits, with a table per operation. Slow, but ids are short.
  local function digit_op(f)
    local t = {}
    for x = 0, 15 do
      for y = 0, 15 do
        local r, bit = 0, 1
        for _ = 1, 4 do
          r = r + f(x % (2 * bit) >= bit, y % (2 * bit) >= bit) * bit
          bit = bit * 2
        end
        t[x * 16 + y] = r
      end
    end
    return function(a, b)
      a, b = a % 4294967296, b % 4294967296
      local r, m = 0, 1
      for _ = 1, 8 do
        local x, y = a % 16, b % 16
        r = r + t[x * 16 + y] * m
        a, b, m = (a - x) / 16, (b - y) / 16, m * 16
      end
      return r
    end
  end
  band = digit_op(function(x, y) return (x and y) and 1 or 0 end)
  bor = digit_op(function(x, y) return (x or y) and 1 or 0 end)
  bxor = digit_op(function(x, y) return (x ~= y) and 1 or 0 end)
  bnot = function(a) return 4294967295 - a % 4294967296 end
  rshift = function(a, n) return math.floor(a % 4294967296 / 2 ^ n) end
  lshift = function(a, n) return a * 2 ^ n % 4294967296 end
end

local function u32(x)
  return x % 4294967296
end

local function rrot(x, n)
  return bor(rshift(x, n), lshift(x, 32 - n))
end

local K = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
}

-- Pads the message as FIPS 180-4 asks: a 1 bit, zeros, then the bit length as a 64-bit big-endian number.
local function pad(msg)
  local len = #msg
  local bits = len * 8
  local zeros = (55 - len) % 64
  local tail = {}
  for i = 7, 0, -1 do
    tail[#tail + 1] = string.char(math.floor(bits / 2 ^ (8 * i)) % 256)
  end
  return msg .. "\128" .. string.rep("\0", zeros) .. table.concat(tail)
end

--- Returns the SHA-256 digest of `msg` as 32 raw bytes.
---@param msg string
---@return string
function M.digest(msg)
  if type(msg) ~= "string" then
    error("bad argument #1 to 'digest' (string expected, got " .. type(msg) .. ")", 2)
  end
  local h0, h1, h2, h3 = 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a
  local h4, h5, h6, h7 = 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
  local data = pad(msg)
  local w = {}
  for chunk = 1, #data, 64 do
    for i = 0, 15 do
      local a, b, c, d = data:byte(chunk + i * 4, chunk + i * 4 + 3)
      w[i] = ((a * 256 + b) * 256 + c) * 256 + d
    end
    for i = 16, 63 do
      local x, y = w[i - 15], w[i - 2]
      local s0 = bxor(bxor(rrot(x, 7), rrot(x, 18)), rshift(x, 3))
      local s1 = bxor(bxor(rrot(y, 17), rrot(y, 19)), rshift(y, 10))
      w[i] = u32(u32(w[i - 16]) + u32(s0) + u32(w[i - 7]) + u32(s1))
    end
    local a, b, c, d, e, f, g, h = h0, h1, h2, h3, h4, h5, h6, h7
    for i = 0, 63 do
      local s1 = bxor(bxor(rrot(e, 6), rrot(e, 11)), rrot(e, 25))
      local ch = bxor(band(e, f), band(bnot(e), g))
      local t1 = u32(u32(h) + u32(s1) + u32(ch) + K[i + 1] + u32(w[i]))
      local s0 = bxor(bxor(rrot(a, 2), rrot(a, 13)), rrot(a, 22))
      local maj = bxor(bxor(band(a, b), band(a, c)), band(b, c))
      local t2 = u32(u32(s0) + u32(maj))
      h, g, f, e, d, c, b, a = g, f, e, u32(u32(d) + t1), c, b, a, u32(t1 + t2)
    end
    h0, h1, h2, h3 = u32(h0 + a), u32(h1 + b), u32(h2 + c), u32(h3 + d)
    h4, h5, h6, h7 = u32(h4 + e), u32(h5 + f), u32(h6 + g), u32(h7 + h)
  end
  local out = {}
  for _, v in ipairs({ h0, h1, h2, h3, h4, h5, h6, h7 }) do
    out[#out + 1] = string.char(math.floor(v / 16777216) % 256, math.floor(v / 65536) % 256,
      math.floor(v / 256) % 256, v % 256)
  end
  return table.concat(out)
end

--- Returns the SHA-256 digest of `msg` as 64 lowercase hex digits.
---@param msg string
---@return string
function M.hex(msg)
  return (M.digest(msg):gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

local B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

--- Returns the SHA-256 digest of `msg` in unpadded base64url (43 characters).
---@param msg string
---@return string
function M.base64url(msg)
  local raw = M.digest(msg) .. "\0" -- 32 bytes: pad to a multiple of 3, drop the extra character below
  local out = {}
  for i = 1, #raw, 3 do
    local a, b, c = raw:byte(i, i + 2)
    local n = (a * 256 + b) * 256 + c
    for shift = 18, 0, -6 do
      local idx = math.floor(n / 2 ^ shift) % 64
      out[#out + 1] = B64URL:sub(idx + 1, idx + 1)
    end
  end
  return table.concat(out):sub(1, 43)
end

return M

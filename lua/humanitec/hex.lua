--- Lowercase hexadecimal: of a byte string (digests, random bytes), and random tokens written in it.
--- basexx has to_hex, but it writes capitals and Debian installs it for Lua 5.1-5.3 only, so the SDK keeps this
--- one small copy that every interpreter finds.
local M = {}

-- Each byte's two digits, made once: encoding is one gsub over a lookup table.
local DIGITS = {}
for byte = 0, 255 do DIGITS[string.char(byte)] = ("%02x"):format(byte) end

--- `bytes` as lowercase hexadecimal, two digits a byte.
---@param bytes string
---@return string
function M.encode(bytes)
  if type(bytes) ~= "string" then
    error("bad argument #1 to 'encode' (string expected, got " .. type(bytes) .. ")", 2)
  end
  return (bytes:gsub(".", DIGITS))
end

--- `n` random bytes from the kernel's random source (/dev/urandom), as 2n lowercase hex digits; nil and a
--- message when that source cannot be read.
---@param n integer
---@return string? token
---@return string? err
function M.random(n)
  if type(n) ~= "number" or n < 1 or n % 1 ~= 0 then
    error("bad argument #1 to 'random' (a whole number of bytes expected)", 2)
  end
  local f, err = io.open("/dev/urandom", "rb")
  if not f then return nil, err end
  local bytes = f:read(n)
  f:close()
  if not bytes or #bytes < n then return nil, "/dev/urandom: short read" end
  return M.encode(bytes)
end

return M

-- lua-cjson as the reference for the SDK's JSON decoder: the differential spec (spec/00_jdecode_spec.lua) and
-- the libFuzzer harness (csrc/fuzz/fuzz_jdecode.c) both judge the decoder with compare() below.
local json = require "humanitec.json"
local cjson = require "cjson"

local M = {}

local codec = cjson.new()
codec.decode_invalid_numbers(false)
local has_integers = math.type ~= nil

-- The reference: cjson decodes a copy of the text in which every empty array, outside strings, holds one
-- sentinel string; each table holding just the sentinel becomes a marked empty array. Linear: each string and
-- each '[' is passed once.
local SENTINEL = "\0humanitec:empty-array\0"
local function unmark(v)
  if type(v) ~= "table" then return v end
  if #v == 1 and v[1] == SENTINEL and next(v, 1) == nil then return json.array() end
  for k, x in pairs(v) do v[k] = unmark(x) end
  return v
end
function M.reference(text)
  local out, i, n = {}, 1, #text
  while i <= n do
    local j = text:find('["%[]', i)
    if not j then
      out[#out + 1] = text:sub(i)
      break
    end
    out[#out + 1] = text:sub(i, j - 1)
    if text:byte(j) == 34 then -- a string: to its closing quote, stepping over escapes
      local k = j + 1
      while true do
        local q = text:find('["\\]', k)
        if not q then
          k = n + 1
          break
        end
        if text:byte(q) == 92 then
          k = q + 2
        else
          k = q + 1
          break
        end
      end
      out[#out + 1] = text:sub(j, k - 1)
      i = k
    else
      local e = text:match("^%[[ \t\r\n]*%]()", j)
      if e then
        out[#out + 1] = '["\\u0000humanitec:empty-array\\u0000"]'
        i = e
      else
        out[#out + 1] = "["
        i = j + 1
      end
    end
  end
  local ok, v = pcall(codec.decode, table.concat(out))
  if not ok then return false end
  return true, unmark(v)
end

-- Equal values and marks. Numbers compare as doubles (cjson makes floats only): an integer that a double
-- cannot hold compares as the double nearest to it, which is what cjson's strtod gives.
function M.same(a, b, where)
  if type(a) == "number" and type(b) == "number" then
    if has_integers and math.type(a) == "integer" then a = a + 0.0 end
    if a ~= b or (a == 0 and 1 / a ~= 1 / b) then error(where .. ": " .. tostring(a) .. " ~= " .. tostring(b)) end
    return
  end
  if type(a) ~= "table" or type(b) ~= "table" then
    if a ~= b then error(where .. ": " .. tostring(a) .. " ~= " .. tostring(b)) end
    return
  end
  if json.is_array(a) ~= json.is_array(b) then error(where .. ": marks differ") end
  for k, v in pairs(a) do M.same(v, b[k], where .. "/" .. tostring(k)) end
  for k in pairs(b) do
    if a[k] == nil then error(where .. ": extra key " .. tostring(k)) end
  end
end

-- The one verdict: both accept with the same value, or both refuse, or cjson accepts what RFC 8259 does not
-- (text after a NUL, which ends cjson's text; a raw control character in a string; a number such as `1.` or
-- `-.5`), which the decoder refuses, naming the place.
--- compare(decode, text, where) -> true when both accept (equal), false when the decoder refuses as it may;
--- raises naming `where` otherwise.
function M.compare(decode, text, where)
  local v, err, offset = decode(text)
  local ok, expected = M.reference(text)
  if err == nil then
    if not ok then error(where .. ": accepted, cjson refuses: " .. ("%q"):format(text)) end
    M.same(v, expected, where)
    return true
  end
  assert(type(err) == "string" and math.floor(offset) == offset, where)
  if ok then
    local byte = text:byte(offset + 1)
    local lenient = byte == 0 or err:find("^control character") or err:find("^invalid number")
    if not lenient then error(where .. ": refused (" .. err .. "), cjson accepts: " .. ("%q"):format(text)) end
  end
  return false
end

return M

--- One place for the SDK's JSON policy, on a private lua-cjson instance.
--
-- lua-cjson decodes `[]` and `{}` to the same empty table and encodes an empty table as `{}`, so a value read
-- from the API and sent back would turn its empty arrays into objects. We keep them apart by marking tables
-- that are JSON arrays with `array_mt`: decoding marks the empty arrays it meets, and encoding writes a marked
-- empty table as `[]`. Non-empty arrays need no mark: cjson already writes a sequence as an array.
local cjson = require "cjson"

local M = {}

-- A private instance: settings here never touch the host's `require "cjson"`.
local codec = cjson.new()
codec.decode_invalid_numbers(false) -- strict JSON: no NaN, Infinity or hex numbers
codec.encode_sparse_array(false) -- raise on excessively sparse arrays rather than guessing

--- The value JSON `null` decodes to, and the value to encode as `null`.
M.null = cjson.null

--- Metatable that marks a table as a JSON array.
M.array_mt = { __name = "humanitec.json.array" }

--- Marks `t` (or a new table) as a JSON array, so it encodes as `[]` even when empty.
---@param t? table
---@return table
function M.array(t)
  if t ~= nil and type(t) ~= "table" then
    error("bad argument #1 to 'array' (table expected, got " .. type(t) .. ")", 2)
  end
  return setmetatable(t or {}, M.array_mt)
end

--- True when `t` is a table marked as a JSON array.
---@param t any
---@return boolean
function M.is_array(t)
  return type(t) == "table" and getmetatable(t) == M.array_mt
end

-- A string no API value holds (it is wrapped in NUL characters): it stands in for an empty array while cjson
-- does the work, and is swapped back afterwards. cjson writes NUL as the escape \u0000, so the encoded form
-- below is exact.
local EMPTY = "\0humanitec:empty-array\0"
local EMPTY_ENCODED = '"\\u0000humanitec:empty-array\\u0000"'
local EMPTY_LITERAL = "[" .. EMPTY_ENCODED .. "]"
local EMPTY_PATTERN = "%[" .. EMPTY_ENCODED:gsub("%p", "%%%0") .. "%]"

-- Returns `v` with every marked empty array replaced by { EMPTY }, copying only the tables on the way to one;
-- `found` tells whether any was met (when none is, `v` itself is returned and encoded as it is).
local function mark_empties(v, seen)
  if type(v) ~= "table" then
    return v, false
  end
  if getmetatable(v) == M.array_mt and next(v) == nil then
    return { EMPTY }, true
  end
  if seen[v] then
    error("cannot encode a table that contains itself", 0)
  end
  seen[v] = true
  local copy, found
  for k, item in pairs(v) do
    local replaced, hit = mark_empties(item, seen)
    if hit then
      if not copy then
        copy = {}
        for k2, v2 in pairs(v) do copy[k2] = v2 end
      end
      copy[k] = replaced
      found = true
    end
  end
  seen[v] = nil
  return copy or v, found or false
end

--- Encodes a Lua value as JSON. Raises on values JSON cannot hold (functions, NaN, cycles, sparse arrays).
---@param value any
---@return string
function M.encode(value)
  local prepared, found = mark_empties(value, {})
  local text = codec.encode(prepared)
  if found then
    -- Plain find-and-replace is exact: the sentinel's encoded form cannot arise from any other value.
    text = text:gsub(EMPTY_PATTERN, "[]")
  end
  return text
end

-- Puts a mark on each table that stands for an empty JSON array (decoded from the sentinel). `left` is how many
-- sentinels remain to be found; the walk stops once none does. Returns the new count.
local function restore_empties(t, left)
  for k, v in pairs(t) do
    if type(v) == "table" then
      if v[1] == EMPTY and v[2] == nil then
        t[k] = setmetatable({}, M.array_mt)
        left = left - 1
      else
        left = restore_empties(v, left)
      end
      if left == 0 then return 0 end
    end
  end
  return left
end

-- The common case, fast: when every empty array is written `[]` (no white space inside), plain searches find
-- them all, and each is swapped for the sentinel array. Returns the new text and the count, or nil when some
-- `[` is followed by white space, which the exact scan below must handle. A `[]` inside a JSON string is
-- swapped too, but that always makes the text invalid (the sentinel's quote ends the string and a backslash
-- follows), so when cjson rejects the result, the caller falls back to the exact scan.
local function substitute_plain(text)
  if text:find("[ ", 1, true) or text:find("[\n", 1, true) or text:find("[\r", 1, true)
    or text:find("[\t", 1, true) then
    return nil
  end
  local out, n, pos, count = {}, 0, 1, 0
  while true do
    local at = text:find("[]", pos, true)
    if not at then break end
    n = n + 1; out[n] = text:sub(pos, at - 1)
    n = n + 1; out[n] = EMPTY_LITERAL
    count = count + 1
    pos = at + 2
  end
  if count == 0 then return text, 0 end
  n = n + 1; out[n] = text:sub(pos)
  return table.concat(out, "", 1, n), count
end

-- Rewrites each `[` ws `]` outside JSON strings as the sentinel array, and returns how many it rewrote. Only
-- called when the text holds such a run somewhere. All the scanning is done by C-level pattern functions, never
-- a Lua loop per string: escapes are first blanked out in a copy of the same length, so that every `"` left in
-- the copy opens or closes a string, and a run is inside a string exactly when an odd number of quotes precede
-- it. (For text that is not valid JSON the count may be off; cjson then rejects the text either way.)
local function substitute_empties(text)
  local plain = text
  if text:find("\\", 1, true) then plain = text:gsub("\\.", "..") end
  local out, n, count = {}, 0, 0
  local pos, counted, quotes = 1, 1, 0 -- quotes: how many '"' lie in plain[1, counted)
  while true do
    local at, stop = plain:find("%[%s*%]", pos)
    if not at then break end
    local _, q = plain:sub(counted, at - 1):gsub('"', "")
    quotes, counted = quotes + q, at
    if quotes % 2 == 0 then
      n = n + 1; out[n] = text:sub(pos, at - 1)
      n = n + 1; out[n] = EMPTY_LITERAL
      count = count + 1
    else
      n = n + 1; out[n] = text:sub(pos, stop)
    end
    pos = stop + 1
  end
  n = n + 1; out[n] = text:sub(pos)
  return table.concat(out, "", 1, n), count
end

--- Decodes JSON text. Empty arrays come back marked with `array_mt`; `null` is `M.null`.
---@param text string
---@return any value
---@return string? err  when the text is not valid JSON
function M.decode(text)
  if type(text) ~= "string" then
    error("bad argument #1 to 'decode' (string expected, got " .. type(text) .. ")", 2)
  end
  local count = 0
  local value
  if text:find("[", 1, true) then
    local fast
    fast, count = substitute_plain(text)
    local ok
    if fast then ok, value = pcall(codec.decode, fast) end
    if not ok then -- white space in an empty array, `[]` inside a string, or invalid JSON: the exact scan
      count = 0
      if text:find("%[%s*%]") then text, count = substitute_empties(text) end
      ok, value = pcall(codec.decode, text)
      if not ok then return nil, tostring(value) end
    end
  else
    local ok
    ok, value = pcall(codec.decode, text)
    if not ok then return nil, tostring(value) end
  end
  if count > 0 and type(value) == "table" then
    if value[1] == EMPTY and value[2] == nil then
      return setmetatable({}, M.array_mt)
    end
    restore_empties(value, count)
  end
  return value
end

return M

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

-- Puts a mark on each table that stands for an empty JSON array (decoded from the sentinel).
local function restore_empties(t)
  for k, v in pairs(t) do
    if type(v) == "table" then
      if v[1] == EMPTY and v[2] == nil then
        t[k] = setmetatable({}, M.array_mt)
      else
        restore_empties(v)
      end
    end
  end
end

-- Rewrites each `[` ws `]` outside JSON strings as the sentinel array. Only called when the text holds such a
-- run somewhere, so the common case costs one C-level pattern search.
local function substitute_empties(text)
  local out, n, pos, len = {}, 0, 1, #text
  while pos <= len do
    local at = text:find('["%[]', pos)
    if not at then break end
    if text:byte(at) == 34 then -- '"': skip the string, honouring backslash escapes
      local close = at
      repeat
        close = text:find('["\\]', close + 1)
        if not close then return nil end
        local escape = text:byte(close) == 92
        if escape then close = close + 1 end
      until not escape
      n = n + 1; out[n] = text:sub(pos, close)
      pos = close + 1
    else
      local stop = text:match("^%[%s*%]()", at)
      if stop then
        n = n + 1; out[n] = text:sub(pos, at - 1)
        n = n + 1; out[n] = EMPTY_LITERAL
        pos = stop
      else
        n = n + 1; out[n] = text:sub(pos, at)
        pos = at + 1
      end
    end
  end
  n = n + 1; out[n] = text:sub(pos)
  return table.concat(out, "", 1, n)
end

--- Decodes JSON text. Empty arrays come back marked with `array_mt`; `null` is `M.null`.
---@param text string
---@return any value
---@return string? err  when the text is not valid JSON
function M.decode(text)
  if type(text) ~= "string" then
    error("bad argument #1 to 'decode' (string expected, got " .. type(text) .. ")", 2)
  end
  local has_empty = text:find("%[%s*%]") ~= nil
  if has_empty then
    text = substitute_empties(text) or text -- an unterminated string: let cjson report it
  end
  local ok, value = pcall(codec.decode, text)
  if not ok then
    return nil, tostring(value)
  end
  if has_empty then
    if type(value) == "table" then
      if value[1] == EMPTY and value[2] == nil then
        return setmetatable({}, M.array_mt)
      end
      restore_empties(value)
    end
  end
  return value
end

return M

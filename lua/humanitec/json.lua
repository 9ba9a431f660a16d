--- One place for the SDK's JSON policy: decoding with the SDK's own decoder (humanitec.jsonc, in C), encoding
-- with a private lua-cjson instance.
--
-- Lua has one kind of table for `[]` and `{}`, so a value read from the API and sent back would turn its empty
-- arrays into objects. We keep them apart by marking tables that are JSON arrays with `array_mt`: the decoder
-- marks each empty array as it makes it, and encoding writes a marked empty table as `[]`. Non-empty arrays
-- need no mark: cjson already writes a sequence as an array.
--
-- Inside Neovim the codec is Neovim's own copy of lua-cjson, `vim.json`: it is built for the LuaJIT that runs
-- there, while a lua-cjson found through LUA_CPATH may be built for another Lua and is never loaded.
local vim = rawget(_G, "vim")
local in_nvim = type(vim) == "table" and type(vim.json) == "table" and vim.json.new ~= nil
local cjson = in_nvim and vim.json or require "cjson"
-- The decoder is humanitec.jsonc; humanitec.core holds the same one, and is all that Neovim's build makes (so
-- inside Neovim humanitec.jsonc is not looked for: LUA_CPATH may name one built for another Lua).
local has_jsonc, jsonc = false, nil
if not in_nvim then has_jsonc, jsonc = pcall(require, "humanitec.jsonc") end
if not has_jsonc then jsonc = { decoder = require("humanitec.core").json_decoder } end

local M = {}

-- A private instance: settings here never touch the host's `require "cjson"`.
local codec = cjson.new()
-- Neovim 0.10 and later expose none of lua-cjson's settings on vim.json (their defaults are these two) and no
-- vim.json.null (vim.NIL is the same value); 0.7 to 0.9 expose them all.
if codec.decode_invalid_numbers then codec.decode_invalid_numbers(false) end -- strict: no NaN, Infinity, hex
if codec.encode_sparse_array then codec.encode_sparse_array(false) end -- raise on excessively sparse arrays
-- An unmarked empty table is an object: lua-cjson 2.1 knows no other way; vim.json's default is the other way.
-- Where that cannot be set (vim.json from Neovim 0.10), encoding swaps each unmarked empty table for
-- vim.empty_dict(), which vim.json writes as {}.
local empty_object
if codec.encode_empty_table_as_object then
  codec.encode_empty_table_as_object(true)
elseif in_nvim then
  empty_object = vim.empty_dict
end

--- The value JSON `null` decodes to, and the value to encode as `null`.
M.null = cjson.null
if M.null == nil and in_nvim then M.null = vim.NIL end

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

--- The keys of a table, sorted by their text (numbers and strings mixed sort too): the one order in which the
--- SDK writes an object's members, lists them and reports on them, the same on every interpreter.
---@param t table
---@return any[]
function M.sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  return keys
end

-- Encoding: a string no API value holds (it is wrapped in NUL characters) stands in for an empty array while
-- cjson does the work, and is swapped back afterwards. cjson writes NUL as the escape \u0000, so the encoded
-- form below is exact.
local EMPTY = "\0humanitec:empty-array\0"
local EMPTY_ENCODED = '"\\u0000humanitec:empty-array\\u0000"'
local EMPTY_PATTERN = "%[" .. EMPTY_ENCODED:gsub("%p", "%%%0") .. "%]"

-- Decoding: strict RFC 8259, in one pass, straight into tables (see csrc/jdecode.c for what it does with
-- numbers, invalid UTF-8 and a byte-order mark).
local decode_marked = jsonc.decoder(M.array_mt, M.null)

-- Returns `v` with every marked empty array replaced by { EMPTY } (and, where the codec needs it, every
-- unmarked empty table by vim.empty_dict()), copying only the tables on the way to one; `found` tells whether
-- any was met (when none is, `v` itself is returned and encoded as it is).
local function mark_empties(v, seen)
  if type(v) ~= "table" then
    return v, false
  end
  if next(v) == nil then
    local mt = getmetatable(v)
    if mt == M.array_mt then return { EMPTY }, true end
    if empty_object and mt == nil then return empty_object(), true end
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

-- How a key reads in a field path: .name, [1] or ["a b"].
local function path_step(k)
  if type(k) == "string" and k:find("^[%a_][%w_]*$") then return "." .. k end
  if type(k) == "string" then return ("[%q]"):format(k):gsub("\\\n", "\\n") end
  return "[" .. tostring(k) .. "]"
end

-- The first place in `v` that JSON cannot hold, as a path from `path`, and why; nil when there is none cjson
-- would refuse. Walked only after cjson has refused, so its cost never touches a good body.
local function explain(v, path, seen)
  local kind = type(v)
  if kind == "number" then
    if v ~= v or v == math.huge or v == -math.huge then return path, "NaN or infinity cannot be sent as JSON" end
    return nil
  end
  if kind == "function" or kind == "thread" or (kind == "userdata" and v ~= M.null) then
    return path, "a " .. kind .. " cannot be sent as JSON"
  end
  if kind ~= "table" then return nil end
  if seen[v] then return path, "a table that contains itself cannot be sent as JSON" end
  seen[v] = true
  local keys, max, count = {}, 0, 0
  for k in pairs(v) do
    local kk = type(k)
    if kk ~= "string" and kk ~= "number" then
      return path, "a " .. kk .. " key cannot be sent as JSON"
    end
    if kk == "number" and k > 0 and k % 1 == 0 then
      if k > max then max = k end
      count = count + 1
    end
    keys[#keys + 1] = k
  end
  table.sort(keys, function(a, b)
    if type(a) == type(b) then return a < b end
    return type(a) == "number"
  end)
  for _, k in ipairs(keys) do
    local where, why = explain(v[k], path .. path_step(k), seen)
    if where then return where, why end
  end
  seen[v] = nil
  if count == #keys and max > 10 and max > 2 * count then
    return path, "a sparse array (holes past index " .. count .. ") cannot be sent as JSON"
  end
  return nil
end

--- Encodes a Lua value as JSON. Raises (level 0) on values JSON cannot hold (functions, NaN, cycles, sparse
--- arrays), naming the field: `body.modules.web.x: a function cannot be sent as JSON`.
---@param value any
---@param name? string what the value is called in the message ("value" by default)
---@return string
function M.encode(value, name)
  local ok, prepared, found = pcall(mark_empties, value, {})
  local text
  if ok then ok, text = pcall(codec.encode, prepared) end
  if not ok then
    local where, why = explain(value, name or "value", {})
    if where then error(where .. ": " .. why, 0) end
    error((tostring(prepared or text):gsub("^[^:]*:%d+: ", "")), 0)
  end
  if found then
    -- Plain find-and-replace is exact: the sentinel's encoded form cannot arise from any other value.
    text = text:gsub(EMPTY_PATTERN, "[]")
  end
  return text
end

--- Decodes JSON text. Empty arrays come back marked with `array_mt`; `null` is `M.null`; integers that fit
--- in 64 bits are Lua integers on 5.3 and 5.4. Never raises on bad text.
---@param text string
---@return any value
---@return string? err  when the text is not valid JSON: what and where ("... at byte offset N")
---@return integer? offset  the byte offset (from 0) where the text went wrong
function M.decode(text)
  if type(text) ~= "string" then
    error("bad argument #1 to 'decode' (string expected, got " .. type(text) .. ")", 2)
  end
  return decode_marked(text)
end

return M

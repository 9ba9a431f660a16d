--- JSON Patch (RFC 6902) on decoded JSON values, and the diff that produces one. Deltas carry JSON Patches for
-- module and workload updates and for shared values; applying them builds Deployment Sets, diffing two Sets
-- gives back a Delta.
local json = require "humanitec.json"
local U = require "humanitec.sim.util"

local M = {}

-- Splits a JSON Pointer ("/a/b~1c") into its unescaped tokens; nil when it is not a pointer.
local function tokens(pointer)
  if type(pointer) ~= "string" then return nil end
  if pointer == "" then return {} end
  if pointer:sub(1, 1) ~= "/" then return nil end
  local out = {}
  for raw in (pointer:sub(2) .. "/"):gmatch("([^/]*)/") do
    out[#out + 1] = (raw:gsub("~1", "/"):gsub("~0", "~"))
  end
  return out
end

--- Escapes one JSON Pointer token.
---@param token string
---@return string
function M.escape(token)
  return (tostring(token):gsub("~", "~0"):gsub("/", "~1"))
end

-- The array index a token names in `arr` (1-based); `allow_end` accepts "-" and #arr (for add).
local function index_of(arr, token, allow_end)
  if token == "-" and allow_end then return #arr + 1 end
  if not token:find("^%d+$") or (#token > 1 and token:sub(1, 1) == "0") then return nil end
  local i = tonumber(token) + 1
  if i <= #arr or (allow_end and i == #arr + 1) then return i end
  return nil
end

-- Walks to the parent of the last token; returns the parent container and the last token.
local function parent_of(doc, toks, path)
  local node = doc
  for i = 1, #toks - 1 do
    local t = toks[i]
    if U.is_list(node) then
      local idx = index_of(node, t, false)
      node = idx and node[idx]
    elseif type(node) == "table" and node ~= json.null then
      node = node[t]
    else
      node = nil
    end
    if node == nil or type(node) ~= "table" or node == json.null then
      error("path '" .. path .. "' does not exist", 0)
    end
  end
  return node, toks[#toks]
end

local function get(doc, path)
  local toks = tokens(path)
  if not toks then error("invalid path '" .. tostring(path) .. "'", 0) end
  if #toks == 0 then return doc end
  local parent, last = parent_of(doc, toks, path)
  local v
  if U.is_list(parent) then
    local idx = index_of(parent, last, false)
    v = idx and parent[idx]
  else
    v = parent[last]
  end
  if v == nil then error("path '" .. path .. "' does not exist", 0) end
  return v
end

local function remove(doc, path)
  local toks = tokens(path)
  if not toks or #toks == 0 then error("cannot remove '" .. tostring(path) .. "'", 0) end
  local parent, last = parent_of(doc, toks, path)
  local old
  if U.is_list(parent) then
    local idx = index_of(parent, last, false)
    if not idx then error("path '" .. path .. "' does not exist", 0) end
    old = table.remove(parent, idx)
  else
    old = parent[last]
    if old == nil then error("path '" .. path .. "' does not exist", 0) end
    parent[last] = nil
  end
  return doc, old
end

local function add(doc, path, value, replace)
  local toks = tokens(path)
  if not toks then error("invalid path '" .. tostring(path) .. "'", 0) end
  if #toks == 0 then return value end
  local parent, last = parent_of(doc, toks, path)
  if U.is_list(parent) then
    if replace then
      local idx = index_of(parent, last, false)
      if not idx then error("path '" .. path .. "' does not exist", 0) end
      parent[idx] = value
    else
      local idx = index_of(parent, last, true)
      if not idx then error("array index in '" .. path .. "' is out of range", 0) end
      table.insert(parent, idx, value)
    end
  else
    if replace and parent[last] == nil then error("path '" .. path .. "' does not exist", 0) end
    parent[last] = value
  end
  return doc
end

local function apply_one(doc, op)
  if type(op) ~= "table" or U.is_list(op) then error("each patch operation must be an object", 0) end
  local kind, path = op.op, op.path
  if type(path) ~= "string" then error("patch operation needs a string 'path'", 0) end
  if kind == "add" then
    return add(doc, path, U.copy(op.value == nil and json.null or op.value), false)
  elseif kind == "remove" then
    return (remove(doc, path))
  elseif kind == "replace" then
    return add(doc, path, U.copy(op.value == nil and json.null or op.value), true)
  elseif kind == "move" then
    local moved
    doc, moved = remove(doc, op.from)
    return add(doc, path, moved, false)
  elseif kind == "copy" then
    return add(doc, path, U.copy(get(doc, op.from)), false)
  elseif kind == "test" then
    if not U.equal(get(doc, path), op.value) then error("test failed at '" .. path .. "'", 0) end
    return doc
  end
  error("unknown patch operation '" .. tostring(kind) .. "'", 0)
end

--- Applies a list of patch operations to a copy of `doc`.
---@param doc any
---@param ops table
---@return any result  nil when an operation cannot be applied
---@return string? err
function M.apply(doc, ops)
  local ok, result = pcall(function()
    local out = U.copy(doc)
    for _, op in ipairs(ops) do out = apply_one(out, op) end
    return out
  end)
  if not ok then return nil, tostring(result) end
  return result
end

--- True when `op` is the Humanitec extension "remove without side effects": a remove whose value is
-- `{"scope": "delta"}`. It cancels earlier operations on the path and is then dropped.
---@param op table
---@return boolean
function M.is_delta_scoped(op)
  return op.op == "remove" and type(op.value) == "table" and op.value.scope == "delta"
end

local function covers(outer, inner)
  return inner == outer or inner:sub(1, #outer + 1) == outer .. "/"
end

--- Reduces a list of operations to fewer with the same effect: a later add/replace/remove on a path makes
-- earlier operations on that path or below it irrelevant, and delta-scoped removes cancel earlier operations
-- without staying in the list. Operations that read other paths (move, copy, test) stop the reduction from
-- looking further back, since dropping what they read would change their effect. Array-index paths are left
-- alone: an earlier insertion shifts what a later index means.
---@param ops table
---@return table
function M.simplify(ops)
  local out = {}
  for _, op in ipairs(ops) do
    local path = op.path
    local touches_index = type(path) == "string" and (path:find("/%d+$") or path:find("/%-$"))
    if (op.op == "add" or op.op == "replace" or op.op == "remove") and type(path) == "string"
      and not touches_index then
      local i = #out
      while i >= 1 do
        local prev = out[i]
        if prev.op == "move" or prev.op == "copy" or prev.op == "test" then break end
        if type(prev.path) == "string" and covers(path, prev.path) then table.remove(out, i) end
        i = i - 1
      end
    end
    if not M.is_delta_scoped(op) then out[#out + 1] = op end
  end
  return U.array(out)
end

-- Appends to `ops` the operations that turn `from` into `to` at `path`.
local function diff(from, to, path, ops)
  if U.equal(from, to) then return end
  if U.is_object(from) and U.is_object(to) then
    local keys = {}
    for k in pairs(from) do keys[#keys + 1] = k end
    for k in pairs(to) do if from[k] == nil then keys[#keys + 1] = k end end
    table.sort(keys)
    for _, k in ipairs(keys) do
      local sub = path .. "/" .. M.escape(k)
      if to[k] == nil then
        ops[#ops + 1] = { op = "remove", path = sub }
      elseif from[k] == nil then
        ops[#ops + 1] = { op = "add", path = sub, value = U.copy(to[k]) }
      else
        diff(from[k], to[k], sub, ops)
      end
    end
  else
    ops[#ops + 1] = { op = "replace", path = path, value = U.copy(to) }
  end
end

--- The patch that turns `from` into `to` (objects are compared key by key, anything else is replaced whole).
---@param from any
---@param to any
---@return table
function M.diff(from, to)
  local ops = {}
  diff(from, to, "", ops)
  return U.array(ops)
end

return M

--- Changes to a Score document before it is translated, as humctl and score-humanitec apply them: an overrides
--- document deep-merged over it, `--property path=value` edits, and `--image`. Each works on a copy; the
--- caller's document is never changed. Also the deep copy and deep merge the translation itself uses.
local json = require "humanitec.json"
local yaml = require "humanitec.score.yaml"

local M = {}

local function is_map(v)
  return type(v) == "table" and not json.is_array(v) and (next(v) == nil or rawget(v, 1) == nil)
end
M.is_map = is_map

--- A deep copy; arrays stay marked as arrays. Shared subtables (YAML aliases) are copied once per use.
---@param v any
---@return any
function M.copy(v)
  if type(v) ~= "table" then return v end
  local out = {}
  for k, item in pairs(v) do out[k] = M.copy(item) end
  if json.is_array(v) then json.array(out) end
  return out
end

--- Merges `src` into `dst` (both maps), recursively through maps. `overwrite`: values of `src` replace those of
--- `dst` (an overrides file); otherwise `dst` keeps what it has and `src` only fills gaps (the extensions'
--- spec, as score-humanitec merges it). Arrays and scalars are replaced whole, never merged.
---@param dst table
---@param src table
---@param overwrite boolean
---@return table dst
function M.merge(dst, src, overwrite)
  for k, v in pairs(src) do
    local have = dst[k]
    if is_map(have) and is_map(v) then
      M.merge(have, v, overwrite)
    elseif have == nil or (overwrite and v ~= json.null) then
      dst[k] = M.copy(v)
    end
  end
  return dst
end

-- ---- --property path=value --------------------------------------------------------------------------------

--- Splits a dotted path (a `--property` path, a placeholder) on the dots that are not escaped as `\.`, so that
--- `containers.main.files./etc/app\.conf.mode` names the file `/etc/app.conf`.
---@param path string
---@return string[]
local function split_path(path)
  local out, cur, i, n = {}, {}, 1, #path
  while i <= n do
    local c = path:sub(i, i)
    if c == "\\" and path:sub(i + 1, i + 1) == "." then
      cur[#cur + 1] = "."
      i = i + 2
    elseif c == "." then
      out[#out + 1] = table.concat(cur)
      cur = {}
      i = i + 1
    else
      cur[#cur + 1] = c
      i = i + 1
    end
  end
  out[#out + 1] = table.concat(cur)
  return out
end
M.split_path = split_path

--- The keys of a table, sorted, so that what is made from them comes out in the same order everywhere.
M.sorted_keys = json.sorted_keys

-- The value a `--property` gives: its text read as YAML (so `80` is a number and `[a, b]` a list), or the
-- text itself when it is not a single YAML value.
local function property_value(text)
  local v, err = yaml.decode(text, "--property")
  if err then return text end
  return v
end

--- Applies one property edit to `doc`: `path=value` sets (creating the maps on the way), `path` alone removes.
--- Array elements are named by their 0-based index; `-1` appends. Returns true or nil and a message.
---@param doc table
---@param spec string|table "path=value" or "path", or { path, value } with a Lua value
---@return boolean? ok
---@return string? err
function M.set_property(doc, spec)
  local path, value, remove
  if type(spec) == "table" then
    path, value = spec[1], spec[2]
    remove = value == nil
  else
    path, value = spec:match("^([^=]*)=(.*)$")
    if path then
      value = property_value(value)
    else
      path, remove = spec, true
    end
  end
  if type(path) ~= "string" or path == "" then return nil, "a property needs a path: " .. tostring(spec) end
  local keys = split_path(path)
  local node = doc
  for i = 1, #keys - 1 do
    local k = keys[i]
    local idx = json.is_array(node) and tonumber(k)
    local child
    if idx then child = node[idx + 1] else child = node[k] end
    if type(child) ~= "table" then
      if remove then return true end -- nothing there to remove
      if child ~= nil and child ~= json.null then
        return nil, ("property '%s': '%s' is not a map or a list"):format(path, table.concat(keys, ".", 1, i))
      end
      child = {}
      if idx then node[idx + 1] = child else node[k] = child end
    end
    node = child
  end
  local last = keys[#keys]
  if json.is_array(node) or (type(node) == "table" and rawget(node, 1) ~= nil) then
    local idx = tonumber(last)
    if not idx or idx ~= math.floor(idx) or idx < -1 or idx > #node then
      return nil, ("property '%s': '%s' is not an index of the list (0 to %d, or -1 to append)"):format(path,
        last, #node)
    end
    if remove then
      if idx >= 0 and idx < #node then table.remove(node, idx + 1) end
    elseif idx == -1 then
      node[#node + 1] = value
    else
      node[idx + 1] = value
    end
  elseif remove then
    node[last] = nil
  else
    node[last] = value
  end
  return true
end

--- Renames resource types by `aliases` (alias -> type), as convertScoreToSet's `resource_type_aliases` does.
---@param doc table
---@param aliases table<string, string>
function M.alias_types(doc, aliases)
  if type(doc.resources) ~= "table" then return end
  for _, res in pairs(doc.resources) do
    if type(res) == "table" and type(res.type) == "string" and type(aliases[res.type]) == "string" then
      res.type = aliases[res.type]
    end
  end
end

--- The name of a container whose image is still `.` (a placeholder for `--image`), or nil.
---@param doc table
---@return string?
function M.dot_image(doc)
  if type(doc.containers) ~= "table" then return nil end
  for _, name in ipairs(M.sorted_keys(doc.containers)) do
    local c = doc.containers[name]
    if type(c) == "table" and c.image == "." then return name end
  end
  return nil
end

--- `--image`: the image of every container whose image is `.`, or, when none is, of the only container.
--- Returns true, or nil and a message when it is not clear which container is meant.
---@param doc table
---@param image string
---@return boolean? ok
---@return string? err
function M.set_image(doc, image)
  local containers = type(doc.containers) == "table" and doc.containers or {}
  local names, dotted = {}, 0
  for name, c in pairs(containers) do
    names[#names + 1] = name
    if type(c) == "table" and c.image == "." then
      c.image = image
      dotted = dotted + 1
    end
  end
  if dotted > 0 then return true end
  if #names == 1 and type(containers[names[1]]) == "table" then
    containers[names[1]].image = image
    return true
  end
  table.sort(names)
  return nil, ("--image: the workload has %d containers (%s) and none has image '.'; set one with "
    .. "--property containers.NAME.image=IMAGE"):format(#names, table.concat(names, ", "))
end

return M

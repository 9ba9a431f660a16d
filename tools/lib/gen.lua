-- gen.lua: what the generators in tools/ share (facts.lua, gen-operations.lua, gen-sim-schemas.lua,
-- gen-score-schema.lua): one key order for every table they write, and telling a decoded JSON array from an
-- object. Plain Lua, nothing of the SDK: a tool runs before anything is built. A tool finds it next to itself:
--   package.path = (arg[0]:match("^(.*)/[^/]*$") or ".") .. "/lib/?.lua;" .. package.path
local M = {}

--- The keys of `t`, sorted by their text (so numbers and strings mixed sort too): the same table gives the same
--- order, and so the same bytes, on every interpreter.
---@param t table
---@return any[]
function M.sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  return keys
end

--- True when `t` holds the keys 1..n and no other, n > 0: a JSON array as lua-cjson decodes it. An empty table
--- is not one (cjson decodes `[]` and `{}` alike).
---@param t table
---@return boolean
function M.is_sequence(t)
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  return n > 0 and n == #t
end

return M

-- gen.lua: what the generators in tools/ share (facts.lua, gen-operations.lua, gen-sim-schemas.lua,
-- gen-score-schema.lua): failing with the tool's name, reading the JSON they start from and writing what they
-- make, one key order for every table they write, and telling a decoded JSON array from an object. lua-cjson
-- and plain Lua, nothing of the SDK: a tool runs before anything is built. A tool finds it next to itself:
--   package.path = (arg[0]:match("^(.*)/[^/]*$") or ".") .. "/lib/?.lua;" .. package.path
local cjson = require "cjson"

local M = {}

--- The I/O of the tool `name`: `fail(fmt, ...)` writes "name: message" on stderr and exits 1;
--- `read_json(path)` decodes a JSON file; `write_file(path, data)` writes a file whole, through a temporary file
--- renamed over it, so a failing run never leaves half a file. Both fail, saying which file and why.
---@param name string
---@return table
function M.tool(name)
  local T = {}
  function T.fail(fmt, ...)
    io.stderr:write(name, ": ", string.format(fmt, ...), "\n")
    os.exit(1)
  end
  function T.read_json(path)
    local f, err = io.open(path, "rb")
    if not f then T.fail("cannot read %s: %s", path, err) end
    local text = f:read("a")
    f:close()
    local ok, doc = pcall(cjson.decode, text)
    if not ok then T.fail("cannot decode %s: %s", path, doc) end
    return doc
  end
  function T.write_file(path, data)
    local tmp = path .. ".tmp"
    local f, err = io.open(tmp, "wb")
    local ok = f ~= nil
    if f then
      ok, err = f:write(data)
      local closed, close_err = f:close()
      if ok and not closed then ok, err = false, close_err end
    end
    if ok then ok, err = os.rename(tmp, path) end
    if not ok then
      os.remove(tmp)
      T.fail("cannot write %s: %s", path, tostring(err))
    end
  end
  return T
end

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

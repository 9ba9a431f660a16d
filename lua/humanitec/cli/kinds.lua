--- The kinds of things `get`, `create`, `update` and `delete` work on, made from the generated operations.
--
-- Every GET operation named list_* whose path ends in a fixed segment is a kind: its name is the operation's
-- without "list_" (list_resource_definitions: resource-definitions), also known by the path's last segment
-- (defs) and by the singular of either. The operations on the path plus one parameter are its item's get,
-- update and delete; a POST on the path creates one. Several kinds share a name (values at app and at
-- environment level): the one whose parameters the context fills, most specific first, wins.
--
-- The kinds are made on first use (M.all, M.names, M.find), not when this module loads: `humanitec --help`
-- and the commands that make no request never load the 221-operation table.

local M = {}

local function segments_after_param(path)
  return path:match("([^{}]*)$"):gsub("^/", "")
end

local function path_params(path)
  local names = {}
  for name in path:gmatch("{([^}]+)}") do names[#names + 1] = name end
  return names
end

local function singular(word)
  if word:find("ies$") then return (word:gsub("ies$", "y")) end
  if word:find("sses$") then return (word:gsub("es$", "")) end
  if word:find("s$") then return (word:gsub("s$", "")) end
  return word
end

local kinds, by_name, names -- made by build() on first use

local function add_name(name, kind)
  local list = by_name[name]
  if not list then
    list = {}
    by_name[name] = list
    names[#names + 1] = name
  end
  list[#list + 1] = kind
end

local function build()
  if kinds then return end
  kinds, by_name, names = {}, {}, {}
  local operations = require "humanitec.operations"
  local by_path = {}
  for _, name in ipairs(operations.names) do
    local op = operations.operations[name]
    by_path[op.method .. " " .. op.path] = op
  end
  for _, name in ipairs(operations.names) do
    local op = operations.operations[name]
    local tail = segments_after_param(op.path)
    if op.method == "GET" and name:find("^list_") and tail ~= "" then
      local kind = {
        name = name:sub(6):gsub("_", "-"),
        alias = tail:match("([^/]+)$"),
        list = op,
        params = path_params(op.path),
        create = by_path["POST " .. op.path],
      }
      -- the item: the list's path and one parameter
      for _, other in ipairs(operations.names) do
        local o = operations.operations[other]
        local param = o.path:sub(#op.path + 1):match("^/{([^}/]+)}$")
        if param and o.path:sub(1, #op.path) == op.path then
          kind.id_param = param
          if o.method == "GET" then kind.get = o
          elseif o.method == "DELETE" then kind.delete = o
          elseif o.method == "PATCH" then kind.patch = o
          elseif o.method == "PUT" then kind.put = o
          end
        end
      end
      kinds[#kinds + 1] = kind
      add_name(kind.name, kind)
      if kind.alias ~= kind.name then add_name(kind.alias, kind) end
      for _, n in ipairs({ singular(kind.name), singular(kind.alias) }) do
        if by_name[n] == nil or n ~= kind.name and n ~= kind.alias then
          local known = false
          for _, k in ipairs(by_name[n] or {}) do known = known or k == kind end
          if not known then add_name(n, kind) end
        end
      end
    end
  end
  table.sort(names)
  M.all, M.names = kinds, names
end

-- M.all: every kind, in the order of their operations' names. M.names: every name a kind goes by, sorted.
setmetatable(M, { __index = function(_, key)
  if key == "all" or key == "names" then
    build()
    return rawget(M, key)
  end
end })

--- The path parameters the context supplies: org, app and env.
M.CONTEXT_PARAMS = { orgId = "org", appId = "app", envId = "env" }

--- How to ask for a path parameter on the command line.
function M.flag_for(param)
  local setting = M.CONTEXT_PARAMS[param]
  if setting then return "--" .. setting end
  return "--param " .. param .. "=ID"
end

--- The kind called `name` whose parameters `available` (a set of parameter names) fills, preferring the one
--- that uses the most of them. Returns the kind, or nil, the first candidate and the parameter it lacks;
--- or nil when no kind has that name.
---@param name string
---@param available table<string, boolean>
---@param without? string a parameter the caller fills itself (the item's id)
function M.find(name, available, without)
  build()
  local candidates = by_name[name]
  if not candidates then return nil end
  local best, best_score, missing_kind, missing
  for _, kind in ipairs(candidates) do
    local lacking
    for _, p in ipairs(kind.params) do
      if not available[p] and p ~= without then lacking = lacking or p end
    end
    if lacking then
      if not missing then missing_kind, missing = kind, lacking end
    else
      local score = #kind.params * 2 + (kind.name == name and 1 or 0)
      if best == nil or score > best_score then best, best_score = kind, score end
    end
  end
  if best then return best end
  return nil, missing_kind, missing
end

return M

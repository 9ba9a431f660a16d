--- The text of the plugin's scratch buffers: an environment, a list of deployments, one deployment with its
--- errors. Plain functions of what the API answered, returning lines (no editor calls), so any Lua runs them.
--- Secret values are never shown, and nothing from the server can break a line: control characters are
--- escaped and each line is cut at a bound.
local M = {}

M.MASK = "********"
local MAX_LINE = 500

-- One buffer line from any value: control characters written as escapes, at most MAX_LINE bytes.
local function clean(v)
  local s = tostring(v)
  if #s > MAX_LINE then s = s:sub(1, MAX_LINE) .. "..." end
  return (s:gsub("%c", function(c)
    if c == "\n" then return "\\n" end
    if c == "\t" then return "  " end
    return ("\\%03d"):format(c:byte())
  end))
end
M.clean = clean

-- A field that may be absent or JSON null (a userdata, whichever codec decoded it): nil in both cases.
local function field(t, k)
  local v = type(t) == "table" and t[k] or nil
  if v == nil or type(v) == "userdata" then return nil end
  return v
end

local function sorted_keys(t)
  local keys = {}
  if type(t) == "table" then
    for k in pairs(t) do
      if type(k) == "string" then keys[#keys + 1] = k end
    end
  end
  table.sort(keys)
  return keys
end

local function add(lines, ...)
  local parts = { ... }
  for i = 1, select("#", ...) do parts[i] = clean(parts[i] == nil and "" or parts[i]) end
  lines[#lines + 1] = table.concat(parts)
end

-- The first line of a text, for one-line summaries.
local function first_line(s)
  s = tostring(s or "")
  return s:match("^[^\n]*")
end

--- An environment: its last deployment and status, the modules of its deployed set, and its values (secrets
--- masked). `set` and `values` may be nil (no deployment yet, or not fetched).
---@param where {org: string, app: string, env: string}
---@param env table get_environment's answer
---@param set? table get_set's answer for the last deployment's set
---@param values? table[] list_env_values' answer
---@return string[] lines
function M.environment(where, env, set, values)
  local lines = {}
  add(lines, "Environment ", where.env, " (app ", where.app, ", org ", where.org, ")")
  add(lines, "Name: ", field(env, "name") or "")
  add(lines, "Type: ", field(env, "type") or "")
  lines[#lines + 1] = ""
  local last = field(env, "last_deploy")
  if not last then
    lines[#lines + 1] = "Last deployment: none"
  else
    add(lines, "Last deployment: ", field(last, "id") or "?")
    add(lines, "  Status: ", field(last, "status") or "?")
    add(lines, "  Created: ", field(last, "created_at") or "", " by ", field(last, "created_by") or "?")
    local comment = field(last, "comment")
    if comment and comment ~= "" then add(lines, "  Comment: ", first_line(comment)) end
  end
  lines[#lines + 1] = ""
  local modules = field(set, "modules")
  local names = sorted_keys(modules)
  add(lines, "Modules (", #names, ")")
  for _, name in ipairs(names) do
    local module = modules[name]
    add(lines, "  ", name)
    local profile = field(module, "profile")
    if profile then add(lines, "    profile: ", profile) end
    local containers = field(field(module, "spec"), "containers")
    for _, cname in ipairs(sorted_keys(containers)) do
      add(lines, "    container ", cname, ": ", field(containers[cname], "image") or "")
    end
  end
  lines[#lines + 1] = ""
  local list = type(values) == "table" and values or {}
  local rows = {}
  for _, v in ipairs(list) do
    local key = field(v, "key")
    if key then rows[#rows + 1] = v end
  end
  table.sort(rows, function(a, b) return tostring(a.key) < tostring(b.key) end)
  add(lines, "Values (", #rows, ")")
  for _, v in ipairs(rows) do
    if v.is_secret == true then
      add(lines, "  ", v.key, " = ", M.MASK, " (secret)")
    else
      add(lines, "  ", v.key, " = ", field(v, "value") or "")
    end
  end
  return lines
end

--- Deployments, newest first as the API lists them. Returns the lines and, for each line that shows one,
--- the deployment's id (ids[line number]).
---@param where {org: string, app: string, env: string}
---@param list table[] list_deployments' answer
---@return string[] lines
---@return table<integer, string> ids
function M.deployments(where, list)
  local lines, ids = {}, {}
  add(lines, "Deployments of ", where.app, "/", where.env, " (org ", where.org, "): <CR> opens one")
  for _, d in ipairs(type(list) == "table" and list or {}) do
    local id = field(d, "id")
    if id then
      add(lines, id, "  ", ("%-11s"):format(field(d, "status") or "?"), "  ", field(d, "created_at") or "", "  ",
        first_line(field(d, "comment") or ""))
      ids[#lines] = id
    end
  end
  if #lines == 1 then lines[#lines + 1] = "(none)" end
  return lines, ids
end

--- One deployment and its errors.
---@param where {org: string, app: string, env: string}
---@param d table get_deployment's answer
---@param errs? table[] list_deployment_errors' answer
---@return string[] lines
function M.deployment(where, d, errs)
  local lines = {}
  add(lines, "Deployment ", field(d, "id") or "?", " of ", where.app, "/", where.env, " (org ", where.org, ")")
  add(lines, "Status: ", field(d, "status") or "?")
  add(lines, "Created: ", field(d, "created_at") or "", " by ", field(d, "created_by") or "?")
  local comment = field(d, "comment")
  if comment and comment ~= "" then add(lines, "Comment: ", first_line(comment)) end
  if field(d, "delta_id") then add(lines, "Delta: ", d.delta_id) end
  if field(d, "set_id") then add(lines, "Set: ", d.set_id) end
  lines[#lines + 1] = ""
  local list = type(errs) == "table" and errs or {}
  add(lines, "Errors (", #list, ")")
  for _, e in ipairs(list) do
    add(lines, "  ", field(e, "scope") or "", " ", field(e, "object_id") or "", ": ", field(e, "summary") or "",
      field(e, "code") and (" [" .. tostring(e.code) .. "]") or "")
    local message = field(e, "message")
    if message then add(lines, "    ", message) end
  end
  return lines
end

return M

--- Workflow helpers for shared values: set_values, get_values.
---
--- ```lua
--- assert(client:set_values { appId = "shop", values = { LOG_LEVEL = "info", DB_PASSWORD = { secret = "pw" } } })
--- local values = assert(client:get_values { appId = "shop", envId = "production" })
--- ```
local S = require "humanitec.workflows.shared"
local vocabulary = require "humanitec.vocabulary"

local W = {}

local check_opts = S.check_opts

-- ---- shared values ---------------------------------------------------------------------------------------------

-- The shared values of an app, or of an environment with `env`.
local function list_values(self, app, env)
  if env then return self:list_env_values { appId = app, envId = env } end
  return self:list_app_values { appId = app }
end

-- The fields a value given as a table may hold: anything else (`is_secret`, say) is a mistake, not ignored.
local VALUE_FIELDS = { value = true, secret = true, description = true }
local VALUE_FIELD_NAMES = vocabulary.names(VALUE_FIELDS)

-- What a value in set_values stands for: { value, is_secret, description }.
local function value_spec(key, v)
  local kind = type(v)
  if kind == "string" or kind == "number" or kind == "boolean" then
    return { value = tostring(v), is_secret = false }
  end
  if kind == "table" then
    for k in pairs(v) do
      if not VALUE_FIELDS[k] then
        error(("bad value '%s' to 'set_values' (unknown field '%s'%s)"):format(key, tostring(k),
          vocabulary.hint(k, VALUE_FIELD_NAMES)), 3)
      end
    end
    local secret = v.secret
    if secret ~= nil then
      if type(secret) ~= "string" then
        error(("bad value '%s' to 'set_values' (secret must be a string)"):format(key), 3)
      end
      return { value = secret, is_secret = true, description = v.description }
    end
    if v.value ~= nil then
      return { value = tostring(v.value), is_secret = false, description = v.description }
    end
  end
  error(("bad value '%s' to 'set_values' (string, { secret = ... } or { value = ... } expected)"):format(key), 3)
end

--- Creates or updates shared values at app level, or at environment level with `envId`. A plain value is a
--- string; `{ secret = "..." }` is a secret; `{ value = ..., description = ... }` sets a description too.
--- Values that already hold what is asked are left alone (secrets, which are never read back, are always
--- written). Returns `{ created = {keys}, updated = {keys}, unchanged = {keys} }`.
---@param opts {appId: string, envId?: string, values: table<string, string|table>}
---@return table? changes
---@return humanitec.Error? err
function W:set_values(opts)
  check_opts(self, "set_values", opts)
  local app = opts.appId
  local env = opts.envId
  local values = opts.values
  local keys, specs = {}, {}
  for key, v in pairs(values) do
    if type(key) ~= "string" then error("bad field 'values' to 'set_values' (string keys expected)", 2) end
    keys[#keys + 1] = key
    specs[key] = value_spec(key, v)
  end
  table.sort(keys)

  local list, err = list_values(self, app, env)
  if not list then return nil, err end
  local existing = {}
  for _, v in ipairs(list) do
    -- At environment level, a value the app defines is not the environment's own: it gets an override.
    local source = type(v.source) == "string" and v.source or nil
    if not env or source == nil or source == "env" then existing[v.key] = v end
  end

  local changes = { created = {}, updated = {}, unchanged = {} }
  for _, key in ipairs(keys) do
    local want, have = specs[key], existing[key]
    local data
    if have == nil then
      local body = { key = key, value = want.value, is_secret = want.is_secret, description = want.description or "" }
      if env then
        data, err = self:create_env_value { appId = app, envId = env, body = body }
      else
        data, err = self:create_app_value { appId = app, body = body }
      end
      if not data then return nil, err end
      changes.created[#changes.created + 1] = key
    elseif not want.is_secret and not have.is_secret and have.value == want.value
      and (want.description == nil or want.description == have.description) then
      changes.unchanged[#changes.unchanged + 1] = key
    else
      local body = { value = want.value, description = want.description or have.description or "" }
      if env then
        data, err = self:patch_env_value { appId = app, envId = env, key = key, body = body }
      else
        data, err = self:patch_app_value { appId = app, key = key, body = body }
      end
      if not data then return nil, err end
      changes.updated[#changes.updated + 1] = key
    end
  end
  return changes
end

--- The shared values of an app, or those in force in an environment: `{ KEY = "value", SECRET = { secret = true,
--- description = ... } }`. A secret's value is never read.
---@param opts {appId: string, envId?: string}
---@return table<string, string|table>? values
---@return humanitec.Error? err
function W:get_values(opts)
  check_opts(self, "get_values", opts)
  local app = opts.appId
  local env = opts.envId
  local list, err = list_values(self, app, env)
  if not list then return nil, err end
  local result = {}
  for _, v in ipairs(list) do
    if v.is_secret then
      result[v.key] = { secret = true, description = v.description }
    else
      result[v.key] = v.value
    end
  end
  return result
end

return W

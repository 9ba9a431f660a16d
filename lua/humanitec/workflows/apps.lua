--- Workflow helpers for apps and environments: ensure_app, ensure_env.
---
--- ```lua
--- local app, _, created = assert(client:ensure_app { appId = "shop", envs = { "development" } })
--- assert(client:ensure_env { appId = "shop", envId = "staging" })
--- ```
local vocabulary = require "humanitec.vocabulary"
local S = require "humanitec.workflows.shared"

local W = {}

local check_opts = S.check_opts

-- ---- apps and environments ---------------------------------------------------------------------------------

--- Makes sure an environment exists: returns it, nil, and whether it was created (`env, nil, created`); or nil
--- and the error.
---@param opts {appId: string, envId: string, name?: string, type?: string}
---@return table? environment
---@return humanitec.Error? err
---@return boolean? created
function W:ensure_env(opts)
  check_opts(self, "ensure_env", opts)
  local app = opts.appId
  local id = opts.envId
  local env, err = self:get_environment { appId = app, envId = id }
  if not err then return env, nil, false end
  if err.status ~= 404 then return nil, err end
  env, err = self:create_environment {
    appId = app, body = { id = id, name = opts.name or id, type = opts.type or "development" },
  }
  if err then return nil, err end
  return env, nil, true
end

--- Makes sure an application exists, with the environments listed in `envs` (ids, or tables with `id`,
--- `name`, `type`). Returns the application, nil, and what was created: `app, nil, { app = bool, envs = {ids} }`;
--- or nil and the error.
---@param opts {appId: string, name?: string, envs?: (string|table)[]}
---@return table? app
---@return humanitec.Error? err
---@return table? created
function W:ensure_app(opts)
  check_opts(self, "ensure_app", opts)
  local id = opts.appId
  local envs = opts.envs
  local specs = {}
  for i, e in ipairs(envs or {}) do
    local spec = type(e) == "string" and { id = e } or e
    if type(spec) ~= "table" or type(spec.id) ~= "string" then
      error(("bad option 'envs' to 'ensure_app' (item %d: an id or { id = ..., name = ..., type = ... } expected)")
        :format(i), 2)
    end
    for k, v in pairs(spec) do
      if k ~= "id" and k ~= "name" and k ~= "type" then
        error(("bad option 'envs' to 'ensure_app' (item %d: unknown key '%s'%s)"):format(i, tostring(k),
          vocabulary.hint(k, { "id", "name", "type" })), 2)
      end
      if type(v) ~= "string" then
        error(("bad option 'envs' to 'ensure_app' (item %d: '%s' must be a string, got %s)"):format(i, k, type(v)), 2)
      end
    end
    specs[i] = spec
  end
  local created = { app = false, envs = {} }
  local app, err = self:get_application { appId = id }
  if not app then
    if err.status ~= 404 then return nil, err end
    -- With envs given, the helper creates exactly those; without, the API's default first environment.
    app, err = self:create_application { body = { id = id, name = opts.name or id,
      skip_environment_creation = envs ~= nil or nil } }
    if not app then return nil, err end
    created.app = true
  end
  for _, spec in ipairs(specs) do
    local _, env_err, env_created = self:ensure_env {
      appId = id, envId = spec.id, name = spec.name, type = spec.type,
    }
    if env_err then return nil, env_err end
    if env_created then created.envs[#created.envs + 1] = spec.id end
  end
  return app, nil, created
end

return W

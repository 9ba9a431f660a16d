--- Applications and their environments, including rebasing an environment onto another deployment.
local U = require "humanitec.sim.util"
local find = require "humanitec.sim.find"
local orgs = require "humanitec.sim.orgs"
local deploys = require "humanitec.sim.deploys"

local M = {}

local function env_base_view(env)
  return { id = env.id, name = env.name, type = env.type }
end

local function app_view(app)
  return {
    id = app.id, name = app.name, org_id = app.org_id, created_at = U.iso(app.created_at),
    created_by = app.created_by, envs = U.array(U.ordered(app.envs), env_base_view), status = "active",
    status_changed_at = U.iso(app.created_at),
  }
end

--- The EnvironmentResponse shape of `env`.
---@param app table
---@param env table
---@return table
function M.env_view(app, env)
  local v = {
    id = env.id, name = env.name, type = env.type, created_at = U.iso(env.created_at),
    created_by = env.created_by, status = "active", status_changed_at = U.iso(env.created_at),
  }
  local last = env.last_deploy_id and env.deploys[env.last_deploy_id]
  if last then v.last_deploy = deploys.view(last) end
  local from = env.from_deploy_id and find.deploy_in_app(app, env.from_deploy_id)
  if from then v.from_deploy = deploys.view(from) end
  return v
end

local function new_env(sim, req, id, name, env_type)
  return {
    id = id, name = name, type = env_type, created_at = sim:now(), created_by = req.user.id,
    seq = sim:next_seq(), deploys = {}, values = {}, value_versions = {},
  }
end

local function list_apps(_, req)
  return 200, U.array(U.ordered(req.org.apps), app_view)
end

local function create_app(sim, req)
  local body = U.json_body(req)
  local id = U.field(body, "id", "string", true)
  U.check_slug(id, "id", 50)
  local name = U.field(body, "name", "string", true)
  local skip = U.field(body, "skip_environment_creation", "boolean")
  local env_spec = U.field(body, "env", "table")
  local env_id, env_name, env_type = "development", "Development", "development"
  if env_spec then
    env_id = U.field(env_spec, "id", "string", true)
    U.check_slug(env_id, "env.id", 50)
    env_name = U.field(env_spec, "name", "string", true)
    env_type = U.field(env_spec, "type", "string", true)
  end
  if req.org.apps[id] then U.fail(409, "application '" .. id .. "' already exists") end
  if not skip then orgs.env_type(req.org, env_type, 400) end
  local app = {
    id = id, name = name, org_id = req.org.id, created_at = sim:now(), created_by = req.user.id,
    seq = sim:next_seq(), envs = {}, deltas = {}, sets = {}, values = {}, value_versions = {},
    pipelines = {}, approvals = {},
  }
  if not skip then app.envs[env_id] = new_env(sim, req, env_id, env_name, env_type) end
  req.org.apps[id] = app
  return 201, app_view(app)
end

local function get_app(_, req)
  return 200, app_view(find.app(req))
end

local function patch_app(_, req)
  local app = find.app(req)
  local body = U.json_body(req)
  for k in pairs(body) do
    if k ~= "name" then U.fail(400, "unknown field '" .. tostring(k) .. "'") end
  end
  app.name = U.field(body, "name", "string", true)
  return 200, app_view(app)
end

local function drop_resources(org, app_id, env_id)
  local kept = {}
  for _, r in ipairs(org.active_resources) do
    if not (r.app_id == app_id and (env_id == nil or r.env_id == env_id)) then kept[#kept + 1] = r end
  end
  org.active_resources = kept
end

-- Deletion is asynchronous in Humanitec (202). The simulator finishes it at once, so the next request for the
-- application already gets a 404.
local function delete_app(_, req)
  local app = find.app(req)
  req.org.apps[app.id] = nil
  drop_resources(req.org, app.id)
  return 202
end

local function list_envs(_, req)
  local app = find.app(req)
  return 200, U.array(U.ordered(app.envs), function(env) return M.env_view(app, env) end)
end

local function create_env(sim, req)
  local app = find.app(req)
  local body = U.json_body(req)
  local id = U.field(body, "id", "string", true)
  U.check_slug(id, "id", 50)
  local name = U.field(body, "name", "string", true)
  local env_type = U.field(body, "type", "string") or "development"
  local from = U.field(body, "from_deploy_id", "string")
  orgs.env_type(req.org, env_type, 400)
  if from and not find.deploy_in_app(app, from) then
    U.fail(400, "no deployment '" .. from .. "' in application '" .. app.id .. "'")
  end
  if app.envs[id] then U.fail(409, "environment '" .. id .. "' already exists in '" .. app.id .. "'") end
  local env = new_env(sim, req, id, name, env_type)
  env.from_deploy_id = from
  app.envs[id] = env
  return 201, M.env_view(app, env)
end

local function get_env(_, req)
  local app, env = find.env(req)
  return 200, M.env_view(app, env)
end

local function patch_env(_, req)
  local app, env = find.env(req)
  local body = U.json_body(req)
  local name = U.field(body, "name", "string")
  if name then env.name = name end
  return 200, M.env_view(app, env)
end

local function delete_env(_, req)
  local app, env = find.env(req)
  local count = 0
  for _ in pairs(app.envs) do count = count + 1 end
  if count <= 1 then U.fail(400, "cannot delete the last environment of application '" .. app.id .. "'") end
  app.envs[env.id] = nil
  drop_resources(req.org, app.id, env.id)
  return 204
end

-- The body is a JSON string: the id of the deployment the next deployment will build on.
local function rebase_env(_, req)
  local app, env = find.env(req)
  local id = U.json_body(req, "any")
  if type(id) ~= "string" or id == "" then U.fail(400, "request body must be a JSON string: a deployment id") end
  if not find.deploy_in_app(app, id) then
    U.fail(400, "no deployment '" .. id .. "' in application '" .. app.id .. "'")
  end
  env.from_deploy_id = id
  return 204
end

---@param r table router
function M.routes(r)
  r:add("GET", "/orgs/{orgId}/apps", list_apps)
  r:add("POST", "/orgs/{orgId}/apps", create_app)
  r:add("GET", "/orgs/{orgId}/apps/{appId}", get_app)
  r:add("PATCH", "/orgs/{orgId}/apps/{appId}", patch_app)
  r:add("DELETE", "/orgs/{orgId}/apps/{appId}", delete_app)
  r:add("GET", "/orgs/{orgId}/apps/{appId}/envs", list_envs)
  r:add("POST", "/orgs/{orgId}/apps/{appId}/envs", create_env)
  r:add("GET", "/orgs/{orgId}/apps/{appId}/envs/{envId}", get_env)
  r:add("PATCH", "/orgs/{orgId}/apps/{appId}/envs/{envId}", patch_env)
  r:add("DELETE", "/orgs/{orgId}/apps/{appId}/envs/{envId}", delete_env)
  r:add("PUT", "/orgs/{orgId}/apps/{appId}/envs/{envId}/from_deploy_id", rebase_env)
end

return M

--- Organizations and environment types.
local json = require "humanitec.json"
local U = require "humanitec.sim.util"

local M = {}

-- Every organization starts with these environment types.
local DEFAULT_ENV_TYPES = {
  { id = "development", description = "Development environments" },
  { id = "production", description = "Production environments" },
}

--- Creates the organization `id` unless it exists; returns it either way.
---@param sim table
---@param id string
---@param name? string
---@return table
function M.create(sim, id, name)
  local org = sim.orgs[id]
  if org then return org end
  org = {
    id = id, name = name or id, created_at = sim:now(), seq = sim:next_seq(),
    env_types = {}, apps = {}, members = {}, defs = {}, active_resources = {},
  }
  for _, t in ipairs(DEFAULT_ENV_TYPES) do
    org.env_types[t.id] = { id = t.id, description = t.description, seq = sim:next_seq() }
  end
  sim.orgs[id] = org
  return org
end

local function org_view(org)
  return {
    id = org.id, name = org.name, created_at = U.iso(org.created_at), created_by = "sim",
    trial_expires_at = json.null, logo = { dark_url = "", light_url = "" },
  }
end

local function env_type_view(t)
  return { id = t.id, description = t.description }
end

--- The environment type `id` of `org`, or a failure with `status` (404 in its own routes, 400 in a body).
---@param org table
---@param id string
---@param status? integer
---@return table
function M.env_type(org, id, status)
  local t = org.env_types[id]
  if not t then U.fail(status or 404, "environment type '" .. tostring(id) .. "' not found") end
  return t
end

local function list_orgs(sim, req)
  local visible = U.ordered(sim.orgs, function(org) return sim:token_allows(req.token, org.id) end)
  return 200, U.array(visible, org_view)
end

local function get_org(_, req)
  return 200, org_view(req.org)
end

local function list_env_types(_, req)
  return 200, U.array(U.ordered(req.org.env_types), env_type_view)
end

local function create_env_type(sim, req)
  local body = U.json_body(req)
  local id = U.field(body, "id", "string", true)
  U.check_slug(id, "id")
  local description = U.field(body, "description", "string") or ""
  if req.org.env_types[id] then U.fail(409, "environment type '" .. id .. "' already exists") end
  local t = { id = id, description = description, seq = sim:next_seq() }
  req.org.env_types[id] = t
  return 201, env_type_view(t)
end

local function get_env_type(_, req)
  return 200, env_type_view(M.env_type(req.org, req.params.envTypeId))
end

local function patch_env_type(_, req)
  local t = M.env_type(req.org, req.params.envTypeId)
  local body = U.json_body(req)
  local description = U.field(body, "description", "string")
  if description then t.description = description end
  return 200, env_type_view(t)
end

local function delete_env_type(_, req)
  local id = req.params.envTypeId
  M.env_type(req.org, id)
  -- The spec's 409 body is the list of environments that use the type, as {app_id, env_id} objects.
  local users = {}
  for _, app in pairs(req.org.apps) do
    for _, env in pairs(app.envs) do
      if env.type == id then users[#users + 1] = { app_id = app.id, env_id = env.id } end
    end
  end
  if #users > 0 then
    table.sort(users, function(a, b)
      if a.app_id ~= b.app_id then return a.app_id < b.app_id end
      return a.env_id < b.env_id
    end)
    U.fail(409, "environment type '" .. id .. "' is used by " .. #users .. " environment(s)", U.array(users))
  end
  req.org.env_types[id] = nil
  return 204
end

---@param r table router
function M.routes(r)
  r:add("GET", "/orgs", list_orgs)
  r:add("GET", "/orgs/{orgId}", get_org)
  r:add("GET", "/orgs/{orgId}/env-types", list_env_types)
  r:add("POST", "/orgs/{orgId}/env-types", create_env_type)
  r:add("GET", "/orgs/{orgId}/env-types/{envTypeId}", get_env_type)
  r:add("PATCH", "/orgs/{orgId}/env-types/{envTypeId}", patch_env_type)
  r:add("DELETE", "/orgs/{orgId}/env-types/{envTypeId}", delete_env_type)
end

return M

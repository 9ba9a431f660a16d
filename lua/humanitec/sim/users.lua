--- Users, organization members, service users and their API tokens.
--
-- A token configured on the simulator grants access to the organizations listed with it. A token created
-- through the API belongs to a (usually service) user and grants access to the organizations that user is a
-- member of; deleting it removes it from the token table at once, so the next request with it gets a 401.
local json = require "humanitec.json"
local U = require "humanitec.sim.util"

local M = {}

local ROLES = { administrator = true, manager = true, member = true, artefactContributor = true, orgViewer = true }

--- Returns the user `id` (the default simulated user when nil), creating it as a human user if missing.
---@param sim table
---@param id? string
---@param name? string
---@param email? string
---@return table
function M.ensure_user(sim, id, name, email)
  if id == nil then
    id = sim.default_user_id
    if not id then
      id = U.uuid(sim)
      sim.default_user_id = id
      name, email = name or "Simulated User", email or "sim-user@example.com"
    end
  elseif not U.is_slug(id) then
    error("invalid user id '" .. tostring(id) .. "' (must match ^[a-z0-9](?:-?[a-z0-9]+)+$)", 3)
  end
  local user = sim.users[id]
  if not user then
    user = {
      id = id, name = name or id, email = email or (id .. "@example.com"), type = "user",
      created_at = sim:now(), seq = sim:next_seq(), tokens = {},
    }
    sim.users[id] = user
  end
  return user
end

local function profile_view(user)
  local v = { id = user.id, name = user.name, created_at = U.iso(user.created_at), type = user.type }
  if user.email then v.email = user.email end
  return v
end

local function member_view(user, membership)
  local v = profile_view(user)
  v.role = membership.role
  return v
end

local function token_view(t)
  local v = {
    id = t.id, type = t.type, description = t.description, created_at = U.iso(t.created_at),
    created_by = t.created_by,
  }
  if t.expires_at then v.expires_at = U.iso(t.expires_at) end
  return v
end

-- The spec's RolesResponse: the user's role in each organization it is a member of, keyed by the
-- organization's path ("/orgs/acme" = "administrator").
local function roles_of(sim, user)
  local roles = {}
  for org_id, org in pairs(sim.orgs) do
    local m = org.members[user.id]
    if m then roles["/orgs/" .. org_id] = m.role end
  end
  return roles
end

local function current_user(sim, req)
  local v = profile_view(req.user)
  v.properties = U.copy(req.user.properties or {})
  v.roles = roles_of(sim, req.user)
  return 200, v
end

-- The caller may change its own name and properties; id, type, roles and dates are not its to write.
local function patch_current_user(sim, req)
  local body = U.json_body(req)
  local name = U.field(body, "name", "string")
  local properties = U.field(body, "properties", "table")
  if name then req.user.name = name end
  if properties then
    req.user.properties = req.user.properties or {}
    for k, v in pairs(properties) do
      if v == json.null then req.user.properties[k] = nil else req.user.properties[k] = U.copy(v) end
    end
  end
  return current_user(sim, req)
end

local function list_members(sim, req)
  local kind = U.query(req, "type")
  if kind ~= nil and kind ~= "user" and kind ~= "group" then U.fail(400, "type must be 'user' or 'group'") end
  local out = json.array()
  if kind ~= "group" then -- the simulator has no groups
    local members = {}
    for user_id, m in pairs(req.org.members) do
      if sim.users[user_id] then members[#members + 1] = { user = sim.users[user_id], m = m, seq = m.seq } end
    end
    table.sort(members, function(a, b) return a.seq < b.seq end)
    for _, x in ipairs(members) do out[#out + 1] = member_view(x.user, x.m) end
  end
  return 200, out
end

local function check_role(role)
  if not ROLES[role] then U.fail(400, "role '" .. tostring(role) .. "' is not an organization role") end
end

local function create_service_user(sim, req)
  local body = U.json_body(req)
  local name = U.field(body, "name", "string", true)
  local role = U.field(body, "role", "string", true)
  check_role(role)
  local email = U.field(body, "email", "string")
  local user = {
    id = U.uuid(sim), name = name, email = email, type = "service", created_at = sim:now(),
    seq = sim:next_seq(), tokens = {},
  }
  sim.users[user.id] = user
  req.org.members[user.id] = { role = role, seq = sim:next_seq(), created_at = sim:now() }
  return 200, profile_view(user)
end

local function member(sim, req)
  local m = req.org.members[req.params.userId]
  local user = sim.users[req.params.userId]
  if not m or not user then U.fail(404, "user '" .. req.params.userId .. "' is not a member of the organization") end
  return user, m
end

local function get_member(sim, req)
  return 200, member_view(member(sim, req))
end

local function patch_member(sim, req)
  local user, m = member(sim, req)
  local body = U.json_body(req)
  local role = U.field(body, "role", "string", true)
  check_role(role)
  m.role = role
  return 200, member_view(user, m)
end

local function delete_member(sim, req)
  member(sim, req)
  req.org.members[req.params.userId] = nil
  return 204
end

-- The caller may manage the tokens of `target` when it is the caller, or when the caller administers an
-- organization the target belongs to (and the caller's token reaches that organization).
local function may_manage(sim, req, target)
  if req.user.id == target.id then return true end
  for org_id, org in pairs(sim.orgs) do
    local mine = org.members[req.user.id]
    if org.members[target.id] and mine and mine.role == "administrator" and sim:token_allows(req.token, org_id) then
      return true
    end
  end
  return false
end

local function token_owner(sim, req)
  local user = sim.users[req.params.userId]
  if not user then U.fail(404, "user '" .. req.params.userId .. "' not found") end
  if not may_manage(sim, req, user) then
    U.fail(403, "the caller may not manage the tokens of user '" .. user.id .. "'")
  end
  return user
end

local function list_tokens(sim, req)
  local user = token_owner(sim, req)
  return 200, U.array(U.ordered(user.tokens), token_view)
end

local function create_token(sim, req)
  local user = token_owner(sim, req)
  local body = U.json_body(req)
  local id = U.field(body, "id", "string", true)
  local kind = U.field(body, "type", "string", true)
  if kind ~= "static" then U.fail(400, "token type must be 'static'") end
  local description = U.field(body, "description", "string") or ""
  local expires_at
  local raw_expiry = U.field(body, "expires_at", "string")
  if raw_expiry then
    expires_at = U.parse_iso(raw_expiry)
    if not expires_at then U.fail(400, "expires_at must be a timestamp like 2024-01-01T00:00:00Z") end
    if expires_at <= sim:now() then U.fail(400, "expires_at must be in the future") end
  end
  if user.tokens[id] then U.fail(409, "user '" .. user.id .. "' already has a token with id '" .. id .. "'") end
  local secret = "hum_" .. U.hex_id(sim, 40)
  local info = {
    id = id, type = kind, description = description, created_at = sim:now(), created_by = req.user.id,
    expires_at = expires_at, secret = secret, seq = sim:next_seq(),
  }
  user.tokens[id] = info
  -- orgs = nil: the token reaches whatever organizations its user is a member of.
  sim.tokens[secret] = { token = secret, user_id = user.id, id = id, expires_at = expires_at }
  return 200, { token = secret, type = kind }
end

local function find_token(sim, req)
  local user = token_owner(sim, req)
  local info = user.tokens[req.params.tokenId]
  if not info then U.fail(404, "token '" .. req.params.tokenId .. "' not found") end
  return user, info
end

local function get_token(sim, req)
  local _, info = find_token(sim, req)
  return 200, token_view(info)
end

local function delete_token(sim, req)
  local user, info = find_token(sim, req)
  user.tokens[info.id] = nil
  sim.tokens[info.secret] = nil
  return 204
end

---@param r table router
function M.routes(r)
  r:add("GET", "/current-user", current_user)
  r:add("PATCH", "/current-user", patch_current_user)
  r:add("GET", "/orgs/{orgId}/users", list_members)
  r:add("POST", "/orgs/{orgId}/users", create_service_user)
  r:add("GET", "/orgs/{orgId}/users/{userId}", get_member)
  r:add("PATCH", "/orgs/{orgId}/users/{userId}", patch_member)
  r:add("DELETE", "/orgs/{orgId}/users/{userId}", delete_member)
  r:add("GET", "/users/{userId}/tokens", list_tokens)
  r:add("POST", "/users/{userId}/tokens", create_token)
  r:add("GET", "/users/{userId}/tokens/{tokenId}", get_token)
  r:add("DELETE", "/users/{userId}/tokens/{tokenId}", delete_token)
end

return M

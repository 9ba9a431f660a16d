--- Who may do what in an organization: invitations, identity-provider groups, a subject's permissions, the
-- audit log of changes, and the event types webhooks can subscribe to.
--
-- An invitation makes a (human) member at once, as the API does, and stays listed until it expires (a week).
-- Groups come from an identity provider the simulator does not have: they can be created and looked up, and
-- have no members. The audit log records every change (a request other than GET) made in the organization.
local json = require "humanitec.json"
local U = require "humanitec.sim.util"

local M = {}

M.INVITE_SECONDS = 7 * 86400

-- The permissions each organization role grants on the organization.
local ROLE_PERMISSIONS = {
  administrator = { "org.admin", "org.manage", "app.create", "app.deploy", "app.view" },
  manager = { "org.manage", "app.create", "app.deploy", "app.view" },
  member = { "app.create", "app.view" },
  artefactContributor = { "artefact.create" },
  orgViewer = { "app.view" },
}

local EVENTS = {
  { scope = "environment", type = "deployment-started", properties = { "app_id", "env_id", "deploy_id" } },
  { scope = "environment", type = "deployment-finished", properties = { "app_id", "env_id", "deploy_id",
    "status" } },
  { scope = "environment", type = "environment-created", properties = { "app_id", "env_id" } },
  { scope = "application", type = "application-created", properties = { "app_id" } },
}

---@param sim table
function M.init(sim)
  sim.invites, sim.groups = {}, {} -- org id -> { ... }
end

local function of(map, org_id)
  local t = map[org_id]
  if not t then
    t = {}
    map[org_id] = t
  end
  return t
end

--- Records a change made in organization `org` (called by the dispatcher for every request but GET).
---@param sim table
---@param org table
---@param user table
---@param method string
---@param path string
---@param status integer
function M.audit(sim, org, user, method, path, status)
  org.audit = org.audit or {}
  local log = org.audit
  log[#log + 1] = { at = sim:now(), user_id = user.id, request_method = method, request_path = path,
    response_status = status }
  if #log > 10000 then table.remove(log, 1) end -- a bounded memory
end

local function list_audit(_, req)
  local from, to = U.query(req, "from"), U.query(req, "to")
  local from_t, to_t = from and U.parse_iso(from), to and U.parse_iso(to)
  if (from and not from_t) or (to and not to_t) then U.fail(400, "from and to must be timestamps") end
  local out = {}
  for _, e in ipairs(req.org.audit or {}) do
    if (not from_t or e.at >= from_t) and (not to_t or e.at <= to_t) then
      out[#out + 1] = { at = U.iso(e.at), org_id = req.org.id, user_id = e.user_id,
        request_method = e.request_method, request_path = e.request_path, response_status = e.response_status }
    end
  end
  local page, headers = U.paginate(req, out)
  return 200, page, headers
end

local function list_events()
  return 200, U.array(EVENTS, function(e)
    return { scope = e.scope, type = e.type, properties = U.array(e.properties) }
  end)
end

local function role_view(user, role)
  return { id = user.id, name = user.name, email = user.email, type = user.type, role = role,
    created_at = U.iso(user.created_at), invite = user.invite }
end

local function create_invite(sim, req)
  local body = U.json_body(req)
  local email = U.field(body, "email", "string", true)
  local role = U.field(body, "role", "string", true)
  if not ROLE_PERMISSIONS[role] then U.fail(400, "role '" .. role .. "' is not an organization role") end
  if not email:find("^[^@%s]+@[^@%s]+$") then U.fail(400, "email must be an e-mail address") end
  for _, user in pairs(sim.users) do
    if user.email == email and req.org.members[user.id] then
      U.fail(409, "'" .. email .. "' is already a member of the organization")
    end
  end
  local user = { id = U.uuid(sim), name = email:match("^[^@]+"), email = email, type = "user",
    created_at = sim:now(), seq = sim:next_seq(), tokens = {}, invite = "pending" }
  sim.users[user.id] = user
  req.org.members[user.id] = { role = role, seq = sim:next_seq(), created_at = sim:now() }
  local invites = of(sim.invites, req.org.id)
  invites[user.id] = { user_id = user.id, email = email, created_at = sim:now(), created_by = req.user.id,
    expires_at = sim:now() + M.INVITE_SECONDS, seq = sim:next_seq() }
  local out = json.array()
  out[1] = role_view(user, role)
  return 200, out
end

local function list_invites(sim, req)
  local now = sim:now()
  local list = U.ordered(of(sim.invites, req.org.id), function(i) return i.expires_at > now end)
  return 200, U.array(list, function(i)
    return { user_id = i.user_id, email = i.email, created_at = U.iso(i.created_at), created_by = i.created_by,
      expires_at = U.iso(i.expires_at) }
  end)
end

local function create_group(sim, req)
  local body = U.json_body(req)
  local group_id = U.field(body, "group_id", "string", true)
  local idp_id = U.field(body, "idp_id", "string", true)
  U.check_slug(idp_id, "idp_id")
  local role = U.field(body, "role", "string", true)
  if not ROLE_PERMISSIONS[role] then U.fail(400, "role '" .. role .. "' is not an organization role") end
  local groups = of(sim.groups, req.org.id)
  for _, g in pairs(groups) do
    if g.group_id == group_id and g.idp_id == idp_id then U.fail(409, "group '" .. group_id .. "' already exists") end
  end
  local g = { id = "g-" .. U.hex_id(sim, 20), group_id = group_id, idp_id = idp_id, role = role,
    created_at = U.iso(sim:now()), seq = sim:next_seq() }
  groups[g.id] = g
  return 200, { id = g.id, group_id = g.group_id, idp_id = g.idp_id, role = g.role, created_at = g.created_at }
end

local function list_group_users(sim, req)
  if not of(sim.groups, req.org.id)[req.params.groupId] then
    U.fail(404, "group '" .. req.params.groupId .. "' not found")
  end
  return 200, json.array()
end

local function member(sim, req)
  local user = sim.users[req.params.userId]
  local m = req.org.members[req.params.userId]
  if not (user and m) then U.fail(404, "user '" .. req.params.userId .. "' is not a member of the organization") end
  return user, m
end

local function list_user_groups(sim, req)
  member(sim, req)
  return 200, json.array()
end

local function perms(sim, req)
  local _, m = member(sim, req)
  local objects = { ["/orgs/" .. req.org.id] = { permissions = U.array(ROLE_PERMISSIONS[m.role] or {}) } }
  return 200, { objects = objects }
end

---@param r table router
function M.routes(r)
  r:add("GET", "/orgs/{orgId}/audit-logs", list_audit)
  r:add("GET", "/orgs/{orgId}/events", list_events)
  r:add("POST", "/orgs/{orgId}/invitations", create_invite)
  r:add("GET", "/orgs/{orgId}/invitations", list_invites)
  r:add("POST", "/orgs/{orgId}/groups", create_group)
  r:add("GET", "/orgs/{orgId}/groups/{groupId}/users", list_group_users)
  r:add("GET", "/orgs/{orgId}/users/{userId}/groups", list_user_groups)
  r:add("GET", "/orgs/{orgId}/users/{userId}/perms", perms)
end

return M

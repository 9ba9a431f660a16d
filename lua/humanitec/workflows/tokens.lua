--- Workflow helpers for API tokens: create_api_token, list_api_tokens, revoke_api_token.
---
--- ```lua
--- local token = assert(client:create_api_token { service_user = "ci-bot", tokenId = "ci" })
--- assert(client:revoke_api_token { userId = token.user_id, tokenId = "ci" })
--- ```
local S = require "humanitec.workflows.shared"

local W = {}

local check_opts = S.check_opts

---@class humanitec.CreateTokenOptions
---@field service_user string the service user's name
---@field tokenId string the token's id
---@field role? string for a new service user, "member" by default
---@field description? string
---@field expires_at? string RFC 3339 time

-- ---- API tokens ------------------------------------------------------------------------------------------------

-- A service user of the org by name, or false.
local function find_service_user(self, name)
  local users, err = self:list_user_roles_in_org()
  if not users then return nil, err end
  for _, u in ipairs(users) do
    if u.type == "service" and u.name == name then return u end
  end
  return false
end

--- Creates an API token for a service user, creating the service user (with `role`, "member" by default)
--- when there is none of that name. Returns the new token's record, whose `token` field holds the secret:
--- it is shown only this once, and the library never prints or logs it.
---@param opts humanitec.CreateTokenOptions
---@return table? token with `token` (the secret), `id`, `user_id`, `type`, `expires_at`
---@return humanitec.Error? err
function W:create_api_token(opts)
  check_opts(self, "create_api_token", opts)
  local name = opts.service_user
  local id = opts.tokenId
  local user, err = find_service_user(self, name)
  if user == nil then return nil, err end
  if not user then
    user, err = self:create_service_user_in_org { body = { name = name, role = opts.role or "member" } }
    if not user then return nil, err end
  end
  local created
  created, err = self:create_user_token { userId = user.id, body = {
    id = id, type = "static", description = opts.description or "", expires_at = opts.expires_at,
  } }
  if not created then return nil, err end
  return { token = created.token, type = created.type or "static", id = id, user_id = user.id,
    expires_at = opts.expires_at }
end

--- The API tokens of a user (by id), without their secrets.
---@param opts {userId: string}
---@return table[]? tokens
---@return humanitec.Error? err
function W:list_api_tokens(opts)
  check_opts(self, "list_api_tokens", opts)
  return self:list_user_tokens { userId = opts.userId }
end

--- Revokes (deletes) a user's API token; it stops working at once.
---@param opts {userId: string, tokenId: string}
---@return true? ok
---@return humanitec.Error? err
function W:revoke_api_token(opts)
  check_opts(self, "revoke_api_token", opts)
  local user = opts.userId
  local id = opts.tokenId
  local ok, err = self:delete_user_token { userId = user, tokenId = id }
  if not ok then return nil, err end
  return true
end

return W

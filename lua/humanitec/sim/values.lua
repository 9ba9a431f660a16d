--- Shared values at application and environment level, secrets among them, and value set versions.
--
-- An environment sees the application's values with its own overrides on top (`source` says which level a
-- value comes from). A secret's value is stored but never sent back. Every change to a level's values records
-- a value set version: a snapshot of that level's values and the JSON Patch from the previous snapshot, so a
-- version can be restored (whole or one key) and a key purged from the history.
local json = require "humanitec.json"
local U = require "humanitec.sim.util"
local find = require "humanitec.sim.find"
local patch = require "humanitec.sim.patch"

local M = {}

-- The store a request addresses: the application's or the environment's values and versions.
local function store(req)
  if req.params.envId then
    local app, env = find.env(req)
    return { values = env.values, versions = env.value_versions, level = "env", app = app, env = env,
      set_values = function(v) env.values = v end }
  end
  local app = find.app(req)
  return { values = app.values, versions = app.value_versions, level = "app", app = app,
    set_values = function(v) app.values = v end }
end

local function value_view(v, source)
  local secret = v.is_secret
  return {
    key = v.key, value = secret and "" or v.value, description = v.description, is_secret = secret,
    created_at = U.iso(v.created_at), updated_at = U.iso(v.updated_at), source = source,
    secret_key = secret and v.secret_key or json.null,
    secret_version = secret and tostring(v.secret_version) or json.null,
    secret_store_id = secret and v.secret_store_id or json.null,
  }
end

-- The view of a whole level (key -> ValueResponse), as snapshots and diffs see it.
local function level_view(values, source)
  local out = {}
  for key, v in pairs(values) do out[key] = value_view(v, source) end
  return out
end

local function version_view(ver, source)
  return {
    id = ver.id, values = level_view(ver.values, source), change = U.array(U.copy(ver.change)),
    created_at = U.iso(ver.created_at), created_by = ver.created_by, updated_at = U.iso(ver.updated_at),
    result_of = ver.result_of, comment = ver.comment or "",
    source_value_set_version_id = ver.source_id or json.null,
  }
end

-- Records a new version after a change; `before` is the level's values before it.
local function record(sim, req, s, before, action, comment, source_id)
  local ver = {
    id = U.uuid(sim), values = U.copy(s.values),
    change = patch.diff(level_view(before, s.level), level_view(s.values, s.level)),
    created_at = sim:now(), updated_at = sim:now(), created_by = req.user.id,
    result_of = s.level .. "_" .. action, comment = comment, source_id = source_id, seq = sim:next_seq(),
  }
  s.versions[#s.versions + 1] = ver
  return ver
end

-- Reads `value`, `is_secret` and `secret_ref` from a body into the value record `v`.
local function read_value(body, v, creating)
  local value = U.field(body, "value", "string")
  local is_secret = U.field(body, "is_secret", "boolean")
  local ref = body.secret_ref
  if ref ~= nil and ref ~= json.null then
    if not U.is_object(ref) then U.fail(400, "'secret_ref' must be an object") end
    if ref.value ~= nil and ref.ref ~= nil then U.fail(400, "'secret_ref' takes either 'value' or 'ref'") end
    if ref.ref ~= nil and (type(ref.ref) ~= "string" or type(ref.store) ~= "string") then
      U.fail(400, "'secret_ref.ref' needs a string 'store' too")
    end
    is_secret = true
    if type(ref.value) == "string" then value = ref.value end
    if ref.ref then
      v.secret_store_id, v.secret_key = ref.store, ref.ref
      v.secret_version = ref.version or v.secret_version
    end
  end
  if creating then
    v.is_secret = is_secret or false
  elseif is_secret ~= nil and is_secret ~= v.is_secret then
    U.fail(400, "is_secret cannot be changed; delete the value and create it again")
  end
  if value ~= nil then
    v.value = value
    if v.is_secret then v.secret_version = (tonumber(v.secret_version) or 0) + 1 end
  end
end

local function secret_location(req, key)
  local where = "orgs/" .. req.org.id .. "/apps/" .. req.params.appId
  if req.params.envId then where = where .. "/envs/" .. req.params.envId end
  return where .. "/values/" .. key
end

local function list_values(_, req)
  local s = store(req)
  local merged = {}
  if s.level == "env" then
    for key, v in pairs(s.app.values) do merged[key] = { v = v, source = "app" } end
  end
  for key, v in pairs(s.values) do merged[key] = { v = v, source = s.level } end
  local keys = {}
  for key in pairs(merged) do keys[#keys + 1] = key end
  table.sort(keys)
  return 200, U.array(keys, function(key) return value_view(merged[key].v, merged[key].source) end)
end

-- The spec makes `description` required but nullable on create and PUT; the answer always has a string, so a
-- null description is stored as "". Absent is a 400.
local function read_description(body)
  if body.description == json.null then return "" end
  local description = U.field(body, "description", "string")
  if description == nil then U.fail(400, "missing required field 'description'") end
  return description
end

local function check_key(key)
  if type(key) ~= "string" or not key:find("^[A-Za-z0-9_.%-]+$") then
    U.fail(400, "key must match ^[A-Za-z0-9_.-]+$")
  end
end

local function create_value(sim, req)
  local s = store(req)
  local body = U.json_body(req)
  local key = U.field(body, "key", "string", true)
  check_key(key)
  local description = read_description(body)
  if s.values[key] then U.fail(409, "value '" .. key .. "' already exists") end
  local v = { key = key, value = "", description = description, created_at = sim:now(), updated_at = sim:now() }
  read_value(body, v, true)
  if v.is_secret then
    v.secret_store_id = v.secret_store_id or "humanitec"
    v.secret_key = v.secret_key or secret_location(req, key)
    v.secret_version = v.secret_version or 1
  end
  local before = U.copy(s.values)
  s.values[key] = v
  record(sim, req, s, before, "value_create")
  return 201, value_view(v, s.level)
end

local function find_value(req, s)
  check_key(req.params.key)
  local v = s.values[req.params.key]
  if not v then U.fail(404, "value '" .. req.params.key .. "' not found") end
  return v
end

local function edit_value(full)
  return function(sim, req)
    local s = store(req)
    local v = find_value(req, s)
    local body = U.json_body(req)
    local before = U.copy(s.values)
    if full then
      local description = read_description(body)
      local key = U.field(body, "key", "string")
      if key and key ~= v.key then U.fail(400, "key in the body does not match the path") end
      v.description = description
    else
      -- PATCH: a string replaces the description; absent or null leaves it.
      v.description = U.field(body, "description", "string") or v.description
    end
    read_value(body, v, false)
    v.updated_at = sim:now()
    record(sim, req, s, before, "value_update")
    return 200, value_view(v, s.level)
  end
end

local function delete_value(sim, req)
  local s = store(req)
  local v = find_value(req, s)
  local before = U.copy(s.values)
  s.values[v.key] = nil
  record(sim, req, s, before, "value_delete")
  return 204
end

local function delete_values(sim, req)
  local s = store(req)
  if next(s.values) then
    local before = U.copy(s.values)
    s.values = {}
    s.set_values(s.values)
    record(sim, req, s, before, "values_delete")
  end
  return 204
end

local function list_versions(_, req)
  local s = store(req)
  local key = U.query(req, "key_changed")
  local out = json.array()
  for i = #s.versions, 1, -1 do -- newest first
    local ver = s.versions[i]
    local keep = key == nil
    if not keep then
      local prefix = "/" .. patch.escape(key)
      for _, op in ipairs(ver.change) do
        if op.path == prefix or op.path:sub(1, #prefix + 1) == prefix .. "/" then keep = true end
      end
    end
    if keep then out[#out + 1] = version_view(ver, s.level) end
  end
  return 200, out
end

local function find_version(req, s)
  for _, ver in ipairs(s.versions) do
    if ver.id == req.params.valueSetVersionId then return ver end
  end
  U.fail(404, "value set version '" .. req.params.valueSetVersionId .. "' not found")
end

local function get_version(_, req)
  local s = store(req)
  return 200, version_view(find_version(req, s), s.level)
end

local function action_comment(req)
  if req.body == nil or req.body:find("^%s*$") then return "" end
  return U.field(U.json_body(req), "comment", "string") or ""
end

local function restore(sim, req)
  local s = store(req)
  local ver = find_version(req, s)
  local comment = action_comment(req)
  local before = U.copy(s.values)
  local key = req.params.key
  if key then
    local v = ver.values[key]
    if not v then U.fail(400, "value '" .. key .. "' is not in value set version '" .. ver.id .. "'") end
    if v.purged then U.fail(400, "value '" .. key .. "' was purged from the history") end
    s.values[key] = U.copy(v)
  else
    -- The spec answers this one with 200 or 404 only. A purged value cannot be restored, so its key keeps the
    -- value it has now (or stays absent); every other key comes back as the version has it.
    local values = {}
    for k, v in pairs(ver.values) do
      if not v.purged then values[k] = U.copy(v) elseif s.values[k] then values[k] = s.values[k] end
    end
    s.values = values
    s.set_values(s.values)
  end
  local new = record(sim, req, s, before, "value_set_version_restore", comment, ver.id)
  return 200, version_view(new, s.level)
end

-- Purging erases a key's value from every version of the history, so no restore can bring it back.
local function purge(sim, req)
  local s = store(req)
  local ver = find_version(req, s)
  local key = req.params.key
  if not ver.values[key] then U.fail(400, "value '" .. key .. "' is not in value set version '" .. ver.id .. "'") end
  local comment = action_comment(req)
  for _, other in ipairs(s.versions) do
    local v = other.values[key]
    if v then v.value, v.purged = "", true end
  end
  local before = U.copy(s.values)
  record(sim, req, s, before, "value_set_version_purge", comment, ver.id)
  return 204
end

---@param r table router
function M.routes(r)
  for _, base in ipairs({ "/orgs/{orgId}/apps/{appId}", "/orgs/{orgId}/apps/{appId}/envs/{envId}" }) do
    r:add("GET", base .. "/values", list_values)
    r:add("POST", base .. "/values", create_value)
    r:add("DELETE", base .. "/values", delete_values)
    r:add("PUT", base .. "/values/{key}", edit_value(true))
    r:add("PATCH", base .. "/values/{key}", edit_value(false))
    r:add("DELETE", base .. "/values/{key}", delete_value)
    local v = base .. "/value-set-versions"
    r:add("GET", v, list_versions)
    r:add("GET", v .. "/{valueSetVersionId}", get_version)
    r:add("POST", v .. "/{valueSetVersionId}/restore", restore)
    r:add("POST", v .. "/{valueSetVersionId}/restore/{key}", restore)
    r:add("POST", v .. "/{valueSetVersionId}/purge/{key}", purge)
  end
end

return M

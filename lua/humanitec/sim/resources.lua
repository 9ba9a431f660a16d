--- Resource Definitions, their Matching Criteria, and the Active Resources that successful deployments
-- provision through them.
--
-- When a deployment succeeds, every external resource its set declares (`modules.<m>.externals.<name>` with a
-- `type`) is matched to the most specific definition of that type whose criteria fit the application,
-- environment, environment type, resource id and class; the match is recorded as an Active Resource. Those
-- records are what make deleting a definition or a criterion answer 409 (unless forced), as the spec says.
local json = require "humanitec.json"
local U = require "humanitec.sim.util"
local find = require "humanitec.sim.find"

local M = {}

local CRITERIA_FIELDS = { "app_id", "env_id", "env_type", "res_id" }

-- The definition id pattern of the spec: ^[a-z0-9][a-z0-9-]+[a-z0-9]$
local function check_def_id(id)
  if type(id) ~= "string" or not id:find("^[a-z0-9][a-z0-9%-]+[a-z0-9]$") then
    U.fail(400, "id must match ^[a-z0-9][a-z0-9-]+[a-z0-9]$")
  end
end

-- Reads a MatchingCriteriaRuleRequest into a criterion (class defaults to "default").
local function read_criterion(raw)
  if not U.is_object(raw) then U.fail(400, "each matching criterion must be an object") end
  local c = { class = U.field(raw, "class", "string") or "default" }
  for _, f in ipairs(CRITERIA_FIELDS) do c[f] = U.field(raw, f, "string") end
  return c
end

local function criterion_key(c)
  local parts = { c.class }
  for _, f in ipairs(CRITERIA_FIELDS) do parts[#parts + 1] = c[f] or "" end
  return table.concat(parts, "\0")
end

local function criterion_view(c)
  local v = { id = c.id, class = c.class }
  for _, f in ipairs(CRITERIA_FIELDS) do v[f] = c[f] end
  return v
end

-- Secrets are never sent back: the response lists where they are stored instead of their values.
local function inputs_view(def)
  local inputs = def.driver_inputs or {}
  local v = { values = U.copy(inputs.values or {}), secret_refs = {} }
  local secrets = inputs.secrets or inputs.secret_refs or {}
  if U.is_object(secrets) then
    for name in pairs(secrets) do
      v.secret_refs[name] = {
        store = "humanitec", ref = "orgs/" .. def.org_id .. "/resources/defs/" .. def.id .. "/" .. name,
        version = "1",
      }
    end
  end
  return v
end

local function def_view(def)
  return {
    org_id = def.org_id, id = def.id, name = def.name, type = def.type, driver_type = def.driver_type,
    driver_account = def.driver_account, driver_inputs = inputs_view(def), provision = U.copy(def.provision or {}),
    criteria = U.array(def.criteria, criterion_view), created_at = U.iso(def.created_at),
    created_by = def.created_by, updated_at = U.iso(def.updated_at), updated_by = def.updated_by,
    is_default = false, is_deleted = def.is_deleted, active_version_id = def.active_version_id,
    in_place_driver_change = def.in_place_driver_change or false,
  }
end

local function active_view(org, r)
  local def = org.defs[r.def_id]
  return {
    org_id = org.id, app_id = r.app_id, env_id = r.env_id, env_type = r.env_type, res_id = r.res_id,
    def_id = r.def_id, def_version_id = r.pinned_version_id or def and def.active_version_id or "", type = r.type,
    driver_type = def and def.driver_type or "", class = r.class, status = "active", resource = {},
    secret_refs = {}, updated_at = U.iso(r.updated_at), deploy_id = r.deploy_id, gu_res_id = r.gu_res_id,
    scheduled_deletion = false, criteria_id = r.criteria_id,
  }
end

-- Does criterion `c` fit the context? Every field it sets must equal the context's.
local function fits(c, ctx)
  if c.class ~= (ctx.class or "default") then return false end
  for _, f in ipairs(CRITERIA_FIELDS) do
    if c[f] and c[f] ~= ctx[f] then return false end
  end
  return true
end

local function specificity(c)
  local n = 0
  for _, f in ipairs(CRITERIA_FIELDS) do if c[f] then n = n + 1 end end
  return n
end

--- The most specific live definition of `ctx.type` whose criteria fit `ctx`, skipping the definition or
-- criterion named in `skip`. Ties go to the definition with the smaller id.
---@param org table
---@param ctx table  type, class, app_id, env_id, env_type, res_id
---@param skip? {def_id?: string, criteria_id?: string}
---@return table? def
---@return table? criterion
function M.match(org, ctx, skip)
  skip = skip or {}
  local best, best_c, best_score
  for _, def in pairs(org.defs) do
    if def.type == ctx.type and not def.is_deleted and def.id ~= skip.def_id then
      for _, c in ipairs(def.criteria) do
        if c.id ~= skip.criteria_id and fits(c, ctx) then
          local score = specificity(c)
          if not best or score > best_score or (score == best_score and def.id < best.id) then
            best, best_c, best_score = def, c, score
          end
        end
      end
    end
  end
  return best, best_c
end

-- Calls fn(res_id, external, class) for each external resource the modules declare with a type, modules and
-- then names in sorted order, so what is made from them comes out the same on every run.
local function each_external(modules, fn)
  local mids = {}
  for mid in pairs(modules or {}) do mids[#mids + 1] = mid end
  table.sort(mids)
  for _, mid in ipairs(mids) do
    local externals = U.is_object(modules[mid]) and modules[mid].externals
    if U.is_object(externals) then
      local names = {}
      for name in pairs(externals) do names[#names + 1] = name end
      table.sort(names)
      for _, name in ipairs(names) do
        local ext = externals[name]
        if U.is_object(ext) and type(ext.type) == "string" then
          fn("modules." .. mid .. ".externals." .. name, ext, type(ext.class) == "string" and ext.class or "default")
        end
      end
    end
  end
end

--- Records the Active Resources of a successful deployment: one per external resource in the set that a
-- definition matches. Resources of the environment that the set no longer declares are dropped.
---@param sim table
---@param org table
---@param app table
---@param env table
---@param set table  set content
---@param deploy table
function M.provision(sim, org, app, env, set, deploy)
  if org.apps[app.id] ~= app or app.envs[env.id] ~= env then return end -- deleted meanwhile
  local kept = {}
  for _, r in ipairs(org.active_resources) do
    if not (r.app_id == app.id and r.env_id == env.id) then kept[#kept + 1] = r end
  end
  each_external(set.modules, function(res_id, ext, class)
    local ctx = {
      type = ext.type, class = class, app_id = app.id, env_id = env.id, env_type = env.type, res_id = res_id,
    }
    local def, c = M.match(org, ctx)
    if def then
      kept[#kept + 1] = {
        app_id = app.id, env_id = env.id, env_type = env.type, res_id = res_id, type = ext.type, class = class,
        def_id = def.id, criteria_id = c.id, deploy_id = deploy.id, updated_at = sim:now(),
        gu_res_id = U.hex_id(sim, 40), seq = sim:next_seq(),
      }
    end
  end)
  org.active_resources = kept
end

-- Fails with 409 when criterion `c` (new or replacing) would duplicate one already used for the same type.
local function check_conflicts(org, def, list)
  local seen = {}
  for _, c in ipairs(list) do
    local key = criterion_key(c)
    if seen[key] then U.fail(409, "the matching criteria list holds the same criteria twice") end
    seen[key] = true
  end
  for _, other in pairs(org.defs) do
    if other ~= def and other.type == def.type and not other.is_deleted then
      for _, c in ipairs(other.criteria) do
        if seen[criterion_key(c)] then
          U.fail(409, "matching criteria '" .. c.id .. "' of definition '" .. other.id
            .. "' already selects the same resources")
        end
      end
    end
  end
end

local function read_inputs(body)
  local inputs = body.driver_inputs
  if inputs == nil or inputs == json.null then return nil end
  if not U.is_object(inputs) then U.fail(400, "'driver_inputs' must be an object") end
  return U.copy(inputs)
end

local function new_criteria(sim, list)
  for _, c in ipairs(list) do c.id = U.hex_id(sim, 24) end
  return list
end

local function list_defs(_, req)
  local org = req.org
  local deleted = U.query_bool(req, "deleted") or false
  local filter = {
    app_id = U.query(req, "app"), env_id = U.query(req, "env"), env_type = U.query(req, "env_type"),
    res_id = U.query(req, "res"), class = U.query(req, "class"),
  }
  local res_type = U.query(req, "res_type")
  local has_filter = next(filter) ~= nil
  local list = U.ordered(org.defs, function(def)
    if def.is_deleted and not deleted then return false end
    if res_type and def.type ~= res_type then return false end
    if not has_filter then return true end
    -- A definition passes when one of its criteria is compatible with every filter given.
    for _, c in ipairs(def.criteria) do
      local ok = true
      for f, v in pairs(filter) do
        if c[f] and c[f] ~= v then ok = false end
      end
      if ok then return true end
    end
    return false
  end)
  return 200, U.array(list, def_view)
end

-- Records the definition as it now stands as a new version, which becomes the active one.
local function snapshot(sim, req, def, action)
  def.versions = def.versions or {}
  local v = {
    id = def.active_version_id, def = U.copy(def_view(def)), action = action, archived = false,
    created_at = sim:now(), created_by = req.user.id, seq = sim:next_seq(),
  }
  v.def.criteria = nil
  def.versions[v.id] = v
end

local function create_def(sim, req)
  local org = req.org
  local body = U.json_body(req)
  local id = U.field(body, "id", "string", true)
  check_def_id(id)
  local def = {
    id = id, org_id = org.id, name = U.field(body, "name", "string", true),
    type = U.field(body, "type", "string", true), driver_type = U.field(body, "driver_type", "string", true),
    driver_account = U.field(body, "driver_account", "string"), driver_inputs = read_inputs(body),
    provision = U.copy(U.field(body, "provision", "table")),
    in_place_driver_change = U.field(body, "in_place_driver_change", "boolean"),
    created_at = sim:now(), created_by = req.user.id, updated_at = sim:now(), updated_by = req.user.id,
    is_deleted = false, active_version_id = U.uuid(sim), seq = sim:next_seq(),
  }
  local criteria = {}
  for _, raw in ipairs(U.field(body, "criteria", "array") or {}) do criteria[#criteria + 1] = read_criterion(raw) end
  if org.defs[id] then U.fail(409, "resource definition '" .. id .. "' already exists") end
  check_conflicts(org, def, criteria)
  def.criteria = new_criteria(sim, criteria)
  org.defs[id] = def
  snapshot(sim, req, def, "create")
  return 200, def_view(def)
end

local function find_def(req, include_deleted)
  local def = req.org.defs[req.params.defId]
  if not def or (def.is_deleted and not include_deleted) then
    U.fail(404, "resource definition '" .. req.params.defId .. "' not found")
  end
  return def
end

local function get_def(_, req)
  return 200, def_view(find_def(req, U.query_bool(req, "deleted")))
end

local function changed(sim, req, def)
  def.updated_at, def.updated_by = sim:now(), req.user.id
  def.active_version_id = U.uuid(sim)
  snapshot(sim, req, def, "update")
end

local function patch_def(sim, req)
  local def = find_def(req)
  local body = U.json_body(req)
  local name = U.field(body, "name", "string")
  local account = U.field(body, "driver_account", "string")
  local inputs = read_inputs(body)
  local provision = U.field(body, "provision", "table")
  local in_place = U.field(body, "in_place_driver_change", "boolean")
  if name then def.name = name end
  if account then def.driver_account = account end
  if inputs then def.driver_inputs = inputs end
  if provision then def.provision = U.copy(provision) end
  if in_place ~= nil then def.in_place_driver_change = in_place end
  changed(sim, req, def)
  return 200, def_view(def)
end

local function put_def(sim, req)
  local def = find_def(req)
  local body = U.json_body(req)
  def.name = U.field(body, "name", "string", true)
  def.driver_type = U.field(body, "driver_type", "string") or def.driver_type
  def.driver_account = U.field(body, "driver_account", "string")
  def.driver_inputs = read_inputs(body)
  def.provision = U.copy(U.field(body, "provision", "table"))
  def.in_place_driver_change = U.field(body, "in_place_driver_change", "boolean")
  changed(sim, req, def)
  return 200, def_view(def)
end

-- The changes that removing a definition (or one of its criteria) would cause, as the 409 body lists them.
local function changes(org, pred, skip)
  local out = json.array()
  for _, r in ipairs(org.active_resources) do
    if pred(r) then
      local to = M.match(org, r, skip)
      if not to or to.id ~= r.def_id then
        out[#out + 1] = { app_id = r.app_id, env_id = r.env_id, res_id = r.res_id, from_def = r.def_id,
          to_def = to and to.id or "" }
      end
    end
  end
  return out
end

local function delete_def(_, req)
  local def = find_def(req)
  local force = U.query_bool(req, "force")
  if not force then
    local list = changes(req.org, function(r) return r.def_id == def.id end, { def_id = def.id })
    if #list > 0 then
      U.fail(409, "active resources still use resource definition '" .. def.id .. "'", list)
    end
  end
  def.is_deleted = true
  return 204
end

local function add_criterion(sim, req)
  local def = find_def(req)
  local c = read_criterion(U.json_body(req))
  local list = {}
  for i, existing in ipairs(def.criteria) do list[i] = existing end
  list[#list + 1] = c
  check_conflicts(req.org, def, list)
  c.id = U.hex_id(sim, 24)
  def.criteria[#def.criteria + 1] = c
  changed(sim, req, def)
  return 200, criterion_view(c)
end

local function put_criteria(sim, req)
  local def = find_def(req)
  local body = U.json_body(req, "array")
  local list = {}
  for _, raw in ipairs(body) do list[#list + 1] = read_criterion(raw) end
  check_conflicts(req.org, def, list)
  -- Criteria that stay the same keep their ids.
  local old = {}
  for _, c in ipairs(def.criteria) do old[criterion_key(c)] = c.id end
  for _, c in ipairs(list) do c.id = old[criterion_key(c)] or U.hex_id(sim, 24) end
  def.criteria = list
  changed(sim, req, def)
  return 200, U.array(list, criterion_view)
end

local function delete_criterion(sim, req)
  local def = find_def(req)
  local index
  for i, c in ipairs(def.criteria) do
    if c.id == req.params.criteriaId then index = i end
  end
  if not index then U.fail(404, "matching criteria '" .. req.params.criteriaId .. "' not found") end
  local cid = def.criteria[index].id
  if not U.query_bool(req, "force") then
    local list = changes(req.org, function(r) return r.criteria_id == cid end, { criteria_id = cid })
    if #list > 0 then
      U.fail(409, "active resources would move to another definition without matching criteria '" .. cid .. "'",
        list)
    end
  end
  table.remove(def.criteria, index)
  changed(sim, req, def)
  return 204
end

local function def_resources(_, req)
  local def = find_def(req, true)
  local out = json.array()
  for _, r in ipairs(req.org.active_resources) do
    if r.def_id == def.id then out[#out + 1] = active_view(req.org, r) end
  end
  return 200, out
end

local function env_resources(_, req)
  local app, env = find.env(req)
  local out = json.array()
  for _, r in ipairs(req.org.active_resources) do
    if r.app_id == app.id and r.env_id == env.id then out[#out + 1] = active_view(req.org, r) end
  end
  return 200, out
end

-- Definition versions ------------------------------------------------------------------------------------

local function version_view(def, v)
  local out = U.copy(v.def)
  out.id, out.def_id, out.org_id = v.id, def.id, def.org_id
  out.action, out.archived, out.proposed = v.action, v.archived, false
  out.active = def.active_version_id == v.id
  out.created_at, out.created_by = U.iso(v.created_at), v.created_by
  return out
end

local function find_version(req)
  local def = find_def(req, true)
  local v = def.versions and def.versions[req.params.defVersionId]
  if not v then U.fail(404, "version '" .. req.params.defVersionId .. "' of '" .. def.id .. "' not found") end
  return def, v
end

local function list_versions(_, req)
  local def = find_def(req, true)
  local list = U.ordered(def.versions or {})
  local out = json.array()
  for i = #list, 1, -1 do out[#out + 1] = version_view(def, list[i]) end -- newest first
  return 200, out
end

local function get_version(_, req)
  return 200, version_view(find_version(req))
end

local function archive_version(_, req)
  local def, v = find_version(req)
  local body = req.body and not req.body:find("^%s*$") and U.json_body(req) or {}
  local archived = U.field(body, "archived", "boolean")
  if archived == nil then archived = true end
  if archived and def.active_version_id == v.id then U.fail(400, "the active version cannot be archived") end
  v.archived = archived
  return 204
end

-- Promoting a version makes its content the definition's again, as the active version.
local function promote_version(sim, req)
  local def, v = find_version(req)
  if v.archived then U.fail(400, "an archived version cannot be promoted") end
  def.name, def.driver_type, def.driver_account = v.def.name, v.def.driver_type, v.def.driver_account
  def.provision = U.copy(v.def.provision)
  def.active_version_id = v.id
  def.updated_at, def.updated_by = sim:now(), req.user.id
  return 204
end

-- Active resources: delete and pin ---------------------------------------------------------------------

local function find_active(req)
  local app, env = find.env(req)
  for i, r in ipairs(req.org.active_resources) do
    if r.app_id == app.id and r.env_id == env.id and r.type == req.params.type and r.res_id == req.params.resId then
      return r, i
    end
  end
  U.fail(404, "no active resource '" .. req.params.type .. "/" .. req.params.resId .. "' in the environment")
end

local function delete_active(_, req)
  local _, i = find_active(req)
  table.remove(req.org.active_resources, i)
  return 204
end

local function pin_active(_, req)
  local r = find_active(req)
  local body = U.json_body(req)
  local target = U.field(body, "target_def_version_id", "string", true)
  local def = req.org.defs[r.def_id]
  if not (def and def.versions and def.versions[target]) then
    U.fail(400, "'" .. target .. "' is not a version of resource definition '" .. r.def_id .. "'")
  end
  r.pinned_version_id = target
  return 200, active_view(req.org, r)
end

-- Resource graphs ----------------------------------------------------------------------------------------

-- A hash of JSON content, as the sets are named.
local function content_hash(v)
  return require("humanitec.sim.deltas").set_id(v)
end

-- The node a provision request resolves to in the environment: the definition matching it.
local function node_for(req, env, app, raw)
  if not U.is_object(raw) then U.fail(400, "each resource request must be an object") end
  local id = U.field(raw, "id", "string", true)
  local kind = U.field(raw, "type", "string", true)
  local class = U.field(raw, "class", "string") or "default"
  local ctx = { type = kind, class = class, app_id = app.id, env_id = env.id, env_type = env.type, res_id = id }
  local def, c = M.match(req.org, ctx)
  if not def then U.fail(400, "no resource definition of type '" .. kind .. "' matches '" .. id .. "'") end
  return {
    type = kind, class = class, id = id, guresid = content_hash({ app.id, env.id, kind, class, id }),
    resource = U.copy(U.field(raw, "resource", "table") or {}), driver = {}, def_id = def.id,
    criteria_id = c.id, driver_type = def.driver_type, driver_account = def.driver_account,
    resource_schema = {}, depends_on = json.array(), def_version_id = def.active_version_id,
    in_place_driver_change = def.in_place_driver_change or false,
  }
end

local function graph_nodes(req)
  local app, env = find.env(req)
  local body = U.json_body(req, "array")
  local nodes = json.array()
  for i, raw in ipairs(body) do nodes[i] = node_for(req, env, app, raw) end
  return nodes, env
end

local function query_graph(_, req)
  return 200, (graph_nodes(req))
end

local function create_graph(sim, req)
  local nodes, env = graph_nodes(req)
  local now = sim:now()
  local graph = { id = U.uuid(sim), nodes = nodes, hash = content_hash(nodes), created_at = U.iso(now),
    used_at = U.iso(now) }
  env.graphs = env.graphs or {}
  env.graphs[graph.id] = graph
  return 200, graph
end

local function get_graph(_, req)
  local _, env = find.env(req)
  local graph = env.graphs and env.graphs[req.params.graphId]
  if not graph then U.fail(404, "graph '" .. req.params.graphId .. "' not found") end
  return 200, graph
end

--- The resource inputs of a set: one per external resource its modules declare, and per shared one.
---@param content table  set content
---@return table
function M.set_inputs(content)
  local out = {}
  each_external(content.modules, function(res_id, ext, class)
    out[#out + 1] = { id = res_id, type = ext.type, class = class,
      resource = U.is_object(ext.params) and U.copy(ext.params) or {} }
  end)
  return U.array(out)
end

local function set_inputs(_, req)
  local app = find.app(req)
  local content = require("humanitec.sim.deltas").set_of(app, req.params.setId)
  if not content then U.fail(404, "set '" .. req.params.setId .. "' not found") end
  return 200, M.set_inputs(content)
end

---@param r table router
function M.routes(r)
  local base = "/orgs/{orgId}/resources/defs"
  r:add("GET", base, list_defs)
  r:add("POST", base, create_def)
  r:add("GET", base .. "/{defId}", get_def)
  r:add("PATCH", base .. "/{defId}", patch_def)
  r:add("PUT", base .. "/{defId}", put_def)
  r:add("DELETE", base .. "/{defId}", delete_def)
  r:add("POST", base .. "/{defId}/criteria", add_criterion)
  r:add("PUT", base .. "/{defId}/criteria", put_criteria)
  r:add("DELETE", base .. "/{defId}/criteria/{criteriaId}", delete_criterion)
  r:add("GET", base .. "/{defId}/resources", def_resources)
  r:add("GET", "/orgs/{orgId}/apps/{appId}/envs/{envId}/resources", env_resources)
  r:add("GET", base .. "/{defId}/versions", list_versions)
  r:add("GET", base .. "/{defId}/versions/{defVersionId}", get_version)
  r:add("POST", base .. "/{defId}/versions/{defVersionId}/actions/archive", archive_version)
  r:add("POST", base .. "/{defId}/versions/{defVersionId}/actions/promote", promote_version)
  local env_base = "/orgs/{orgId}/apps/{appId}/envs/{envId}/resources"
  r:add("DELETE", env_base .. "/{type}/{resId}", delete_active)
  r:add("POST", env_base .. "/{type}/{resId}/actions/pin", pin_active)
  r:add("POST", env_base .. "/graph", query_graph)
  r:add("POST", env_base .. "/graphs", create_graph)
  r:add("GET", env_base .. "/graphs/{graphId}", get_graph)
  r:add("GET", "/orgs/{orgId}/apps/{appId}/sets/{setId}/resources", set_inputs)
end

return M

--- Deployment Deltas and Deployment Sets.
--
-- A Set is immutable and named by a hash of its content (SHA-256 of the canonical JSON, in base64url), so the
-- same content always has the same id. A Delta describes changes to a Set: modules (and workloads) to add,
-- remove or patch, and JSON Patches for the shared section. Applying a Delta to a Set gives a new Set.
local json = require "humanitec.json"
local U = require "humanitec.sim.util"
local find = require "humanitec.sim.find"
local patch = require "humanitec.sim.patch"

local M = {}

local GROUPS = { "modules", "workloads" }

-- Set content --------------------------------------------------------------------------------------------

local function empty_content()
  return { modules = {}, shared = {}, workloads = {} }
end

--- The id of a Set with this content.
---@param content table
---@return string
function M.set_id(content)
  return U.sha256_url64(U.canonical(content))
end

M.EMPTY_SET_ID = M.set_id(empty_content())

--- The content of Set `id` in `app`, or nil. The empty Set exists in every application.
---@param app table
---@param id string
---@return table?
function M.set_of(app, id)
  if id == M.EMPTY_SET_ID then return app.sets[id] or empty_content() end
  return app.sets[id]
end

--- Stores `content` as a Set of `app`; returns its id.
---@param app table
---@param content table
---@return string
function M.store_set(app, content)
  local id = M.set_id(content)
  if not app.sets[id] then
    app.sets[id] = content
    app.set_order = app.set_order or {}
    app.set_order[#app.set_order + 1] = id
  end
  return id
end

local function set_view(id, content)
  local v = { id = id, modules = U.copy(content.modules), shared = U.copy(content.shared), version = 0 }
  if next(content.workloads) then v.workloads = U.copy(content.workloads) end
  return v
end

-- Delta content ------------------------------------------------------------------------------------------

-- A module as the spec's ModuleResponse has it: an object with a string `profile`, and `spec` and `externals`
-- objects (empty when not given). Fails with 400 otherwise; `where` names the module in the message.
local function check_module(item, where)
  if not U.is_object(item) then U.fail(400, where .. " must be an object") end
  if type(item.profile) ~= "string" or item.profile == "" then U.fail(400, where .. " needs a string 'profile'") end
  for _, field in ipairs({ "spec", "externals" }) do
    local v = item[field]
    if v == nil or v == json.null then
      item[field] = {}
    elseif not U.is_object(v) then
      U.fail(400, "'" .. field .. "' of " .. where .. " must be an object")
    end
  end
  return item
end

-- Reads one group ("modules" or "workloads") of a DeltaRequest into { add = {}, remove = {}, update = {} },
-- failing with 400 on a wrong shape.
local function read_group(body, name)
  local g = { add = {}, remove = {}, update = {} }
  local raw = body[name]
  if raw == nil or raw == json.null then return g end
  if not U.is_object(raw) then U.fail(400, "'" .. name .. "' must be an object") end
  local add = raw.add
  if add ~= nil and add ~= json.null then
    if not U.is_object(add) then U.fail(400, "'" .. name .. ".add' must be an object") end
    for id, item in pairs(add) do
      if item ~= json.null and not U.is_object(item) then
        U.fail(400, "'" .. name .. ".add." .. id .. "' must be an object or null")
      end
      g.add[id] = U.copy(item)
      if name == "modules" and item ~= json.null then check_module(g.add[id], "'modules.add." .. id .. "'") end
    end
  end
  local remove = raw.remove
  if remove ~= nil and remove ~= json.null then
    if not U.is_list(remove) then U.fail(400, "'" .. name .. ".remove' must be an array of ids") end
    for _, id in ipairs(remove) do
      if type(id) ~= "string" then U.fail(400, "'" .. name .. ".remove' must be an array of ids") end
      g.remove[#g.remove + 1] = id
    end
  end
  local update = raw.update
  if update ~= nil and update ~= json.null then
    if not U.is_object(update) then U.fail(400, "'" .. name .. ".update' must be an object") end
    for id, ops in pairs(update) do
      if not U.is_list(ops) then
        U.fail(400, "'" .. name .. ".update." .. id .. "' must be an array of JSON Patches")
      end
      for _, op in ipairs(ops) do
        if not U.is_object(op) or type(op.op) ~= "string" or type(op.path) ~= "string" then
          U.fail(400, "each JSON Patch in '" .. name .. ".update." .. id .. "' needs string 'op' and 'path'")
        end
      end
      g.update[id] = U.copy(ops)
    end
  end
  return g
end

--- Reads the content of a DeltaRequest body (modules, workloads, shared), failing with 400 on a bad shape.
---@param body table
---@return table
function M.read_content(body)
  local content = { modules = read_group(body, "modules"), workloads = read_group(body, "workloads"), shared = {} }
  local shared = body.shared
  if shared ~= nil and shared ~= json.null then
    if not U.is_list(shared) then U.fail(400, "'shared' must be an array of JSON Patches") end
    for _, op in ipairs(shared) do
      if not U.is_object(op) or type(op.op) ~= "string" or type(op.path) ~= "string" then
        U.fail(400, "each JSON Patch in 'shared' needs string 'op' and 'path'")
      end
      content.shared[#content.shared + 1] = U.copy(op)
    end
  end
  return content
end

local function group_view(g)
  local update = {}
  for id, ops in pairs(g.update) do update[id] = U.array(ops) end
  local add = {}
  for id, item in pairs(g.add) do add[id] = U.copy(item) end
  local remove = U.array({})
  for i, id in ipairs(g.remove) do remove[i] = id end
  return { add = add, remove = remove, update = update }
end

--- The PlainDeltaResponse shape of delta content.
---@param content table
---@return table
function M.content_view(content)
  return {
    modules = group_view(content.modules), workloads = group_view(content.workloads),
    shared = U.array(U.copy(content.shared)),
  }
end

local function delta_view(d)
  local v = M.content_view(d)
  local m = d.metadata
  v.id = d.id
  v.metadata = {
    created_by = m.created_by, created_at = U.iso(m.created_at), last_modified_at = U.iso(m.last_modified_at),
    archived = m.archived, contributers = U.array(U.copy(m.contributers)), shared = m.shared,
  }
  if m.name then v.metadata.name = m.name end
  if m.env_id then v.metadata.env_id = m.env_id end
  return v
end

-- Applying -----------------------------------------------------------------------------------------------

local function apply_group(items, g, label)
  for _, id in ipairs(g.remove) do items[id] = nil end
  for id, item in pairs(g.add) do
    if item ~= json.null then items[id] = U.copy(item) end
  end
  for id, ops in pairs(g.update) do
    if items[id] == nil then
      U.fail(400, "the delta updates " .. label .. " '" .. id .. "', which is not in the set")
    end
    local result, err = patch.apply(items[id], ops)
    if result == nil then U.fail(400, "cannot apply the update of " .. label .. " '" .. id .. "': " .. err) end
    if label == "module" then check_module(result, "module '" .. id .. "' once updated") end
    items[id] = result
  end
end

--- Applies delta content to Set content, giving new Set content; fails with 400 when incompatible.
---@param set table
---@param delta table
---@return table
function M.apply(set, delta)
  local out = U.copy(set)
  apply_group(out.modules, delta.modules, "module")
  apply_group(out.workloads, delta.workloads, "workload")
  if #delta.shared > 0 then
    local shared, err = patch.apply(out.shared, delta.shared)
    if shared == nil then U.fail(400, "cannot apply the shared patches: " .. err) end
    if not U.is_object(shared) and not (type(shared) == "table" and next(shared) == nil) then
      U.fail(400, "the shared section must stay an object")
    end
    out.shared = shared
  end
  return out
end

local function diff_group(from, to)
  local g = { add = {}, remove = {}, update = {} }
  local ids = {}
  for id in pairs(from) do ids[#ids + 1] = id end
  for id in pairs(to) do if from[id] == nil then ids[#ids + 1] = id end end
  table.sort(ids)
  for _, id in ipairs(ids) do
    if to[id] == nil then
      g.remove[#g.remove + 1] = id
    elseif from[id] == nil then
      g.add[id] = U.copy(to[id])
    elseif not U.equal(from[id], to[id]) then
      g.update[id] = patch.diff(from[id], to[id])
    end
  end
  return g
end

--- Delta content that turns Set content `from` into `to`.
---@param from table
---@param to table
---@return table
function M.diff(from, to)
  return {
    modules = diff_group(from.modules, to.modules), workloads = diff_group(from.workloads, to.workloads),
    shared = patch.diff(from.shared, to.shared),
  }
end

-- Combining deltas (PATCH) -------------------------------------------------------------------------------

local function without(list, id)
  local out = {}
  for _, x in ipairs(list) do if x ~= id then out[#out + 1] = x end end
  return out
end

-- Merges group `g` into `cur` as the PATCH operation describes: additions replace (a null addition withdraws
-- the id from both lists), removals are combined and win over additions, update lists are concatenated.
local function merge_group(cur, g)
  for id, item in pairs(g.add) do
    if item == json.null then
      cur.add[id] = nil
      cur.remove = without(cur.remove, id)
    else
      cur.add[id] = U.copy(item)
    end
  end
  for _, id in ipairs(g.remove) do
    cur.remove = without(cur.remove, id)
    cur.remove[#cur.remove + 1] = id
    cur.add[id] = nil
  end
  for id, ops in pairs(g.update) do
    local list = cur.update[id] or {}
    for _, op in ipairs(ops) do list[#list + 1] = U.copy(op) end
    cur.update[id] = list
  end
end

-- Simplification: updates of an added item are folded into the addition; the remaining update lists are
-- reduced to fewer patches with the same effect.
local function simplify_group(cur, label)
  for id, ops in pairs(cur.update) do
    if cur.add[id] ~= nil then
      local result, err = patch.apply(cur.add[id], patch.simplify(ops))
      if result == nil then U.fail(400, "cannot apply the update of " .. label .. " '" .. id .. "': " .. err) end
      if label == "module" then check_module(result, "module '" .. id .. "' once updated") end
      cur.add[id] = result
      cur.update[id] = nil
    else
      cur.update[id] = patch.simplify(ops)
    end
  end
end

--- Combines each delta content in `list` into `cur` in turn, then simplifies the result.
---@param cur table
---@param list table
function M.combine(cur, list)
  for _, d in ipairs(list) do
    for _, name in ipairs(GROUPS) do merge_group(cur[name], d[name]) end
    for _, op in ipairs(d.shared) do cur.shared[#cur.shared + 1] = U.copy(op) end
  end
  simplify_group(cur.modules, "module")
  simplify_group(cur.workloads, "workload")
  cur.shared = patch.simplify(cur.shared)
end

-- Handlers -----------------------------------------------------------------------------------------------

-- The spec declares the 404 of most delta and set operations as a JSON string (the message), not the error
-- object: wraps a handler so that its 404s answer that way.
local function string_404(handler)
  return function(sim, req)
    local ok, status, body, headers = pcall(handler, sim, req)
    if ok then return status, body, headers end
    if U.is_failure(status) and status.status == 404 then U.fail(404, status.message, status.message) end
    error(status, 0)
  end
end

local function find_delta(req, app)
  local d = app.deltas[req.params.deltaId]
  if not d then U.fail(404, "delta '" .. req.params.deltaId .. "' not found in '" .. app.id .. "'") end
  return d
end

local function read_metadata(body, m)
  local raw = body.metadata
  if raw == nil or raw == json.null then return end
  if not U.is_object(raw) then U.fail(400, "'metadata' must be an object") end
  local name = U.field(raw, "name", "string")
  local env_id = U.field(raw, "env_id", "string")
  if env_id then U.check_slug(env_id, "metadata.env_id") end
  local archived = U.field(raw, "archived", "boolean")
  local shared = U.field(raw, "shared", "boolean")
  if name then m.name = name end
  if env_id then m.env_id = env_id end
  if archived ~= nil then m.archived = archived end
  if shared ~= nil then m.shared = shared end
end

local function touch(sim, req, d)
  local m = d.metadata
  m.last_modified_at = sim:now()
  if req.user.id ~= m.created_by then
    for _, c in ipairs(m.contributers) do if c == req.user.id then return end end
    m.contributers[#m.contributers + 1] = req.user.id
  end
end

local function create_delta(sim, req)
  local app = find.app(req)
  local body = U.json_body(req)
  local d = M.read_content(body)
  d.id = U.hex_id(sim, 40)
  d.seq = sim:next_seq()
  d.metadata = {
    created_by = req.user.id, created_at = sim:now(), last_modified_at = sim:now(), archived = false,
    shared = false, contributers = {},
  }
  read_metadata(body, d.metadata)
  -- A delta made "fully formed" is simplified like a combined one.
  simplify_group(d.modules, "module")
  simplify_group(d.workloads, "workload")
  d.shared = patch.simplify(d.shared)
  app.deltas[d.id] = d
  return 200, delta_view(d)
end

local function list_deltas(_, req)
  local app = find.app(req)
  local archived = U.query_bool(req, "archived") or false
  local env = U.query(req, "env")
  if env ~= nil then U.check_slug(env, "env") end
  local list = U.ordered(app.deltas, function(d)
    return d.metadata.archived == archived and (env == nil or d.metadata.env_id == env)
  end)
  return 200, U.array(list, delta_view)
end

local function get_delta(_, req)
  return 200, delta_view(find_delta(req, find.app(req)))
end

local function patch_delta(sim, req)
  local app = find.app(req)
  local d = find_delta(req, app)
  local body = U.json_body(req, "array")
  local list = {}
  for i, item in ipairs(body) do
    if not U.is_object(item) then U.fail(400, "item " .. i .. " of the body must be a delta object") end
    list[#list + 1] = M.read_content(item) -- id and metadata are ignored, as the spec says
  end
  -- Combine on a copy so a failing simplification leaves the stored delta as it was.
  local cur = { modules = U.copy(d.modules), workloads = U.copy(d.workloads), shared = U.copy(d.shared) }
  M.combine(cur, list)
  d.modules, d.workloads, d.shared = cur.modules, cur.workloads, cur.shared
  touch(sim, req, d)
  return 200, delta_view(d)
end

local function put_delta(sim, req)
  local app = find.app(req)
  local d = find_delta(req, app)
  local body = U.json_body(req)
  local content = M.read_content(body)
  simplify_group(content.modules, "module")
  simplify_group(content.workloads, "workload")
  d.modules, d.workloads, d.shared = content.modules, content.workloads, patch.simplify(content.shared)
  read_metadata(body, d.metadata)
  touch(sim, req, d)
  return 204
end

local function put_metadata(field, kind)
  return function(sim, req)
    local app = find.app(req)
    local d = find_delta(req, app)
    local value = U.json_body(req, "any")
    if type(value) ~= kind then U.fail(400, "request body must be a JSON " .. kind) end
    if field == "env_id" then U.check_slug(value, "env_id") end
    d.metadata[field] = value
    touch(sim, req, d)
    return 204
  end
end

local function find_set(req, app, id)
  local content = M.set_of(app, id or req.params.setId)
  if not content then U.fail(404, "set '" .. (id or req.params.setId) .. "' not found in '" .. app.id .. "'") end
  return content
end

local function list_sets(_, req)
  local app = find.app(req)
  local out = json.array()
  for _, id in ipairs(app.set_order or {}) do out[#out + 1] = set_view(id, app.sets[id]) end
  return 200, out
end

local function get_set(_, req)
  local app = find.app(req)
  local content = find_set(req, app)
  local source = U.query(req, "diff")
  if source then
    return 200, M.content_view(M.diff(find_set(req, app, source), content))
  end
  return 200, set_view(req.params.setId, content)
end

local function update_set(_, req)
  local app = find.app(req)
  local content = find_set(req, app)
  local delta = M.read_content(U.json_body(req))
  return 200, M.store_set(app, M.apply(content, delta))
end

local function diff_sets(_, req)
  local app = find.app(req)
  local to = find_set(req, app)
  local from = find_set(req, app, req.params.sourceSetId)
  return 200, M.content_view(M.diff(from, to))
end

---@param r table router
function M.routes(r)
  local base = "/orgs/{orgId}/apps/{appId}"
  r:add("GET", base .. "/deltas", list_deltas)
  r:add("POST", base .. "/deltas", create_delta)
  r:add("GET", base .. "/deltas/{deltaId}", string_404(get_delta))
  r:add("PATCH", base .. "/deltas/{deltaId}", string_404(patch_delta))
  r:add("PUT", base .. "/deltas/{deltaId}", string_404(put_delta))
  r:add("PUT", base .. "/deltas/{deltaId}/metadata/archived", string_404(put_metadata("archived", "boolean")))
  r:add("PUT", base .. "/deltas/{deltaId}/metadata/env_id", string_404(put_metadata("env_id", "string")))
  r:add("PUT", base .. "/deltas/{deltaId}/metadata/name", string_404(put_metadata("name", "string")))
  r:add("GET", base .. "/sets", string_404(list_sets))
  r:add("GET", base .. "/sets/{setId}", string_404(get_set))
  r:add("POST", base .. "/sets/{setId}", string_404(update_set))
  r:add("GET", base .. "/sets/{setId}/diff/{sourceSetId}", string_404(diff_sets))
end

return M

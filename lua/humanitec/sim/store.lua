--- The generic store behind the API's plain collections (registries, resource types, workload profiles, ...):
-- create, list, get, update and delete, driven by a description of each collection (humanitec.sim.collections)
-- and by the spec's facts (which of those operations exist, their success status, their response schema,
-- whether they paginate). Adding a collection is adding its description, not code.
--
-- A collection description:
--   name      the key its records are kept under
--   path      the collection's path template as the spec writes it ("/orgs/{orgId}/registries")
--   item      the path parameter naming one record ("regId"); the item path is path .. "/{item}"
--   id        where a new record's id comes from: a request field ("id", the default), "uuid", "hex", or
--             "optional" (the request's "id" when given, else a hex id)
--   id_field  the field the id is answered in (default "id")
--   parent    the collection whose record the path names, which must exist (404 otherwise)
--   check     function(sim, req) that fails the request when something else the path names is missing
--   defaults  function(sim, req, body) -> fields a new record starts with, before the request's own
--   read_body function(req) -> the fields a create request gives (default: its JSON object)
--   on_create function(sim, req, record) run after a record is made (may fail the request)
--   on_update function(sim, req, record) run after a record is changed
--   view      function(sim, req, record) -> the record as answered, before it is shaped to the schema
--   seed      function(sim, org_id) -> records present in every new organization
--
-- Fields whose names start with "_" are the simulator's own (kept across PUT, never answered).
-- Records live in sim.store[name][scope], where scope joins the path parameters before `item` (the org, the
-- app, ...). Every answer is shaped to the operation's response schema (humanitec.sim.shape): what the spec
-- does not declare is dropped, what it requires is there. Timestamps, `created_by` and the scope's ids
-- (`org_id`, `app_id`, `env_id`) are filled in as the API does.
local json = require "humanitec.json"
local operations = require "humanitec.operations"
local U = require "humanitec.sim.util"
local find = require "humanitec.sim.find"
local shape = require "humanitec.sim.shape"
local facts = require "humanitec.sim.schemas"

local M = {}

local BY_KEY = {}
for _, op in pairs(operations.operations) do BY_KEY[op.method .. " " .. op.path] = op end

-- The path parameters of a template, in order.
local function params_of(template)
  local out = {}
  for name in template:gmatch("{([^}]+)}") do out[#out + 1] = name end
  return out
end

local function scope_of(req, names)
  local parts = {}
  for i, name in ipairs(names) do parts[i] = req.params[name] end
  return table.concat(parts, "/")
end

--- The records of collection `c` in the scope the request names (created on first use).
---@param sim table
---@param c table  a collection description
---@param req table
---@return table records  id -> record
function M.records(sim, c, req)
  sim.store = sim.store or {}
  local by_scope = sim.store[c.name]
  if not by_scope then
    by_scope = {}
    sim.store[c.name] = by_scope
  end
  local key = scope_of(req, c.scope_params)
  local records = by_scope[key]
  if not records then
    records = {}
    by_scope[key] = records
    if c.seed then
      for _, r in ipairs(c.seed(sim, req.params.orgId, req)) do
        r.seq = sim:next_seq()
        records[r[c.id_field or "id"]] = r
      end
    end
  end
  return records
end

-- Checks that everything the path names above the collection exists.
local function check_parents(sim, c, req)
  if req.params.envId then
    find.env(req)
  elseif req.params.appId then
    find.app(req)
  end
  if c.check then c.check(sim, req) end
  if c.parent then
    local parent = M.COLLECTIONS[c.parent]
    local records = M.records(sim, parent, req)
    local id = req.params[parent.item]
    if not records[id] then U.fail(404, parent.label .. " '" .. tostring(id) .. "' not found") end
  end
end

-- The success status an operation answers with and the schema of its JSON body (nil when it has none).
local function success(method, template)
  local op = facts.operations[method .. " " .. template]
  local best
  for status in pairs(op and op.responses or {}) do
    if not best or tonumber(status) < tonumber(best) then best = status end
  end
  local r = best and op.responses[best]
  return tonumber(best) or 200, r and r["application/json"]
end

local function answer(sim, c, req, record, schema)
  local v = c.view and c.view(sim, req, record) or U.copy(record)
  v.seq = nil
  for k in pairs(v) do
    if type(k) == "string" and k:find("^_") then v[k] = nil end -- the simulator's own bookkeeping
  end
  if not schema then return v end
  return shape.conform(v, schema, U.iso(sim:now()))
end

local function fill_scope(record, req)
  record.org_id = req.params.orgId
  record.app_id = req.params.appId
  record.env_id = req.params.envId
end

local function body_object(req)
  if req.body == nil or req.body:find("^%s*$") then return {} end
  return U.json_body(req)
end

local function new_id(sim, c, body)
  local how = c.id or "id"
  if how == "uuid" then return U.uuid(sim) end
  if how == "hex" then return U.hex_id(sim, 24) end
  if how == "optional" then return U.field(body, "id", "string") or U.hex_id(sim, 24) end
  local id = U.field(body, how, "string", true)
  return id
end

local function list_handler(c, template)
  local status, schema = success("GET", template)
  local op = BY_KEY["GET " .. template]
  return function(sim, req)
    check_parents(sim, c, req)
    local items = U.ordered(M.records(sim, c, req), c.keep and function(r) return c.keep(sim, req, r) end)
    local item_schema = schema and shape.resolve(schema).items
    local function view(r) return answer(sim, c, req, r, item_schema) end
    if op and op.paginated then
      local page, headers = U.paginate(req, items, view)
      return status, page, headers
    end
    return status, U.array(items, view)
  end
end

local function create_handler(c, template)
  local status, schema = success("POST", template)
  return function(sim, req)
    check_parents(sim, c, req)
    local body = c.read_body and c.read_body(req) or body_object(req)
    local records = M.records(sim, c, req)
    local id = new_id(sim, c, body)
    if records[id] then U.fail(409, c.label .. " '" .. id .. "' already exists") end
    local record = c.defaults and c.defaults(sim, req, body) or {}
    for k, v in pairs(body) do
      if v ~= json.null then record[k] = U.copy(v) end
    end
    record[c.id_field or "id"] = id
    fill_scope(record, req)
    local now = U.iso(sim:now())
    record.created_at, record.updated_at = now, now
    record.created_by, record.updated_by = req.user.id, req.user.id
    record.seq = sim:next_seq()
    if c.on_create then c.on_create(sim, req, record) end
    records[id] = record
    return status, answer(sim, c, req, record, schema)
  end
end

local function find_record(sim, c, req)
  check_parents(sim, c, req)
  local records = M.records(sim, c, req)
  local id = req.params[c.item]
  local record = records[id]
  if not record then U.fail(404, c.label .. " '" .. tostring(id) .. "' not found") end
  return record, records
end
M.find_record = find_record

local function get_handler(c, template)
  local status, schema = success("GET", template)
  return function(sim, req)
    return status, answer(sim, c, req, (find_record(sim, c, req)), schema)
  end
end

local function update_handler(c, template, method)
  local status, schema = success(method, template)
  return function(sim, req)
    local record = find_record(sim, c, req)
    local body = body_object(req)
    if method == "PUT" then
      for k in pairs(record) do
        if not (k == "seq" or k:find("^_") or k:find("^created_") or k == (c.id_field or "id") or k:find("_id$")) then
          record[k] = nil
        end
      end
    end
    for k, v in pairs(body) do
      if k ~= (c.id_field or "id") then
        if v == json.null then record[k] = nil else record[k] = U.copy(v) end
      end
    end
    record.updated_at, record.updated_by = U.iso(sim:now()), req.user.id
    if c.on_update then c.on_update(sim, req, record) end
    if status == 204 or not schema then return status end
    return status, answer(sim, c, req, record, schema)
  end
end

local function delete_handler(c, template)
  local status = success("DELETE", template)
  return function(sim, req)
    local record, records = find_record(sim, c, req)
    if c.on_delete then c.on_delete(sim, req, record) end
    records[record[c.id_field or "id"]] = nil
    return status
  end
end

--- Collections by name, filled by `M.routes`.
M.COLLECTIONS = {}

--- Adds the routes of every operation the spec has on each collection's paths.
---@param r table router
---@param list table[]  collection descriptions
function M.routes(r, list)
  for _, c in ipairs(list) do
    M.COLLECTIONS[c.name] = c
    c.label = c.label or c.name
    c.scope_params = params_of(c.path)
    local item_path = c.item and (c.path .. "/{" .. c.item .. "}")
    local function has(method, template) return facts.operations[method .. " " .. template] ~= nil end
    if has("GET", c.path) and not (c.skip and c.skip.list) then r:add("GET", c.path, list_handler(c, c.path)) end
    if has("POST", c.path) and not (c.skip and c.skip.create) then
      r:add("POST", c.path, create_handler(c, c.path))
    end
    if item_path then
      if has("GET", item_path) then r:add("GET", item_path, get_handler(c, item_path)) end
      if has("PATCH", item_path) then r:add("PATCH", item_path, update_handler(c, item_path, "PATCH")) end
      if has("PUT", item_path) then r:add("PUT", item_path, update_handler(c, item_path, "PUT")) end
      if has("DELETE", item_path) then r:add("DELETE", item_path, delete_handler(c, item_path)) end
    end
  end
end

return M

--- Converts a Score workload (score.dev/v1b1, as JSON values) into Deployment Set content, the way
-- `convertScoreToSet` and workload artefact versions do: one module named after the workload.
--
--   module = {
--     profile  = extensions.profile or "humanitec/default-module",
--     spec     = { containers = { <name> = { id, image, command, args, variables, resources, files,
--                                             volume_mounts, liveness_probe, readiness_probe } },
--                  service = { ports = { <name> = { protocol, service_port, container_port } } } }
--                merged with extensions.spec,
--     externals = { <resource> = { type, class?, params? } }   resources private to the workload
--   }
--   shared = { <id> = { type, class?, params? } }              resources with an `id` or the
--                                                              score.humanitec.io/resId annotation
--
-- `environment` resources become `${values.X}`; `${metadata.name}` becomes the workload's name;
-- `${resources.R.out}` becomes `${externals.R.out}` or `${shared.ID.out}`. A placeholder naming nothing
-- fails the conversion with a 400. Images of "." take the request's `image`.
local U = require "humanitec.sim.util"

local M = {}

local RES_ID_ANNOTATION = "score.humanitec.io/resId"

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

-- Rewrites the ${...} placeholders of `text` (one scan; each placeholder ends at the first "}").
local function rewrite(text, ctx)
  if type(text) ~= "string" or not text:find("${", 1, true) then return text end
  local out, pos = {}, 1
  while true do
    local s = text:find("${", pos, true)
    if not s then break end
    local e = text:find("}", s + 2, true)
    if not e then break end
    out[#out + 1] = text:sub(pos, s - 1)
    local ref = text:sub(s + 2, e - 1)
    local first, rest = ref:match("^([^.]+)%.?(.*)$")
    local replaced
    if first == "metadata" then
      local v = ctx.metadata[rest]
      if type(v) ~= "string" then U.fail(400, "the Score placeholder ${" .. ref .. "} names no metadata field") end
      replaced = v
    elseif first == "resources" then
      local name, field = rest:match("^([^.]+)%.?(.*)$")
      local target = name and ctx.resources[name]
      if not target then U.fail(400, "the Score placeholder ${" .. ref .. "} names no resource") end
      if target.kind == "environment" then
        replaced = "${values." .. field .. "}"
      else
        replaced = "${" .. target.prefix .. (field ~= "" and ("." .. field) or "") .. "}"
      end
    else
      replaced = "${" .. ref .. "}"
    end
    out[#out + 1] = replaced
    pos = e + 1
  end
  out[#out + 1] = text:sub(pos)
  return table.concat(out)
end

local function rewrite_all(v, ctx)
  if type(v) == "string" then return rewrite(v, ctx) end
  if type(v) ~= "table" then return v end
  local out = setmetatable({}, getmetatable(v))
  for k, item in pairs(v) do out[k] = rewrite_all(item, ctx) end
  return out
end

local function probe(p)
  if not U.is_object(p) then return nil end
  local http = U.is_object(p.httpGet) and p.httpGet
  if http then
    return { type = "http", path = http.path or "/", port = http.port, headers = U.copy(http.httpHeaders) }
  end
  local exec = U.is_object(p.exec) and p.exec
  if exec then return { type = "command", command = U.copy(exec.command) } end
  return nil
end

local function container(name, c, image)
  local out = { id = name, image = c.image }
  if out.image == "." then
    if not image then U.fail(400, "container '" .. name .. "' has image '.', and no image was given") end
    out.image = image
  elseif image and out.image == nil then
    out.image = image
  end
  if type(out.image) ~= "string" then U.fail(400, "container '" .. name .. "' needs an image") end
  out.command, out.args = U.copy(c.command), U.copy(c.args)
  if U.is_object(c.variables) then out.variables = U.copy(c.variables) end
  if U.is_object(c.resources) then out.resources = U.copy(c.resources) end
  if U.is_list(c.files) then
    out.files = {}
    for _, f in ipairs(c.files) do
      if U.is_object(f) and type(f.target) == "string" then
        out.files[f.target] = { mode = f.mode, value = f.content }
      end
    end
  end
  if U.is_list(c.volumes) then
    out.volume_mounts = {}
    for _, v in ipairs(c.volumes) do
      if U.is_object(v) and type(v.target) == "string" then
        out.volume_mounts[v.target] = { id = v.source, sub_path = v.path, read_only = v.readOnly }
      end
    end
  end
  out.liveness_probe = probe(c.livenessProbe)
  out.readiness_probe = probe(c.readinessProbe)
  return out
end

local function merge(into, from)
  for k, v in pairs(from) do
    if U.is_object(v) and U.is_object(into[k]) then merge(into[k], v) else into[k] = U.copy(v) end
  end
end

---@class humanitec.sim.ScoreOptions
---@field image? string  the image of containers whose image is "."
---@field extensions? table  the Humanitec extensions (profile, spec)

--- The Deployment Set content (`{ modules, shared }`) for a Score workload. Fails the request with 400 when
--- the workload is malformed.
---@param spec table  the Score workload
---@param opts? humanitec.sim.ScoreOptions
---@return table content
function M.to_set(spec, opts)
  opts = opts or {}
  if not U.is_object(spec) then U.fail(400, "the Score spec must be an object") end
  local metadata = U.is_object(spec.metadata) and spec.metadata or {}
  local name = metadata.name
  if type(name) ~= "string" or name == "" then U.fail(400, "the Score spec needs metadata.name") end
  if not U.is_object(spec.containers) then U.fail(400, "the Score spec needs containers") end
  local ctx = { metadata = metadata, resources = {} }
  local externals, shared = {}, {}
  local resources = U.is_object(spec.resources) and spec.resources or {}
  for _, rname in ipairs(sorted_keys(resources)) do
    local r = resources[rname]
    if not (U.is_object(r) and type(r.type) == "string") then
      U.fail(400, "resource '" .. rname .. "' needs a type")
    end
    if r.type == "environment" then
      ctx.resources[rname] = { kind = "environment" }
    else
      local annotations = U.is_object(r.metadata) and U.is_object(r.metadata.annotations)
        and r.metadata.annotations or {}
      local shared_id = annotations[RES_ID_ANNOTATION] or r.id
      local entry = { type = r.type, class = r.class, params = U.is_object(r.params) and U.copy(r.params) or nil }
      if type(shared_id) == "string" then
        local id = shared_id:gsub("^shared%.", "")
        shared[id] = entry
        ctx.resources[rname] = { prefix = "shared." .. id }
      else
        externals[rname] = entry
        ctx.resources[rname] = { prefix = "externals." .. rname }
      end
    end
  end
  local containers = {}
  for _, cname in ipairs(sorted_keys(spec.containers)) do
    local c = spec.containers[cname]
    if not U.is_object(c) then U.fail(400, "container '" .. cname .. "' must be an object") end
    containers[cname] = rewrite_all(container(cname, c, opts.image), ctx)
  end
  local module_spec = { containers = containers }
  local service = U.is_object(spec.service) and spec.service
  if service and U.is_object(service.ports) then
    local ports = {}
    for pname, p in pairs(service.ports) do
      if U.is_object(p) then
        ports[pname] = { protocol = p.protocol or "TCP", service_port = p.port,
          container_port = p.targetPort or p.port }
      end
    end
    module_spec.service = { ports = ports }
  end
  local ext = U.is_object(opts.extensions) and opts.extensions or {}
  if U.is_object(ext.spec) then merge(module_spec, ext.spec) end
  local module = { profile = type(ext.profile) == "string" and ext.profile or "humanitec/default-module",
    spec = module_spec }
  if next(externals) then module.externals = externals end
  return { modules = { [name] = module }, shared = shared }
end

return M

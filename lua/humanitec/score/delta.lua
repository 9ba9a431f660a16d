--- The translation of Score workloads into one Humanitec deployment delta, field by field as score-humanitec's
--- `ConvertSpec` does it (docs/score.md is the reference): each workload becomes a module (profile, spec,
--- externals, deploy), shared resources become `shared` actions, and Score placeholders become Humanitec's.
--- A placeholder that names nothing is an error that says where it is, never passed through.
local json = require "humanitec.json"
local shape = require "humanitec.score.shape"
local is_utf8 = require("humanitec.score.regex").is_utf8

local M = {}

M.DEFAULT_PROFILE = "humanitec/default-module"
M.RESID_ANNOTATION = "score.humanitec.io/resId"

local Failure = {}

-- Raised inside the translation, caught by `translate`: { message, path = {...} }.
local function fail(path, message)
  error(setmetatable({ message = message, path = path }, Failure), 0)
end

local function append(path, key)
  local out = {}
  for i, v in ipairs(path) do out[i] = v end
  out[#out + 1] = key
  return out
end

local sorted_keys = shape.sorted_keys

local function non_empty(t)
  return type(t) == "table" and next(t) ~= nil
end

-- ---- where each resource lives in Humanitec -------------------------------------------------------------

-- The Humanitec reference of a Score resource: "values" for the environment, "modules.<name>" for a (deprecated)
-- service, else the `score.humanitec.io/resId` annotation, "shared.<id>" when the resource has an `id`, or
-- "externals.<name>".
local function resource_ref(name, res)
  if res.type == "environment" then return "values" end
  if res.type == "service" then return "modules." .. name end
  local ann = type(res.metadata) == "table" and type(res.metadata.annotations) == "table"
    and res.metadata.annotations[M.RESID_ANNOTATION]
  if type(ann) == "string" and ann ~= "" then return ann end
  if type(res.id) == "string" then return "shared." .. res.id end
  return "externals." .. name
end

-- Splits a reference as score-humanitec's parseResourceId does: {resId}, {scope}.{resId},
-- modules.{workload}.{scope}.{resId}. Returns workload (or nil), scope, id; or nil when it is not one of these.
local function parse_ref(ref)
  local workload, rest = ref:match("^modules%.([^.]+)%.(.+)$")
  if workload then
    local scope, id = rest:match("^([^.]+)%.(.+)$")
    if not scope then return nil end
    return workload, scope, id
  end
  local scope, id = ref:match("^([^.]+)%.(.+)$")
  if scope then return false, scope, id end
  return false, "", ref
end

-- ---- placeholders ----------------------------------------------------------------------------------------

local split_ref = shape.split_path

local Context = {}
Context.__index = Context

local function scalar_text(v)
  if type(v) == "string" then return v end
  if type(v) == "number" then
    if v == math.floor(v) and v > -2 ^ 53 and v < 2 ^ 53 then return string.format("%d", v) end
    return tostring(v)
  end
  if type(v) == "boolean" then return tostring(v) end
  return nil
end

-- The replacement for one `${ref}` found at `path`.
function Context:resolve(ref, path)
  local parts = split_ref(ref)
  local head = parts[1]
  if head == "metadata" then
    if #parts < 2 then fail(path, "${" .. ref .. "} names the metadata without a field") end
    local v = self.doc.metadata
    for i = 2, #parts do
      v = type(v) == "table" and v[parts[i]] or nil
    end
    local text = scalar_text(v)
    if not text then
      fail(path, "${" .. ref .. "} names " .. (v == nil and "no field of the workload's metadata"
        or "a part of the metadata that is not a single value"))
    end
    return text
  end
  if head == "resources" then
    local name = parts[2]
    local resources = type(self.doc.resources) == "table" and self.doc.resources or {}
    local res = name and resources[name]
    if type(res) ~= "table" then
      local known = sorted_keys(resources)
      fail(path, ("${%s} names no resource of the workload (%s)"):format(ref,
        #known > 0 and ("it declares " .. table.concat(known, ", ")) or "it declares none"))
    end
    local target = resource_ref(name, res)
    if #parts == 2 then
      if res.type == "environment" then
        fail(path, "${" .. ref .. "} names the environment without a key: write ${resources." .. name .. ".KEY}")
      end
      return target
    end
    -- the rest of the path is the output's name, dots included (an output may be nested)
    local output = table.concat(parts, ".", 3)
    if res.type == "service" then output = "service." .. output end
    return "${" .. target .. "." .. output .. "}"
  end
  fail(path, "${" .. ref .. "} names nothing: a placeholder starts with metadata. or resources.")
end

-- Rewrites every placeholder of `s`; `$$` stands for `$`. One pass, linear in the length of `s`.
function Context:substitute(s, path)
  if not s:find("$", 1, true) then return s end
  local out, i, n = {}, 1, #s
  while i <= n do
    local d = s:find("$", i, true)
    if not d then
      out[#out + 1] = s:sub(i)
      break
    end
    out[#out + 1] = s:sub(i, d - 1)
    local nxt = s:sub(d + 1, d + 1)
    if nxt == "$" then
      out[#out + 1] = "$"
      i = d + 2
    elseif nxt == "{" then
      local close = s:find("}", d + 2, true)
      if not close then fail(path, "a placeholder that is never closed: " .. s:sub(d, d + 40)) end
      local ref = s:sub(d + 2, close - 1)
      if ref == "" then fail(path, "an empty placeholder ${}") end
      out[#out + 1] = self:resolve(ref, path)
      i = close + 1
    else
      out[#out + 1] = "$"
      i = d + 1
    end
  end
  return table.concat(out)
end

-- For `noExpand` files: placeholders are kept as text, written `$\{...}` so that Humanitec leaves them alone;
-- `$$` stays `$$`. This escape is this project's choice (docs/score.md, "noExpand"), not score-humanitec's:
-- its convert.go has no such rewriting.
local function escape_placeholders(s)
  return (s:gsub("%${", "$\\{"))
end

-- Substitutes in the keys and string values of a map, recursively through maps and arrays.
function Context:substitute_all(v, path)
  if type(v) == "string" then return self:substitute(v, path) end
  if type(v) ~= "table" then return v end
  local out = {}
  if json.is_array(v) or rawget(v, 1) ~= nil then
    for i, item in ipairs(v) do out[i] = self:substitute_all(item, append(path, i - 1)) end
    return json.array(out)
  end
  for _, k in ipairs(sorted_keys(v)) do
    local child = append(path, k)
    local key = type(k) == "string" and self:substitute(k, child) or k
    out[key] = self:substitute_all(v[k], child)
  end
  return out
end

-- ---- containers ------------------------------------------------------------------------------------------

local function read_source(base_dir, source, path)
  if base_dir == false then
    fail(path, "this conversion reads no files: give the file's content instead of its source")
  end
  local file = source
  if not file:match("^/") then file = (base_dir or ".") .. "/" .. file end
  local f, msg = io.open(file, "rb")
  if not f then fail(path, "cannot read the file's source: " .. tostring(msg)) end
  local text = f:read("*a")
  f:close()
  return text
end

-- basexx when it is installed: a Score file without binaryContent needs no base64. Debian's lua-basexx is on
-- the 5.1-5.3 paths only; bin/humanitec (and tools/run-specs) add those for lua5.4.
local function load_basexx()
  local ok, mod = pcall(require, "basexx")
  return ok and mod or nil
end

local function decode_base64(text, path)
  local basexx = load_basexx()
  if not basexx then fail(path, "binaryContent needs the basexx library (Debian: lua-basexx)") end
  local bytes = basexx.from_base64(text)
  if not bytes then fail(path, "binaryContent is not standard base64") end
  if not is_utf8(bytes) then
    fail(path, "binaryContent decodes to bytes that are not UTF-8 text; a delta carries a file's contents as text")
  end
  return bytes
end

local function convert_file(ctx, target, f, path, base_dir)
  local content
  if f.source ~= nil then
    content = read_source(base_dir, f.source, append(path, "source"))
  elseif f.binaryContent ~= nil then
    content = decode_base64(f.binaryContent, append(path, "binaryContent"))
  else
    content = f.content
    if json.is_array(content) then content = table.concat(content, "\n") end -- the deprecated list form
  end
  if type(content) ~= "string" then fail(path, "the file " .. target .. " has no content") end
  if f.binaryContent ~= nil or f.noExpand == true then
    content = f.binaryContent ~= nil and content or escape_placeholders(content)
  else
    content = ctx:substitute(content, append(path, f.source ~= nil and "source" or "content"))
  end
  local out = { value = content }
  if f.mode ~= nil then out.mode = f.mode end
  return out
end

-- Files and volumes come as a map of target paths, or (deprecated) as a list of entries with `target`.
local function by_target(v)
  local out = {}
  if type(v) ~= "table" then return out end
  if json.is_array(v) or rawget(v, 1) ~= nil then
    for i, entry in ipairs(v) do
      if type(entry) == "table" and entry.target then out[#out + 1] = { entry.target, entry, i - 1 } end
    end
  else
    for _, k in ipairs(sorted_keys(v)) do out[#out + 1] = { k, v[k], k } end
  end
  return out
end

local function convert_probe(probe)
  if type(probe) ~= "table" then return nil end
  if type(probe.httpGet) == "table" then
    local h = probe.httpGet
    local out = { type = "http", path = h.path, port = h.port }
    if non_empty(h.httpHeaders) then
      out.headers = {}
      for _, hdr in ipairs(h.httpHeaders) do out.headers[hdr.name] = hdr.value end
    end
    return out
  end
  if type(probe.exec) == "table" then
    return { type = "command", command = shape.copy(probe.exec.command) }
  end
  return nil
end

local function convert_container(ctx, name, c, path, base_dir)
  local out = { id = name }
  if c.image ~= nil and c.image ~= "" then out.image = c.image end
  if non_empty(c.command) then out.command = shape.copy(c.command) end
  if non_empty(c.args) then out.args = ctx:substitute_all(c.args, append(path, "args")) end
  if non_empty(c.variables) then
    out.variables = {}
    for _, k in ipairs(sorted_keys(c.variables)) do
      out.variables[k] = ctx:substitute(c.variables[k], append(append(path, "variables"), k))
    end
  end
  if type(c.resources) == "table" and (non_empty(c.resources.requests) or non_empty(c.resources.limits)) then
    out.resources = {}
    if non_empty(c.resources.requests) then out.resources.requests = shape.copy(c.resources.requests) end
    if non_empty(c.resources.limits) then out.resources.limits = shape.copy(c.resources.limits) end
  end
  out.liveness_probe = convert_probe(c.livenessProbe)
  out.readiness_probe = convert_probe(c.readinessProbe)
  local files = by_target(c.files)
  if #files > 0 then
    out.files = {}
    for _, f in ipairs(files) do
      out.files[f[1]] = convert_file(ctx, f[1], f[2], append(append(path, "files"), f[3]), base_dir)
    end
  end
  local volumes = by_target(c.volumes)
  if #volumes > 0 then
    out.volume_mounts = {}
    for _, v in ipairs(volumes) do
      local vpath = append(append(path, "volumes"), v[3])
      local mount = { id = ctx:substitute(v[2].source, append(vpath, "source")), read_only = v[2].readOnly == true }
      if v[2].path ~= nil then mount.sub_path = v[2].path end
      out.volume_mounts[v[1]] = mount
    end
  end
  return out
end

-- ---- one workload ----------------------------------------------------------------------------------------

-- Translates one Score document (already shaped and validated) into { name, module, shared = {path -> value} }.
local function convert_workload(doc, ext, base_dir)
  local ctx = setmetatable({ doc = doc }, Context)
  local name = doc.metadata.name
  local spec = { containers = {} }
  for _, cname in ipairs(sorted_keys(doc.containers)) do
    spec.containers[cname] = convert_container(ctx, cname, doc.containers[cname], { "containers", cname }, base_dir)
  end
  if type(doc.service) == "table" and non_empty(doc.service.ports) then
    local ports = {}
    for _, pname in ipairs(sorted_keys(doc.service.ports)) do
      local p = doc.service.ports[pname]
      ports[pname] = { protocol = p.protocol or "TCP", service_port = p.port, container_port = p.targetPort or p.port }
    end
    spec.service = { ports = ports }
  end
  ext = ext or {}
  if type(ext.spec) == "table" then
    -- the extensions fill in what the translation left out; they never replace it (score-humanitec's merge)
    shape.merge(spec, ctx:substitute_all(ext.spec, { "(extensions)", "spec" }), false)
  end
  local module = { profile = type(ext.profile) == "string" and ext.profile or M.DEFAULT_PROFILE, spec = spec }
  if type(ext.deploy) == "table" then module.deploy = shape.copy(ext.deploy) end

  local externals, shared = {}, {}
  local resources = type(doc.resources) == "table" and doc.resources or {}
  for _, rname in ipairs(sorted_keys(resources)) do
    local res = resources[rname]
    if res.type ~= "environment" and res.type ~= "service" then
      local rpath = { "resources", rname }
      local workload, scope, id = parse_ref(resource_ref(rname, res))
      if workload == nil then
        fail(append(append(append(rpath, "metadata"), "annotations"), M.RESID_ANNOTATION),
          "'" .. resource_ref(rname, res) .. "' is not a resource reference ({scope}.{id} or "
          .. "modules.{workload}.{scope}.{id})")
      end
      -- a reference into another workload's module declares nothing here
      if not workload or workload == name then
        local value = { type = res.type, class = res.class or "default" }
        if non_empty(res.params) then value.params = ctx:substitute_all(res.params, append(rpath, "params")) end
        if scope == "externals" then
          externals[id] = value
        elseif scope == "shared" then
          shared[id] = value
        else
          fail(rpath, "'" .. resource_ref(rname, res) .. "' names neither externals nor shared")
        end
      end
    end
  end
  if next(externals) then module.externals = externals end
  return name, module, shared
end

--- Translates workloads into one delta. `entries` is a list of { doc = <shaped, valid document>,
--- extensions = <extensions table>?, base_dir = "..."? }. Returns the delta, or nil and { message, path,
--- entry } for the first thing that cannot be translated.
---@param entries table[]
---@param opts { env?: string, message?: string, mode?: "delta"|"workloads" }
---@return table? delta
---@return table? err
function M.translate(entries, opts)
  local delta = { metadata = {}, modules = { add = {} } }
  if opts.env then delta.metadata.env_id = opts.env end
  delta.metadata.name = opts.message
  local shared, shared_from = {}, {}
  for i, entry in ipairs(entries) do
    local ok, name, module, sh = pcall(convert_workload, entry.doc, entry.extensions, entry.base_dir)
    if not ok then
      if getmetatable(name) == Failure then
        return nil, { message = name.message, path = name.path, entry = i }
      end
      error(name, 0)
    end
    if delta.modules.add[name] then
      return nil, { message = "two Score files describe the workload '" .. name .. "'", path = { "metadata", "name" },
        entry = i }
    end
    delta.modules.add[name] = module
    for id, value in pairs(sh) do
      if shared[id] and json.encode(shared[id]) ~= json.encode(value) then
        return nil, { message = ("the shared resource '%s' is declared differently by '%s' and '%s'"):format(id,
          shared_from[id], name), path = { "resources" }, entry = i }
      end
      shared[id], shared_from[id] = value, shared_from[id] or name
    end
  end
  if next(shared) then
    delta.shared = json.array()
    for _, id in ipairs(sorted_keys(shared)) do
      delta.shared[#delta.shared + 1] = { op = "add", path = "/" .. id, value = shared[id] }
    end
  end
  return delta
end

-- The files of a Score document with `source` read into `content` (the platform cannot read the user's disk);
-- `noExpand` and `mode` stay as they are.
local function inline_sources(doc, base_dir)
  for cname, c in pairs(type(doc.containers) == "table" and doc.containers or {}) do
    for _, f in ipairs(by_target(type(c) == "table" and c.files)) do
      local file = f[2]
      if type(file) == "table" and file.source ~= nil then
        file.content = read_source(base_dir, file.source, { "containers", cname, "files", f[3], "source" })
        file.source = nil
      end
    end
  end
end

--- Generic Mode (API 0.28.37): the workloads carried as Score specs in `workloads.add`, interpreted by the
--- platform, with the files a `source` names read into `content`; the extensions' `spec` travels as the
--- Kubernetes extension.
---@param entries table[]
---@param opts { env?: string, message?: string }
---@return table? delta
---@return table? err
function M.workloads(entries, opts)
  local delta = { metadata = { name = opts.message }, workloads = { add = {} } }
  if opts.env then delta.metadata.env_id = opts.env end
  for i, entry in ipairs(entries) do
    local name = entry.doc.metadata.name
    if delta.workloads.add[name] then
      return nil, { message = "two Score files describe the workload '" .. name .. "'", path = { "metadata", "name" },
        entry = i }
    end
    local spec = shape.copy(entry.doc)
    local ok, failure = pcall(inline_sources, spec, entry.base_dir)
    if not ok then
      if getmetatable(failure) ~= Failure then error(failure, 0) end
      return nil, { message = failure.message, path = failure.path, entry = i }
    end
    local w = { spec = spec }
    local ext = entry.extensions
    if type(ext) == "table" and type(ext.spec) == "table" then w.extensions = { kubernetes = shape.copy(ext.spec) } end
    delta.workloads.add[name] = w
  end
  return delta
end

return M

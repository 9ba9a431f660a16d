--- Artefacts and their versions (container images and Score workloads), the deprecated image registry
-- view, and the conversion of a Score workload into Deployment Set content (`convertScoreToSet`).
--
-- Registering a version creates its artefact (by type and name) when missing. A workload version keeps its
-- Score spec and the set content it converts to, which `.../workload-deployment-set` answers. Multipart
-- bodies carry each field as a part; the `spec` and `extensions` parts must hold JSON.
local json = require "humanitec.json"
local U = require "humanitec.sim.util"
local score = require "humanitec.sim.score"

local M = {}

---@param sim table
function M.init(sim)
  sim.artefacts_of = {} -- org id -> { artefacts = {}, versions = {}, images = {} }
end

local function state(sim, req)
  local s = sim.artefacts_of[req.org.id]
  if not s then
    s = { artefacts = {}, versions = {}, images = {} }
    sim.artefacts_of[req.org.id] = s
  end
  return s
end

-- The parts of a multipart/form-data body as name -> text. One forward scan over the body.
local function multipart(req)
  local ctype = req.headers["content-type"] or ""
  local boundary = ctype:match('boundary="([^"]+)"') or ctype:match("boundary=([^;%s]+)")
  if not boundary then U.fail(400, "a multipart body needs a boundary") end
  local body, delim = req.body or "", "--" .. boundary
  local fields, pos = {}, 1
  local start = body:find(delim, pos, true)
  while start do
    local header_start = start + #delim
    if body:sub(header_start, header_start + 1) == "--" then break end
    local header_end = body:find("\r\n\r\n", header_start, true)
    if not header_end then U.fail(400, "a multipart part has no end of headers") end
    local next_start = body:find("\r\n" .. delim, header_end + 4, true)
    if not next_start then U.fail(400, "a multipart part does not end") end
    local headers = body:sub(header_start, header_end)
    local name = headers:match('[Nn]ame="([^"]*)"')
    if name then fields[name] = body:sub(header_end + 4, next_start - 1) end
    start = next_start + 2
  end
  return fields
end

local function read_body(req)
  local ctype = (req.headers["content-type"] or ""):lower()
  if not ctype:find("^multipart/form%-data") then return U.json_body(req) end
  local body = {}
  for name, text in pairs(multipart(req)) do
    if name == "spec" or name == "extensions" or name == "overrides" or name == "property_overrides" then
      local value = json.decode(text)
      if not U.is_object(value) then U.fail(400, "the multipart field '" .. name .. "' must hold a JSON object") end
      body[name] = value
    else
      body[name] = text
    end
  end
  return body
end

local function version_view(v)
  return {
    id = v.id, artefact_id = v.artefact_id, name = v.name, type = v.type, version = v.version, ref = v.ref,
    commit = v.commit, digest = v.digest, archived = v.archived, created_at = U.iso(v.created_at),
    created_by = v.created_by, updated_at = U.iso(v.updated_at), updated_by = v.updated_by,
  }
end

local function artefact_view(a)
  return { id = a.id, name = a.name, type = a.type, created_at = U.iso(a.created_at), created_by = a.created_by,
    updated_at = U.iso(a.updated_at), updated_by = a.updated_by }
end

local function convert(body)
  local spec = U.field(body, "spec", "table", true)
  return score.to_set(spec, { image = U.field(body, "image", "string"),
    extensions = U.field(body, "extensions", "table"), overrides = U.field(body, "overrides", "table"),
    property_overrides = U.field(body, "property_overrides", "table"),
    resource_type_aliases = U.field(body, "resource_type_aliases", "table") })
end

local function create_version(sim, req)
  local body = read_body(req)
  local kind = U.field(body, "type", "string", true)
  if kind ~= "container" and kind ~= "workload" then U.fail(400, "type must be 'container' or 'workload'") end
  local name = U.field(body, "name", "string", true)
  local commit = U.field(body, "commit", "string")
  if commit and not commit:find("^%x+$") then U.fail(400, "commit must be 5 to 40 hex digits") end
  local set = kind == "workload" and convert(body) or nil
  if U.query_bool(req, "dry_run") then return 204 end
  local s, now = state(sim, req), sim:now()
  local artefact
  for _, a in pairs(s.artefacts) do
    if a.type == kind and a.name == name then artefact = a end
  end
  if not artefact then
    artefact = { id = U.uuid(sim), name = name, type = kind, created_at = now, created_by = req.user.id,
      seq = sim:next_seq() }
    s.artefacts[artefact.id] = artefact
  end
  artefact.updated_at, artefact.updated_by = now, req.user.id
  local v = {
    id = U.uuid(sim), artefact_id = artefact.id, name = name, type = kind,
    version = U.field(body, "version", "string") or "", ref = U.field(body, "ref", "string") or "",
    commit = commit or "", digest = U.field(body, "digest", "string") or "", archived = false,
    created_at = now, created_by = req.user.id, updated_at = now, updated_by = req.user.id, seq = sim:next_seq(),
    spec = U.copy(body.spec), set = set,
  }
  s.versions[v.id] = v
  return 200, version_view(v)
end

local function matches(req, v)
  local name, ref, kind = U.query(req, "name"), U.query(req, "reference"), U.query(req, "type")
  local archived = U.query_bool(req, "archived")
  return (not name or v.name == name) and (not ref or v.ref == ref) and (not kind or v.type == kind)
    and (archived == nil or v.archived == archived)
end

local function list_versions(sim, req)
  local list = U.ordered(state(sim, req).versions, function(v) return matches(req, v) end)
  return 200, U.array(list, version_view)
end

local function find_version(sim, req, id)
  local v = state(sim, req).versions[id or req.params.artefactVersionId]
  if not v then U.fail(404, "artefact version '" .. tostring(id or req.params.artefactVersionId) .. "' not found") end
  return v
end

local function get_version(sim, req)
  return 200, version_view(find_version(sim, req))
end

local function workload_version(sim, req)
  local v = find_version(sim, req)
  if v.type ~= "workload" then U.fail(400, "artefact version '" .. v.id .. "' is not a workload") end
  return v
end

local function deployment_set(sim, req)
  return 200, U.copy(workload_version(sim, req).set)
end

local function workload_spec(sim, req)
  return 200, U.copy(workload_version(sim, req).spec)
end

local function find_artefact(sim, req)
  local a = state(sim, req).artefacts[req.params.artefactId]
  if not a then U.fail(404, "artefact '" .. req.params.artefactId .. "' not found") end
  return a
end

local function list_artefacts(sim, req)
  local name, kind = U.query(req, "name"), U.query(req, "type")
  local list = U.ordered(state(sim, req).artefacts, function(a)
    return (not name or a.name == name) and (not kind or a.type == kind)
  end)
  return 200, U.array(list, artefact_view)
end

local function delete_artefact(sim, req)
  local a = find_artefact(sim, req)
  local s = state(sim, req)
  for id, v in pairs(s.versions) do
    if v.artefact_id == a.id then s.versions[id] = nil end
  end
  s.artefacts[a.id] = nil
  return 204
end

local function artefact_versions(sim, req)
  local a = find_artefact(sim, req)
  local list = U.ordered(state(sim, req).versions, function(v) return v.artefact_id == a.id and matches(req, v) end)
  local limit = tonumber(U.query(req, "limit") or "")
  local out = json.array()
  for i = #list, 1, -1 do -- newest first
    if limit and #out >= limit then break end
    out[#out + 1] = version_view(list[i])
  end
  return 200, out
end

local function patch_version(sim, req)
  local a = find_artefact(sim, req)
  local v = find_version(sim, req, req.params.versionId)
  if v.artefact_id ~= a.id then U.fail(404, "version '" .. v.id .. "' is not a version of '" .. a.id .. "'") end
  local body = U.json_body(req)
  v.archived = U.field(body, "archived", "boolean", true)
  v.updated_at, v.updated_by = sim:now(), req.user.id
  return 200, version_view(v)
end

local function convert_score(_, req)
  return 200, convert(U.json_body(req))
end

-- The deprecated image view: one image per id, builds added by POST .../builds.

local function image_view(img)
  return { id = img.id, source = "api", added_at = U.iso(img.added_at), builds = U.array(img.builds, function(b)
    return { image = b.image, commit = b.commit, branch = b.branch, tags = U.array(b.tags),
      added_at = U.iso(b.added_at) }
  end) }
end

local function list_images(sim, req)
  return 200, U.array(U.ordered(state(sim, req).images), image_view)
end

local function find_image(sim, req)
  local img = state(sim, req).images[req.params.imageId]
  if not img then U.fail(404, "image '" .. req.params.imageId .. "' not found") end
  return img
end

local function get_image(sim, req)
  return 200, image_view(find_image(sim, req))
end

local function list_builds(sim, req)
  return 200, image_view(find_image(sim, req)).builds
end

local function add_build(sim, req)
  local body = U.json_body(req)
  local s = state(sim, req)
  local img = s.images[req.params.imageId]
  if not img then
    img = { id = req.params.imageId, added_at = sim:now(), builds = {}, seq = sim:next_seq() }
    s.images[img.id] = img
  end
  local tags = {}
  for _, t in ipairs(U.field(body, "tags", "array") or {}) do
    if type(t) == "string" then tags[#tags + 1] = t end
  end
  table.insert(img.builds, 1, { image = U.field(body, "image", "string") or "", commit = U.field(body, "commit",
    "string") or "", branch = U.field(body, "branch", "string") or "", tags = tags, added_at = sim:now() })
  return 204
end

---@param r table router
function M.routes(r)
  local base = "/orgs/{orgId}/artefact-versions"
  r:add("GET", base, list_versions)
  r:add("POST", base, create_version)
  r:add("POST", base .. "/convert-score", convert_score)
  r:add("GET", base .. "/{artefactVersionId}", get_version)
  r:add("GET", base .. "/{artefactVersionId}/workload-deployment-set", deployment_set)
  r:add("GET", base .. "/{artefactVersionId}/workload-spec", workload_spec)
  r:add("GET", "/orgs/{orgId}/artefacts", list_artefacts)
  r:add("DELETE", "/orgs/{orgId}/artefacts/{artefactId}", delete_artefact)
  r:add("GET", "/orgs/{orgId}/artefacts/{artefactId}/versions", artefact_versions)
  r:add("PATCH", "/orgs/{orgId}/artefacts/{artefactId}/versions/{versionId}", patch_version)
  r:add("GET", "/orgs/{orgId}/images", list_images)
  r:add("GET", "/orgs/{orgId}/images/{imageId}", get_image)
  r:add("GET", "/orgs/{orgId}/images/{imageId}/builds", list_builds)
  r:add("POST", "/orgs/{orgId}/images/{imageId}/builds", add_build)
end

return M

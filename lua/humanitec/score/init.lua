--- Score (score.dev, `apiVersion: score.dev/v1b1`) for Humanitec: read a `score.yaml`, validate it offline
--- against the Score schema, translate it into a Humanitec delta, deploy it (docs/score.md).
---
--- ```lua
--- local score = require "humanitec.score"
--- local doc = assert(score.load("score.yaml"))
--- local ok, err = score.validate(doc)   -- err.details: every problem, with its line
--- if not ok then error(score.format_problems(err)) end
--- local delta = assert(score.to_delta(doc, { envId = "development", image = "registry.example.com/web:2" }))
--- local d = assert(score.deploy(client, { doc = doc, appId = "shop", envId = "development", wait = true }))
--- ```
---
--- A document from `load` is a plain table (objects, arrays marked as humanitec.json marks them); where each
--- of its values came from (file name, lines) rides in its metatable, so `validate` can point into the file.
local json = require "humanitec.json"
local errors = require "humanitec.errors"
local jsonschema = require "humanitec.score.jsonschema"
local shape = require "humanitec.score.shape"
local translate = require "humanitec.score.delta"
local vocabulary = require "humanitec.vocabulary"
local yaml = require "humanitec.score.yaml"

local M = {}

---@class humanitec.score.Problem
---@field path (string|integer)[] keys and 0-based indices from the document's root
---@field yaml_path string the same, written `containers.main.files["/etc/x"].mode`
---@field line? integer where in the file (1-based), when the document came from `load`
---@field keyword string the schema keyword that failed
---@field message string what was expected

local Document = { __name = "humanitec.score.document" }

-- ---- loading --------------------------------------------------------------------------------------------

local function read_file(path)
  local f, msg = io.open(path, "rb")
  if not f then return nil, msg end
  local text = f:read("*a")
  f:close()
  return text
end

--- Decodes Score text (YAML or JSON). Returns the document, or nil and an error (kind "score") whose
--- `line` says where the text stops making sense.
---@param text string
---@param name? string the file name for messages
---@return table? doc
---@return humanitec.Error? err
function M.decode(text, name)
  if type(text) ~= "string" then
    error("bad argument #1 to 'decode' (string expected, got " .. type(text) .. ")", 2)
  end
  local value, err, where = yaml.decode(text, name)
  if err then
    return nil, errors.new { kind = "score", source = err.source, line = err.line,
      message = err.source .. (err.line and (":" .. err.line) or "") .. ": " .. err.message }
  end
  if type(value) ~= "table" or json.is_array(value) then
    return nil, errors.new { kind = "score", source = name or "<string>", line = 1,
      message = (name or "<string>") .. ":1: a Score document is a mapping, got " .. jsonschema.kind(value) }
  end
  return setmetatable(value, {
    __name = Document.__name, source = name or "<string>", lines = where.lines, key_lines = where.key_lines,
  })
end

--- Reads a Score file (YAML or JSON), or Score text when the argument holds a newline or starts with `{`.
---@param path_or_text string
---@return table? doc
---@return humanitec.Error? err
function M.load(path_or_text)
  if type(path_or_text) ~= "string" then
    error("bad argument #1 to 'load' (string expected, got " .. type(path_or_text) .. ")", 2)
  end
  if path_or_text:find("\n", 1, true) or path_or_text:match("^%s*{") then
    return M.decode(path_or_text)
  end
  local text, msg = read_file(path_or_text)
  if not text then
    return nil, errors.new { kind = "score", source = path_or_text, message = msg }
  end
  return M.decode(text, path_or_text)
end

-- ---- paths and lines ------------------------------------------------------------------------------------

--- A path as people write it: `containers.main.files["/etc/app.conf"].mode`, `args[0]`.
---@param path (string|integer)[]
---@return string
function M.yaml_path(path)
  local out = {}
  for i, seg in ipairs(path) do
    if type(seg) == "number" then
      out[#out + 1] = "[" .. seg .. "]"
    elseif seg:match("^[%a_][%w_-]*$") then
      out[#out + 1] = (i > 1 and "." or "") .. seg
    else
      out[#out + 1] = '["' .. seg:gsub('[\\"]', "\\%0") .. '"]'
    end
  end
  return #out > 0 and table.concat(out) or "(document)"
end

--- The line of the value at `path` in a document from `load`, or of its nearest ancestor that has one.
--- `key` asks for the line of the key that names it, when it has one.
---@param doc table
---@param path (string|integer)[]
---@param key? boolean
---@return integer?
function M.line_of(doc, path, key)
  local mt = getmetatable(doc)
  if type(mt) ~= "table" or mt.__name ~= Document.__name then return nil end
  local pointers = { "" }
  for i, seg in ipairs(path) do
    pointers[i + 1] = pointers[i] .. "/" .. yaml.escape_token(tostring(seg))
  end
  for i = #pointers, 1, -1 do
    local p = pointers[i]
    local line = (key and i == #pointers and mt.key_lines[p]) or mt.lines[p]
    if line then return line end
  end
  return nil
end

--- The file name a document from `load` came from.
---@param doc table
---@return string?
function M.source_of(doc)
  local mt = getmetatable(doc)
  return type(mt) == "table" and mt.__name == Document.__name and mt.source or nil
end

-- ---- validating ------------------------------------------------------------------------------------------

local validator -- compiled on first use

local function score_validator()
  if not validator then
    validator = jsonschema.compile(require "humanitec.score.schema")
  end
  return validator
end

-- Adds yaml_path and line to each problem, and sorts them by line.
local function place(doc, problems)
  for _, p in ipairs(problems) do
    p.yaml_path = M.yaml_path(p.path)
    -- the line of the key that names the value: for a block mapping or a block scalar, the value starts
    -- below it, where the reader would not look
    p.line = M.line_of(doc, p.path, true)
    p.property_name = nil
  end
  table.sort(problems, function(a, b)
    if (a.line or 0) ~= (b.line or 0) then return (a.line or 0) < (b.line or 0) end
    return a.yaml_path < b.yaml_path
  end)
  return problems
end

--- Validates a document against the Score schema, offline. Returns true, nil, and the warnings (uses of forms
--- the schema marks deprecated, such as the list form of `files`, each a humanitec.score.Problem); or nil and
--- an error (kind "score") whose `details` lists every problem (humanitec.score.Problem) in the order of their
--- lines. `strict` makes the warnings problems.
---@param doc table a document from `load`, or any decoded table
---@param opts? { strict?: boolean }
---@return boolean? ok
---@return humanitec.Error? err
---@return humanitec.score.Problem[]? warnings
function M.validate(doc, opts)
  if type(doc) ~= "table" then
    error("bad argument #1 to 'validate' (table expected, got " .. type(doc) .. ")", 2)
  end
  if opts ~= nil and type(opts) ~= "table" then
    error("bad argument #2 to 'validate' (table expected, got " .. type(opts) .. ")", 2)
  end
  local ok, problems, notes = score_validator():validate(doc)
  if ok and opts and opts.strict and #notes > 0 then
    ok, problems = false, notes
  end
  if ok then return true, nil, place(doc, notes) end
  place(doc, problems)
  local source = M.source_of(doc) or "<document>"
  local first = problems[1]
  local message = ("%s%s: %s: %s"):format(source, first.line and (":" .. first.line) or "", first.yaml_path,
    first.message)
  if #problems > 1 then
    message = message .. (" (and %d more problem%s)"):format(#problems - 1, #problems == 2 and "" or "s")
  end
  return nil, errors.new { kind = "score", source = source, message = message, details = problems }
end

--- Every problem of a validation error, one per line: `score.yaml:12: containers.main.image: expected ...`.
---@param err humanitec.Error
---@return string
function M.format_problems(err)
  if type(err) ~= "table" then
    error("bad argument #1 to 'format_problems' (error expected, got " .. type(err) .. ")", 2)
  end
  if type(err.details) ~= "table" then return err.message end
  local out = {}
  for _, p in ipairs(err.details) do
    out[#out + 1] = ("%s%s: %s: %s"):format(err.source or "<document>", p.line and (":" .. p.line) or "",
      p.yaml_path, p.message)
  end
  return table.concat(out, "\n")
end

-- ---- translating ----------------------------------------------------------------------------------------

---@class humanitec.score.ToDeltaOptions
---@field envId? string the environment the delta is meant for (metadata.env_id)
---@field message? string the delta's name; "Deployed from Score" by default
---@field extensions? table|string Humanitec's extensions (`apiVersion: humanitec.org/v1b1`): a table or a file
---@field overrides? table|string a Score fragment deep-merged over each document (values win): a table or a file
---@field properties? (string|table)[] "path=value" edits (value read as YAML), "path" to remove, or {path, value}
---@field image? string the image of containers whose image is ".", or of the only container
---@field mode? "delta"|"workloads" modules (the default) or Generic Mode's workloads
---@field validate? boolean false skips validating the shaped documents (true by default)
---@field base_dir? string|false where a file's `source` is read from (the Score file's folder by default); false
---reads no file, and a `source` is an error
---@field resource_type_aliases? table<string, string> resource types renamed before the translation (alias -> type)

local function score_error(fields)
  fields.kind = "score"
  return errors.new(fields)
end

-- A table or a file name for a YAML document (extensions, overrides).
local function yaml_input(v, what)
  if type(v) == "table" then return v end
  local doc, err = M.load(v)
  if not doc then
    return nil, score_error { message = what .. ": " .. err.message, source = err.source, line = err.line }
  end
  return doc
end

local function check_extensions(ext, source)
  local function bad(msg)
    return nil, score_error { message = (source or "extensions") .. ": " .. msg, source = source }
  end
  if ext.apiVersion ~= "humanitec.org/v1b1" then
    return bad("apiVersion must be humanitec.org/v1b1, got " .. jsonschema.show(ext.apiVersion or json.null))
  end
  if ext.profile ~= nil and type(ext.profile) ~= "string" then return bad("profile must be a string") end
  if ext.spec ~= nil and not shape.is_map(ext.spec) then return bad("spec must be a map") end
  if ext.deploy ~= nil and not shape.is_map(ext.deploy) then return bad("deploy must be a map") end
  return ext
end

local function dirname(path)
  return path and path:match("^(.*)/[^/]*$") or "."
end

-- Copies `doc`, applies overrides, properties and image, keeping the document's lines for messages.
local function shape_doc(doc, entry)
  local mt = getmetatable(doc)
  local out = shape.copy(doc)
  if entry.overrides then
    local ovr, err = yaml_input(entry.overrides, "overrides")
    if not ovr then return nil, err end
    shape.merge(out, ovr, true)
  end
  for _, p in ipairs(entry.properties or {}) do
    local ok, msg = shape.set_property(out, p)
    if not ok then return nil, score_error { message = msg } end
  end
  if entry.image then
    local ok, msg = shape.set_image(out, entry.image)
    if not ok then return nil, score_error { message = msg } end
  end
  local dot = shape.dot_image(out)
  if dot then
    return nil, score_error { message = ("container '%s' has image '.', which stands for the image given at deploy "
      .. "time: give one (--image)"):format(dot) }
  end
  if entry.aliases then shape.alias_types(out, entry.aliases) end
  if type(mt) == "table" and mt.__name == Document.__name then setmetatable(out, mt) end
  return out
end

-- The options of to_delta, and their types.
local TO_DELTA_OPTIONS = {
  envId = "string", message = "string", extensions = "table|string", overrides = "table|string",
  properties = "table", image = "string", mode = "string", validate = "boolean", base_dir = "string|boolean",
  resource_type_aliases = "table",
}

local function is_document(v)
  return type(v) == "table" and (v.apiVersion ~= nil or v.metadata ~= nil or v.containers ~= nil)
end

--- Translates one or several Score documents into one Humanitec deployment delta (docs/score.md says how,
--- field by field). `docs` is a document from `load`, a list of them, or a list of entries
--- `{ doc, extensions =, overrides =, properties =, image = }` whose fields override `opts` for that document.
--- Returns the delta, or nil and an error (kind "score") that names the file, line and path at fault.
---@param docs table
---@param opts? humanitec.score.ToDeltaOptions
---@return table? delta
---@return humanitec.Error? err
function M.to_delta(docs, opts)
  if type(docs) ~= "table" then
    error("bad argument #1 to 'to_delta' (Score document or list expected, got " .. type(docs) .. ")", 2)
  end
  opts = opts or {}
  if type(opts) ~= "table" then error("bad argument #2 to 'to_delta' (table expected, got " .. type(opts) .. ")", 2) end
  vocabulary.check_fields("to_delta", opts, TO_DELTA_OPTIONS, 2, { env = "envId" }, 2)
  if opts.mode ~= nil and opts.mode ~= "delta" and opts.mode ~= "workloads" then
    error("bad field 'mode' to 'to_delta' (\"delta\" or \"workloads\" expected, got " .. tostring(opts.mode) .. ")", 2)
  end
  local list = is_document(docs) and { docs } or docs
  if #list == 0 then error("bad argument #1 to 'to_delta' (no Score document given)", 2) end
  local entries = {}
  for i, item in ipairs(list) do
    local entry = is_document(item) and { doc = item } or item
    local doc = entry.doc or entry[1]
    if not is_document(doc) then
      error(("bad argument #1 to 'to_delta' (item %d is neither a Score document nor an entry with one)"):format(i), 2)
    end
    local function pick(k)
      if entry[k] ~= nil then return entry[k] end
      return opts[k]
    end
    local shaped, err = shape_doc(doc, { overrides = pick("overrides"), properties = pick("properties"),
      image = pick("image"), aliases = opts.resource_type_aliases })
    if not shaped then return nil, err end
    if opts.validate ~= false then
      local ok, verr = M.validate(shaped)
      if not ok then return nil, verr end
    end
    local ext = pick("extensions")
    if ext ~= nil then
      local source = type(ext) == "string" and ext or nil
      ext, err = yaml_input(ext, "extensions")
      if not ext then return nil, err end
      ext, err = check_extensions(ext, source)
      if not ext then return nil, err end
    end
    local base_dir = pick("base_dir")
    if base_dir == nil or base_dir == true then base_dir = dirname(M.source_of(doc)) end
    entries[i] = { doc = shaped, extensions = ext, base_dir = base_dir }
  end
  local topts = { env = opts.envId, message = opts.message or "Deployed from Score" }
  local delta, err
  if opts.mode == "workloads" then
    delta, err = translate.workloads(entries, topts)
  else
    delta, err = translate.translate(entries, topts)
  end
  if delta then return delta end
  local doc = entries[err.entry].doc
  local source = M.source_of(doc) or "<document>"
  local line = err.path[1] ~= "(extensions)" and M.line_of(doc, err.path, true) or nil
  local where = M.yaml_path(err.path)
  if err.path[1] == "(extensions)" then
    local rest = {}
    for i = 2, #err.path do rest[#rest + 1] = err.path[i] end
    where = "extensions: " .. M.yaml_path(rest)
  end
  return nil, score_error { source = source, line = line, path = err.path, yaml_path = where,
    message = ("%s%s: %s: %s"):format(source, line and (":" .. line) or "", where, err.message) }
end

--- Deploys Score files to an environment: `humanitec.score.deploy` (docs/score.md). Returns the deployment, nil,
--- and the delta; a dry run returns the delta and sends nothing.
---@param client table
---@param opts humanitec.score.DeployOptions
---@return table? deployment_or_delta
---@return humanitec.Error? err
---@return table? delta
function M.deploy(client, opts)
  return require("humanitec.score.deploy").deploy(client, opts)
end

return M

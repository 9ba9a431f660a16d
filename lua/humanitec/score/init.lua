--- Score (score.dev, `apiVersion: score.dev/v1b1`) for Humanitec: read a `score.yaml`, validate it offline
--- against the Score schema, translate it into a Humanitec delta, deploy it.
---
---     local score = require "humanitec.score"
---     local doc, err = score.load("score.yaml")
---     local ok, verr = score.validate(doc)   -- verr.details: every error, with its line
---
--- A document from `load` is a plain table (objects, arrays marked as humanitec.json marks them); where each
--- of its values came from (file name, lines) rides in its metatable, so `validate` can point into the file.
local json = require "humanitec.json"
local errors = require "humanitec.errors"
local jsonschema = require "humanitec.score.jsonschema"
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

--- Validates a document against the Score schema, offline. Returns true, or nil and an error (kind "score")
--- whose `details` lists every problem (humanitec.score.Problem), in the order of their lines.
---@param doc table a document from `load`, or any decoded table
---@return boolean? ok
---@return humanitec.Error? err
function M.validate(doc)
  if type(doc) ~= "table" then
    error("bad argument #1 to 'validate' (table expected, got " .. type(doc) .. ")", 2)
  end
  local ok, problems = score_validator():validate(doc)
  if ok then return true end
  local source = M.source_of(doc) or "<document>"
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

return M

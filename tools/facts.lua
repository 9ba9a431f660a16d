-- facts.lua: makes the project's facts-only copies of the upstream API description and JSON Schemas.
--
--   lua5.4 tools/facts.lua openapi    <upstream openapi.json>  <out.json>   (make facts)
--   lua5.4 tools/facts.lua jsonschema <upstream schema.json>   <out.json>   (make score-facts)
--
-- The copy keeps what a program needs to know about the API or to validate a document: paths, methods,
-- operationIds, parameters, request and response schemas (types, required fields, enums, patterns, formats,
-- items, properties, additionalProperties, oneOf/anyOf/allOf, $ref, nullable, bounds), status codes and
-- content types. Prose never travels: description, summary, title, example(s), externalDocs, $comment and
-- the x- display extensions are dropped. Every key is placed by where it stands (a schema, a parameter, an
-- operation, ...): one that the tool does not know stops it, so a new kind of fact is never dropped silently.
--
-- OpenAPI requires two fields that are only for people, `info.title` and a response's `description`; the copy
-- leaves them out too, so a tool that insists on them gets them from whoever feeds it the copy (the contract
-- suite adds them for Prism, spec/support/contract/cases.lua).
--
-- The output is deterministic: keys sorted, two-space indentation, numbers written the same way for the same
-- value, one trailing newline. The same upstream file always gives the same bytes.

local cjson = require("cjson")
-- tools/lib: the helpers the generators share.
package.path = (arg[0]:match("^(.*)/[^/]*$") or ".") .. "/lib/?.lua;" .. package.path
local gen = require "gen"
local sorted_keys, is_sequence = gen.sorted_keys, gen.is_sequence
local tool = gen.tool("facts")
local fail = tool.fail

local ARRAY = {} -- metatable marking the tables this tool builds as JSON arrays (an empty one stays `[]`)

local function is_null(v)
  return v == cjson.null
end

-- Values copied as they are (enum members, defaults, consts). An empty table there is ambiguous after
-- lua-cjson has decoded it (`[]` or `{}`), so it stops the tool rather than guess.
local function raw(v, where)
  if type(v) ~= "table" then
    return v
  end
  if next(v) == nil then
    fail("%s: an empty array or object in a value; the tool cannot tell which", where)
  end
  local out = {}
  if is_sequence(v) then
    for i, x in ipairs(v) do
      out[i] = raw(x, where .. "/" .. i)
    end
    return setmetatable(out, ARRAY)
  end
  for k, x in pairs(v) do
    out[k] = raw(x, where .. "/" .. k)
  end
  return out
end

local function list_of(v, where, each)
  if type(v) ~= "table" or (next(v) ~= nil and not is_sequence(v)) then
    fail("%s: expected an array", where)
  end
  local out = setmetatable({}, ARRAY)
  for i, x in ipairs(v) do
    out[i] = each(x, where .. "/" .. (i - 1))
  end
  return out
end

local function map_of(v, where, each)
  if type(v) ~= "table" or is_sequence(v) then
    fail("%s: expected an object", where)
  end
  local out = {}
  for k, x in pairs(v) do
    out[k] = each(x, where .. "/" .. k)
  end
  return out
end

-- Copies the keys of `node` that `rules` names, each through its rule; drops the keys in `drop`.
local function object(node, where, rules, drop)
  if type(node) ~= "table" or (next(node) ~= nil and is_sequence(node)) then
    fail("%s: expected an object", where)
  end
  local out = {}
  for _, k in ipairs(sorted_keys(node)) do
    local rule = rules[k]
    if rule then
      out[k] = rule(node[k], where .. "/" .. k)
    elseif not (drop[k] or (type(k) == "string" and k:sub(1, 2) == "x-" and drop["x-*"])) then
      fail("%s: unknown key %q (add it to the facts or to the prose in tools/facts.lua)", where, tostring(k))
    end
  end
  return out
end

local PROSE = { description = true, summary = true, title = true, example = true, examples = true,
  externalDocs = true, ["$comment"] = true, ["x-*"] = true }

-- JSON Schema (draft 2020-12, and the OpenAPI 3.0 dialect) -------------------------------------------------

local schema
local SCHEMA = {}

local function schema_or_bool(v, where)
  if type(v) == "boolean" then
    return v
  end
  return schema(v, where)
end

local function schema_list(v, where)
  return list_of(v, where, schema)
end

local function schema_map(v, where)
  return map_of(v, where, schema)
end

for _, k in ipairs({ "type", "format", "pattern", "enum", "const", "default", "required", "nullable", "readOnly",
  "writeOnly", "deprecated", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength",
  "maxLength", "minItems", "maxItems", "uniqueItems", "minProperties", "maxProperties", "minContains", "maxContains",
  "$ref", "$schema", "$id", "$anchor", "$dynamicRef", "$dynamicAnchor", "dependentRequired", "contentEncoding",
  "contentMediaType" }) do
  SCHEMA[k] = raw
end
for _, k in ipairs({ "items", "additionalProperties", "additionalItems", "unevaluatedProperties",
  "unevaluatedItems", "not", "propertyNames", "contains", "if", "then", "else" }) do
  SCHEMA[k] = schema_or_bool
end
for _, k in ipairs({ "allOf", "anyOf", "oneOf", "prefixItems" }) do
  SCHEMA[k] = schema_list
end
for _, k in ipairs({ "properties", "patternProperties", "$defs", "definitions", "dependentSchemas" }) do
  SCHEMA[k] = schema_map
end
SCHEMA.discriminator = function(v, where)
  return object(v, where, { propertyName = raw, mapping = raw }, {})
end

schema = function(node, where)
  return object(node, where, SCHEMA, PROSE)
end

-- OpenAPI 3.0 ----------------------------------------------------------------------------------------------

local function media(v, where)
  return object(v, where, { schema = schema, encoding = raw }, PROSE)
end

local function content(v, where)
  return map_of(v, where, media)
end

local PARAMETER = { ["$ref"] = raw, name = raw, ["in"] = raw, required = raw, deprecated = raw,
  allowEmptyValue = raw, style = raw, explode = raw, allowReserved = raw, schema = schema, content = content }
local function parameter(v, where)
  return object(v, where, PARAMETER, PROSE)
end

local HEADER = { ["$ref"] = raw, required = raw, deprecated = raw, style = raw, explode = raw, schema = schema,
  content = content }
local function header(v, where)
  return object(v, where, HEADER, PROSE)
end

local function request_body(v, where)
  return object(v, where, { ["$ref"] = raw, required = raw, content = content }, PROSE)
end

local function response(v, where)
  return object(v, where, { ["$ref"] = raw, content = content, headers = function(h, w)
    return map_of(h, w, header)
  end }, PROSE)
end

local OPERATION = {
  operationId = raw, tags = raw, deprecated = raw, security = raw,
  parameters = function(v, where) return list_of(v, where, parameter) end,
  requestBody = request_body,
  responses = function(v, where) return map_of(v, where, response) end,
}
local function operation(v, where)
  return object(v, where, OPERATION, PROSE)
end

local PATH_ITEM = { ["$ref"] = raw, parameters = OPERATION.parameters }
for _, m in ipairs({ "get", "put", "post", "delete", "options", "head", "patch", "trace" }) do
  PATH_ITEM[m] = operation
end
local function path_item(v, where)
  return object(v, where, PATH_ITEM, PROSE)
end

local function security_scheme(v, where)
  return object(v, where, { type = raw, scheme = raw, bearerFormat = raw, name = raw, ["in"] = raw,
    openIdConnectUrl = raw, flows = raw }, PROSE)
end

local COMPONENTS = {
  schemas = schema_map,
  parameters = function(v, where) return map_of(v, where, parameter) end,
  responses = function(v, where) return map_of(v, where, response) end,
  requestBodies = function(v, where) return map_of(v, where, request_body) end,
  headers = function(v, where) return map_of(v, where, header) end,
  securitySchemes = function(v, where) return map_of(v, where, security_scheme) end,
}

local DOCUMENT = {
  openapi = raw,
  -- The version names the API release the facts describe.
  info = function(v, where)
    return object(v, where, { version = raw }, { title = true, description = true, contact = true, license = true,
      termsOfService = true, ["x-*"] = true })
  end,
  servers = function(v, where)
    return list_of(v, where, function(s, w) return object(s, w, { url = raw, variables = raw }, PROSE) end)
  end,
  paths = function(v, where) return map_of(v, where, path_item) end,
  components = function(v, where) return object(v, where, COMPONENTS, PROSE) end,
  security = raw,
  -- The tags operations name, for grouping (docs/operations.md); their descriptions and display names stay.
  tags = function(v, where)
    return list_of(v, where, function(t, w) return object(t, w, { name = raw }, PROSE) end)
  end,
  ["x-tagGroups"] = function(v, where)
    return list_of(v, where, function(g, w) return object(g, w, { name = raw, tags = raw }, PROSE) end)
  end,
}

local function openapi(doc)
  local out = object(doc, "#", DOCUMENT, PROSE)
  if type(out.paths) ~= "table" or type(out.info) ~= "table" or type(out.info.version) ~= "string" then
    fail("the input does not look like an OpenAPI document (paths, info.version)")
  end
  return out
end

local function jsonschema(doc)
  return schema(doc, "#")
end

-- Deterministic JSON -------------------------------------------------------------------------------------

local ESCAPES = { ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f", ["\n"] = "\\n", ["\r"] = "\\r",
  ["\t"] = "\\t" }

local function encode_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return ESCAPES[c] or string.format("\\u%04x", c:byte())
  end) .. '"'
end

local function encode_number(x)
  if x ~= x or x == math.huge or x == -math.huge then
    fail("a number JSON cannot carry: %s", tostring(x))
  end
  if x == math.floor(x) and math.abs(x) < 2 ^ 53 then
    return string.format("%d", x)
  end
  for _, digits in ipairs({ 15, 16, 17 }) do
    local s = string.format("%." .. digits .. "g", x)
    if tonumber(s) == x then
      return s
    end
  end
end

local function scalar(v)
  if v == nil or is_null(v) then
    return "null"
  elseif type(v) == "boolean" then
    return tostring(v)
  elseif type(v) == "number" then
    return encode_number(v)
  elseif type(v) == "string" then
    return encode_string(v)
  end
end

local function encode(v, indent, out)
  local s = type(v) ~= "table" and scalar(v) or (is_null(v) and "null")
  if s then
    out[#out + 1] = s
    return
  end
  local inner = indent .. "  "
  if getmetatable(v) == ARRAY or is_sequence(v) then
    if #v == 0 then
      out[#out + 1] = "[]"
      return
    end
    -- A short list of scalars (an enum, `required`, a type union) stays on one line.
    local flat, all_scalar = {}, true
    for i, x in ipairs(v) do
      flat[i] = type(x) ~= "table" and scalar(x) or nil
      all_scalar = all_scalar and flat[i] ~= nil
    end
    if all_scalar then
      out[#out + 1] = "[" .. table.concat(flat, ", ") .. "]"
      return
    end
    out[#out + 1] = "[\n"
    for i, x in ipairs(v) do
      out[#out + 1] = inner
      encode(x, inner, out)
      out[#out + 1] = i < #v and ",\n" or "\n"
    end
    out[#out + 1] = indent .. "]"
    return
  end
  local keys = sorted_keys(v)
  if #keys == 0 then
    out[#out + 1] = "{}"
    return
  end
  out[#out + 1] = "{\n"
  for i, k in ipairs(keys) do
    out[#out + 1] = inner .. encode_string(k) .. ": "
    encode(v[k], inner, out)
    out[#out + 1] = i < #keys and ",\n" or "\n"
  end
  out[#out + 1] = indent .. "}"
end

-- Main -----------------------------------------------------------------------------------------------------

local MODES = { openapi = openapi, jsonschema = jsonschema }

local function main(argv)
  local mode, input, output = argv[1], argv[2], argv[3]
  if not (MODES[mode] and input and output) then
    io.stderr:write("usage: lua5.4 tools/facts.lua openapi|jsonschema <upstream.json> <out.json>\n")
    os.exit(2)
  end
  local out = {}
  encode(MODES[mode](tool.read_json(input)), "", out)
  out[#out + 1] = "\n"
  tool.write_file(output, table.concat(out))
end

main(arg)

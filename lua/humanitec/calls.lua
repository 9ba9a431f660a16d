--- The request builder: turns an operation from the generated table (humanitec.operations) and a params table
--- into the arguments of client:request(method, path, opts). Pure Lua, no I/O: everything that can be checked
--- against the spec (required, unknown, typed and enumerated parameters, header values, the body) is checked
--- here, before anything is sent.
---
--- Parameters use the spec's names (`orgId`, `appId`, `per_page`, `Idempotency-Key`, ...). Two keys are the
--- builder's own: `body` (the request body) and `content_type` (which of the operation's request content types
--- to send, for the few operations that accept more than one; JSON is the default).
local url = require("humanitec.url")
local vocabulary = require("humanitec.vocabulary")

local M = {}

-- The operation table is loaded on first use: it is most of what `require "humanitec"` would cost.
local by_name, by_operation_id

---@class humanitec.OperationParam
---@field name string the spec's name
---@field ["in"] "path"|"query"|"header"
---@field required boolean
---@field type "string"|"integer"|"number"|"boolean"|"array"|"object"
---@field enum? any[]
---@field items? {type: string, enum?: any[]} array item type
---@field values? {type: string} object value type
---@field style? "form"|"deepObject" query arrays and objects
---@field explode? boolean

---@class humanitec.Operation
---@field name string
---@field operation_id? string
---@field method string
---@field path string template relative to the base URL, e.g. "/orgs/{orgId}/apps"
---@field tags string[]
---@field deprecated boolean
---@field paginated boolean
---@field list? boolean true when the success answer is a JSON array (what each and all walk)
---@field pagination? {page: boolean, per_page: boolean, link: boolean}
---@field params humanitec.OperationParam[]
---@field body? {required: boolean, content_types: string[], json_type?: string}
---@field responses {status: integer[], content_types: string[]}

---@class humanitec.RequestOptions
---@field query? table<string, string|string[]>
---@field headers? table<string, string>
---@field body? any a Lua value for the client to encode as JSON
---@field raw_body? string
---@field content_type? string
---@field timeout? number seconds for this request (the client's timeout by default)

--- Looks an operation up by its snake_case name or by the spec's operationId.
---@param name_or_operation_id string e.g. "list_applications" or "listApplications"
---@return humanitec.Operation|nil
function M.find(name_or_operation_id)
  if type(name_or_operation_id) ~= "string" then
    error("bad argument #1 to 'find' (string expected, got " .. type(name_or_operation_id) .. ")", 2)
  end
  if not by_name then
    local operations = require("humanitec.operations")
    by_name, by_operation_id = operations.operations, operations.by_operation_id
  end
  return by_name[name_or_operation_id] or by_operation_id[name_or_operation_id]
end

-- Build failures travel as tables with this metatable up to M.build, which raises them at the caller's level.
local Failure = {}

local function label(op)
  if op.operation_id then
    return op.name .. " (" .. op.operation_id .. ")"
  end
  return op.name
end

local function fail(op, fmt, ...)
  error(setmetatable({ message = "humanitec: " .. label(op) .. ": " .. fmt:format(...) }, Failure), 0)
end

-- Per operation: its parameters by name. Built once, on first use.
local index_cache = setmetatable({}, { __mode = "k" })

local function param_index(op)
  local index = index_cache[op]
  if not index then
    index = {}
    for _, p in ipairs(op.params) do
      index[p.name] = p
    end
    index_cache[op] = index
  end
  return index
end

local function suggestion(op, name)
  local names = {}
  for i, p in ipairs(op.params) do names[i] = p.name end
  if op.body then
    names[#names + 1] = "body"
    names[#names + 1] = "content_type"
  end
  return vocabulary.suggest(name, names)
end

local function quote(v)
  if type(v) == "string" then
    return ("%q"):format(v)
  end
  return tostring(v)
end

local function is_finite(n)
  return n == n and n ~= math.huge and n ~= -math.huge
end

local function is_integral(n)
  return type(n) == "number" and is_finite(n) and n % 1 == 0
end

-- The shortest decimal form that reads back as the same number.
local function number_string(n)
  if is_integral(n) and n >= -2 ^ 53 and n <= 2 ^ 53 then
    return ("%d"):format(n)
  end
  for precision = 15, 17 do
    local s = ("%." .. precision .. "g"):format(n)
    if tonumber(s) == n then
      return s
    end
  end
  return ("%.17g"):format(n)
end

-- Checks one scalar against a spec type and enum; returns its string form for the URL or a header.
local function scalar(op, what, value, ptype, enum)
  local kind = type(value)
  local text
  if ptype == "string" then
    if kind ~= "string" then
      fail(op, "%s must be a string, got %s", what, kind)
    end
    text = value
  elseif ptype == "integer" then
    if not is_integral(value) then
      fail(op, "%s must be an integer, got %s", what, kind == "number" and tostring(value) or kind)
    end
    text = number_string(value)
  elseif ptype == "number" then
    if kind ~= "number" or not is_finite(value) then
      fail(op, "%s must be a finite number, got %s", what, kind == "number" and tostring(value) or kind)
    end
    text = number_string(value)
  elseif ptype == "boolean" then
    if kind ~= "boolean" then
      fail(op, "%s must be a boolean, got %s", what, kind)
    end
    text = tostring(value)
  else
    fail(op, "%s has type %s, which cannot be sent as a single value", what, tostring(ptype))
  end
  if enum then
    local found = false
    for _, allowed in ipairs(enum) do
      if allowed == value then
        found = true
        break
      end
    end
    if not found then
      local list = {}
      for i, allowed in ipairs(enum) do
        list[i] = quote(allowed)
      end
      fail(op, "%s must be one of %s, got %s", what, table.concat(list, ", "), quote(value))
    end
  end
  return text
end

-- A Lua sequence 1..n without holes or other keys; returns n, or nil.
local function sequence_length(t)
  local n = 0
  for k in pairs(t) do
    if type(k) ~= "number" or k < 1 or k % 1 ~= 0 then
      return nil
    end
    n = n + 1
  end
  for i = 1, n do
    if t[i] == nil then
      return nil
    end
  end
  return n
end

local function sorted_string_keys(op, what, t)
  local keys = {}
  for k in pairs(t) do
    if type(k) ~= "string" then
      fail(op, "%s must have string keys, got a %s key", what, type(k))
    end
    keys[#keys + 1] = k
  end
  table.sort(keys)
  return keys
end


local function add_query_param(op, p, value, query)
  local what = "parameter '" .. p.name .. "'"
  if p.type == "array" then
    if type(value) ~= "table" then
      fail(op, "%s must be an array (a Lua sequence), got %s", what, type(value))
    end
    local n = sequence_length(value)
    if not n then
      fail(op, "%s must be an array (a Lua sequence 1..n), got a table with other keys", what)
    end
    local items = {}
    for i = 1, n do
      items[i] = scalar(op, what .. " item " .. i, value[i], p.items and p.items.type or "string",
        p.items and p.items.enum)
    end
    if n == 0 then
      return
    end
    if p.explode == false then
      query[p.name] = table.concat(items, ",")
    else
      query[p.name] = items
    end
  elseif p.type == "object" then
    if type(value) ~= "table" then
      fail(op, "%s must be a table of string keys, got %s", what, type(value))
    end
    local vtype = p.values and p.values.type or "string"
    local keys = sorted_string_keys(op, what, value)
    if p.style == "deepObject" then
      for _, k in ipairs(keys) do
        query[p.name .. "[" .. k .. "]"] = scalar(op, what .. " key '" .. k .. "'", value[k], vtype)
      end
    elseif p.explode == false then
      local parts = {}
      for _, k in ipairs(keys) do
        parts[#parts + 1] = k
        parts[#parts + 1] = scalar(op, what .. " key '" .. k .. "'", value[k], vtype)
      end
      if #parts > 0 then
        query[p.name] = table.concat(parts, ",")
      end
    else
      for _, k in ipairs(keys) do
        query[k] = scalar(op, what .. " key '" .. k .. "'", value[k], vtype)
      end
    end
  else
    query[p.name] = scalar(op, what, value, p.type, p.enum)
  end
end

local function no_line_breaks(op, what, s)
  if s:find("[\r\n%z]") then
    fail(op, "%s must not contain CR, LF or NUL", what)
  end
end

local function multipart_token(op, what, s)
  no_line_breaks(op, what, s)
  return (s:gsub('"', "%%22"))
end

-- Encodes fields as a multipart/form-data body. Fields go in name order; a file part is a table with
-- `content` (and optional `filename`, default the field name, and `content_type`, default
-- application/octet-stream). The boundary is the first of a fixed series that occurs in no part.
local function encode_multipart(op, fields)
  if type(fields) ~= "table" then
    fail(op, "the multipart body must be a table of fields, got %s", type(fields))
  end
  local parts, contents = {}, {}
  for _, name in ipairs(sorted_string_keys(op, "the multipart body", fields)) do
    local value = fields[name]
    local what = "multipart field '" .. name .. "'"
    local head = 'Content-Disposition: form-data; name="' .. multipart_token(op, what .. " name", name) .. '"'
    local content
    local kind = type(value)
    if kind == "string" then
      content = value
    elseif kind == "number" then
      if not is_finite(value) then
        fail(op, "%s must be a finite number", what)
      end
      content = number_string(value)
    elseif kind == "boolean" then
      content = tostring(value)
    elseif kind == "table" and type(value.content) == "string" then
      for k in pairs(value) do
        if k ~= "content" and k ~= "filename" and k ~= "content_type" then
          fail(op, "%s has unknown key '%s' (content, filename, content_type)", what, tostring(k))
        end
      end
      local filename = value.filename
      if filename == nil then
        filename = name
      elseif type(filename) ~= "string" then
        fail(op, "%s filename must be a string, got %s", what, type(filename))
      end
      local ctype = value.content_type
      if ctype == nil then
        ctype = "application/octet-stream"
      elseif type(ctype) ~= "string" then
        fail(op, "%s content_type must be a string, got %s", what, type(ctype))
      end
      no_line_breaks(op, what .. " content_type", ctype)
      head = head .. '; filename="' .. multipart_token(op, what .. " filename", filename) .. '"\r\n'
        .. "Content-Type: " .. ctype
      content = value.content
    else
      fail(op, "%s must be a string, number, boolean or { content = string, filename?, content_type? }, got %s",
        what, kind)
    end
    parts[#parts + 1] = { head = head, content = content }
    contents[#contents + 1] = content
  end
  local all = table.concat(contents, "\n")
  local boundary
  for n = 1, math.huge do
    boundary = "lua-humanitec-form-boundary-" .. n
    if not all:find(boundary, 1, true) then
      break
    end
  end
  local out = {}
  for _, part in ipairs(parts) do
    out[#out + 1] = "--" .. boundary .. "\r\n" .. part.head .. "\r\n\r\n" .. part.content .. "\r\n"
  end
  out[#out + 1] = "--" .. boundary .. "--\r\n"
  return table.concat(out), "multipart/form-data; boundary=" .. boundary
end

local function is_json_media(ct)
  return ct == "application/json" or ct:find("%+json$") ~= nil
end

local JSON_KIND = {
  object = "table", array = "table", string = "string", boolean = "boolean", number = "number", integer = "number",
}

local function add_body(op, params, opts)
  local spec_body = op.body
  local value = params.body
  local chosen = params.content_type
  if chosen ~= nil then
    local ok = false
    for _, ct in ipairs(spec_body.content_types) do
      if ct == chosen then
        ok = true
      end
    end
    if not ok then
      local list = {}
      for i, ct in ipairs(spec_body.content_types) do
        list[i] = quote(ct)
      end
      fail(op, "parameter 'content_type' must be one of %s, got %s", table.concat(list, ", "), quote(chosen))
    end
  else
    for _, ct in ipairs(spec_body.content_types) do
      if is_json_media(ct) then
        chosen = ct
        break
      end
    end
    chosen = chosen or spec_body.content_types[1]
  end
  if value == nil then
    if spec_body.required then
      fail(op, "missing required request body (params.body)")
    end
    return
  end
  if is_json_media(chosen) then
    local want = spec_body.json_type and JSON_KIND[spec_body.json_type]
    if want and type(value) ~= want then
      fail(op, "the request body must be a JSON %s (a Lua %s), got %s", spec_body.json_type, want, type(value))
    end
    if spec_body.json_type == "integer" and not is_integral(value) then
      fail(op, "the request body must be an integer")
    end
    opts.body = value
    if chosen ~= "application/json" then
      opts.content_type = chosen
    end
  elseif chosen:find("^multipart/form%-data") then
    opts.raw_body, opts.content_type = encode_multipart(op, value)
  else
    if type(value) ~= "string" then
      fail(op, "the request body must be a string of %s, got %s", chosen, type(value))
    end
    opts.raw_body = value
    opts.content_type = chosen
  end
end

local function build(op, params, defaults)
  if type(op) == "string" then
    local found = M.find(op)
    if not found then
      error(setmetatable({ message = "humanitec: unknown operation '" .. op .. "'" }, Failure), 0)
    end
    op = found
  elseif type(op) ~= "table" or type(op.name) ~= "string" or type(op.params) ~= "table" then
    error(setmetatable({ message = "humanitec: operation expected, got " .. type(op) }, Failure), 0)
  end
  if params == nil then
    params = {}
  elseif type(params) ~= "table" then
    fail(op, "params must be a table, got %s", type(params))
  end
  if defaults ~= nil and type(defaults) ~= "table" then
    fail(op, "defaults must be a table, got %s", type(defaults))
  end

  local index = param_index(op)
  for _, key in ipairs(sorted_string_keys(op, "params", params)) do
    local known = index[key] ~= nil or (op.body ~= nil and (key == "body" or key == "content_type"))
    if not known then
      fail(op, "unknown parameter '%s'%s", key, suggestion(op, key))
    end
  end

  local encoded = {}
  local query, headers = {}, {}
  for _, p in ipairs(op.params) do
    local value = params[p.name]
    if value == nil and p.name == "orgId" and defaults then
      value = defaults.org
    end
    if value == nil then
      if p.required then
        if p.name == "orgId" then
          fail(op, "missing required parameter 'orgId' (pass it, or give the client an org)")
        end
        fail(op, "missing required parameter '%s'", p.name)
      end
    else
      local where = p["in"]
      local what = "parameter '" .. p.name .. "'"
      if where == "path" then
        local text = scalar(op, what, value, p.type, p.enum)
        if text == "" or text == "." or text == ".." then
          fail(op, "%s must not be %s (it would change the path)", what, quote(text))
        end
        no_line_breaks(op, what, text) -- an id with CR or LF is a mistake, never an id
        encoded[p.name] = url.escape(text)
      elseif where == "query" then
        add_query_param(op, p, value, query)
      elseif where == "header" then
        local text = scalar(op, what, value, p.type, p.enum)
        no_line_breaks(op, what, text)
        headers[p.name] = text
      else
        fail(op, "%s is in %s, which the builder does not support", what, tostring(where))
      end
    end
  end

  local path = op.path:gsub("{([^}]+)}", function(name)
    local e = encoded[name]
    if e == nil then
      fail(op, "the path template names '%s', which is not a path parameter", name)
    end
    return e
  end)

  local opts = {}
  if next(query) ~= nil then
    opts.query = query
  end
  if next(headers) ~= nil then
    opts.headers = headers
  end
  if op.body then
    add_body(op, params, opts)
  end
  return op.method, path, opts
end

--- Builds the arguments of client:request for one operation call. Raises, naming the operation and the
--- parameter, on a missing required parameter, an unknown parameter, a wrong type, a value outside an enum,
--- CR/LF in a header value or a missing required body; the error points at the caller of the function that
--- called build (client:call's caller). Call it as `local method, path, opts = calls.build(...)`, not as a
--- tail call (`return calls.build(...)`), which would drop the caller's frame and shift the error level.
---
--- `path` is relative to the API base URL and starts with "/"; every path parameter is percent-encoded.
--- `opts` holds only what applies: `query` (arrays stay Lua lists; deepObject parameters become
--- `name[key]` entries), `headers` (header parameters), and either `body` (a Lua value to encode as JSON)
--- or `raw_body` with `content_type` (YAML text, a multipart/form-data body).
---@param op humanitec.Operation|string an operation, or its name or operationId
---@param params? table the spec's parameter names, plus `body` and `content_type`
---@param defaults? {org?: string} `org` fills a missing `orgId`
---@param level? integer where the error points, as for error() counted from build (3 by default)
---@return string method
---@return string path
---@return humanitec.RequestOptions opts
function M.build(op, params, defaults, level)
  local ok, method, path, opts = pcall(build, op, params, defaults)
  if ok then
    return method, path, opts
  end
  if getmetatable(method) == Failure then
    error(method.message, level or 3)
  end
  error(method, 0)
end

--- Encodes a multipart/form-data body (as build does for multipart operations).
---@param fields table<string, humanitec.MultipartField>
---@return string body
---@return string content_type "multipart/form-data; boundary=..."
function M.multipart(fields)
  local ok, body, content_type = pcall(encode_multipart, { name = "multipart" }, fields)
  if ok then
    return body, content_type
  end
  if getmetatable(body) == Failure then
    error(body.message, 2)
  end
  error(body, 0)
end

return M

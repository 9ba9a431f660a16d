-- The contract spec's inputs: for each generated operation (humanitec.operations), the spec's operation with the
-- same method and path, and the params to call its method with: every parameter the spec describes (optional
-- ones too, so that query arrays, deepObject and header parameters are exercised), and a request body for each
-- content type the operation accepts, all made from the spec's schemas by contract/schema.lua.
local json = require "humanitec.json"
local schema_mod = require "support.contract.schema"

local M = {}

local METHODS = { "get", "put", "post", "delete", "patch", "head", "options", "trace" }

local function is_json_media(ct)
  return ct == "application/json" or ct:find("%+json$") ~= nil
end

--- Reads and decodes an OpenAPI document (JSON). Returns the document, or nil and a message.
---@param path string
function M.load(path)
  local f = io.open(path, "r")
  if not f then return nil, "cannot open " .. path end
  local text = f:read("*a")
  f:close()
  -- The SDK's decoder (a private lua-cjson instance) keeps `[]` and `{}` apart, so an example read from the
  -- spec is sent back exactly as the spec wrote it.
  local document, err = json.decode(text)
  if not document then return nil, "cannot decode " .. path .. ": " .. tostring(err) end
  return document
end

--- Every operation of the document as { method = "GET", path = "/...", item = path item, operation = ... }.
function M.spec_operations(document)
  local list = {}
  for path, item in pairs(document.paths or {}) do
    for _, method in ipairs(METHODS) do
      if item[method] then
        list[#list + 1] = { method = method:upper(), path = path, item = item, operation = item[method] }
      end
    end
  end
  return list
end

-- A YAML block for a generated value: mappings, lists and scalars (strings always quoted, as JSON strings,
-- which YAML reads the same way).
local function yaml(value, indent)
  indent = indent or ""
  local t = type(value)
  if value == json.null then return "null" end
  if t == "string" then return json.encode(value) end
  if t == "number" or t == "boolean" then return tostring(value) end
  if t ~= "table" then error("cannot write a " .. t .. " as YAML", 0) end
  if next(value) == nil then return json.is_array(value) and "[]" or "{}" end
  local lines = {}
  if value[1] ~= nil then
    for _, item in ipairs(value) do
      lines[#lines + 1] = indent .. "- " .. yaml(item, indent .. "  "):gsub("^%s+", "")
    end
  else
    local keys = {}
    for k in pairs(value) do keys[#keys + 1] = k end
    table.sort(keys)
    for _, k in ipairs(keys) do
      local v = value[k]
      if type(v) == "table" and next(v) ~= nil then
        lines[#lines + 1] = indent .. json.encode(k) .. ":\n" .. yaml(v, indent .. "  ")
      else
        lines[#lines + 1] = indent .. json.encode(k) .. ": " .. yaml(v, indent)
      end
    end
  end
  return table.concat(lines, "\n")
end
M.yaml = yaml

-- A multipart/form-data field for each property of a generated object: a file part for `format: binary`.
local function multipart_fields(gen, schema, value)
  local flat = gen:flatten(schema)
  local props = flat.properties or {}
  local fields = {}
  for k, v in pairs(value) do
    local sub = props[k] and gen:resolve(props[k]) or {}
    if sub.format == "binary" then
      fields[k] = { content = "sample file content\n", filename = "sample.tgz", content_type = "application/gzip" }
    elseif type(v) == "table" then
      fields[k] = json.encode(v)
    else
      fields[k] = v
    end
  end
  return fields
end

-- The value of one parameter: its example when the schema accepts it, else one made from the schema.
local function parameter_value(gen, param, spec_op)
  local schema = param.schema or {}
  if param.example ~= nil and param.example ~= json.null and gen:check(schema, param.example) then
    return param.example
  end
  if param["in"] == "header" and param.name:lower() == "accept" then
    -- What the operation answers with: the first media type of its first success response.
    for _, code in ipairs({ "200", "201", "202", "203", "204" }) do
      local response = spec_op.operation.responses and spec_op.operation.responses[code]
      response = response and gen:resolve(response)
      if response and response.content then
        local types = {}
        for ct in pairs(response.content) do types[#types + 1] = ct end
        table.sort(types)
        if types[1] then return types[1] end
      end
    end
    return "application/json"
  end
  return gen:sample(schema, param.name)
end

--- Makes `document` (the facts-only copy, api/openapi.json) something Prism mocks well, in place:
--- * every path and query parameter without an `example` gets the value the suite sends: before Prism says it
---   listens it makes an example URL for each operation, and for a parameter without an example it runs a
---   random generator that takes minutes on some of the spec's patterns;
--- * every response gets the empty `description` OpenAPI requires (Prism's reader skips a response that has
---   none and no content or headers, so a 204 would vanish), and the document the `info.title` it requires.
function M.mockable(document)
  local gen = schema_mod.new(document)
  document.info = document.info or {}
  document.info.title = document.info.title or ""
  for _, spec_op in ipairs(M.spec_operations(document)) do
    for _, list in ipairs({ spec_op.item.parameters or {}, spec_op.operation.parameters or {} }) do
      for _, p in ipairs(list) do
        local param = gen:resolve(p)
        if (param["in"] == "path" or param["in"] == "query") and param.example == nil then
          param.example = parameter_value(gen, param, spec_op)
        end
      end
    end
    for _, r in pairs(spec_op.operation.responses or {}) do
      local response = gen:resolve(r)
      response.description = response.description or ""
    end
  end
end

--- The cases, one per operation of `operations` (humanitec.operations.operations), in name order. Each is
--- { name, op, spec_op, spec_params, calls = { { label, params, value? }, ... } } (`spec_params` the spec's
--- parameters, resolved; `label` the request's media type or "no body"; `value` the value behind a YAML text)
--- or, when no valid input can be made, { name, op, unsatisfiable = reason }. `missing` lists the spec's
--- operations with no generated method, `unknown` the generated operations the spec does not have.
function M.build(document, operations)
  local gen = schema_mod.new(document)
  local by_key = {}
  for _, spec_op in ipairs(M.spec_operations(document)) do
    by_key[spec_op.method .. " " .. spec_op.path] = spec_op
  end
  local names = {}
  for name in pairs(operations) do names[#names + 1] = name end
  table.sort(names)
  local cases, unknown, matched = {}, {}, {}
  for _, name in ipairs(names) do
    local op = operations[name]
    local key = op.method .. " " .. op.path
    local spec_op = by_key[key]
    if not spec_op then
      unknown[#unknown + 1] = name .. " (" .. key .. ")"
    else
      matched[key] = true
      local case = { name = name, op = op, spec_op = spec_op }
      local ok, err = pcall(function()
        local params = {}
        local seen = {}
        local list = {}
        for _, p in ipairs(spec_op.operation.parameters or {}) do list[#list + 1] = gen:resolve(p) end
        for _, p in ipairs(spec_op.item.parameters or {}) do list[#list + 1] = gen:resolve(p) end
        case.spec_params = {}
        for _, p in ipairs(list) do
          local id = p["in"] .. ":" .. p.name
          if not seen[id] then
            seen[id] = true
            case.spec_params[#case.spec_params + 1] = p
            -- orgId is left to the client's default org, which is what most callers rely on.
            if not (p["in"] == "path" and p.name == "orgId") then
              params[p.name] = parameter_value(gen, p, spec_op)
            end
          end
        end
        case.calls = {}
        local body = spec_op.operation.requestBody and gen:resolve(spec_op.operation.requestBody)
        if not (body and body.content) then
          case.calls[1] = { label = "no body", params = params }
          return
        end
        local types = {}
        for ct in pairs(body.content) do types[#types + 1] = ct end
        table.sort(types)
        local default
        for _, ct in ipairs(op.body and op.body.content_types or {}) do
          if is_json_media(ct) then default = ct break end
        end
        default = default or (op.body and op.body.content_types[1])
        for _, ct in ipairs(types) do
          local schema = body.content[ct].schema or {}
          local value = gen:sample(schema, "body")
          local call, value_behind = {}, nil
          for k, v in pairs(params) do call[k] = v end
          if is_json_media(ct) then
            call.body = value
          elseif ct:find("^multipart/form%-data") then
            call.body = multipart_fields(gen, schema, value)
          elseif ct:find("yaml") then
            call.body = yaml(value) .. "\n"
            value_behind = value
          else
            call.body = type(value) == "string" and value or json.encode(value)
          end
          if ct ~= default then call.content_type = ct end
          case.calls[#case.calls + 1] = { label = ct, params = call, value = value_behind }
        end
      end)
      if not ok then
        if schema_mod.is_unsatisfiable(err) then
          case.unsatisfiable = err.message
        else
          error(name .. ": " .. tostring(err), 0)
        end
      end
      cases[#cases + 1] = case
    end
  end
  local missing = {}
  for key in pairs(by_key) do
    if not matched[key] then missing[#missing + 1] = key end
  end
  table.sort(missing)
  return cases, missing, unknown
end

return M

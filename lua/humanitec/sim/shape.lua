--- Shapes a value into what a schema of the spec (humanitec.sim.schemas) declares: the properties an object
-- declares are kept (and shaped in turn), properties it does not declare are dropped unless the schema allows
-- any, missing required ones are filled with a plain value of their type, and arrays are marked as arrays.
-- The generic collections answer through it, so that what was stored comes back in the spec's form.
local json = require "humanitec.json"
local facts = require "humanitec.sim.schemas"

local M = {}

-- Values that match the spec's patterns, for required strings that nothing filled.
local PATTERN_SAMPLES = {
  ["^[0-9a-f]{5,40}$"] = "0000000000000000000000000000000000000000",
  ["^g-[a-z0-9](?:-?[a-z0-9]+)+$"] = "g-group",
  ["^(?:update)$"] = "update",
  ["^(?:branch|tag)$"] = "branch",
}

local FORMAT_SAMPLES = {
  uuid = "00000000-0000-4000-8000-000000000000", email = "sim-user@example.com", uri = "https://example.com",
  date = "2024-01-01",
}

local MAX_DEPTH = 16

--- The schema `s` with its `ref` followed.
---@param s table
---@return table
function M.resolve(s)
  local seen = 0
  while s and s.ref do
    s = facts.schemas[s.ref]
    seen = seen + 1
    if seen > 32 then error("schema reference loop") end
  end
  return s or {}
end

-- allOf merged into one object schema (properties and required lists joined).
local function flatten(s)
  s = M.resolve(s)
  if not s.allOf then return s end
  local out = { type = s.type, properties = {}, required = {}, additionalProperties = s.additionalProperties }
  local function add(part)
    part = flatten(part)
    for k, v in pairs(part.properties or {}) do out.properties[k] = v end
    for _, r in ipairs(part.required or {}) do out.required[#out.required + 1] = r end
    out.type = out.type or part.type
    if part.additionalProperties ~= nil and out.additionalProperties == nil then
      out.additionalProperties = part.additionalProperties
    end
  end
  for k, v in pairs(s.properties or {}) do out.properties[k] = v end
  for _, r in ipairs(s.required or {}) do out.required[#out.required + 1] = r end
  for _, part in ipairs(s.allOf) do add(part) end
  return out
end
M.flatten = flatten

local function kind_of(s)
  if s.type then return s.type end
  if s.properties or s.additionalProperties ~= nil then return "object" end
  if s.items then return "array" end
  return nil
end

local function is_array(v)
  if type(v) ~= "table" or v == json.null then return false end
  if json.is_array(v) then return true end
  local n = 0
  for _ in pairs(v) do n = n + 1 end
  return n > 0 and n == #v
end

local function fits_type(kind, v)
  if kind == "string" then return type(v) == "string" end
  if kind == "integer" then return type(v) == "number" and v == math.floor(v) end
  if kind == "number" then return type(v) == "number" end
  if kind == "boolean" then return type(v) == "boolean" end
  if kind == "array" then return is_array(v) or (type(v) == "table" and next(v) == nil) end
  if kind == "object" then return type(v) == "table" and v ~= json.null and not is_array(v) end
  return true
end

local conform

-- A plain value of the schema's type, with required properties filled.
local function default(s, ctx, depth)
  s = flatten(s)
  if s.enum then return s.enum[1] end
  if s.oneOf or s.anyOf then return default((s.oneOf or s.anyOf)[1], ctx, depth + 1) end
  local kind = kind_of(s)
  if kind == "string" then
    if s.format == "date-time" then return ctx.now end
    if s.format and FORMAT_SAMPLES[s.format] then return FORMAT_SAMPLES[s.format] end
    if s.pattern and PATTERN_SAMPLES[s.pattern] then return PATTERN_SAMPLES[s.pattern] end
    local text = s.pattern and "default" or ""
    if s.minLength and #text < s.minLength then text = text .. string.rep("x", s.minLength - #text) end
    return text
  elseif kind == "integer" or kind == "number" then
    return s.minimum or 0
  elseif kind == "boolean" then
    return false
  elseif kind == "array" then
    local out = json.array()
    for i = 1, s.minItems or 0 do out[i] = default(s.items or {}, ctx, depth + 1) end
    return out
  elseif kind == "object" then
    return conform({}, s, ctx, depth + 1)
  end
  return {}
end

-- The option of a oneOf/anyOf that `v` fits best: the discriminator's, else the first whose type and
-- required properties `v` has.
local function choose(s, v)
  local options = s.oneOf or s.anyOf
  local d = s.discriminator
  if d and type(v) == "table" and d.mapping and d.mapping[v[d.propertyName]] then
    return { ref = d.mapping[v[d.propertyName]] }
  end
  for _, option in ipairs(options) do
    local flat = flatten(option)
    local kind = kind_of(flat)
    if fits_type(kind, v) then
      local ok = true
      if kind == "object" or (kind == nil and flat.properties) then
        for _, r in ipairs(flat.required or {}) do
          if v[r] == nil then ok = false break end
        end
      end
      if ok then return option end
    end
  end
  return options[1]
end

conform = function(v, s, ctx, depth)
  if depth > MAX_DEPTH then return v end
  s = flatten(s)
  if v == json.null then
    if s.nullable then return v end
    return default(s, ctx, depth)
  end
  if s.oneOf or s.anyOf then return conform(v, choose(s, v), ctx, depth + 1) end
  local kind = kind_of(s)
  if v == nil then return default(s, ctx, depth) end
  if kind and not fits_type(kind, v) then
    if kind == "number" and type(v) == "number" then return v end
    return default(s, ctx, depth)
  end
  if s.enum then
    local found = false
    for _, e in ipairs(s.enum) do
      if e == v then found = true break end
    end
    if not found then return s.enum[1] end
  end
  if kind == "string" and s.format == "date-time" and not v:find("^%d%d%d%d%-%d%d%-%d%dT") then return ctx.now end
  if kind == "array" then
    local out = json.array()
    for i, item in ipairs(v) do out[i] = conform(item, s.items or {}, ctx, depth + 1) end
    return out
  end
  if kind == "object" then
    local out = {}
    local props = s.properties
    local extra = s.additionalProperties
    for k, item in pairs(v) do
      if props and props[k] then
        out[k] = conform(item, props[k], ctx, depth + 1)
      elseif type(extra) == "table" then
        out[k] = conform(item, extra, ctx, depth + 1)
      elseif extra == true or (extra == nil and not props) then
        out[k] = item
      end
    end
    for _, r in ipairs(s.required or {}) do
      if out[r] == nil then
        -- Required without a schema of its own (the spec has some): the value given stands.
        if v[r] ~= nil and not (props and props[r]) then
          out[r] = v[r]
        else
          out[r] = default(props and props[r] or {}, ctx, depth + 1)
        end
      end
    end
    return out
  end
  return v
end

--- `value` in the form `schema` declares.
---@param value any
---@param schema table  a schema of humanitec.sim.schemas (or `{ ref = "Name" }`)
---@param now string  the time to fill required timestamps with (ISO 8601)
---@return any
function M.conform(value, schema, now)
  return conform(value, schema, { now = now }, 0)
end

--- The JSON schema of an operation's success response, or nil.
---@param method string
---@param path string  the spec's path template
---@param status integer|string
---@param media? string  default application/json
---@return table?
function M.response_schema(method, path, status, media)
  local op = facts.operations[method .. " " .. path]
  local r = op and op.responses[tostring(status)]
  return r and r[media or "application/json"]
end

--- The JSON schema of an operation's request body, or nil.
---@param method string
---@param path string
---@param media? string
---@return table?
function M.request_schema(method, path, media)
  local op = facts.operations[method .. " " .. path]
  return op and op.requests and op.requests[media or "application/json"]
end

return M

-- Valid values for the schemas of an OpenAPI 3.0 document, and a checker for them: what the contract spec sends
-- to Prism. The generator resolves $ref, merges allOf, picks the first oneOf/anyOf option whose value the
-- checker accepts (setting the discriminator), prefers a schema's `example` when the checker accepts it, and
-- honours enum, format, pattern, lengths, bounds and required properties. It includes optional properties
-- too (down to a depth), so that the request exercises as much of the SDK's encoding as the spec allows.
--
-- JSON Schema patterns are ECMAScript regular expressions, which Lua cannot run. The spec has a handful of
-- distinct ones; PATTERNS gives each a value that matches and a Lua check equivalent to it. A pattern missing
-- from the table raises, naming it, so a new spec cannot slip an unchecked value through.
local json = require "humanitec.json"

local M = {}

local null = json.null

local function slug(s) -- ^[a-z0-9](?:-?[a-z0-9]+)+$ : alphanumerics in runs joined by single hyphens, 2+ chars
  return #s >= 2 and s:find("^[a-z0-9][a-z0-9%-]*[a-z0-9]$") ~= nil and not s:find("%-%-", 1, true)
end

local function date_time(s)
  local rest = s:match("^%d%d%d%d%-%d%d%-%d%d[Tt]%d%d:%d%d:%d%d(.*)$")
  if not rest then return false end
  rest = rest:gsub("^%.%d+", "", 1)
  return rest == "Z" or rest == "z" or rest:find("^[+-]%d%d:%d%d$") ~= nil
end

local function hex(s, n)
  return #s == n and s:find("^[0-9a-fA-F]+$") ~= nil
end

--- Each pattern of the spec: `sample`, a value that matches, and `check`, the pattern in Lua. `unsatisfiable`
--- says why no string matches (an optional property with such a pattern is left out).
M.PATTERNS = {
  ["^[a-z0-9](?:-?[a-z0-9]+)+$"] = { sample = "sample-id", check = slug },
  ["^g-[a-z0-9](?:-?[a-z0-9]+)+$"] = {
    sample = "g-sample-group",
    check = function(s) return s:sub(1, 2) == "g-" and slug(s:sub(3)) end,
  },
  ["^[a-z0-9][a-z0-9-]+[a-z0-9]$"] = {
    sample = "sample-id",
    check = function(s) return s:find("^[a-z0-9][a-z0-9%-]+[a-z0-9]$") ~= nil end,
  },
  ["^[a-z0-9][a-z0-9-]*[a-z0-9]$"] = {
    sample = "sample-id",
    check = function(s) return s:find("^[a-z0-9][a-z0-9%-]*[a-z0-9]$") ~= nil end,
  },
  ["^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{3})?Z$"] = {
    sample = "2023-01-01T00:00:00Z",
    check = function(s)
      return s:find("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%dZ$") ~= nil
        or s:find("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d%.%d%d%dZ$") ~= nil
    end,
  },
  ["^[0-9a-f]{5,40}$"] = {
    sample = "884bccaa807ea27cc1997a7492a3b6279fd7bd55",
    check = function(s) return #s >= 5 and #s <= 40 and s:find("^[0-9a-f]+$") ~= nil end,
  },
  ["^(?:update)$"] = { sample = "update", check = function(s) return s == "update" end },
  ["^(?:branch|tag)$"] = { sample = "branch", check = function(s) return s == "branch" or s == "tag" end },
  ["^[A-Za-z0-9_.-]+$"] = { sample = "SAMPLE_KEY", check = function(s) return s:find("^[%w_%.%-]+$") ~= nil end },
  -- ImageBuildRequest.image: a stray quote after `$` (`...)?$'`), so nothing can match.
  ["^((?:[\\w.\\-_]+(?:(?::\\d+|)(?=/[a-z0-9._-]+/[a-z0-9._-]+))|)(?:/|)(?:[a-z0-9.\\-_]+(?:/[a-z0-9.\\-_]+|)))"
    .. "(?::)?((?:[\\w.\\-]{1,127}|)(?:0[xX][0-9a-fA-F]+|))?$'"] = {
    unsatisfiable = "its pattern ends in $' (a quote after the end anchor), which no string matches",
    check = function() return false end,
  },
}

local FORMATS = {
  ["date-time"] = { sample = "2023-01-01T00:00:00Z", check = date_time },
  date = { sample = "2023-01-01", check = function(s) return s:find("^%d%d%d%d%-%d%d%-%d%d$") ~= nil end },
  uuid = {
    sample = "0b3e7c6a-1d2f-4e5a-8b9c-0d1e2f3a4b5c",
    check = function(s)
      local a, b, c, d, e = s:match("^(%x+)%-(%x+)%-(%x+)%-(%x+)%-(%x+)$")
      return a ~= nil and hex(a, 8) and hex(b, 4) and hex(c, 4) and hex(d, 4) and hex(e, 12)
    end,
  },
  email = { sample = "sample@example.com", check = function(s) return s:find("^[^@%s]+@[^@%s]+%.[^@%s]+$") ~= nil end },
  uri = { sample = "https://example.com/sample", check = function(s) return s:find("^%a[%w+.%-]*:%S+$") ~= nil end },
  binary = { sample = "sample", check = function() return true end },
}

-- Raised (as a table) when a schema admits no value we can make; travels to the operation, which reports it.
local Unsatisfiable = {}
Unsatisfiable.__index = Unsatisfiable
Unsatisfiable.__tostring = function(e) return e.message end

local function unsatisfiable(message)
  error(setmetatable({ message = message }, Unsatisfiable), 0)
end

M.is_unsatisfiable = function(e) return getmetatable(e) == Unsatisfiable end

local function utf8_length(s)
  local _, n = s:gsub("[^\128-\191]", "")
  return n
end

local function is_array(v)
  if type(v) ~= "table" then return false end
  if json.is_array(v) then return true end
  if next(v) == nil then return false end
  local n = 0
  for k in pairs(v) do
    if type(k) ~= "number" then return false end
    n = n + 1
  end
  return n == #v
end

local function is_object(v)
  return type(v) == "table" and not is_array(v) and v ~= null
end

local function json_type(v)
  if v == null then return "null" end
  local t = type(v)
  if t == "table" then return is_array(v) and "array" or "object" end
  if t == "number" then return (v % 1 == 0) and "integer" or "number" end
  return t
end

local function deep_equal(a, b)
  if a == b then return true end
  if type(a) ~= "table" or type(b) ~= "table" then return false end
  for k, v in pairs(a) do
    if not deep_equal(v, b[k]) then return false end
  end
  for k in pairs(b) do
    if a[k] == nil then return false end
  end
  return true
end

local sorted_keys = json.sorted_keys

local Generator = {}
Generator.__index = Generator

--- A generator and checker for the schemas of `document` (a decoded OpenAPI 3.0 document).
---@param document table
---@param opts? {max_depth?: integer}
function M.new(document, opts)
  opts = opts or {}
  return setmetatable({ document = document, max_depth = opts.max_depth or 6 }, Generator)
end

--- The schema a `$ref` points at (followed until it is not a reference), or the schema itself.
function Generator:resolve(schema)
  local seen = 0
  while type(schema) == "table" and schema["$ref"] do
    local ref = schema["$ref"]
    local node = self.document
    if ref:sub(1, 2) ~= "#/" then
      error("unsupported $ref " .. ref, 0)
    end
    for part in ref:sub(3):gmatch("[^/]+") do
      part = part:gsub("~1", "/"):gsub("~0", "~")
      node = type(node) == "table" and node[part] or nil
    end
    if node == nil then error("dangling $ref " .. ref, 0) end
    schema = node
    seen = seen + 1
    if seen > 50 then error("$ref loop at " .. ref, 0) end
  end
  return schema
end

local function pattern_entry(pattern)
  local entry = M.PATTERNS[pattern]
  if not entry then
    error("contract: no sample for the pattern " .. ("%q"):format(pattern)
      .. " (add it to PATTERNS in spec/support/contract/schema.lua)", 0)
  end
  return entry
end

local function schema_type(schema)
  if schema.type then return schema.type end
  if schema.properties or schema.additionalProperties or schema.required then return "object" end
  if schema.items then return "array" end
  return nil
end

--- Checks `value` against `schema` as JSON Schema (OpenAPI 3.0 dialect) would. Returns true, or false and why.
---@return boolean ok
---@return string? why
function Generator:check(schema, value, where)
  where = where or "value"
  schema = self:resolve(schema)
  if type(schema) ~= "table" then return true end
  if value == null then
    if schema.nullable then return true end
    if schema.enum then
      for _, e in ipairs(schema.enum) do
        if e == null then return true end
      end
    end
    return false, where .. " is null"
  end
  for _, sub in ipairs(schema.allOf or {}) do
    local ok, why = self:check(sub, value, where)
    if not ok then return false, why end
  end
  if schema.oneOf then
    local matches, last = 0, nil
    for _, sub in ipairs(schema.oneOf) do
      local ok, why = self:check(sub, value, where)
      if ok then matches = matches + 1 else last = why end
    end
    if matches ~= 1 then
      return false, where .. " matches " .. matches .. " oneOf options" .. (last and (" (" .. last .. ")") or "")
    end
  end
  if schema.anyOf then
    local any, last = false, nil
    for _, sub in ipairs(schema.anyOf) do
      local ok, why = self:check(sub, value, where)
      if ok then any = true break end
      last = why
    end
    if not any then return false, where .. " matches no anyOf option (" .. tostring(last) .. ")" end
  end
  if schema.enum then
    local found = false
    for _, e in ipairs(schema.enum) do
      if deep_equal(e, value) then found = true break end
    end
    if not found then return false, where .. " is not in the enum" end
  end
  local want = schema.type
  local got = json_type(value)
  if want then
    local fits = want == got or (want == "number" and got == "integer")
      or (want == "object" and type(value) == "table" and next(value) == nil and not json.is_array(value))
      or (want == "array" and type(value) == "table" and next(value) == nil)
    if not fits then return false, where .. " is " .. got .. ", not " .. want end
  end
  if type(value) == "string" then
    if schema.pattern and not pattern_entry(schema.pattern).check(value) then
      return false, where .. " does not match " .. schema.pattern
    end
    local format = schema.format and FORMATS[schema.format]
    if format and not format.check(value) then
      return false, where .. " is not a " .. schema.format
    end
    local n = utf8_length(value)
    if schema.minLength and n < schema.minLength then return false, where .. " is too short" end
    if schema.maxLength and n > schema.maxLength then return false, where .. " is too long" end
  elseif type(value) == "number" then
    if schema.minimum and (value < schema.minimum or (schema.exclusiveMinimum and value == schema.minimum)) then
      return false, where .. " is below the minimum"
    end
    if schema.maximum and (value > schema.maximum or (schema.exclusiveMaximum and value == schema.maximum)) then
      return false, where .. " is above the maximum"
    end
  elseif type(value) == "table" then
    if is_array(value) then
      if schema.minItems and #value < schema.minItems then return false, where .. " has too few items" end
      if schema.maxItems and #value > schema.maxItems then return false, where .. " has too many items" end
      if schema.items then
        for i, item in ipairs(value) do
          local ok, why = self:check(schema.items, item, where .. "[" .. i .. "]")
          if not ok then return false, why end
        end
      end
    elseif is_object(value) then
      for _, name in ipairs(schema.required or {}) do
        if value[name] == nil then return false, where .. " lacks the required property " .. name end
      end
      local props = schema.properties or {}
      for _, k in ipairs(sorted_keys(value)) do
        local v = value[k]
        local sub = props[k]
        if sub ~= nil then
          local ok, why = self:check(sub, v, where .. "." .. tostring(k))
          if not ok then return false, why end
        elseif schema.additionalProperties == false then
          return false, where .. " has the unknown property " .. tostring(k)
        elseif type(schema.additionalProperties) == "table" then
          local ok, why = self:check(schema.additionalProperties, v, where .. "." .. tostring(k))
          if not ok then return false, why end
        end
      end
    end
  end
  return true
end

-- Merges schema `b` into the flat schema `a` (the parts of an allOf, or a oneOf option into its parent).
local function merge_into(a, b)
  for k, v in pairs(b) do
    if k == "properties" then
      a.properties = a.properties or {}
      for name, sub in pairs(v) do
        if a.properties[name] == nil then
          a.properties[name] = sub
        else
          a.properties[name] = { allOf = { a.properties[name], sub } }
        end
      end
    elseif k == "required" then
      a.required = a.required or {}
      for _, name in ipairs(v) do a.required[#a.required + 1] = name end
    elseif k ~= "example" and k ~= "description" and k ~= "title" and a[k] == nil then
      a[k] = v
    end
  end
end

-- The oneOf/anyOf options of a schema, with the discriminator value that selects each (when there is one).
local function options_of(schema)
  local list = schema.oneOf or schema.anyOf
  local out = {}
  local mapping = schema.discriminator and schema.discriminator.mapping or {}
  for i, option in ipairs(list) do
    local tag
    if option["$ref"] then
      for key, ref in pairs(mapping) do
        if ref == option["$ref"] then tag = key end
      end
      tag = tag or (schema.discriminator and option["$ref"]:match("([^/]+)$"))
    end
    out[i] = { schema = option, tag = tag }
  end
  return out
end

-- A flat schema (no allOf; the given oneOf/anyOf option merged in) that describes the same values.
function Generator:flatten(schema, choice)
  schema = self:resolve(schema)
  local flat = {}
  for k, v in pairs(schema) do
    if k ~= "allOf" and k ~= "oneOf" and k ~= "anyOf" and k ~= "discriminator" then flat[k] = v end
  end
  if flat.properties then
    local copy = {}
    for name, sub in pairs(flat.properties) do copy[name] = sub end
    flat.properties = copy
  end
  if flat.required then
    local copy = {}
    for i, name in ipairs(flat.required) do copy[i] = name end
    flat.required = copy
  end
  for _, part in ipairs(schema.allOf or {}) do
    local sub = self:resolve(part)
    local options = (sub.oneOf or sub.anyOf) and options_of(sub)
    merge_into(flat, self:flatten(sub, options and options[1]))
  end
  if choice then
    merge_into(flat, self:flatten(choice.schema))
    if choice.tag and schema.discriminator then
      flat.properties = flat.properties or {}
      flat.properties[schema.discriminator.propertyName] = { type = "string", enum = { choice.tag } }
    end
  end
  return flat
end

local function example_of(schema)
  if schema.example ~= nil then return schema.example, true end
  if type(schema.examples) == "table" and schema.examples[1] ~= nil then return schema.examples[1], true end
  return nil, false
end

local function fit_length(s, schema)
  local min, max = schema.minLength or 0, schema.maxLength
  while utf8_length(s) < min do s = s .. "x" end
  if max and #s > max then s = s:sub(1, max) end
  return s
end

--- A value that `schema` accepts. `name` (the property or parameter it is for) only flavours plain strings.
--- Raises an Unsatisfiable error (see is_unsatisfiable) when it cannot make one.
function Generator:sample(schema, name, depth)
  depth = depth or 0
  schema = self:resolve(schema)
  if type(schema) ~= "table" then return "sample" end
  local example, has_example = example_of(schema)
  if has_example and example ~= null and self:check(schema, example) then
    return example
  end
  if schema.oneOf or schema.anyOf then
    local last
    for _, option in ipairs(options_of(schema)) do
      local ok, value = pcall(self.sample_flat, self, self:flatten(schema, option), name, depth)
      if ok then
        local fits, why = self:check(schema, value)
        if fits then return value end
        last = why
      elseif M.is_unsatisfiable(value) then
        last = value.message
      else
        error(value, 0)
      end
    end
    unsatisfiable("no oneOf/anyOf option of " .. tostring(name) .. " gives a valid value (" .. tostring(last) .. ")")
  end
  if schema.allOf then
    local value = self:sample_flat(self:flatten(schema), name, depth)
    local fits, why = self:check(schema, value)
    if not fits then unsatisfiable("allOf of " .. tostring(name) .. ": " .. why) end
    return value
  end
  return self:sample_flat(schema, name, depth)
end

function Generator:sample_flat(schema, name, depth)
  local example, has_example = example_of(schema)
  if has_example and example ~= null and self:check(schema, example) then
    return example
  end
  if schema.enum then
    for _, e in ipairs(schema.enum) do
      if e ~= null then return e end
    end
  end
  local t = schema_type(schema)
  if t == "object" then
    local out = {}
    local required = {}
    for _, k in ipairs(schema.required or {}) do required[k] = true end
    local props = schema.properties or {}
    for _, k in ipairs(sorted_keys(props)) do
      local sub = self:resolve(props[k])
      if required[k] then
        out[k] = self:sample(sub, k, depth + 1)
      elseif depth < self.max_depth and not sub.readOnly and not sub.deprecated then
        local ok, value = pcall(self.sample, self, sub, k, depth + 1)
        if ok then
          out[k] = value
        elseif not M.is_unsatisfiable(value) then
          error(value, 0)
        end
      end
    end
    for k in pairs(required) do
      if out[k] == nil then
        out[k] = "sample" -- required but not described: any value will do
      end
    end
    if next(out) == nil and type(schema.additionalProperties) == "table" and depth < self.max_depth then
      out["sample-key"] = self:sample(schema.additionalProperties, "sample-key", depth + 1)
    end
    return out
  elseif t == "array" then
    local out = json.array()
    local n = math.max(schema.minItems or 1, 1)
    if schema.maxItems and schema.maxItems < n then n = schema.maxItems end
    if depth >= self.max_depth then n = schema.minItems or 0 end
    for i = 1, n do
      out[i] = self:sample(schema.items or {}, name, depth + 1)
    end
    return out
  elseif t == "integer" or t == "number" then
    local n = schema.minimum or (schema.default ~= nil and schema.default) or 1
    if schema.exclusiveMinimum and schema.minimum then n = n + 1 end
    if schema.maximum and n > schema.maximum then n = schema.maximum end
    return n
  elseif t == "boolean" then
    return true
  else
    if schema.pattern then
      local entry = pattern_entry(schema.pattern)
      if entry.unsatisfiable then
        unsatisfiable(tostring(name) .. ": " .. entry.unsatisfiable)
      end
      local s = entry.sample
      local ok, why = self:check(schema, s)
      if not ok then unsatisfiable(tostring(name) .. ": the pattern's sample does not fit: " .. why) end
      return s
    end
    local format = schema.format and FORMATS[schema.format]
    if format then return format.sample end
    local s = "sample"
    if type(name) == "string" and name:find("^[%w_%-]+$") then s = "sample-" .. name:lower():gsub("_", "-") end
    return fit_length(s, schema)
  end
end

return M

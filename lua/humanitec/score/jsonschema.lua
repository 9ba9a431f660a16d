--- A JSON Schema (draft 2020-12) validator for Lua values as humanitec.json decodes them: objects are tables
--- with string keys, arrays are sequences (an empty one marked with `json.array_mt`), `null` is `json.null`.
---
--- `compile(schema)` resolves every `$ref` and compiles every `pattern` once; `validator:validate(value)`
--- returns true, or false and the list of errors, each with the instance path, the keyword and a sentence
--- saying what was expected. The keywords are the standard ones of the core, applicator and validation
--- vocabularies: `$ref` (to `#`, a JSON pointer, an `$anchor` or an `$id` inside the schema), `$defs`,
--- `type`, `enum`, `const`, `multipleOf`, `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`,
--- `minLength`, `maxLength` (in code points), `pattern`, `minItems`, `maxItems`, `uniqueItems`, `minContains`,
--- `maxContains`, `minProperties`, `maxProperties`, `required`, `dependentRequired`, `allOf`, `anyOf`,
--- `oneOf`, `not`, `if`/`then`/`else`, `dependentSchemas`, `prefixItems`, `items`, `contains`, `properties`,
--- `patternProperties`, `additionalProperties`, `propertyNames`, and `format` for date-time, date, time,
--- email, hostname, ipv4, ipv6, uri, uuid and regex (asserted, as Ajv with ajv-formats does; other formats
--- are annotations). `unevaluatedProperties`, `unevaluatedItems`, `$dynamicRef` and `$recursiveRef` are
--- refused at compile time rather than silently ignored. Patterns are ECMAScript (humanitec.score.regex).
---
--- Time is linear in the size of the value for a given schema: every node is checked against the subschemas
--- that apply to it, and a `$ref` loop that does not descend into the value is an error.
local json = require "humanitec.json"
local regex = require "humanitec.score.regex"
local url = require "humanitec.url"

local M = {}

local UNSUPPORTED = {
  unevaluatedProperties = true, unevaluatedItems = true, ["$dynamicRef"] = true, ["$recursiveRef"] = true,
}

-- ---- values ---------------------------------------------------------------------------------------------

local function is_integral(n)
  return n == n and n ~= math.huge and n ~= -math.huge and n == math.floor(n)
end

-- The JSON type of a Lua value, "integer" for integral numbers.
local function kind(v)
  local t = type(v)
  if t == "string" or t == "boolean" then return t end
  if t == "number" then return is_integral(v) and "integer" or "number" end
  if v == json.null then return "null" end
  if t == "table" then
    if json.is_array(v) then return "array" end
    if next(v) == nil then return "object" end
    if rawget(v, 1) ~= nil then return "array" end
    return "object"
  end
  return t -- function, userdata: no JSON type, matches no `type`
end
M.kind = kind

local function array_len(v)
  return #v
end

local function count_keys(v)
  local n = 0
  for _ in pairs(v) do n = n + 1 end
  return n
end

-- Sorted keys, so that errors come out in the same order on every interpreter.
local sorted_keys = json.sorted_keys

local function equal(a, b)
  local ka, kb = kind(a), kind(b)
  if ka == "integer" then ka = "number" end
  if kb == "integer" then kb = "number" end
  if ka ~= kb then return false end
  if ka == "array" then
    if #a ~= #b then return false end
    for i = 1, #a do
      if not equal(a[i], b[i]) then return false end
    end
    return true
  elseif ka == "object" then
    for k, v in pairs(a) do
      if b[k] == nil or not equal(v, b[k]) then return false end
    end
    for k in pairs(b) do
      if a[k] == nil then return false end
    end
    return true
  end
  return a == b
end
M.equal = equal

-- A short rendering of a value for messages: strings quoted, long things cut.
local function show(v)
  local k = kind(v)
  local s
  if k == "null" then
    s = "null"
  elseif k == "string" then
    s = string.format("%q", v):gsub("\\\n", "\\n")
  elseif k == "array" then
    s = "an array"
  elseif k == "object" then
    s = "an object"
  elseif k == "integer" and math.type and math.type(v) == "float" then
    s = string.format("%.0f", v)
  else
    s = tostring(v)
  end
  if #s > 60 then s = s:sub(1, 57) .. "..." end
  return s
end
M.show = show

local function quote_list(list)
  local out = {}
  for i, v in ipairs(list) do out[i] = "'" .. tostring(v) .. "'" end
  return table.concat(out, ", ")
end

local function show_list(list)
  local out = {}
  for i, v in ipairs(list) do out[i] = show(v) end
  return table.concat(out, ", ")
end

-- Length in code points, as JSON Schema (and Ajv) count it.
local utf8_len = regex.utf8_len

-- ---- formats (linear checks, no backtracking patterns) ----------------------------------------------------

local function days_in_month(y, m)
  if m == 2 then
    local leap = (y % 4 == 0 and y % 100 ~= 0) or y % 400 == 0
    return leap and 29 or 28
  end
  return (m == 4 or m == 6 or m == 9 or m == 11) and 30 or 31
end

local function check_date(s)
  local y, m, d = s:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)$")
  if not y then return false end
  y, m, d = tonumber(y), tonumber(m), tonumber(d)
  return m >= 1 and m <= 12 and d >= 1 and d <= days_in_month(y, m)
end

local function check_time(s)
  local h, mi, sec, rest = s:match("^(%d%d):(%d%d):(%d%d)(.*)$")
  if not h then return false end
  h, mi, sec = tonumber(h), tonumber(mi), tonumber(sec)
  if h > 23 or mi > 59 or sec > 60 then return false end
  rest = rest:gsub("^%.%d+", "", 1)
  if rest:match("^[zZ]$") then return true end
  local oh, om = rest:match("^[+-](%d%d):(%d%d)$")
  return oh ~= nil and tonumber(oh) <= 23 and tonumber(om) <= 59
end

local function check_hostname(s)
  if #s == 0 or #s > 253 then return false end
  for label in (s .. "."):gmatch("([^.]*)%.") do
    if #label == 0 or #label > 63 or not label:match("^[%w%-]+$") or label:sub(1, 1) == "-"
      or label:sub(-1) == "-" then
      return false
    end
  end
  return s:sub(-1) ~= "."
end

local function check_ipv4(s)
  local parts = { s:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$") }
  if #parts ~= 4 then return false end
  for _, p in ipairs(parts) do
    if #p > 3 or tonumber(p) > 255 or (#p > 1 and p:sub(1, 1) == "0") then return false end
  end
  return true
end

local function check_ipv6(s)
  if #s > 45 or not s:match("^[%x:.]+$") then return false end
  local head, tail = s, nil
  local dc = s:find("::", 1, true)
  if dc then
    if s:find("::", dc + 1, true) then return false end
    head, tail = s:sub(1, dc - 1), s:sub(dc + 2)
  end
  local groups = 0
  local function count(part, last)
    if part == "" then return true end
    local items = {}
    for g in (part .. ":"):gmatch("([^:]*):") do items[#items + 1] = g end
    for i, g in ipairs(items) do
      if last and i == #items and g:find(".", 1, true) then
        if not check_ipv4(g) then return false end
        groups = groups + 2
      elseif not g:match("^%x%x?%x?%x?$") then
        return false
      else
        groups = groups + 1
      end
    end
    return true
  end
  if not count(head, not dc) or (dc and not count(tail, true)) then return false end
  if dc then return groups < 8 end
  return groups == 8
end

local FORMATS = {
  date = check_date,
  time = check_time,
  ["date-time"] = function(s)
    local d, t = s:match("^(%d%d%d%d%-%d%d%-%d%d)[tT ](.+)$")
    return d ~= nil and check_date(d) and check_time(t)
  end,
  email = function(s)
    local localpart, domain = s:match("^([^@]+)@([^@]+)$")
    return localpart ~= nil and localpart:match("^[%w!#$%%&'*+/=?^_`{|}~.-]+$") ~= nil
      and localpart:sub(1, 1) ~= "." and localpart:sub(-1) ~= "." and not localpart:find("..", 1, true)
      and check_hostname(domain)
  end,
  hostname = check_hostname,
  ipv4 = check_ipv4,
  ipv6 = check_ipv6,
  uuid = function(s)
    return s:match("^%x%x%x%x%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x$") ~= nil
      or s:match("^urn:uuid:") ~= nil and #s == 45
  end,
  uri = function(s)
    local scheme, rest = s:match("^(%a[%w+.%-]*):(.*)$")
    return scheme ~= nil and not rest:find("[%s<>\"{}|\\^`]")
  end,
  regex = function(s)
    -- syntax only and without the u flag, as ajv-formats (which also refuses a `\Z` after anything but `\`)
    if s:find("[^\\]\\Z") then return false end
    return (regex.check(s))
  end,
}

-- ---- compiling: $ref resolution and pattern caches --------------------------------------------------------

local function unescape_pointer(token)
  return (url.unescape(token):gsub("~1", "/"):gsub("~0", "~"))
end

local function resolve_pointer(root, pointer)
  local node = root
  for token in pointer:gmatch("/([^/]*)") do
    if type(node) ~= "table" then return nil end
    token = unescape_pointer(token)
    local nxt = node[token]
    if nxt == nil and token:match("^%d+$") then nxt = node[tonumber(token) + 1] end
    node = nxt
  end
  return node
end

-- Resolves `ref` against `base` (only what schemas use: absolute URIs, fragments, sibling paths).
local function join_uri(base, ref)
  if ref:match("^%a[%w+.%-]*:") then return ref end
  base = base or ""
  if ref:sub(1, 1) == "#" then return (base:gsub("#.*$", "")) .. ref end
  local stem = base:gsub("#.*$", ""):gsub("[^/]*$", "")
  return stem .. ref
end

local Validator = {}
Validator.__index = Validator

--- Compiles a schema (a decoded JSON value). Raises, naming the place, when the schema is malformed, uses a
--- keyword this validator refuses, or has a pattern it cannot match.
---@param schema table|boolean
---@return table validator with :validate(value)
function M.compile(schema)
  if type(schema) ~= "table" and type(schema) ~= "boolean" then
    error("bad argument #1 to 'compile' (schema table or boolean expected, got " .. type(schema) .. ")", 2)
  end
  if type(schema) == "table" and schema["$schema"] ~= nil
    and schema["$schema"] ~= "https://json-schema.org/draft/2020-12/schema" then
    error("bad argument #1 to 'compile' (draft 2020-12 expected, $schema is " .. tostring(schema["$schema"]) .. ")", 2)
  end
  local resources = {} -- absolute URI (without fragment) or URI#anchor -> schema node
  local bases = {} -- schema node -> its base URI
  local refs = {} -- schema node -> the node its $ref names
  local patterns = {} -- pattern text -> compiled regex

  local function fail(where, msg)
    error("invalid schema at " .. where .. ": " .. msg, 0)
  end

  -- pass 1: base URIs, $id and $anchor
  local function scan(node, base, where)
    if type(node) ~= "table" then return end
    if node["$id"] ~= nil and not json.is_array(node) then
      base = join_uri(base, node["$id"])
      resources[(base:gsub("#.*$", ""))] = node
    end
    if type(node["$anchor"]) == "string" then
      resources[(base:gsub("#.*$", "")) .. "#" .. node["$anchor"]] = node
    end
    bases[node] = base
    for k, v in pairs(node) do
      if type(v) == "table" then
        -- enum and const hold data, not schemas
        if k ~= "enum" and k ~= "const" and k ~= "examples" and k ~= "default" then
          scan(v, base, where .. "/" .. tostring(k))
        end
      end
    end
  end
  local root_base = type(schema) == "table" and schema["$id"] or ""
  scan(schema, "", "#")
  resources[""] = resources[""] or schema
  resources[root_base] = resources[root_base] or schema

  -- pass 2: check keywords, resolve refs, compile patterns
  local function walk(node, where)
    if type(node) == "boolean" then return end
    if type(node) ~= "table" or json.is_array(node) or (next(node) ~= nil and rawget(node, 1) ~= nil) then
      fail(where, "a schema must be an object or a boolean")
    end
    for k in pairs(UNSUPPORTED) do
      if node[k] ~= nil then fail(where, "the keyword '" .. k .. "' is not supported") end
    end
    if node["$ref"] ~= nil then
      local ref = node["$ref"]
      if type(ref) ~= "string" then fail(where, "$ref must be a string") end
      local uri = join_uri(bases[node], ref)
      local doc, frag = uri:match("^([^#]*)#?(.*)$")
      local target
      if frag == "" or frag:sub(1, 1) == "/" then
        local res = resources[doc]
        target = res and (frag == "" and res or resolve_pointer(res, frag))
      else
        target = resources[doc .. "#" .. frag]
      end
      if target == nil then fail(where, "$ref '" .. ref .. "' names nothing in this schema") end
      refs[node] = target
    end
    if node.pattern ~= nil then
      if type(node.pattern) ~= "string" then fail(where, "pattern must be a string") end
      local ok, re = pcall(regex.compile, node.pattern)
      if not ok then fail(where .. "/pattern", re) end
      patterns[node.pattern] = re
    end
    if node.type ~= nil then
      local types = type(node.type) == "table" and node.type or { node.type }
      for _, t in ipairs(types) do
        if not (t == "null" or t == "boolean" or t == "object" or t == "array" or t == "number" or t == "string"
          or t == "integer") then
          fail(where .. "/type", "unknown type " .. tostring(t))
        end
      end
    end
    if node.required ~= nil and type(node.required) ~= "table" then fail(where, "required must be an array") end
    for _, key in ipairs({ "properties", "patternProperties", "$defs", "definitions", "dependentSchemas" }) do
      if type(node[key]) == "table" then
        for name, sub in pairs(node[key]) do
          if key == "patternProperties" then
            local ok, re = pcall(regex.compile, name)
            if not ok then fail(where .. "/patternProperties", re) end
            patterns[name] = re
          end
          walk(sub, where .. "/" .. key .. "/" .. tostring(name))
        end
      end
    end
    for _, key in ipairs({ "additionalProperties", "propertyNames", "items", "contains", "not", "if", "then",
      "else" }) do
      if node[key] ~= nil then walk(node[key], where .. "/" .. key) end
    end
    for _, key in ipairs({ "allOf", "anyOf", "oneOf", "prefixItems" }) do
      if node[key] ~= nil then
        if type(node[key]) ~= "table" or #node[key] == 0 then fail(where, key .. " must be a non-empty array") end
        for i, sub in ipairs(node[key]) do walk(sub, where .. "/" .. key .. "/" .. (i - 1)) end
      end
    end
  end
  walk(schema, "#")

  return setmetatable({ schema = schema, refs = refs, patterns = patterns }, Validator)
end

-- ---- validating -------------------------------------------------------------------------------------------
-- Paths are linked lists { parent, segment } built as the walk descends, turned into arrays only for errors.

local function path_array(path)
  local rev = {}
  while path do
    rev[#rev + 1] = path[2]
    path = path[1]
  end
  local out = {}
  for i = #rev, 1, -1 do out[#out + 1] = rev[i] end
  return out
end

local check -- forward

local function add(errs, path, keyword, message, extra)
  local e = { path = path_array(path), keyword = keyword, message = message }
  if extra then
    for k, v in pairs(extra) do e[k] = v end
  end
  errs[#errs + 1] = e
end

-- True when every branch is only `required` (the "exactly one of these properties" idiom).
local function required_only(branches)
  local names = {}
  for _, b in ipairs(branches) do
    if type(b) ~= "table" or type(b.required) ~= "table" then return nil end
    for k in pairs(b) do
      if k ~= "required" and k ~= "description" and k ~= "title" then return nil end
    end
    for _, r in ipairs(b.required) do names[#names + 1] = r end
  end
  return names
end

-- For failed anyOf/oneOf: the branches whose failure is deeper than a type mismatch at the value itself.
-- When exactly one remains, its errors explain the failure best.
local function plausible_branch(results, depth)
  local found, count = nil, 0
  for i, errs in ipairs(results) do
    local shallow_type = false
    for _, e in ipairs(errs) do
      if (e.keyword == "type" or e.keyword == "const" or e.keyword == "enum") and #e.path == depth then
        shallow_type = true
      end
    end
    if not shallow_type then found, count = i, count + 1 end
  end
  return count == 1 and found or nil
end

local function describe_not(sub)
  if type(sub) ~= "table" then return "must not be valid against 'not'" end
  if type(sub.required) == "table" and #sub.required > 0 then
    return "must not have the propert" .. (#sub.required == 1 and "y " or "ies ") .. quote_list(sub.required)
  end
  if sub.const ~= nil then return "must not be " .. show(sub.const) end
  if type(sub.enum) == "table" then return "must not be one of " .. show_list(sub.enum) end
  if sub.type ~= nil then
    return "must not be of type " .. (type(sub.type) == "table" and table.concat(sub.type, " or ") or sub.type)
  end
  return "must not be valid against the schema under 'not'"
end

local function path_depth(path)
  local d = 0
  while path do d = d + 1; path = path[1] end
  return d
end

-- `chain` holds the $ref targets followed since the walk last descended into the value.
local function check_keywords(self, schema, v, path, errs, chain)
  if schema == true then return end
  if schema == false then
    add(errs, path, "false", "no value is allowed here")
    return
  end
  local k = kind(v)

  local target = self.refs[schema]
  if target then
    if chain[target] then
      error("invalid schema: a $ref loop ('" .. schema["$ref"] .. "') that never descends into the value", 0)
    end
    chain[target] = true
    check(self, target, v, path, errs, chain)
    chain[target] = nil
  end

  local t = schema.type
  if t ~= nil then
    local ok = false
    local types = type(t) == "table" and t or { t }
    for _, want in ipairs(types) do
      if want == k or (want == "number" and k == "integer") then ok = true; break end
    end
    if not ok then
      local got = (k == "object" or k == "array" or k == "null") and k or (k .. " " .. show(v))
      add(errs, path, "type", "expected " .. table.concat(types, " or ") .. ", got " .. got)
      return -- the other keywords would only repeat the mismatch
    end
  end

  if schema.const ~= nil and not equal(v, schema.const) then
    add(errs, path, "const", "expected " .. show(schema.const) .. ", got " .. show(v))
  end
  if schema.enum ~= nil then
    local ok = false
    for _, e in ipairs(schema.enum) do
      if equal(v, e) then ok = true; break end
    end
    if not ok then
      add(errs, path, "enum", "expected one of " .. show_list(schema.enum) .. ", got " .. show(v),
        { allowed = schema.enum })
    end
  end

  if k == "integer" or k == "number" then
    if schema.minimum ~= nil and v < schema.minimum then
      add(errs, path, "minimum", "expected a number >= " .. show(schema.minimum) .. ", got " .. show(v))
    end
    if schema.maximum ~= nil and v > schema.maximum then
      add(errs, path, "maximum", "expected a number <= " .. show(schema.maximum) .. ", got " .. show(v))
    end
    if schema.exclusiveMinimum ~= nil and v <= schema.exclusiveMinimum then
      add(errs, path, "exclusiveMinimum", "expected a number > " .. show(schema.exclusiveMinimum) .. ", got "
        .. show(v))
    end
    if schema.exclusiveMaximum ~= nil and v >= schema.exclusiveMaximum then
      add(errs, path, "exclusiveMaximum", "expected a number < " .. show(schema.exclusiveMaximum) .. ", got "
        .. show(v))
    end
    local m = schema.multipleOf
    if m ~= nil then
      local q = v / m
      if not is_integral(q) then
        add(errs, path, "multipleOf", "expected a multiple of " .. show(m) .. ", got " .. show(v))
      end
    end
  elseif k == "string" then
    local len
    if schema.minLength ~= nil or schema.maxLength ~= nil then len = utf8_len(v) end
    if schema.minLength ~= nil and len < schema.minLength then
      add(errs, path, "minLength", ("expected at least %d character%s, got %s"):format(schema.minLength,
        schema.minLength == 1 and "" or "s", show(v)))
    end
    if schema.maxLength ~= nil and len > schema.maxLength then
      add(errs, path, "maxLength", ("expected at most %d characters, got %d"):format(schema.maxLength, len))
    end
    if schema.pattern ~= nil and not self.patterns[schema.pattern]:test(v) then
      add(errs, path, "pattern", "expected a string matching /" .. schema.pattern .. "/, got " .. show(v),
        { pattern = schema.pattern })
    end
    local f = schema.format and FORMATS[schema.format]
    if f and not f(v) then
      add(errs, path, "format", "expected a " .. schema.format .. ", got " .. show(v))
    end
  elseif k == "array" then
    local n = array_len(v)
    if schema.minItems ~= nil and n < schema.minItems then
      add(errs, path, "minItems", ("expected at least %d item%s, got %d"):format(schema.minItems,
        schema.minItems == 1 and "" or "s", n))
    end
    if schema.maxItems ~= nil and n > schema.maxItems then
      add(errs, path, "maxItems", ("expected at most %d items, got %d"):format(schema.maxItems, n))
    end
    if schema.uniqueItems == true then
      -- quadratic in the worst case only among items that hash alike: scalars go through a set
      local seen, tables = {}, {}
      for i = 1, n do
        local item = v[i]
        local dup
        if type(item) == "table" then
          for _, j in ipairs(tables) do
            if equal(v[j], item) then dup = j; break end
          end
          tables[#tables + 1] = i
        else
          local key = (kind(item) == "integer" or kind(item) == "number") and ("n" .. tostring(item + 0.0))
            or (type(item) .. ":" .. tostring(item))
          dup = seen[key]
          seen[key] = seen[key] or i
        end
        if dup then
          add(errs, path, "uniqueItems", ("expected unique items, items %d and %d are equal"):format(dup - 1, i - 1))
          break
        end
      end
    end
    local prefix = schema.prefixItems
    local np = prefix and #prefix or 0
    for i = 1, math.min(np, n) do
      check(self, prefix[i], v[i], { path, i - 1 }, errs, {})
    end
    if schema.items ~= nil then
      for i = np + 1, n do
        check(self, schema.items, v[i], { path, i - 1 }, errs, {})
      end
    end
    if schema.contains ~= nil then
      local matches = 0
      for i = 1, n do
        local sub = {}
        check(self, schema.contains, v[i], { path, i - 1 }, sub, {})
        if #sub == 0 then matches = matches + 1 end
      end
      local min = schema.minContains or 1
      if matches < min then
        add(errs, path, "contains", ("expected at least %d item%s matching 'contains', got %d"):format(min,
          min == 1 and "" or "s", matches))
      end
      if schema.maxContains ~= nil and matches > schema.maxContains then
        add(errs, path, "maxContains", ("expected at most %d items matching 'contains', got %d"):format(
          schema.maxContains, matches))
      end
    end
  elseif k == "object" then
    if schema.required ~= nil then
      for _, name in ipairs(schema.required) do
        if v[name] == nil then
          add(errs, path, "required", "missing required property '" .. name .. "'", { property = name })
        end
      end
    end
    if schema.minProperties ~= nil or schema.maxProperties ~= nil then
      local n = count_keys(v)
      if schema.minProperties ~= nil and n < schema.minProperties then
        add(errs, path, "minProperties", ("expected at least %d propert%s, got %d"):format(schema.minProperties,
          schema.minProperties == 1 and "y" or "ies", n))
      end
      if schema.maxProperties ~= nil and n > schema.maxProperties then
        add(errs, path, "maxProperties", ("expected at most %d properties, got %d"):format(schema.maxProperties, n))
      end
    end
    if schema.dependentRequired ~= nil then
      for name, needed in pairs(schema.dependentRequired) do
        if v[name] ~= nil then
          for _, other in ipairs(needed) do
            if v[other] == nil then
              add(errs, path, "dependentRequired", "property '" .. other .. "' is required when '" .. name
                .. "' is present", { property = other })
            end
          end
        end
      end
    end
    if schema.dependentSchemas ~= nil then
      for name, sub in pairs(schema.dependentSchemas) do
        if v[name] ~= nil then check(self, sub, v, path, errs, chain) end
      end
    end
    local props, pprops, addl = schema.properties, schema.patternProperties, schema.additionalProperties
    local names = schema.propertyNames
    if props ~= nil or pprops ~= nil or addl ~= nil or names ~= nil then
      for _, key in ipairs(sorted_keys(v)) do
        local child = { path, key }
        if names ~= nil then
          local sub = {}
          check(self, names, key, child, sub, {})
          for _, e in ipairs(sub) do
            e.keyword = "propertyNames"
            e.message = "bad property name " .. show(key) .. ": " .. e.message
            e.property_name = true
            errs[#errs + 1] = e
          end
        end
        local matched = false
        if props ~= nil and props[key] ~= nil then
          matched = true
          check(self, props[key], v[key], child, errs, {})
        end
        if pprops ~= nil then
          for pat, sub in pairs(pprops) do
            if self.patterns[pat]:test(key) then
              matched = true
              check(self, sub, v[key], child, errs, {})
            end
          end
        end
        if not matched and addl ~= nil then
          if addl == false then
            local known = props and sorted_keys(props) or {}
            add(errs, child, "additionalProperties", "unexpected property '" .. key .. "'"
              .. (#known > 0 and " (expected one of " .. quote_list(known) .. ")" or ""), { property = key })
          else
            check(self, addl, v[key], child, errs, {})
          end
        end
      end
    end
  end

  if schema.allOf ~= nil then
    for _, sub in ipairs(schema.allOf) do check(self, sub, v, path, errs, chain) end
  end

  if schema.anyOf ~= nil or schema.oneOf ~= nil then
    local branches = schema.anyOf or schema.oneOf
    local one = schema.oneOf ~= nil and schema.anyOf == nil
    for pass = 1, (schema.anyOf ~= nil and schema.oneOf ~= nil) and 2 or 1 do
      if pass == 2 then branches, one = schema.oneOf, true end
      local results, passing = {}, {}
      for i, sub in ipairs(branches) do
        local sub_errs = { notes = errs.notes and {} }
        check(self, sub, v, path, sub_errs, chain)
        results[i] = sub_errs
        if #sub_errs == 0 then passing[#passing + 1] = i end
      end
      -- what a passing alternative noted (a deprecated form, say) holds for the value
      if errs.notes and (#passing == 1 or (not one and #passing > 0)) then
        for _, note in ipairs(results[passing[1]].notes) do errs.notes[#errs.notes + 1] = note end
      end
      local keyword = one and "oneOf" or "anyOf"
      local props = required_only(branches)
      if #passing == 0 then
        local best = plausible_branch(results, path_depth(path))
        if props then
          add(errs, path, keyword, (one and "expected exactly one of the properties " or
            "expected at least one of the properties ") .. quote_list(props))
        elseif best then
          for _, e in ipairs(results[best]) do errs[#errs + 1] = e end
        else
          local why = {}
          for i, r in ipairs(results) do why[i] = "(" .. i .. ") " .. (r[1] and r[1].message or "?") end
          add(errs, path, keyword, "expected a value matching " .. (one and "exactly one" or "at least one")
            .. " of " .. #branches .. " alternatives: " .. table.concat(why, "; "))
        end
      elseif one and #passing > 1 then
        if props then
          local present = {}
          for _, name in ipairs(props) do
            if v[name] ~= nil then present[#present + 1] = name end
          end
          add(errs, path, keyword, "expected exactly one of the properties " .. quote_list(props) .. ", got "
            .. quote_list(present))
        else
          add(errs, path, keyword, "expected a value matching exactly one alternative, it matches "
            .. #passing .. " (" .. table.concat(passing, " and ") .. ")")
        end
      end
    end
  end

  if schema["not"] ~= nil then
    local sub = {}
    check(self, schema["not"], v, path, sub, chain)
    if #sub == 0 then add(errs, path, "not", describe_not(schema["not"])) end
  end

  if schema["if"] ~= nil then
    local sub = {}
    check(self, schema["if"], v, path, sub, chain)
    if #sub == 0 then
      if schema["then"] ~= nil then check(self, schema["then"], v, path, errs, chain) end
    elseif schema["else"] ~= nil then
      check(self, schema["else"], v, path, errs, chain)
    end
  end
end

-- Checks `v` against `schema`, noting (in `errs.notes`, when the caller keeps notes) each place where a
-- subschema marked `deprecated: true` holds.
function check(self, schema, v, path, errs, chain)
  local before = #errs
  check_keywords(self, schema, v, path, errs, chain)
  if errs.notes and type(schema) == "table" and schema.deprecated == true and #errs == before then
    errs.notes[#errs.notes + 1] = { path = path_array(path), keyword = "deprecated",
      message = "uses a form the schema marks as deprecated" }
  end
end

--- Validates a value. Returns true, nil, and the list of notes (places where a `deprecated` subschema holds);
--- or false and the list of errors { path = {key or 0-based index, ...}, keyword = "...", message = "expected
--- ..." }, object keys taken in sorted order.
---@param value any
---@return boolean ok
---@return table[]? errors
---@return table[]? notes
function Validator:validate(value)
  local errs = { notes = {} }
  check(self, self.schema, value, nil, errs, {})
  local notes = errs.notes
  errs.notes = nil
  if #errs == 0 then return true, nil, notes end
  return false, errs
end

return M

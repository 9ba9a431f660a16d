-- gen-operations.lua: reads the Humanitec OpenAPI spec and writes the facts the SDK needs about every
-- operation, plus the operations reference and the LuaLS definitions for editors.
--
--   lua5.4 tools/gen-operations.lua /path/to/openapi.json [outdir]
--
-- Writes, relative to outdir (default: the current directory, i.e. the repository root):
--   lua/humanitec/operations.lua   the operation table (facts only), loaded by humanitec.calls
--   lua/humanitec/types.lua        a LuaLS `---@meta` file: params/schema classes, Client method stubs
--   docs/operations.md             every operation by tag (name, method, path, operationId), then each one's
--                                  parameters, body and results
--
-- Only facts travel from the spec into the project: names, methods, paths, parameter names, types, enums,
-- content types and status codes. Descriptions, summaries and examples are never read. The output depends
-- on nothing but the spec (every table is sorted before it is written), so the same spec gives the same bytes.
--
-- Operation names
--   With an operationId: its snake_case. A lower-case letter or digit followed by an upper-case letter
--   starts a word (listApplications -> list_applications); a run of capitals is one word that ends before
--   a capital followed by a lower-case letter (getHTTPServer -> get_http_server, getByID -> get_by_id);
--   a plural acronym stays one word (listUserIDs -> list_user_ids); any other character becomes `_`.
--
--   Without an operationId, the name is <verb>[_<scope>]_<noun>[_<param>] from the method and path:
--   * The `/orgs/{orgId}` prefix is dropped.
--   * Scope: `apps/{appId}` and `envs/{envId}` are scopes unless they are the last segments of the path;
--     the innermost scope names the operation (`app` or `env`; an env implies its app).
--   * Noun: every other literal segment, `-` written `_`; a literal followed by an id parameter is written
--     singular (registries/{regId} -> registry). Words that are two words run together in the URL are
--     split by the SPLIT_WORDS table below (secretstores -> secret_stores).
--   * Verb: GET -> `list` when the success response is a JSON array (or, without a JSON response, when
--     the path ends in a collection), otherwise `get`; POST -> `create` (the collection word is made
--     singular), or the action when the path has an action segment from ACTIONS (restore, purge);
--     PUT -> `update`; PATCH -> `patch`; DELETE -> `delete` (plural when the path ends in a collection:
--     it deletes them all).
--   * A parameter after an action segment is appended (…/restore/{key} -> restore_…_key).
--   Examples: GET /orgs/{orgId}/apps/{appId}/values -> list_app_values,
--   PATCH /orgs/{orgId}/apps/{appId}/envs/{envId}/values/{key} -> patch_env_value,
--   POST …/envs/{envId}/value-set-versions/{valueSetVersionId}/purge/{key} -> purge_env_value_set_version_key,
--   GET /orgs/{orgId}/registries/{regId}/creds -> get_registry_creds.
--
-- The generator fails loudly (and writes nothing) when two operations would share a name, when a name is
-- not a valid Lua identifier, when a name equals another operation's operationId, or when the spec uses a
-- feature the request builder does not support (cookie parameters, parameters without a schema, a
-- parameter named `body` or `content_type`, which the builder reserves).

local cjson = require("cjson")
-- tools/lib: the helpers the generators share.
package.path = (arg[0]:match("^(.*)/[^/]*$") or ".") .. "/lib/?.lua;" .. package.path
local gen = require "gen"
local sorted_keys = gen.sorted_keys
local tool = gen.tool("gen-operations")
local fail = tool.fail

local HTTP_METHODS = { "get", "put", "post", "delete", "options", "head", "patch", "trace" }

local SCOPES = { apps = "app", envs = "env" }
local ACTIONS = { purge = true, restore = true }
local SPLIT_WORDS = { secretstores = "secret_stores" }

local RESERVED_PARAMS = { body = true, content_type = true }

local LUA_KEYWORDS = {}
for word in ([[and break do else elseif end false for function goto if in local nil not or repeat return
  then true until while]]):gmatch("%a+") do
  LUA_KEYWORDS[word] = true
end

local LOCATION_ORDER = { path = 1, query = 2, header = 3 }

local function is_null(v)
  return v == nil or v == cjson.null
end

-- Spec access ----------------------------------------------------------------------------------------------

local spec

local function resolve_pointer(ref)
  if ref:sub(1, 2) ~= "#/" then
    fail("only local $refs are supported, got %s", ref)
  end
  local node = spec
  for part in ref:sub(3):gmatch("[^/]+") do
    part = part:gsub("~1", "/"):gsub("~0", "~")
    if type(node) ~= "table" or is_null(node[part]) then
      fail("unresolvable $ref %s", ref)
    end
    node = node[part]
  end
  return node
end

--- Follows $ref until a node without one; returns the node and the last component schema name seen.
local function deref(node)
  local name
  local hops = 0
  while type(node) == "table" and node["$ref"] ~= nil do
    local ref = node["$ref"]
    name = ref:match("^#/components/schemas/([^/]+)$") or name
    node = resolve_pointer(ref)
    hops = hops + 1
    if hops > 32 then
      fail("$ref cycle at %s", ref)
    end
  end
  return node, name
end

--- The JSON type of a schema's top level, or nil when the spec does not pin one down.
local function json_type(schema, depth)
  depth = depth or 0
  if depth > 16 then
    return nil
  end
  schema = deref(schema)
  if type(schema) ~= "table" then
    return nil
  end
  if type(schema.type) == "string" then
    return schema.type
  end
  for _, key in ipairs({ "oneOf", "anyOf" }) do
    if type(schema[key]) == "table" and #schema[key] > 0 then
      local first
      for i, member in ipairs(schema[key]) do
        local t = json_type(member, depth + 1)
        if t == nil or (i > 1 and t ~= first) then
          first = nil
          break
        end
        first = t
      end
      if first then
        return first
      end
    end
  end
  if type(schema.allOf) == "table" then
    for _, member in ipairs(schema.allOf) do
      local t = json_type(member, depth + 1)
      if t then
        return t
      end
    end
  end
  if type(schema.properties) == "table" or type(schema.additionalProperties) == "table" then
    return "object"
  end
  return nil
end

local function is_json_media(content_type)
  return content_type == "application/json" or content_type:match("%+json$") ~= nil
end

local function is_yaml_media(content_type)
  return content_type:match("yaml$") ~= nil
end

-- Names ----------------------------------------------------------------------------------------------------

local function snake_case(id)
  local s = id:gsub("[^%w]+", "_")
  s = s:gsub("(%u%u)s(%f[^%l])", "%1S")
  s = s:gsub("(%u+)(%u%l)", "%1_%2")
  s = s:gsub("([%l%d])(%u)", "%1_%2")
  s = s:lower():gsub("_+", "_"):gsub("^_", ""):gsub("_$", "")
  return s
end

local function singular(word)
  if word:match("ies$") then
    return word:sub(1, -4) .. "y"
  elseif word:match("ss$") then
    return word
  elseif word:match("s$") then
    return word:sub(1, -2)
  end
  return word
end

local function url_word(segment)
  return SPLIT_WORDS[segment] or snake_case(segment)
end

local function derived_name(method, path, response_json_type)
  local segments = {}
  for seg in path:gmatch("[^/]+") do
    segments[#segments + 1] = seg
  end
  local first = 1
  if segments[1] == "orgs" and segments[2] == "{orgId}" then
    first = 3
  end
  local function param_name(seg)
    return seg:match("^{(.+)}$")
  end
  local scope, action, suffix
  local words = {}
  local ends_in_collection = false
  local i = first
  while i <= #segments do
    local seg = segments[i]
    local pname = param_name(seg)
    local next_is_param = segments[i + 1] ~= nil and param_name(segments[i + 1]) ~= nil
    if pname then
      if action then
        suffix = snake_case(pname)
      else
        words[#words + 1] = snake_case(pname)
      end
      ends_in_collection = false
      i = i + 1
    elseif SCOPES[seg] and next_is_param and i + 1 < #segments then
      scope = SCOPES[seg]
      i = i + 2
    elseif ACTIONS[seg] and method == "post" then
      action = seg
      ends_in_collection = false
      i = i + 1
    elseif next_is_param then
      words[#words + 1] = singular(url_word(seg))
      ends_in_collection = false
      i = i + 2
    else
      words[#words + 1] = url_word(seg)
      ends_in_collection = true
      i = i + 1
    end
  end
  if #words == 0 then
    fail("cannot derive a name for %s %s: no resource in the path", method:upper(), path)
  end
  local verb
  if method == "get" then
    if response_json_type == "array" or (response_json_type == nil and ends_in_collection) then
      verb = "list"
    else
      verb = "get"
    end
  elseif method == "post" then
    if action then
      verb = action
    else
      verb = "create"
      if ends_in_collection then
        words[#words] = singular(words[#words])
      end
    end
  elseif method == "put" then
    verb = "update"
  elseif method == "patch" then
    verb = "patch"
  elseif method == "delete" then
    verb = "delete"
  else
    verb = method
  end
  local parts = { verb }
  if scope then
    parts[#parts + 1] = scope
  end
  for _, w in ipairs(words) do
    parts[#parts + 1] = w
  end
  if suffix then
    parts[#parts + 1] = suffix
  end
  return table.concat(parts, "_")
end

-- Facts ----------------------------------------------------------------------------------------------------

local function param_facts(op_label, raw)
  local p = deref(raw)
  if type(p.name) ~= "string" or type(p["in"]) ~= "string" then
    fail("%s: parameter without name or location", op_label)
  end
  if LOCATION_ORDER[p["in"]] == nil then
    fail("%s: parameter %s is in %s, which the request builder does not support", op_label, p.name, p["in"])
  end
  if RESERVED_PARAMS[p.name] then
    fail("%s: parameter named %s clashes with the builder's reserved key", op_label, p.name)
  end
  if is_null(p.schema) then
    fail("%s: parameter %s has no schema", op_label, p.name)
  end
  local schema = deref(p.schema)
  local ptype = json_type(schema)
  if ptype == nil then
    fail("%s: parameter %s has no type", op_label, p.name)
  end
  local fact = {
    name = p.name,
    location = p["in"],
    required = p.required == true,
    type = ptype,
  }
  if type(schema.enum) == "table" then
    fact.enum = schema.enum
  end
  if ptype == "array" then
    local items = deref(schema.items or {})
    fact.items = { type = json_type(items) or "string", enum = type(items.enum) == "table" and items.enum or nil }
  elseif ptype == "object" then
    local ap = schema.additionalProperties
    local vtype = "string"
    if type(ap) == "table" then
      vtype = json_type(ap) or "string"
    end
    fact.values = { type = vtype }
  end
  if fact.location == "query" and (ptype == "array" or ptype == "object") then
    fact.style = type(p.style) == "string" and p.style or "form"
    if type(p.explode) == "boolean" then
      fact.explode = p.explode
    else
      fact.explode = fact.style == "form"
    end
    if fact.style ~= "form" and fact.style ~= "deepObject" then
      fail("%s: parameter %s uses style %s, which the request builder does not support", op_label, p.name,
        fact.style)
    end
  end
  return fact
end

local function collect_operations()
  local ops = {}
  for _, path in ipairs(sorted_keys(spec.paths)) do
    local item = spec.paths[path]
    local shared = {}
    if type(item.parameters) == "table" then
      shared = item.parameters
    end
    for _, method in ipairs(HTTP_METHODS) do
      local o = item[method]
      if type(o) == "table" then
        local label = method:upper() .. " " .. path
        -- Parameters: path-level ones, overridden by operation-level ones with the same name and location.
        local by_key, order = {}, {}
        local function add(raw)
          local f = param_facts(label, raw)
          local key = f.location .. ":" .. f.name
          if by_key[key] == nil then
            order[#order + 1] = key
          end
          by_key[key] = f
        end
        for _, raw in ipairs(shared) do
          add(raw)
        end
        if type(o.parameters) == "table" then
          for _, raw in ipairs(o.parameters) do
            add(raw)
          end
        end
        local params, seen_names = {}, {}
        for _, key in ipairs(order) do
          local f = by_key[key]
          if seen_names[f.name] then
            fail("%s: parameter name %s is used in two locations", label, f.name)
          end
          seen_names[f.name] = true
          params[#params + 1] = f
        end
        -- Path template placeholders must match the path parameters exactly.
        local placeholders, position = {}, {}
        for name in path:gmatch("{([^}]+)}") do
          placeholders[#placeholders + 1] = name
          position[name] = #placeholders
        end
        for _, f in ipairs(params) do
          if f.location == "path" then
            if not position[f.name] then
              fail("%s: path parameter %s is not in the path template", label, f.name)
            end
            f.required = true
          end
        end
        for _, name in ipairs(placeholders) do
          if not seen_names[name] then
            fail("%s: placeholder {%s} has no parameter", label, name)
          end
        end
        table.sort(params, function(a, b)
          if a.location ~= b.location then
            return LOCATION_ORDER[a.location] < LOCATION_ORDER[b.location]
          end
          if a.location == "path" then
            return position[a.name] < position[b.name]
          end
          return a.name < b.name
        end)

        -- Request body.
        local body
        if not is_null(o.requestBody) then
          local rb = deref(o.requestBody)
          local content = type(rb.content) == "table" and rb.content or {}
          local types = sorted_keys(content)
          if #types == 0 then
            fail("%s: request body without content types", label)
          end
          body = { required = rb.required == true, content_types = types }
          for _, ct in ipairs(types) do
            if is_json_media(ct) then
              local media = content[ct]
              body.json_type = json_type(type(media) == "table" and media.schema or {})
              body.json_schema = type(media) == "table" and media.schema or nil
              break
            end
          end
        end

        -- Responses.
        local status, response_types, link = {}, {}, false
        local response_schema
        for _, code in ipairs(sorted_keys(o.responses or {})) do
          if code:match("^2%d%d$") then
            status[#status + 1] = tonumber(code)
            local r = deref(o.responses[code])
            if type(r.content) == "table" then
              for _, ct in ipairs(sorted_keys(r.content)) do
                response_types[ct] = true
                if response_schema == nil and is_json_media(ct) and type(r.content[ct]) == "table"
                  and not is_null(r.content[ct].schema) then
                  response_schema = r.content[ct].schema
                end
              end
            end
            if type(r.headers) == "table" then
              for hname in pairs(r.headers) do
                if hname:lower() == "link" then
                  link = true
                end
              end
            end
          elseif code:match("^2") then
            fail("%s: unsupported response code %s", label, code)
          end
        end
        table.sort(status)

        local has_page, has_per_page = false, false
        for _, f in ipairs(params) do
          if f.location == "query" and f.name == "page" then
            has_page = true
          elseif f.location == "query" and f.name == "per_page" then
            has_per_page = true
          end
        end

        local tags = {}
        if type(o.tags) == "table" then
          for _, t in ipairs(o.tags) do
            tags[#tags + 1] = t
          end
        end
        table.sort(tags)

        local operation_id = type(o.operationId) == "string" and o.operationId or nil
        local name
        if operation_id then
          name = snake_case(operation_id)
        else
          name = derived_name(method, path, response_schema and json_type(response_schema) or nil)
        end

        ops[#ops + 1] = {
          name = name,
          operation_id = operation_id,
          method = method:upper(),
          path = path,
          tags = tags,
          deprecated = o.deprecated == true,
          params = params,
          body = body,
          status = status,
          response_types = sorted_keys(response_types),
          response_schema = response_schema,
          list = response_schema ~= nil and json_type(response_schema) == "array",
          paginated = has_page or has_per_page or link,
          pagination = (has_page or has_per_page or link)
            and { page = has_page, per_page = has_per_page, link = link } or nil,
        }
      end
    end
  end
  return ops
end

-- The names a client answers before any operation: its methods (in the modules that install them) and the
-- workflow helpers. An operation named like one of them could never be called as a method, so it is refused.
local CLIENT_SOURCES = {
  "lua/humanitec/client.lua", "lua/humanitec/pipeline.lua", "lua/humanitec/async.lua", "lua/humanitec/paginate.lua",
}

local function client_names()
  local names = {}
  for _, path in ipairs(CLIENT_SOURCES) do
    local f = io.open(path, "rb")
    if f then
      local text = f:read("*a")
      f:close()
      for name in text:gmatch("function Client[:.]([%a_][%w_]*)") do names[name] = path end
      for name in text:gmatch("\nClient%.([%a_][%w_]*)%s*=") do names[name] = path end
    end
  end
  local helpers = io.open("lua/humanitec/vocabulary.lua", "rb")
  if helpers then
    local text = helpers:read("*a")
    helpers:close()
    local block = text:match("\nM%.HELPERS = (%b{})") or ""
    for name in block:gmatch("\n  ([%a_][%w_]*) = ") do names[name] = "a workflow helper" end
  end
  return names
end

local function check_names(ops)
  local taken = client_names()
  local by_name, by_id = {}, {}
  for _, op in ipairs(ops) do
    if taken[op.name] then
      fail("%s %s would be named %s, which the client already answers (%s): rename the method or the helper",
        op.method, op.path, op.name, taken[op.name])
    end
  end
  for _, op in ipairs(ops) do
    local label = op.method .. " " .. op.path
    if not op.name:match("^[%a_][%w_]*$") or LUA_KEYWORDS[op.name] then
      fail("%s: name %q is not a valid Lua identifier", label, op.name)
    end
    if by_name[op.name] then
      local other = by_name[op.name]
      fail("%s and %s %s would both be named %s", label, other.method, other.path, op.name)
    end
    by_name[op.name] = op
    if op.operation_id then
      if by_id[op.operation_id] then
        fail("operationId %s is used twice", op.operation_id)
      end
      by_id[op.operation_id] = op
    end
  end
  for id, op in pairs(by_id) do
    local other = by_name[id]
    if other and other ~= op then
      fail("operationId %s of %s is also the name of %s", id, op.name, other.name)
    end
  end
  table.sort(ops, function(a, b)
    return a.name < b.name
  end)
end

-- Writing Lua ----------------------------------------------------------------------------------------------

local function lua_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    if c == '"' then
      return '\\"'
    elseif c == "\\" then
      return "\\\\"
    end
    return string.format("\\%03d", c:byte())
  end) .. '"'
end

local function lua_key(k)
  if k:match("^[%a_][%w_]*$") and not LUA_KEYWORDS[k] then
    return k
  end
  return "[" .. lua_string(k) .. "]"
end

local function lua_value(v)
  local t = type(v)
  if t == "string" then
    return lua_string(v)
  elseif t == "boolean" then
    return tostring(v)
  elseif t == "number" then
    if math.type(v) == "integer" or v == math.floor(v) then
      return string.format("%d", v)
    end
    return string.format("%.17g", v)
  end
  fail("cannot write a %s", t)
end

local function enum_values(list)
  local out = {}
  for i, v in ipairs(list) do
    if is_null(v) then
      fail("null in an enum is not supported")
    end
    out[i] = v
  end
  return out
end

-- A table to write: entries are { k = key, v = node } (k nil in a list); a node is a table or a Lua literal
-- (a string of Lua source). Written on one line when that fits, else one entry per line.
local MAX_LINE = 120

local function node_table(entries, multiline)
  return { entries = entries, multiline = multiline }
end

local function node_list(list)
  local entries = {}
  for i, v in ipairs(list) do
    entries[i] = { v = lua_value(v) }
  end
  return node_table(entries)
end

local function inline(node)
  if type(node) == "string" then
    return node
  end
  if #node.entries == 0 then
    return "{}"
  end
  local parts = {}
  for i, e in ipairs(node.entries) do
    parts[i] = (e.k and (lua_key(e.k) .. " = ") or "") .. inline(e.v)
  end
  return "{ " .. table.concat(parts, ", ") .. " }"
end

local function emit(w, node, indent, prefix, suffix)
  local one = indent .. prefix .. inline(node) .. suffix
  if type(node) == "string" or #node.entries == 0 or (#one <= MAX_LINE and not node.multiline) then
    w(one)
    return
  end
  w(indent .. prefix .. "{")
  for _, e in ipairs(node.entries) do
    emit(w, e.v, indent .. "  ", e.k and (lua_key(e.k) .. " = ") or "", ",")
  end
  w(indent .. "}" .. suffix)
end

local function param_node(f)
  local entries = {
    { k = "name", v = lua_string(f.name) },
    { k = "in", v = lua_string(f.location) },
    { k = "required", v = tostring(f.required) },
    { k = "type", v = lua_string(f.type) },
  }
  if f.enum then
    entries[#entries + 1] = { k = "enum", v = node_list(enum_values(f.enum)) }
  end
  if f.items then
    local it = { { k = "type", v = lua_string(f.items.type) } }
    if f.items.enum then
      it[2] = { k = "enum", v = node_list(enum_values(f.items.enum)) }
    end
    entries[#entries + 1] = { k = "items", v = node_table(it) }
  end
  if f.values then
    entries[#entries + 1] = { k = "values", v = node_table({ { k = "type", v = lua_string(f.values.type) } }) }
  end
  if f.style then
    entries[#entries + 1] = { k = "style", v = lua_string(f.style) }
    entries[#entries + 1] = { k = "explode", v = tostring(f.explode) }
  end
  return node_table(entries)
end

local function operation_node(op)
  local entries = { { k = "name", v = lua_string(op.name) } }
  local function add(k, v)
    entries[#entries + 1] = { k = k, v = v }
  end
  if op.operation_id then
    add("operation_id", lua_string(op.operation_id))
  end
  add("method", lua_string(op.method))
  add("path", lua_string(op.path))
  add("tags", node_list(op.tags))
  add("deprecated", tostring(op.deprecated))
  add("paginated", tostring(op.paginated))
  if op.list then add("list", "true") end
  if op.pagination then
    add("pagination", node_table({
      { k = "page", v = tostring(op.pagination.page) },
      { k = "per_page", v = tostring(op.pagination.per_page) },
      { k = "link", v = tostring(op.pagination.link) },
    }))
  end
  local params = {}
  for i, f in ipairs(op.params) do
    params[i] = { v = param_node(f) }
  end
  add("params", node_table(params, true))
  if op.body then
    local body = {
      { k = "required", v = tostring(op.body.required) },
      { k = "content_types", v = node_list(op.body.content_types) },
    }
    if op.body.json_type then
      body[3] = { k = "json_type", v = lua_string(op.body.json_type) }
    end
    add("body", node_table(body))
  end
  add("responses", node_table({
    { k = "status", v = node_list(op.status) },
    { k = "content_types", v = node_list(op.response_types) },
  }))
  return node_table(entries, true)
end

-- Operations per generated function. LuaJIT caps the constants of one function; a chunk of this many
-- operations stays far below the cap however the spec grows.
local CHUNK = 40

local function render_operations(ops, version)
  local out = {}
  local function w(s)
    out[#out + 1] = s
  end
  w("-- Generated by tools/gen-operations.lua from the Humanitec OpenAPI spec, version " .. version .. ".")
  w("-- Do not edit by hand: regenerate with `lua5.4 tools/gen-operations.lua <openapi.json>`.")
  w("-- Facts only: name, operationId, method, path template, parameters, request body, success responses.")
  w("--")
  w("-- operations[name] = {")
  w("--   name, operation_id (nil when the spec has none), method, path (template, relative to the base URL),")
  w("--   tags, deprecated, paginated, pagination = { page, per_page, link } (only when paginated),")
  w("--   list = true (only when the success answer is a JSON array),")
  w('--   params = { { name, ["in"] = "path"|"query"|"header", required, type, enum?, items = { type, enum? }?,')
  w('--              values = { type }? (objects), style = "form"|"deepObject"?, explode? }, ... },')
  w("--   body = { required, content_types, json_type? } or nil,")
  w("--   responses = { status = { 2xx codes }, content_types = { ... } },")
  w("-- }")
  w("")
  w("-- luacheck: ignore 631")
  w("")
  w("local operations = {}")
  w("")
  local chunk_count = 0
  for first = 1, #ops, CHUNK do
    chunk_count = chunk_count + 1
    w("local function chunk_" .. chunk_count .. "(ops)")
    for i = first, math.min(first + CHUNK - 1, #ops) do
      local op = ops[i]
      emit(w, operation_node(op), "  ", "ops." .. op.name .. " = ", "")
    end
    w("end")
    w("")
  end
  for i = 1, chunk_count do
    w("chunk_" .. i .. "(operations)")
  end
  w("")
  w("local by_operation_id = {}")
  w("local names = {}")
  w("for name, op in pairs(operations) do")
  w("  names[#names + 1] = name")
  w("  if op.operation_id then")
  w("    by_operation_id[op.operation_id] = op")
  w("  end")
  w("end")
  w("table.sort(names)")
  w("")
  w("return {")
  w("  version = " .. lua_string(version) .. ",")
  w("  count = " .. #ops .. ",")
  w("  operations = operations,")
  w("  by_operation_id = by_operation_id,")
  w("  names = names,")
  w("}")
  return table.concat(out, "\n") .. "\n"
end

-- Writing the docs -----------------------------------------------------------------------------------------

local function md_cell(s)
  return (s:gsub("|", "\\|"))
end

local function render_docs(ops, version)
  local by_tag = {}
  for _, op in ipairs(ops) do
    local real = {}
    for _, t in ipairs(op.tags) do
      if t ~= "public" then
        real[#real + 1] = t
      end
    end
    if #real == 0 then
      real[1] = "untagged"
    end
    for _, t in ipairs(real) do
      by_tag[t] = by_tag[t] or {}
      table.insert(by_tag[t], op)
    end
  end
  local groups, placed = {}, {}
  if type(spec["x-tagGroups"]) == "table" then
    for _, g in ipairs(spec["x-tagGroups"]) do
      if type(g.name) == "string" and type(g.tags) == "table" then
        local tags = {}
        for _, t in ipairs(g.tags) do
          if by_tag[t] and not placed[t] then
            tags[#tags + 1] = t
            placed[t] = true
          end
        end
        if #tags > 0 then
          groups[#groups + 1] = { name = g.name, tags = tags }
        end
      end
    end
  end
  local rest = {}
  for _, t in ipairs(sorted_keys(by_tag)) do
    if not placed[t] then
      rest[#rest + 1] = t
    end
  end
  if #rest > 0 then
    groups[#groups + 1] = { name = "Other", tags = rest }
  end

  local unnamed = 0
  for _, op in ipairs(ops) do
    if not op.operation_id then
      unnamed = unnamed + 1
    end
  end

  local out = {}
  local function w(s)
    out[#out + 1] = s
  end
  w("# Operations")
  w("")
  w("<!-- Generated by tools/gen-operations.lua; do not edit by hand. -->")
  w("")
  w(string.format("Humanitec API version %s: %d operations, %d of them without an operationId (their names are "
    .. "derived from the method and path; the rule is at the top of `tools/gen-operations.lua`).", version, #ops,
    unnamed))
  w("")
  w("Call an operation by name (`client:call(\"list_applications\", { orgId = \"acme\" })`) or by operationId. "
    .. "Parameters use the spec's names; the request body is `body`. An operation listed under two tags appears "
    .. "under both.")
  w("")
  w("Notes: *paginated* operations take `page`/`per_page` and/or answer with a `Link` header; *deprecated* ones are "
    .. "deprecated in the spec.")
  for _, g in ipairs(groups) do
    w("")
    w("## " .. g.name)
    for _, t in ipairs(g.tags) do
      w("")
      w("### " .. t)
      w("")
      w("| Name | Method | Path | operationId | Notes |")
      w("| --- | --- | --- | --- | --- |")
      for _, op in ipairs(by_tag[t]) do
        local notes = {}
        if op.paginated then
          notes[#notes + 1] = "paginated"
        end
        if op.deprecated then
          notes[#notes + 1] = "deprecated"
        end
        w(string.format("| `%s` | %s | `%s` | %s | %s |", op.name, op.method, md_cell(op.path),
          op.operation_id and ("`" .. op.operation_id .. "`") or "—", table.concat(notes, ", ")))
      end
    end
  end
  return table.concat(out, "\n") .. "\n"
end

-- Writing the LuaLS definitions ----------------------------------------------------------------------------

local SCHEMA_PREFIX = "humanitec.schema."
local PARAMS_PREFIX = "humanitec.params."

local function luals_literal(v)
  if type(v) == "string" and not v:find('[%c"\\]') then
    return '"' .. v .. '"'
  end
  return nil
end

local luals_type

local function union(types)
  local seen, out = {}, {}
  for _, t in ipairs(types) do
    if not seen[t] then
      seen[t] = true
      out[#out + 1] = t
    end
  end
  return table.concat(out, "|")
end

local function enum_type(enum, fallback)
  local lits = {}
  for _, v in ipairs(enum) do
    local lit = luals_literal(v)
    if not lit then
      return fallback
    end
    lits[#lits + 1] = lit
  end
  if #lits == 0 then
    return fallback
  end
  return union(lits)
end

function luals_type(schema, depth)
  depth = depth or 0
  if type(schema) ~= "table" or depth > 16 then
    return "any"
  end
  if type(schema["$ref"]) == "string" then
    local name = schema["$ref"]:match("^#/components/schemas/([^/]+)$")
    if name then
      return SCHEMA_PREFIX .. name
    end
    return luals_type(deref(schema), depth + 1)
  end
  for _, key in ipairs({ "oneOf", "anyOf" }) do
    if type(schema[key]) == "table" and #schema[key] > 0 then
      local types = {}
      for _, m in ipairs(schema[key]) do
        types[#types + 1] = luals_type(m, depth + 1)
      end
      return union(types)
    end
  end
  if type(schema.allOf) == "table" and #schema.allOf == 1 then
    return luals_type(schema.allOf[1], depth + 1)
  end
  local t = schema.type
  if t == "string" then
    if type(schema.enum) == "table" then
      return enum_type(schema.enum, "string")
    end
    return "string"
  elseif t == "integer" or t == "number" or t == "boolean" then
    return t
  elseif t == "array" then
    local item = luals_type(schema.items, depth + 1)
    if item:find("|", 1, true) then
      item = "(" .. item .. ")"
    end
    return item .. "[]"
  elseif t == "object" or type(schema.properties) == "table" or schema.additionalProperties ~= nil then
    local ap = schema.additionalProperties
    if type(schema.properties) == "table" and next(schema.properties) ~= nil then
      return "table"
    end
    if type(ap) == "table" and next(ap) ~= nil then
      return "table<string, " .. luals_type(ap, depth + 1) .. ">"
    elseif ap == true or type(ap) == "table" then
      return "table<string, any>"
    end
    return "table"
  end
  return "any"
end

local function field_line(name, ltype, optional)
  if name:match("^[%a_][%w_]*$") and not LUA_KEYWORDS[name] then
    return "---@field " .. name .. (optional and "? " or " ") .. ltype
  end
  if optional then
    if ltype:find("|", 1, true) then
      ltype = "(" .. ltype .. ")"
    end
    ltype = ltype .. "?"
  end
  return "---@field [" .. lua_string(name) .. "] " .. ltype
end

local function required_set(schema)
  local set = {}
  if type(schema.required) == "table" then
    for _, n in ipairs(schema.required) do
      set[n] = true
    end
  end
  return set
end

local function property_lines(schema, lines)
  if type(schema.properties) ~= "table" then
    return
  end
  local required = required_set(schema)
  for _, pname in ipairs(sorted_keys(schema.properties)) do
    local ps = schema.properties[pname]
    local optional = not required[pname] or (type(ps) == "table" and ps.nullable == true)
    lines[#lines + 1] = field_line(pname, luals_type(ps), optional)
  end
end

local function render_schema(name, schema, w)
  local full = SCHEMA_PREFIX .. name
  local has_union = (type(schema.oneOf) == "table" and #schema.oneOf > 0)
    or (type(schema.anyOf) == "table" and #schema.anyOf > 0)
  local has_props = type(schema.properties) == "table" and next(schema.properties) ~= nil
  if has_union then
    w("---@alias " .. full .. " " .. luals_type(schema))
    return
  end
  if type(schema.allOf) == "table" then
    local parents, lines = {}, {}
    for _, member in ipairs(schema.allOf) do
      if type(member) == "table" and type(member["$ref"]) == "string"
        and member["$ref"]:match("^#/components/schemas/") then
        parents[#parents + 1] = luals_type(member)
      elseif type(member) == "table" then
        property_lines(member, lines)
      end
    end
    property_lines(schema, lines)
    local head = "---@class " .. full
    if #parents > 0 then
      head = head .. ": " .. table.concat(parents, ", ")
    end
    w(head)
    for _, l in ipairs(lines) do
      w(l)
    end
    return
  end
  if has_props or (schema.type == "object" and schema.additionalProperties == nil) then
    w("---@class " .. full)
    local lines = {}
    property_lines(schema, lines)
    for _, l in ipairs(lines) do
      w(l)
    end
    return
  end
  w("---@alias " .. full .. " " .. luals_type(schema))
end

local function param_luals_type(f)
  local t
  if f.type == "string" then
    t = f.enum and enum_type(f.enum, "string") or "string"
  elseif f.type == "integer" or f.type == "number" or f.type == "boolean" then
    t = f.type
  elseif f.type == "array" then
    local it = f.items.enum and enum_type(f.items.enum, f.items.type) or f.items.type
    if it:find("|", 1, true) then
      it = "(" .. it .. ")"
    end
    t = it .. "[]"
  elseif f.type == "object" then
    t = "table<string, " .. f.values.type .. ">"
  else
    t = "any"
  end
  return t
end

local MULTIPART_TYPE = "table<string, humanitec.MultipartField>"

local function body_luals_type(body)
  local types = {}
  for _, ct in ipairs(body.content_types) do
    if is_json_media(ct) then
      types[#types + 1] = body.json_schema and luals_type(body.json_schema) or "any"
    elseif is_yaml_media(ct) then
      types[#types + 1] = "string"
    elseif ct:match("^multipart/form%-data") then
      types[#types + 1] = MULTIPART_TYPE
    else
      types[#types + 1] = "string"
    end
  end
  return union(types)
end

local function response_luals_type(op)
  if #op.response_types == 0 then
    return "true" -- the client answers an empty success body with true
  end
  local types = {}
  local json_seen = false
  for _, ct in ipairs(op.response_types) do
    if is_json_media(ct) then
      json_seen = true
    else
      types[#types + 1] = "string"
    end
  end
  if json_seen then
    table.insert(types, 1, op.response_schema and luals_type(op.response_schema) or "any")
  end
  return union(types)
end

-- A parameter's type for the reference: the JSON type, an array's item type, an object's value type.
local function param_doc_type(f)
  if f.type == "array" then
    return f.items.type .. "[]"
  elseif f.type == "object" then
    return "object of " .. f.values.type
  end
  return f.type or "any"
end

local function enum_doc(list)
  if not list then
    return ""
  end
  local out = {}
  for _, v in ipairs(list) do
    out[#out + 1] = "`" .. md_cell(type(v) == "string" and v or lua_value(v)) .. "`"
  end
  return table.concat(out, ", ")
end

-- For docs/operations.md: every operation's parameters (name, where it goes, type, required, values), its
-- body and what it returns, from the same facts as operations.lua and types.lua.
local function render_reference(ops)
  local out = {}
  local function w(s)
    out[#out + 1] = s
  end
  w("")
  w("## Parameters and results")
  w("")
  w("Types are the spec's JSON types; a body or result names its schema as `humanitec.schema.*` in "
    .. "`lua/humanitec/types.lua`. `orgId` may be left out when the client has an organization.")
  local sorted = {}
  for _, op in ipairs(ops) do
    sorted[#sorted + 1] = op
  end
  table.sort(sorted, function(a, b)
    return a.name < b.name
  end)
  for _, op in ipairs(sorted) do
    w("")
    w("### `" .. op.name .. "`")
    w("")
    w(string.format("%s `%s`%s%s", op.method, md_cell(op.path),
      op.operation_id and (" (`" .. op.operation_id .. "`)") or "", op.deprecated and ", deprecated" or ""))
    if #op.params > 0 or op.body then
      w("")
      w("| Parameter | In | Type | Required | Values |")
      w("| --- | --- | --- | --- | --- |")
      for _, f in ipairs(op.params) do
        w(string.format("| `%s` | %s | %s | %s | %s |", md_cell(f.name), f.location, md_cell(param_doc_type(f)),
          f.required and "yes" or "no", enum_doc(f.enum or (f.items and f.items.enum))))
      end
      if op.body then
        w(string.format("| `body` | body | `%s` | %s | %s |", md_cell(body_luals_type(op.body)),
          op.body.required and "yes" or "no", md_cell(table.concat(op.body.content_types, ", "))))
      end
    end
    w("")
    local codes = {}
    for _, c in ipairs(op.status) do
      codes[#codes + 1] = tostring(c)
    end
    w(string.format("Returns %s: `%s`%s", table.concat(codes, ", "), md_cell(response_luals_type(op)),
      #op.response_types > 0 and (" (" .. md_cell(table.concat(op.response_types, ", ")) .. ")") or ""))
  end
  return table.concat(out, "\n") .. "\n"
end

local function render_types(ops, version)
  local out = {}
  local function w(s)
    out[#out + 1] = s
  end
  w("---@meta _")
  w("-- luacheck: ignore")
  w("-- Generated by tools/gen-operations.lua from the Humanitec OpenAPI spec, version " .. version .. ".")
  w("-- Do not edit by hand. Definitions for LuaLS (sumneko lua-language-server); never required at run time.")
  w("")
  w("---@class humanitec.Client")
  w("local Client = {}")
  w("")
  w("-- A file part of a multipart/form-data body (humanitec.calls).")
  w("---@class humanitec.MultipartFile")
  w("---@field content string")
  w("---@field filename? string")
  w("---@field content_type? string")
  w("")
  w("---@alias humanitec.MultipartField string|number|boolean|humanitec.MultipartFile")
  w("")
  w("-- Schemas (components/schemas) ------------------------------------------------------------------------")
  local schemas = type(spec.components) == "table" and type(spec.components.schemas) == "table"
    and spec.components.schemas or {}
  for _, name in ipairs(sorted_keys(schemas)) do
    w("")
    render_schema(name, schemas[name], w)
  end
  w("")
  w("-- Operation parameters ---------------------------------------------------------------------------------")
  for _, op in ipairs(ops) do
    w("")
    w("---@class " .. PARAMS_PREFIX .. op.name)
    for _, f in ipairs(op.params) do
      -- orgId falls back to the client's org, so callers may leave it out.
      local optional = not f.required or f.name == "orgId"
      w(field_line(f.name, param_luals_type(f), optional))
    end
    if op.body then
      w(field_line("body", body_luals_type(op.body), not op.body.required))
      if #op.body.content_types > 1 then
        local lits = {}
        for _, ct in ipairs(op.body.content_types) do
          lits[#lits + 1] = luals_literal(ct) or "string"
        end
        w(field_line("content_type", union(lits), true))
      end
    end
  end
  w("")
  w("-- Operations -------------------------------------------------------------------------------------------")
  for _, op in ipairs(ops) do
    local all_optional = true
    for _, f in ipairs(op.params) do
      if f.required and f.name ~= "orgId" then
        all_optional = false
      end
    end
    if op.body and op.body.required then
      all_optional = false
    end
    w("")
    -- The summary LuaLS shows, made from facts: the method and path, and the operationId.
    w(string.format("--- %s %s%s", op.method, op.path, op.operation_id and (" (" .. op.operation_id .. ")") or ""))
    if op.deprecated then
      w("---@deprecated")
    end
    w("---@param params" .. (all_optional and "? " or " ") .. PARAMS_PREFIX .. op.name)
    w("---@return " .. response_luals_type(op) .. "|nil data")
    w("---@return humanitec.Error|nil err")
    w("---@return humanitec.Response|nil response")
    w("function Client:" .. op.name .. "(params) end")
  end
  return table.concat(out, "\n") .. "\n"
end

-- Main -----------------------------------------------------------------------------------------------------

local function main(argv)
  local spec_path, outdir = argv[1], argv[2] or "."
  if not spec_path then
    io.stderr:write("usage: lua5.4 tools/gen-operations.lua <openapi.json> [outdir]\n")
    os.exit(2)
  end
  spec = tool.read_json(spec_path)
  if type(spec.paths) ~= "table" or type(spec.info) ~= "table" or type(spec.info.version) ~= "string" then
    fail("%s does not look like an OpenAPI document", spec_path)
  end
  local ops = collect_operations()
  check_names(ops)
  local version = spec.info.version
  local files = {
    { "lua/humanitec/operations.lua", render_operations(ops, version) },
    { "lua/humanitec/types.lua", render_types(ops, version) },
    { "docs/operations.md", render_docs(ops, version) .. render_reference(ops) },
  }
  for _, dir in ipairs({ "lua", "lua/humanitec", "docs" }) do
    os.execute("mkdir -p '" .. (outdir .. "/" .. dir):gsub("'", "'\\''") .. "'")
  end
  for _, f in ipairs(files) do
    tool.write_file(outdir .. "/" .. f[1], f[2])
  end
  io.stderr:write(string.format("gen-operations: %d operations from spec %s into %s\n", #ops, version, outdir))
end

main(arg)

--- `humanitec apply -f FILE|DIR|-` and `delete -f`: documents with a `kind` made true in the API, idempotently.
--
-- A document is humctl's shape (`kind`, `id`, `entity: {fields}`) or a plain one (`kind` and the fields side by
-- side); `kind: Pipeline` is a pipeline definition itself. The kind's name, CamelCase, is turned into a kind of
-- the command line (Application: applications; EnvironmentType: environment-types), plus humctl's short names
-- (Definition, Account, Driver). An app-level kind takes its app from the document's `app` or --app, an
-- environment-level one its env from `env` or --env.
--
-- Apply reads what exists and compares the fields the document gives: nothing differs, nothing is sent
-- ("unchanged"); otherwise only the differing fields are sent. What cannot be read back (secret values, a
-- resource definition's driver_inputs.secrets) never counts as a difference once the thing exists.
local args_ = require "humanitec.cli.args"
local fail = require "humanitec.cli.fail"
local format = require "humanitec.cli.format"
local humanitec = require "humanitec"
local input = require "humanitec.cli.input"
local json = require "humanitec.json"
local kinds = require "humanitec.cli.kinds"
local output = require "humanitec.cli.output"
local params_ = require "humanitec.cli.params"

local M = {}

-- humctl's short kind names.
local ALIASES = { Definition = "ResourceDefinition", Account = "ResourceAccount", Driver = "ResourceDriver" }

--- Declares the command on `parser`.
function M.declare(parser, state)
  local apply = args_.command(parser, state, "apply", "Create or update what YAML or JSON documents describe.", {
    "apply -f shop.yaml", "apply -f platform/ --dry-run", "cat shop.yaml | humanitec apply -f -",
    "apply -f values.yaml --app shop --env production -o json",
  }, "Each document has a kind (Application, Environment, EnvironmentType, ResourceDefinition, "
    .. "ResourceAccount, Value, Pipeline, ...) and either humctl's 'id' and 'entity' or its fields at the top. "
    .. "Several documents per file ('---'); a directory means its .yaml, .yml and .json files. Applying twice "
    .. "changes nothing the second time, and says so. --dry-run prints the changes as a diff and sends nothing "
    .. "that changes anything.")
  apply:option("-f --filename", "A file, a directory, or - for standard input."):argname("<file>")
    :target("file")
  apply:flag("--dry-run", "Print what would change; change nothing.")
end

-- "ResourceDefinition" -> "resource-definition"
local function kebab(name)
  return (name:gsub("(%l)(%u)", "%1-%2"):gsub("(%u)(%u%l)", "%1-%2"):lower())
end

-- The document as { kind, id, fields, app, env, where, raw }.
local function read_doc(ctx, item)
  local doc, where = item.doc, item.where
  if type(doc) ~= "table" or doc[1] ~= nil then fail.usage(ctx.command .. ": " .. where .. " is not a mapping") end
  local kind = doc.kind
  if type(kind) ~= "string" or kind == "" then fail.usage(ctx.command .. ": " .. where .. " has no kind") end
  kind = ALIASES[kind] or kind
  local fields, id
  if kind == "Pipeline" then
    fields = doc
    local meta = type(doc.metadata) == "table" and doc.metadata or {}
    id = meta.id or (type(meta.name) == "string"
      and meta.name:lower():gsub("[^a-z0-9]+", "-"):gsub("^%-+", ""):gsub("%-+$", "")) or nil
  elseif type(doc.entity) == "table" then
    fields, id = {}, doc.id
    for k, v in pairs(doc.entity) do fields[k] = v end
  else
    fields = {}
    for k, v in pairs(doc) do
      if k ~= "kind" and k ~= "apiVersion" and k ~= "app" and k ~= "env" then fields[k] = v end
    end
    id = doc.id or doc.key
  end
  if kind == "Value" then
    id = id or fields.key
    fields.key, fields.id = nil, nil
  elseif kind ~= "Pipeline" then
    fields.id = nil
  end
  if type(id) ~= "string" or id == "" then fail.usage(ctx.command .. ": " .. where .. " has no id") end
  return { kind = kind, id = id, fields = fields, app = doc.app, env = doc.env, where = where, raw = doc }
end

-- The command line's kind for a document, with the parameters that reach it.
local function resolve(ctx, d)
  local params = params_.given(ctx)
  if d.app then params.appId = d.app end
  if d.env then params.envId = d.env end
  local name = kebab(d.kind)
  local kind, candidate, missing = kinds.find(name, (function()
    local available = {}
    for k in pairs(params) do available[k] = true end
    return available
  end)(), "*")
  if not kind then
    if candidate then
      fail.usage(("%s: %s (%s %s) needs %s"):format(ctx.command, d.where, d.kind, d.id, kinds.flag_for(missing)))
    end
    fail.usage(("%s: %s: unknown kind '%s'"):format(ctx.command, d.where, d.kind))
  end
  -- a Value with an env is the environment's; without, the app's
  if d.kind == "Value" and not params.envId then kind = kinds.find("app-values", { orgId = true, appId = true }) end
  params[kind.id_param or "id"] = d.id
  return kind, params
end

-- True when `want` holds nothing `have` does not: objects by their keys, lists element by element (in any
-- order), scalars by value. `path` names what is skipped as unreadable.
local UNREADABLE = { ["driver_inputs.secrets"] = true }

local function covers(have, want, path)
  if UNREADABLE[path] then return true end
  if type(want) ~= "table" or want == json.null then
    if want == json.null then return have == nil or have == json.null end
    return have == want
  end
  if type(have) ~= "table" then return false end
  if want[1] ~= nil or json.is_array(want) then
    if #have ~= #want then return false end
    for _, w in ipairs(want) do
      local found = false
      for _, h in ipairs(have) do
        if covers(h, w, path) then found = true break end
      end
      if not found then return false end
    end
    return true
  end
  for k, w in pairs(want) do
    if not covers(have[k], w, path == "" and k or (path .. "." .. k)) then return false end
  end
  return true
end

-- The fields of `want` that `have` does not already hold, sorted.
local function differing(have, want)
  local keys = {}
  for k, w in pairs(want) do
    if not covers(type(have) == "table" and have[k] or nil, w, k) then keys[#keys + 1] = k end
  end
  table.sort(keys)
  return keys
end

local function item_ops(kind)
  return kind.get, kind.patch or kind.put, kind.create
end

-- The current item, or nil when there is none (404).
local function current(ctx, kind, params)
  local get = kind.get
  if get then
    local data, err = ctx.client:call(get.name, params_.for_operation(get, params))
    if err and err.status == 404 then return nil end
    return fail.check(data, err)
  end
  local list, err = ctx.client:call(kind.list.name, params_.for_operation(kind.list, params))
  if err and err.status == 404 then return nil end -- the app or env it belongs to does not exist (yet)
  list = fail.check(list, err)
  local field = kind.id_param == "key" and "key" or "id"
  for _, item in ipairs(list) do
    if type(item) == "table" and item[field] == params[kind.id_param] then return item end
  end
  return nil
end

-- A diff of the differing fields, as YAML lines with - and +.
local function diff_lines(have, want, keys)
  local out = {}
  local function block(sign, key, value)
    if value == nil then return end
    local text = format.yaml({ [key] = value })
    for l in text:gmatch("[^\n]+") do out[#out + 1] = "  " .. sign .. " " .. l end
  end
  for _, k in ipairs(keys) do
    block("-", k, type(have) == "table" and have[k] or nil)
    block("+", k, want[k])
  end
  return out
end

local function label(d, params)
  local scope = {}
  if params.appId and d.kind ~= "Application" then scope[#scope + 1] = params.appId end
  if params.envId and d.kind ~= "Environment" and d.kind ~= "Application" then scope[#scope + 1] = params.envId end
  scope[#scope + 1] = d.id
  return d.kind .. " " .. table.concat(scope, "/")
end

-- Where a dry run's diff goes: stdout, unless stdout carries -o json|yaml, which must parse.
local function diff_stream(ctx)
  if ctx.format == "json" or ctx.format == "yaml" then return ctx.io.stderr end
  return ctx.io.stdout
end

-- Applies one document; returns { kind, id, result = created|updated|unchanged, fields = {...} }.
local function apply_one(ctx, d)
  local kind, params = d.kind_, d.params
  local _, change, create = item_ops(kind)
  local have = current(ctx, kind, params)
  local want = d.fields
  if d.kind == "Pipeline" then want = { metadata = d.raw.metadata, spec = d.raw.spec } end
  local result = { kind = d.kind, id = d.id, where = label(d, params) }
  if have and d.kind == "Pipeline" then
    -- compare with the definition the pipeline runs, not its summary
    local def = ctx.client:call("get_pipeline_definition", params_.for_operation(
      require("humanitec.operations").operations.get_pipeline_definition, params))
    have = type(def) == "table" and def or have
  end
  if have and d.kind == "Value" and have.is_secret then
    want = { description = want.description, is_secret = want.is_secret } -- a secret's value is never read
  end
  local keys = differing(have, want)
  if have and #keys == 0 then
    result.result = "unchanged"
    return result
  end
  result.result = have and "updated" or "created"
  result.fields = keys
  if ctx.args.dry_run then
    local out = diff_stream(ctx)
    output.line(out, (have and "~ " or "+ ") .. result.where)
    for _, l in ipairs(diff_lines(have, want, keys)) do output.line(out, l) end
    return result
  end
  local body
  if d.kind == "ResourceDefinition" then
    local def = { id = d.id }
    for k, v in pairs(d.fields) do def[k] = v end
    fail.check(ctx.client:apply_resource_definition(def))
    return result
  elseif d.kind == "Pipeline" then
    body = format.yaml(d.raw)
  elseif not have then
    body = {}
    for k, v in pairs(d.fields) do body[k] = v end
    if d.kind == "Value" then body.key = d.id else body.id = d.id end
    if d.kind ~= "Value" and body.name == nil then body.name = d.id end
  else
    body = {}
    for _, k in ipairs(keys) do body[k] = d.fields[k] end
  end
  local op = have and change or create
  if not op then
    fail.usage(("%s: %s: the API cannot %s %s"):format(ctx.command, d.where, have and "change" or "create",
      kind.name))
  end
  if have and op == kind.put and d.kind ~= "Pipeline" then
    body = {}
    for k, v in pairs(have) do body[k] = v end
    for k, v in pairs(d.fields) do body[k] = v end
  end
  local p = params_.for_operation(op, params)
  p.body = body
  fail.check(ctx.client:call(op.name, p))
  return result
end

local function summary(ctx, results)
  local counts, order = {}, { "created", "updated", "deleted", "unchanged", "absent" }
  for _, r in ipairs(results) do counts[r.result] = (counts[r.result] or 0) + 1 end
  if ctx.format == "json" or ctx.format == "yaml" then
    local data = json.array()
    for i, r in ipairs(results) do
      data[i] = { kind = r.kind, id = r.id, result = r.result, fields = r.fields }
    end
    output.emit(ctx, data)
  elseif not ctx.args.dry_run then
    for _, r in ipairs(results) do
      local detail = r.fields and #r.fields > 0 and r.result == "updated" and (" (" .. table.concat(r.fields, ", ")
        .. ")") or ""
      output.line(ctx.io.stdout, r.where .. ": " .. r.result .. detail)
    end
  end
  local changed = #results - (counts.unchanged or 0) - (counts.absent or 0)
  if changed == 0 then
    output.line(ctx.io.stderr, "nothing changed")
  else
    local parts = {}
    for _, k in ipairs(order) do
      if counts[k] then parts[#parts + 1] = counts[k] .. " " .. k end
    end
    output.line(ctx.io.stderr, table.concat(parts, ", ") .. (ctx.args.dry_run and " (a dry run: nothing sent)" or ""))
  end
end

-- Every document read and resolved (kind, context, --app and the rest) before the first request, so a bad
-- document anywhere stops the command before anything is changed.
local function documents(ctx)
  if not ctx.args.file then fail.usage(ctx.command .. " needs -f FILE, a directory, or - for standard input") end
  local docs = {}
  for _, item in ipairs(input.documents_from(ctx, ctx.args.file)) do docs[#docs + 1] = read_doc(ctx, item) end
  if #docs == 0 then fail.usage(ctx.command .. ": " .. ctx.args.file .. " holds no documents") end
  for _, d in ipairs(docs) do
    d.kind_, d.params = resolve(ctx, d)
    if ctx.command == "delete" and not d.kind_.delete then
      fail.usage(("delete: %s: the API cannot delete %s"):format(d.where, d.kind_.name))
    end
    if ctx.command == "apply" and d.kind ~= "ResourceDefinition" then
      local _, change, create = item_ops(d.kind_)
      if not change and not create then
        fail.usage(("apply: %s: the API can neither create nor change %s"):format(d.where, d.kind_.name))
      end
    end
  end
  return docs
end

local function apply(ctx)
  args_.need(ctx, "org", "apply")
  local results = {}
  for _, d in ipairs(documents(ctx)) do results[#results + 1] = apply_one(ctx, d) end
  summary(ctx, results)
  return fail.OK
end

--- `delete -f`: deletes what each document names, last first; what is already gone counts as "absent".
function M.delete_files(ctx)
  args_.need(ctx, "org", "delete")
  local docs = documents(ctx)
  local results = {}
  for i = #docs, 1, -1 do
    local d = docs[i]
    local kind, params = d.kind_, d.params
    local r = { kind = d.kind, id = d.id, where = label(d, params) }
    if ctx.args.dry_run then
      r.result = current(ctx, kind, params) and "deleted" or "absent"
      if r.result == "deleted" then output.line(diff_stream(ctx), "- " .. r.where) end
    else
      local _, err = ctx.client:call(kind.delete.name, params_.for_operation(kind.delete, params))
      if humanitec.is_error(err) and err.status == 404 then
        r.result = "absent"
      else
        fail.check(true, err)
        r.result = "deleted"
      end
    end
    results[#results + 1] = r
  end
  summary(ctx, results)
  return fail.OK
end

M.handlers = { apply = { client = true, run = apply } }

return M

--- `humanitec create|update|delete KIND ...`: the kinds' create, update and delete operations, and
--- `update delta ID add|remove|replace PATH VALUE`, a JSON Patch step on a delta.
local args_ = require "humanitec.cli.args"
local fail = require "humanitec.cli.fail"
local input = require "humanitec.cli.input"
local json = require "humanitec.json"
local output = require "humanitec.cli.output"
local params_ = require "humanitec.cli.params"

local M = {}

local function body_flags(cmd)
  cmd:option("-d --data", "The body: JSON or YAML, @FILE, or - for standard input."):argname("<body>")
  cmd:option("-F --field", "A field of the body: NAME=VALUE (a.b=VALUE for a nested one; VALUE is read as "
    .. "JSON when it is JSON). Repeatable."):argname("<name=value>"):count("*"):target("field")
end

--- Declares the commands on `parser`.
function M.declare(parser, state)
  local create = args_.command(parser, state, "create", "Create one of a kind.", {
    "create app shop -F name=Shop", "create env staging --app shop -F type=development",
    "create resource-definition -d @def.json", "create value LOG_LEVEL --app shop -F value=debug",
  }, "ID, when given, goes in the body as its id (key for values). 'humanitec get kinds' lists the kinds.")
  create:argument("kind", "What to create."):argname("<kind>")
  create:argument("id", "Its id."):args("?"):argname("<id>")
  body_flags(create)
  params_.declare(create)

  local update = args_.command(parser, state, "update", "Change one of a kind (PATCH, or PUT where that is all "
    .. "the API has).", {
    "update app shop -F name=Shop", "update env staging --app shop -d '{\"name\":\"Staging\"}'",
    "update delta 0a1b2c --app shop add /modules/add/web '{\"profile\":\"humanitec/default-module\"}'",
    "update delta 0a1b2c --app shop remove /modules/add/web",
  }, "For a delta, 'add', 'remove' or 'replace' with a JSON Pointer PATH (and VALUE, read as JSON when it is) "
    .. "changes the delta's document as JSON Patch does and writes it back.")
  update:argument("kind", "What to change."):argname("<kind>")
  update:argument("id", "Its id."):argname("<id>")
  update:argument("op", "For a delta: add, remove or replace, PATH and VALUE."):args("*"):argname("<op>")
  body_flags(update)
  params_.declare(update)

  local delete = args_.command(parser, state, "delete", "Delete one of a kind, or what files describe.", {
    "delete app shop", "delete env staging --app shop", "delete value LOG_LEVEL --app shop",
    "delete -f shop.yaml",
  }, "With -f, deletes what each document of the files names (as 'apply' reads them).")
  delete:argument("kind", "What to delete."):args("?"):argname("<kind>")
  delete:argument("id", "Its id."):args("?"):argname("<id>")
  delete:option("-f --filename", "YAML or JSON documents: a file, a directory, or - for standard input.")
    :argname("<file>"):target("file")
  delete:flag("--dry-run", "Print what would be deleted; delete nothing.")
  params_.declare(delete)
end

-- Sets `value` at a dotted path of `t`.
local function set_path(t, path, value)
  local parts = {}
  for part in path:gmatch("[^%.]+") do parts[#parts + 1] = part end
  for i = 1, #parts - 1 do
    if type(t[parts[i]]) ~= "table" then t[parts[i]] = {} end
    t = t[parts[i]]
  end
  t[parts[#parts]] = value
end

-- A value from the command line: JSON when it parses as JSON, the text otherwise.
local function cli_value(text)
  local v = json.decode(text)
  if v == nil then return text end
  return v
end

local function body_from(ctx, base)
  local body = base
  if ctx.args.data then body = input.body(ctx, ctx.args.data) end
  for _, pair in ipairs(ctx.args.field or {}) do
    local name, value = pair:match("^([^=]+)=(.*)$")
    if not name then fail.usage(ctx.command .. ": --field needs NAME=VALUE, got '" .. pair .. "'") end
    if type(body) ~= "table" then body = {} end
    set_path(body, name, cli_value(value))
  end
  return body
end

local function create(ctx)
  local params = params_.given(ctx)
  local kind = params_.kind(ctx, ctx.args.kind, params)
  if not kind.create then fail.usage(("create: the API cannot create %s"):format(kind.name)) end
  local body = body_from(ctx, {})
  if ctx.args.id then
    -- a value's id is its key; anything else is named after its id unless told otherwise
    if kind.id_param == "key" then
      body.key = ctx.args.id
    else
      body.id = ctx.args.id
      if body.name == nil then body.name = ctx.args.id end
    end
  end
  local p = params_.for_operation(kind.create, params)
  p.body = body
  local data = fail.check(ctx.client:call(kind.create.name, p))
  output.emit(ctx, data)
  return fail.OK
end

-- JSON Pointer (RFC 6901) tokens of `path`.
local function pointer(ctx, path)
  if path:sub(1, 1) ~= "/" then fail.usage("update delta: PATH must be a JSON Pointer starting with '/'") end
  local tokens = {}
  -- "/a//b" has an empty token between the slashes: split on each slash (gmatch on "[^/]*" differs by version)
  for token in (path:sub(2) .. "/"):gmatch("([^/]*)/") do
    tokens[#tokens + 1] = token:gsub("~1", "/"):gsub("~0", "~")
  end
  if #tokens == 0 then fail.usage(ctx.command .. ": PATH names nothing") end
  return tokens
end

-- One JSON Patch step on `doc` (add creates the objects on the way, as humctl does).
local function patch_step(ctx, doc, op, path, value)
  local tokens = pointer(ctx, path)
  local t = doc
  for i = 1, #tokens - 1 do
    local key = tokens[i]
    if json.is_array(t) or t[1] ~= nil then key = tonumber(key) and tonumber(key) + 1 or key end
    if type(t[key]) ~= "table" then
      if op ~= "add" then fail.usage(("update delta: %s: nothing at %s"):format(op, path)) end
      t[key] = {}
    end
    t = t[key]
  end
  local last = tokens[#tokens]
  local list = json.is_array(t) or t[1] ~= nil
  if list then
    local index = last == "-" and (#t + 1) or (tonumber(last) and tonumber(last) + 1)
    if not index then fail.usage("update delta: " .. path .. " is not an index into a list") end
    if op == "add" then table.insert(t, index, value)
    elseif op == "remove" then table.remove(t, index)
    else t[index] = value end
    return
  end
  if op ~= "add" and t[last] == nil then fail.usage(("update delta: %s: nothing at %s"):format(op, path)) end
  if op == "remove" then t[last] = nil else t[last] = value end
end

local function update_delta(ctx, kind, params)
  local op, path, value = ctx.args.op[1], ctx.args.op[2], ctx.args.op[3]
  if op ~= "add" and op ~= "remove" and op ~= "replace" then
    local guess = args_.suggest(tostring(op), { "add", "remove", "replace" })
    fail.usage("update delta: the operation must be add, remove or replace, got '" .. tostring(op) .. "'"
      .. (guess and ("; did you mean '" .. guess .. "'?") or ""))
  end
  if path == nil then fail.usage("update delta " .. op .. " needs a PATH") end
  if op ~= "remove" and value == nil then fail.usage("update delta " .. op .. " needs a VALUE") end
  if #ctx.args.op > (op == "remove" and 2 or 3) then fail.usage("update delta: too many arguments") end
  params[kind.id_param] = ctx.args.id
  local delta = fail.check(ctx.client:call(kind.get.name, params_.for_operation(kind.get, params)))
  -- The whole delta goes back (workloads and whatever else it holds), less its id, which the path names.
  local doc = {}
  for k, v in pairs(delta) do
    if k ~= "id" then doc[k] = v end
  end
  doc.modules = doc.modules or {}
  doc.shared = doc.shared or json.array()
  patch_step(ctx, doc, op, path, value and cli_value(value))
  local p = params_.for_operation(kind.put, params)
  p.body = doc
  fail.check(ctx.client:call(kind.put.name, p))
  output.emit(ctx, fail.check(ctx.client:call(kind.get.name, params_.for_operation(kind.get, params))))
  return fail.OK
end

local function update(ctx)
  local params = params_.given(ctx)
  local kind = params_.kind(ctx, ctx.args.kind, params, true)
  if #ctx.args.op > 0 then
    if kind.name ~= "deltas" then
      fail.usage(("update %s: add, remove and replace are for deltas; give the change with -d or -F")
        :format(ctx.args.kind))
    end
    return update_delta(ctx, kind, params)
  end
  local op = kind.patch or kind.put
  if not op then fail.usage(("update: the API cannot change %s"):format(kind.name)) end
  local body = body_from(ctx, nil)
  if body == nil then fail.usage("update " .. ctx.args.kind .. " needs the change: -d BODY or -F NAME=VALUE") end
  params[kind.id_param] = ctx.args.id
  local p = params_.for_operation(op, params)
  p.body = body
  output.emit(ctx, fail.check(ctx.client:call(op.name, p)))
  return fail.OK
end

local function delete(ctx)
  if ctx.args.file then
    if ctx.args.kind then fail.usage("delete: give KIND ID or -f FILE, not both") end
    return require("humanitec.cli.apply").delete_files(ctx)
  end
  if not ctx.args.kind then fail.usage("delete needs KIND ID, or -f FILE") end
  if not ctx.args.id then fail.usage("delete " .. ctx.args.kind .. " needs an id") end
  local params = params_.given(ctx)
  local kind = params_.kind(ctx, ctx.args.kind, params, true)
  if not kind.delete then fail.usage(("delete: the API cannot delete %s"):format(kind.name)) end
  params[kind.id_param] = ctx.args.id
  if ctx.args.dry_run then
    output.line(ctx.io.stderr, ("would delete %s %s"):format(kind.name, ctx.args.id))
    return fail.OK
  end
  fail.check(ctx.client:call(kind.delete.name, params_.for_operation(kind.delete, params)))
  output.line(ctx.io.stderr, ("deleted %s %s"):format(kind.name, ctx.args.id))
  return fail.OK
end

M.handlers = {
  create = { client = true, run = create },
  update = { client = true, run = update },
  delete = { client = true, run = delete },
}

return M

--- `humanitec get KIND [ID]`: lists or shows anything the API lists; `get all`: what an environment holds.
local args_ = require "humanitec.cli.args"
local fail = require "humanitec.cli.fail"
local humanitec = require "humanitec"
local json = require "humanitec.json"
local kinds = require "humanitec.cli.kinds"
local output = require "humanitec.cli.output"
local params_ = require "humanitec.cli.params"

local M = {}

local function secret_or_value(v)
  if v.is_secret then return "(secret)" end
  return v.value
end

local function env_ids(a)
  local ids = {}
  for _, e in ipairs(type(a.envs) == "table" and a.envs or {}) do ids[#ids + 1] = e.id end
  return table.concat(ids, ",")
end

--- Table columns for the kinds people look at most; the others get columns from their data.
M.VIEWS = {
  organizations = { columns = { { "ID", "id" }, { "NAME", "name" } }, wide = { { "CREATED", "created_at" } } },
  applications = { columns = { { "ID", "id" }, { "NAME", "name" }, { "ENVS", env_ids } },
    wide = { { "CREATED", "created_at" } } },
  environments = { columns = { { "ID", "id" }, { "TYPE", "type" }, { "LAST-DEPLOY", "last_deploy.id" },
    { "STATUS", "last_deploy.status" } }, wide = { { "NAME", "name" }, { "FROM", "from_deploy.id" } } },
  deployments = { columns = { { "ID", "id" }, { "STATUS", "status" }, { "CREATED", "created_at" },
    { "COMMENT", "comment" } }, wide = { { "SET", "set_id" }, { "VALUES", "value_set_version_id" } } },
  ["app-values"] = { columns = { { "KEY", "key" }, { "VALUE", secret_or_value } },
    wide = { { "DESCRIPTION", "description" } } },
}
M.VIEWS["env-values"] = M.VIEWS["app-values"]

--- Declares the command on `parser`.
function M.declare(parser, state)
  local get = args_.command(parser, state, "get", "List or show anything the API lists.", {
    "get orgs", "get apps", "get envs --app shop -o yaml", "get deploys --app shop --env production",
    "get app shop -o json", "get values --app shop --env production", "get runs --app shop -p pipelineId=ci",
    "get all --app shop --env production",
  }, "KIND is any kind the API lists, by its name (resource-definitions), its path's (defs) or either's "
    .. "singular; 'humanitec get kinds' lists them. With ID, shows that one. 'all' lists what an environment "
    .. "holds. Secret values are shown as (secret).")
  get:argument("kind", "What to list."):argname("<kind>")
  get:argument("id", "The one to show."):args("?"):argname("<id>")
  params_.declare(get)
end

local function fetch_list(ctx, kind, params)
  local op = kind.list
  local p = params_.for_operation(op, params)
  if op.paginated then return fail.check(ctx.client:all(op.name, p)) end
  return fail.check(ctx.client:call(op.name, p))
end

-- One item: by its own operation, or found in the list (values have no get of their own).
local function fetch_one(ctx, kind, params, id)
  if kind.get then
    params[kind.id_param] = id
    return fail.check(ctx.client:call(kind.get.name, params_.for_operation(kind.get, params)))
  end
  local field = kind.id_param == "key" and "key" or "id"
  for _, item in ipairs(fetch_list(ctx, kind, params)) do
    if type(item) == "table" and item[field] == id then return item end
  end
  error(fail.new(fail.FAILURE, ("humanitec: %s '%s' not found"):format(kind.name, id)), 0)
end

local function list_kinds(ctx)
  local rows = {}
  for _, kind in ipairs(kinds.all) do
    local needs = {}
    for _, p in ipairs(kind.params) do
      if p ~= "orgId" then needs[#needs + 1] = kinds.flag_for(p) end
    end
    rows[#rows + 1] = { name = kind.name, alias = kind.alias, needs = table.concat(needs, " ") }
  end
  output.emit(ctx, rows, { columns = { { "KIND", "name" }, { "ALSO", "alias" }, { "NEEDS", "needs" } } })
  return fail.OK
end

-- Every kind listed within one environment, by the kinds whose list takes exactly org, app and env.
local function get_all(ctx, params)
  args_.need(ctx, "app", "get all")
  args_.need(ctx, "env", "get all")
  fail.check(ctx.client:call("get_environment", params_.for_operation(kinds.find("env", { orgId = true,
    appId = true }).get, { orgId = params.orgId, appId = params.appId, envId = params.envId })))
  local result, order = {}, {}
  for _, kind in ipairs(kinds.all) do
    local p = kind.params
    if #p == 3 and p[1] == "orgId" and p[2] == "appId" and p[3] == "envId" then
      local op = kind.list
      local items, err = ctx.client:call(op.name, params_.for_operation(op, params))
      if humanitec.is_error(err) and err.status == 404 then
        -- the environment exists (checked above): this API has no such list
        output.line(ctx.io.stderr, ("humanitec: get all: %s skipped: %s"):format(kind.name, err.message))
      else
        order[#order + 1] = kind
        result[kind.name] = fail.check(items, err)
      end
    end
  end
  if ctx.format == "json" or ctx.format == "yaml" then
    output.emit(ctx, result)
    return fail.OK
  end
  for i, kind in ipairs(order) do
    if i > 1 then ctx.io.stdout:write("\n") end
    output.line(ctx.io.stdout, "# " .. kind.name)
    local items = result[kind.name]
    if type(items) == "table" and next(items) == nil then
      output.line(ctx.io.stdout, "(none)")
    else
      output.emit(ctx, items, M.VIEWS[kind.name])
    end
  end
  return fail.OK
end

--- Runs the command.
function M.run(ctx)
  local args = ctx.args
  local params = params_.given(ctx)
  if args.kind == "kinds" then return list_kinds(ctx) end
  if args.kind == "all" then return get_all(ctx, params) end
  local kind = params_.kind(ctx, args.kind, params, args.id ~= nil)
  if args.id ~= nil and not kind.get and kind.id_param == nil then
    fail.usage(("get %s takes no id: the API has no single %s"):format(args.kind, kind.name))
  end
  local data
  if args.id ~= nil then
    data = fetch_one(ctx, kind, params, args.id)
  else
    data = fetch_list(ctx, kind, params)
  end
  if data == true then data = json.array() end
  output.emit(ctx, data, M.VIEWS[kind.name])
  return fail.OK
end

return M

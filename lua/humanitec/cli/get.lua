--- `humanitec get`: lists organizations, applications, environments, deployments and shared values.
local args_ = require "humanitec.cli.args"
local fail = require "humanitec.cli.fail"
local output = require "humanitec.cli.output"

local M = {}

local GET_WHAT = { "orgs", "apps", "envs", "deploys", "values" }

--- Declares the command on `parser`.
function M.declare(parser, state)
  local get = args_.add_help(parser:command("get", "List organizations, applications, environments, deployments "
    .. "or shared values.", "envs, deploys and values need --app; deploys needs --env too; values takes --env "
    .. "for the values in force in an environment (secrets are shown as (secret))."), state)
  get:argument("what", "What to list: orgs, apps, envs, deploys or values."):choices(GET_WHAT)
  args_.add_globals(get)
end

local check, need, need_org, setting = fail.check, args_.need, args_.need_org, args_.setting

local function ordered_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

local LISTS = {}

function LISTS.orgs(client)
  local orgs = check(client:list_organizations())
  local rows = {}
  for _, o in ipairs(orgs) do rows[#rows + 1] = { o.id, o.name } end
  return orgs, { "ID", "NAME" }, rows
end

function LISTS.apps(client)
  need_org(client)
  local apps = check(client:list_applications())
  local rows = {}
  for _, a in ipairs(apps) do
    local envs = {}
    for _, e in ipairs(type(a.envs) == "table" and a.envs or {}) do envs[#envs + 1] = e.id end
    rows[#rows + 1] = { a.id, a.name, table.concat(envs, ",") }
  end
  return apps, { "ID", "NAME", "ENVS" }, rows
end

function LISTS.envs(client, args)
  local app = need(args, "app", "get envs")
  need_org(client)
  local envs = check(client:list_environments { appId = app })
  local rows = {}
  for _, e in ipairs(envs) do
    local last = type(e.last_deploy) == "table" and e.last_deploy or {}
    rows[#rows + 1] = { e.id, e.type, last.id, last.status }
  end
  return envs, { "ID", "TYPE", "LAST-DEPLOY", "STATUS" }, rows
end

function LISTS.deploys(client, args)
  local app = need(args, "app", "get deploys")
  local env = need(args, "env", "get deploys")
  need_org(client)
  local deploys = check(client:list_deployments { appId = app, envId = env })
  local rows = {}
  for _, d in ipairs(deploys) do rows[#rows + 1] = { d.id, d.status, d.created_at, d.comment } end
  return deploys, { "ID", "STATUS", "CREATED", "COMMENT" }, rows
end

function LISTS.values(client, args)
  local app = need(args, "app", "get values")
  need_org(client)
  local values = check(client:get_values { app = app, env = setting(args, "env") })
  local rows = {}
  for _, key in ipairs(ordered_keys(values)) do
    local v = values[key]
    rows[#rows + 1] = { key, type(v) == "table" and "(secret)" or v }
  end
  return values, { "KEY", "VALUE" }, rows
end

--- Runs the command.
function M.run(client, args, io_)
  local data, header, rows = LISTS[args.what](client, args)
  if setting(args, "output") == "json" then
    output.json(io_.stdout, data)
  else
    output.table(io_.stdout, header, rows)
  end
  return fail.OK
end

return M

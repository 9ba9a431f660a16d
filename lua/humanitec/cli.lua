--- The `humanitec` command line: `get`, `deploy` and `run` on the SDK's client and workflow helpers.
--
-- bin/humanitec only finds this module and calls `main(arg)`. Everything else lives here, so specs can run a
-- command in process (a simulator transport, captured streams) exactly as the executable runs it.
--
-- Exit status: 0 on success, 1 when the API, a deployment or a script fails, 2 on a usage error (a bad flag,
-- a missing argument, no organization or token configured, an unreadable file). Errors are one line on stderr.
local argparse = require "argparse"
local humanitec = require "humanitec"
local config = require "humanitec.config"
local json = require "humanitec.json"

local M = {}

M.OK, M.FAILURE, M.USAGE = 0, 1, 2

local PROGRAM = "humanitec"
local USER_AGENT = "humanitec-cli/" .. humanitec.VERSION

local DESCRIPTION = "Work with the Humanitec Platform Orchestrator API from the shell."

local EPILOG = [[
Configuration: each setting comes from its flag, then the environment (HUMANITEC_TOKEN, HUMANITEC_ORG,
HUMANITEC_API_PREFIX), then humctl's ~/.humctl (or the file in HUMCTL_CONFIG).
Prefer HUMANITEC_TOKEN to --token: a token on the command line is visible to every user in the process list.
The CLI never prints the token.

Exit status: 0 on success, 1 when the API, a deployment or a script fails, 2 on a usage error.
Run 'humanitec <command> --help' for a command's options.]]

-- The flags every command takes, before or after the command's name. Each is declared on the main parser and
-- on every command (so that each command's --help lists it) under two targets, since argparse resets an
-- option's target when the option is not given; `setting` takes the command's one first.
local GLOBALS = {
  { "--org", "<id>", "Organization (default: HUMANITEC_ORG, then ~/.humctl)." },
  { "--app", "<id>", "Application." },
  { "--env", "<id>", "Environment." },
  { "--token", "<token>", "API token. Prefer HUMANITEC_TOKEN: a token given here is visible in the process list." },
  { "--url", "<url>", "API URL (default: HUMANITEC_API_PREFIX, then ~/.humctl, then https://api.humanitec.io)." },
  { "-o --output", "<format>", "Output format: table (the default) or json.", { "table", "json" } },
}

local GET_WHAT = { "orgs", "apps", "envs", "deploys", "values" }

-- ---- output ------------------------------------------------------------------------------------------------

-- Output streams: anything with a `write` method.
local function streams(opts)
  return {
    stdout = opts.stdout or io.stdout,
    stderr = opts.stderr or io.stderr,
    stdin = opts.stdin or io.stdin,
  }
end

local function line(stream, text)
  stream:write(text, "\n")
end

-- One line of text for any error value: an SDK error's own line, otherwise the first line of the message with
-- the "file:line:" position that error() adds taken off.
local function one_line(err)
  if humanitec.is_error(err) then return tostring(err) end
  local text = type(err) == "string" and err or tostring(err)
  text = text:match("^[^\n]*")
  return "humanitec: " .. text
end

local function strip_position(text)
  return (tostring(text):match("^[^\n]*"):gsub("^[^%s:]+:%d+: ", ""))
end

-- A cell of a table: one line of text, "-" for nothing.
local function cell(v)
  if v == nil or v == json.null or v == "" then return "-" end
  return (tostring(v):gsub("%c+", " "))
end

-- Display width of UTF-8 text: its code points.
local function width(s)
  local _, n = s:gsub("[^\128-\191]", "")
  return n
end

-- Writes rows under a header in columns two spaces apart; the last column is not padded.
local function print_table(stream, header, rows)
  local widths = {}
  for i, h in ipairs(header) do widths[i] = width(h) end
  for _, row in ipairs(rows) do
    for i = 1, #header do
      row[i] = cell(row[i])
      widths[i] = math.max(widths[i], width(row[i]))
    end
  end
  local function emit(row)
    local parts = {}
    for i = 1, #header do
      local text = row[i]
      if i < #header then text = text .. (" "):rep(widths[i] - width(text)) end
      parts[i] = text
    end
    line(stream, (table.concat(parts, "  "):gsub("%s+$", "")))
  end
  emit(header)
  for _, row in ipairs(rows) do emit(row) end
end

local function print_json(stream, value)
  line(stream, json.encode(value))
end

-- ---- arguments -------------------------------------------------------------------------------------------------

local function add_globals(parser, prefix)
  for _, g in ipairs(GLOBALS) do
    local target = prefix .. g[1]:match("%-%-(%w+)$")
    local option = parser:option(g[1], g[3]):argname(g[2]):target(target)
    if g[4] then option:choices(g[4]) end
  end
end

-- Our own -h/--help: argparse's prints and calls os.exit, which would end a spec running main in process.
-- It records which parser asked; main prints that parser's help once parsing is over.
local function add_help(parser, state)
  parser:add_help(false):help_max_width(110)
  parser:flag("-h --help", "Show this help and exit."):action(function() state.help = parser end)
  return parser
end

local function build_parser(state)
  local parser = add_help(argparse(PROGRAM, DESCRIPTION, EPILOG), state):help_max_width(110)
  add_globals(parser, "main_")
  parser:command_target("command")

  local get = add_help(parser:command("get", "List organizations, applications, environments, deployments "
    .. "or shared values.", "envs, deploys and values need --app; deploys needs --env too; values takes --env "
    .. "for the values in force in an environment (secrets are shown as (secret))."), state)
  get:argument("what", "What to list: orgs, apps, envs, deploys or values."):choices(GET_WHAT)
  add_globals(get, "")

  local deploy = add_help(parser:command("deploy", "Deploy a delta or a set to an environment.",
    "With --wait it prints a line each time the deployment's status changes and exits 1 when it fails."), state)
  local delta = deploy:option("--delta", "A delta to deploy: a JSON file ('-' for standard input)."):argname("<file>")
  local set = deploy:option("--set", "A set to deploy, by id."):argname("<set-id>"):target("set_id")
  deploy:mutex(delta, set)
  deploy:option("--comment", "A comment for the deployment."):argname("<text>")
  deploy:flag("--wait", "Wait until the deployment has succeeded or failed.")
  deploy:option("--timeout", "Seconds to wait at most (default 1800)."):argname("<seconds>"):convert(function(v)
    local n = tonumber(v)
    if not n or n < 0 then return nil, "--timeout needs a number of seconds" end
    return n
  end)
  add_globals(deploy, "")

  local run = add_help(parser:command("run", "Run a Lua workflow script with a configured client.",
    "The script sees a global 'client' (a humanitec client configured from the flags, the environment and "
    .. "~/.humctl) and 'arg' (its arguments, arg[0] being the script); the other globals are the standard ones. "
    .. "An error raised by the script ends the command with exit status 1. Put '--' before script arguments "
    .. "that start with '-'."), state)
  run:argument("script", "The Lua script."):argname("<script.lua>")
  run:argument("args", "Arguments for the script."):args("*"):argname("<arg>")
  add_globals(run, "")
  return parser
end

-- A setting given to the command, or else to the main parser.
local function setting(args, name)
  local v = args[name]
  if v == nil then v = args["main_" .. name] end
  return v
end

-- ---- commands -----------------------------------------------------------------------------------------------

-- A failure that ends a command: `code` is the exit status.
local Failure = {}
Failure.__index = Failure

local function failure(code, message)
  return setmetatable({ code = code, message = message }, Failure)
end

local function usage_error(message)
  error(failure(M.USAGE, "humanitec: " .. message), 0)
end

-- The data of a successful call, or the failure that ends the command: nothing sent (a configuration error)
-- is a usage error, anything else a failure.
local function check(data, err)
  if data ~= nil then return data end
  local code = humanitec.is_error(err) and err.kind == "config" and M.USAGE or M.FAILURE
  error(failure(code, one_line(err)), 0)
end

local function need(args, name, what)
  local v = setting(args, name)
  if v == nil then usage_error(what .. " needs --" .. name) end
  return v
end

local function need_org(client)
  if client.org == nil then
    usage_error("no organization: pass --org, set HUMANITEC_ORG, or set org in ~/.humctl")
  end
end

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

local COMMANDS = {}

function COMMANDS.get(client, args, io_)
  local data, header, rows = LISTS[args.what](client, args)
  if setting(args, "output") == "json" then
    print_json(io_.stdout, data)
  else
    print_table(io_.stdout, header, rows)
  end
  return M.OK
end

-- The delta in a JSON file ('-': standard input).
local function read_delta(path, io_)
  local text
  if path == "-" then
    text = io_.stdin:read("*a")
  else
    local f = io.open(path, "rb")
    if not f then usage_error("cannot read the delta file " .. path) end
    text = f:read("*a")
    f:close()
  end
  local delta, err = json.decode(text or "")
  if type(delta) ~= "table" or delta[1] ~= nil then
    usage_error(("the delta file %s does not hold a JSON object%s"):format(path, err and (": " .. err) or ""))
  end
  return delta
end

function COMMANDS.deploy(client, args, io_)
  local app = need(args, "app", "deploy")
  local env = need(args, "env", "deploy")
  if args.delta == nil and args.set_id == nil then usage_error("deploy needs --delta or --set") end
  need_org(client)
  local as_json = setting(args, "output") == "json"
  -- With JSON on stdout, the progress lines go to stderr so the output stays one JSON document.
  local progress = as_json and io_.stderr or io_.stdout
  local where = app .. "/" .. env
  local deployment = check(client:deploy {
    app = app, env = env, delta = args.delta and read_delta(args.delta, io_), set_id = args.set_id,
    comment = args.comment, wait = args.wait == true, timeout = args.timeout,
    on_progress = function(status, d)
      line(progress, ("%s: deployment %s %s"):format(where, tostring(d.id), status))
    end,
  })
  if not args.wait then
    line(progress, ("%s: deployment %s %s"):format(where, tostring(deployment.id), tostring(deployment.status)))
  end
  if as_json then print_json(io_.stdout, deployment) end
  return M.OK
end

-- Loads a script with `env` as its globals (Lua 5.2+ and LuaJIT take it in loadfile, 5.1 in setfenv).
local function load_script(path, env)
  local f = io.open(path, "rb")
  if not f then usage_error("cannot read the script " .. path) end
  f:close()
  local chunk, err = loadfile(path, "t", env)
  if not chunk then return nil, err end
  if setfenv then setfenv(chunk, env) end -- luacheck: ignore 113 (Lua 5.1)
  return chunk
end

local unpack = table.unpack or unpack -- luacheck: ignore 113 (Lua 5.1)

function COMMANDS.run(client, args, io_)
  local script_arg = { [0] = args.script }
  for i, a in ipairs(args.args or {}) do script_arg[i] = a end
  local env = setmetatable({
    client = client,
    arg = script_arg,
    -- print writes where the command's output goes, so a caller that captures it sees the script's too.
    print = function(...)
      local n = select("#", ...)
      local parts = { ... }
      for i = 1, n do parts[i] = tostring(parts[i]) end
      line(io_.stdout, table.concat(parts, "\t", 1, n))
    end,
  }, { __index = _G })
  local chunk, load_err = load_script(args.script, env)
  if not chunk then error(failure(M.FAILURE, one_line(load_err)), 0) end
  local ok, err = xpcall(function() return chunk(unpack(script_arg, 1, #script_arg)) end, function(e)
    if getmetatable(e) == Failure then return e end
    return failure(M.FAILURE, one_line(e))
  end)
  if not ok then error(err, 0) end
  return M.OK
end

-- ---- main -----------------------------------------------------------------------------------------------------

-- The command named in argv, for pointing a usage error at its help.
local function command_in(argv)
  for _, a in ipairs(argv) do
    if COMMANDS[a] then return a end
  end
  return nil
end

---@class humanitec.cli.Options
---@field stdout? table where output goes (anything with `write`); io.stdout by default
---@field stderr? table where errors and, with -o json, progress lines go; io.stderr by default
---@field stdin? table read by `deploy --delta -`; io.stdin by default
---@field transport? table a transport for the client, such as a simulator's (`sim:transport()`)
---@field config_file? string humctl's configuration file instead of ~/.humctl

--- Runs the command line `argv` (the arguments without the program's name) and returns the exit status:
--- 0 on success, 1 when the API, a deployment or a script fails, 2 on a usage error.
---@param argv string[]
---@param opts? humanitec.cli.Options
---@return integer exit_status
function M.main(argv, opts)
  if type(argv) ~= "table" then
    error("bad argument #1 to 'main' (table of arguments expected, got " .. type(argv) .. ")", 2)
  end
  opts = opts or {}
  local io_ = streams(opts)
  local state = {}
  local parser = build_parser(state)
  local ok, args = parser:pparse(argv)
  if state.help then
    io_.stdout:write(state.help:get_help(), "\n")
    return M.OK
  end
  if not ok then
    local cmd = command_in(argv)
    line(io_.stderr, ("humanitec: %s (see '%s --help')"):format(args, cmd and (PROGRAM .. " " .. cmd) or PROGRAM))
    return M.USAGE
  end

  local client_opts = {
    token = setting(args, "token"), org = setting(args, "org"), url = setting(args, "url"),
    user_agent = USER_AGENT, transport = opts.transport, config_file = opts.config_file,
  }
  -- Settle the configuration first, so that a missing token is reported in the command line's terms.
  local resolved, settings = pcall(config.resolve, client_opts)
  local problem = not resolved and strip_position(settings) or settings.config_error
  if not resolved then settings = nil end
  if settings then settings.token = nil end
  if problem then
    if problem:find("^no API token") then
      problem = "no API token: set HUMANITEC_TOKEN (or pass --token), or log in with humctl"
    end
    line(io_.stderr, "humanitec: " .. problem)
    return M.USAGE
  end
  local made, client = pcall(humanitec.new, client_opts)
  if not made then
    line(io_.stderr, "humanitec: " .. strip_position(client))
    return M.USAGE
  end

  local done, result = xpcall(function() return COMMANDS[args.command](client, args, io_) end, function(e)
    if getmetatable(e) == Failure then return e end
    -- The SDK raises on a bad argument (a parameter it cannot send): the command line asked for it.
    return failure(M.USAGE, "humanitec: " .. strip_position(e))
  end)
  client:close()
  if done then return result end
  line(io_.stderr, result.message)
  return result.code
end

return M

--- The `humanitec` command line: parses the arguments, settles the context, runs one command.
--
-- bin/humanitec only finds this module and calls `main(arg, opts)`. Each command lives in its own module under
-- humanitec.cli, with `declare(parser, state)` and `run(ctx)` (or `handlers` for several commands); main runs
-- a command in process (a simulator transport, captured streams) exactly as the executable runs it.
--
-- Exit status: 0 success; 1 the API, a deployment or a script failed; 2 a usage error (a bad flag, a missing
-- argument, an unreadable file); 3 a configuration or authentication error (no token or organization, a token
-- the API refuses or that has expired). Errors are one line on stderr; output goes to stdout only.
local argparse = require "argparse"
local humanitec = require "humanitec"
local args_ = require "humanitec.cli.args"
local context = require "humanitec.cli.context"
local fail = require "humanitec.cli.fail"
local output = require "humanitec.cli.output"

local M = {}

M.OK, M.FAILURE, M.USAGE, M.CONFIG = fail.OK, fail.FAILURE, fail.USAGE, fail.CONFIG

local PROGRAM = "humanitec"
local USER_AGENT = "humanitec-cli/" .. humanitec.VERSION

local DESCRIPTION = "Work with the Humanitec Platform Orchestrator API from the shell."

local EPILOG = [[
Context: org, app and env come from their flags, then HUMANITEC_ORG, HUMANITEC_APP, HUMANITEC_ENV, then
HUMANITEC_CONTEXT (/orgs/ORG/apps/APP/envs/ENV), then ~/.humctl (or the file in HUMCTL_CONFIG; see 'humanitec
config'). The token comes from --token, HUMANITEC_TOKEN, then ~/.humctl ('humanitec login' writes it); the URL
from --url, HUMANITEC_API_PREFIX, then ~/.humctl's apiPrefix.
Prefer HUMANITEC_TOKEN to --token: a token on the command line is visible to every user in the process list.
The CLI never prints the token.

Output: -o table (aligned to the terminal), wide, json (indented on a terminal, compact when piped, unless
--pretty) or yaml, on stdout only; progress and errors go to stderr.

Exit status: 0 success; 1 the API, a deployment or a script failed; 2 a usage error; 3 a configuration or
authentication error (no token or organization, a token refused or expired).
Run 'humanitec <command> --help' for a command's options and examples.]]

-- The commands' modules, in the order --help lists them; each module may declare several commands.
local MODULES = { "get", "mutate", "apply", "api", "diff", "deploy", "resources", "score", "run", "login",
  "configure", "version", "completion" }

local function load_commands()
  local modules, handlers, names = {}, {}, {}
  for _, m in ipairs(MODULES) do
    local mod = require("humanitec.cli." .. m)
    modules[#modules + 1] = mod
    local hs = mod.handlers or { [m] = { run = mod.run, client = mod.client ~= false } }
    for name, h in pairs(hs) do
      handlers[name] = h
      names[#names + 1] = name
    end
  end
  table.sort(names)
  return modules, handlers, names
end

local MODS, HANDLERS, COMMAND_NAMES = load_commands()

--- The names of every command, sorted (for completion scripts).
M.COMMANDS = COMMAND_NAMES

local function build_parser(state)
  local parser = args_.add_help(argparse(PROGRAM, DESCRIPTION, EPILOG), state)
  args_.add_globals(parser, "main_")
  parser:flag("--version", "Print the version and exit."):action(function() state.version = true end)
  parser:command_target("command")
  for _, mod in ipairs(MODS) do mod.declare(parser, state) end
  return parser
end

M.build_parser = build_parser

-- The command named in argv, for pointing a usage error at its help.
local function command_in(argv)
  for _, a in ipairs(argv) do
    if HANDLERS[a] then return a end
  end
  return nil
end

-- argparse's message as one line, naming the command, with its "Did you mean" as a suggestion.
local function usage_line(message, cmd, argv)
  local text, tip = message:match("^(.-)\nDid you mean (.-)%?$")
  if not text then text = message:match("^[^\n]*") end
  if text == "unknown command '" .. (text:match("'(.*)'") or "") .. "'" and not tip then
    local guess = args_.suggest(text:match("'(.*)'"), COMMAND_NAMES)
    if guess then tip = "'" .. guess .. "'" end
  end
  -- "-o jsn": argparse names the choices, not what was given; the value after the option is the typo
  local flag = text:match("^argument for option '(.-)' must be one of")
  if flag and not tip then
    local names = { [flag] = true }
    if flag == "-o" or flag == "--output" then names["-o"], names["--output"] = true, true end
    for i = 1, #argv - 1 do
      if names[argv[i]] then
        local guess = args_.suggest(argv[i + 1], args_.FORMATS)
        if guess then tip = "'" .. guess .. "'" end
      end
    end
  end
  local where = cmd and (PROGRAM .. " " .. cmd) or PROGRAM
  return ("%s: %s%s%s (see '%s --help')"):format(PROGRAM, cmd and (cmd .. ": ") or "", text,
    tip and ("; did you mean " .. tip .. "?") or "", where)
end

-- Options that take a value, wherever they stand (to find the command and the script of `run`).
local VALUED = { ["--org"] = true, ["--app"] = true, ["--env"] = true, ["--token"] = true, ["--url"] = true,
  ["-o"] = true, ["--output"] = true }

-- `run SCRIPT ARGS...` hands everything after the script to the script, flags too: a "--" goes after it.
local function script_args_apart(argv)
  local positional, i = 0, 1
  local command
  while i <= #argv do
    local a = argv[i]
    if a == "--" then return argv end
    if VALUED[a] then
      i = i + 1
    elseif a:sub(1, 1) ~= "-" or a == "-" then
      positional = positional + 1
      if positional == 1 then
        command = a
        if command ~= "run" then return argv end
      elseif positional == 2 then
        if i == #argv then return argv end
        local out = {}
        for j = 1, i do out[j] = argv[j] end
        out[#out + 1] = "--"
        for j = i + 1, #argv do out[#out + 1] = argv[j] end
        return out
      end
    end
    i = i + 1
  end
  return argv
end

---@class humanitec.cli.Options
---@field stdout? table where output goes (anything with `write`); io.stdout by default
---@field stderr? table where errors and progress lines go; io.stderr by default
---@field stdin? table read for '-' files; io.stdin by default
---@field transport? table a transport for the client, such as a simulator's (`sim:transport()`)
---@field config_file? string humctl's configuration file instead of ~/.humctl
---@field getenv? fun(name: string): string? the environment; os.getenv by default
---@field tty? boolean whether a terminal reads stdout (JSON is indented then)
---@field width? integer the terminal's width, for tables
---@field open_url? fun(url: string): boolean opens a URL in a browser, for `login`

--- Runs the command line `argv` (the arguments without the program's name) and returns the exit status.
---@param argv string[]
---@param opts? humanitec.cli.Options
---@return integer exit_status
function M.main(argv, opts)
  if type(argv) ~= "table" then
    error("bad argument #1 to 'main' (table of arguments expected, got " .. type(argv) .. ")", 2)
  end
  opts = opts or {}
  local io_ = output.streams(opts)
  local state = {}
  local parser = build_parser(state)
  argv = script_args_apart(argv)
  local ok, args = parser:pparse(argv)
  if state.help then
    io_.stdout:write(state.help:get_help(), "\n")
    return M.OK
  end
  if state.version then
    argv = { "version" }
    ok, args = parser:pparse(argv)
  end
  if not ok then
    output.line(io_.stderr, usage_line(args, command_in(argv), argv))
    return M.USAGE
  end

  local setting = args_.setting
  local getenv = opts.getenv or os.getenv
  local settings, problem = context.resolve({
    org = setting(args, "org"), app = setting(args, "app"), env = setting(args, "env"),
    token = setting(args, "token"), url = setting(args, "url"),
  }, getenv, opts.config_file)
  if not settings then
    output.line(io_.stderr, "humanitec: " .. problem)
    return M.CONFIG
  end
  local token = settings.token
  settings.token = nil -- the client holds it from here on; nothing else needs it
  local fmt = setting(args, "output")
  local ctx = {
    args = args, command = args.command, io = io_, settings = settings, opts = opts, getenv = getenv,
    commands = COMMAND_NAMES, format = fmt, width = opts.width,
    pretty = setting(args, "pretty") or (fmt == "json" and opts.tty == true),
  }

  -- The client, made on first use: commands that need none (version, config, a Score dry run) run without a token.
  function ctx.connect()
    if ctx.client then return ctx.client end
    if token == nil then
      fail.config("no API token: run 'humanitec login', set HUMANITEC_TOKEN, or pass --token")
    end
    local url = settings.url or "https://api.humanitec.io"
    if not url:find("^https?://[^/]") then
      fail.config("the API URL must start with http:// or https://, got '" .. url .. "'")
    end
    local made, client = pcall(humanitec.new, {
      token = token, org = settings.org, url = url, user_agent = USER_AGENT,
      transport = opts.transport, config_file = opts.config_file or "/dev/null",
    })
    if not made then fail.config(output.strip_position(client)) end
    ctx.client = client
    return client
  end

  local handler = HANDLERS[args.command]
  local done, result = xpcall(function()
    if handler.client then ctx.connect() end
    return handler.run(ctx)
  end, function(e)
    if fail.is_failure(e) then return e end
    -- The SDK raises on a bad argument (a parameter it cannot send): the command line asked for it.
    return fail.new(M.USAGE, "humanitec: " .. output.strip_position(e))
  end)
  if ctx.client then ctx.client:close() end
  if done then return result end
  if result.data ~= nil then output.emit(ctx, result.data) end
  output.line(io_.stderr, result.message)
  return result.code
end

return M

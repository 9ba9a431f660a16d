--- The `humanitec` command line: parses the arguments, settles the configuration, runs one command.
--
-- bin/humanitec only finds this module and calls `main(arg)`. Each command lives in its own module under
-- humanitec.cli (get, deploy, run), with `declare(parser, state)` and `run(client, args, io)`; main runs a
-- command in process (a simulator transport, captured streams) exactly as the executable runs it.
--
-- Exit status: 0 on success, 1 when the API, a deployment or a script fails, 2 on a usage error (a bad flag,
-- a missing argument, no organization or token configured, an unreadable file). Errors are one line on stderr.
local argparse = require "argparse"
local humanitec = require "humanitec"
local config = require "humanitec.config"
local args_ = require "humanitec.cli.args"
local fail = require "humanitec.cli.fail"
local output = require "humanitec.cli.output"

local M = {}

M.OK, M.FAILURE, M.USAGE = fail.OK, fail.FAILURE, fail.USAGE

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

-- The commands, in the order --help lists them.
local COMMAND_NAMES = { "get", "deploy", "run" }
local COMMANDS = {}
for _, name in ipairs(COMMAND_NAMES) do COMMANDS[name] = require("humanitec.cli." .. name) end

local function build_parser(state)
  local parser = args_.add_help(argparse(PROGRAM, DESCRIPTION, EPILOG), state)
  args_.add_globals(parser, "main_")
  parser:command_target("command")
  for _, name in ipairs(COMMAND_NAMES) do COMMANDS[name].declare(parser, state) end
  return parser
end

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
  local io_ = output.streams(opts)
  local state = {}
  local parser = build_parser(state)
  local ok, args = parser:pparse(argv)
  if state.help then
    io_.stdout:write(state.help:get_help(), "\n")
    return M.OK
  end
  if not ok then
    local cmd = command_in(argv)
    output.line(io_.stderr, ("humanitec: %s (see '%s --help')"):format(args,
      cmd and (PROGRAM .. " " .. cmd) or PROGRAM))
    return M.USAGE
  end

  local setting = args_.setting
  local client_opts = {
    token = setting(args, "token"), org = setting(args, "org"), url = setting(args, "url"),
    user_agent = USER_AGENT, transport = opts.transport, config_file = opts.config_file,
  }
  -- Settle the configuration first, so that a missing token is reported in the command line's terms.
  local resolved, settings = pcall(config.resolve, client_opts)
  local problem = not resolved and output.strip_position(settings) or settings.config_error
  if not resolved then settings = nil end
  if settings then settings.token = nil end
  if problem then
    if problem:find("^no API token") then
      problem = "no API token: set HUMANITEC_TOKEN (or pass --token), or log in with humctl"
    end
    output.line(io_.stderr, "humanitec: " .. problem)
    return M.USAGE
  end
  local made, client = pcall(humanitec.new, client_opts)
  if not made then
    output.line(io_.stderr, "humanitec: " .. output.strip_position(client))
    return M.USAGE
  end

  local done, result = xpcall(function() return COMMANDS[args.command].run(client, args, io_) end, function(e)
    if fail.is_failure(e) then return e end
    -- The SDK raises on a bad argument (a parameter it cannot send): the command line asked for it.
    return fail.new(M.USAGE, "humanitec: " .. output.strip_position(e))
  end)
  client:close()
  if done then return result end
  output.line(io_.stderr, result.message)
  return result.code
end

return M

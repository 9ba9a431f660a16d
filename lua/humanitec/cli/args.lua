--- The command line's shared flags and their lookup: what every command takes, --help, settings, suggestions.
local fail = require "humanitec.cli.fail"
local vocabulary = require "humanitec.vocabulary"

local M = {}

--- The output formats -o takes.
M.FORMATS = { "table", "wide", "json", "yaml", "dot" }

-- The flags every command takes, before or after the command's name. Each is declared on the main parser and
-- on every command (so that each command's --help lists it) under two targets, since argparse resets an
-- option's target when the option is not given; `setting` takes the command's one first.
local GLOBALS = {
  { "--org", "<id>", "Organization (default: HUMANITEC_ORG, HUMANITEC_CONTEXT, then ~/.humctl)." },
  { "--app", "<id>", "Application (default: HUMANITEC_APP, HUMANITEC_CONTEXT, then ~/.humctl)." },
  { "--env", "<id>", "Environment (default: HUMANITEC_ENV, HUMANITEC_CONTEXT, then ~/.humctl)." },
  { "--token", "<token>", "API token. Prefer HUMANITEC_TOKEN: a token given here is visible in the process list." },
  { "--url", "<url>", "API URL (default: HUMANITEC_API_PREFIX, then ~/.humctl, then https://api.humanitec.io)." },
  { "-o --output", "<format>", "Output: table (the default), wide, json, yaml; dot for resources graph.", M.FORMATS },
}

--- Declares the shared flags on `parser`, their targets prefixed with `prefix`.
function M.add_globals(parser, prefix)
  for _, g in ipairs(GLOBALS) do
    local target = (prefix or "") .. g[1]:match("%-%-(%w+)$")
    local option = parser:option(g[1], g[3]):argname(g[2]):target(target)
    if g[4] then option:choices(g[4]) end
  end
  parser:flag("--pretty", "Indent JSON even when standard output is not a terminal."):target((prefix or "") .. "pretty")
end

--- Our own -h/--help: argparse's prints and calls os.exit, which would end a spec running main in process.
--- It records which parser asked in `state.help`; main prints that parser's help once parsing is over.
function M.add_help(parser, state)
  parser:add_help(false):help_max_width(110)
  parser:flag("-h --help", "Show this help and exit."):action(function() state.help = parser end)
  return parser
end

--- Declares a command with its description, an epilog that ends with examples, the shared flags and --help.
---@param parser table
---@param state table
---@param name string
---@param summary string
---@param examples string[] command lines, each shown as "  humanitec ..."
---@param notes? string
function M.command(parser, state, name, summary, examples, notes)
  local lines = {}
  if notes then lines[1] = notes .. "\n" end
  lines[#lines + 1] = "Examples:"
  for _, e in ipairs(examples) do lines[#lines + 1] = "  humanitec " .. e end
  local cmd = M.add_help(parser:command(name, summary, table.concat(lines, "\n")), state)
  M.add_globals(cmd)
  return cmd
end

--- A setting given to the command, or else to the main parser.
function M.setting(args, name)
  local v = args[name]
  if v == nil then v = args["main_" .. name] end
  return v
end

--- A context setting (org, app, env) the command cannot do without: a usage error names the command and flag.
---@param ctx table
---@param name string
---@param what string the command, for the message
function M.need(ctx, name, what)
  local v = ctx.settings[name]
  if v == nil then
    if name == "org" then
      fail.config(what .. " needs an organization: pass --org, set HUMANITEC_ORG, or set org in ~/.humctl")
    end
    fail.usage(what .. " needs --" .. name)
  end
  return v
end

--- The candidate closest to `word`, when it is close enough to be a typo; nil otherwise.
---@param word string
---@param candidates string[]
---@return string?
M.suggest = vocabulary.closest

return M

--- The command line's shared flags and their lookup: what every command takes, --help, and settings.
local fail = require "humanitec.cli.fail"

local M = {}

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

--- Declares the shared flags on `parser`, their targets prefixed with `prefix`.
function M.add_globals(parser, prefix)
  for _, g in ipairs(GLOBALS) do
    local target = (prefix or "") .. g[1]:match("%-%-(%w+)$")
    local option = parser:option(g[1], g[3]):argname(g[2]):target(target)
    if g[4] then option:choices(g[4]) end
  end
end

--- Our own -h/--help: argparse's prints and calls os.exit, which would end a spec running main in process.
--- It records which parser asked in `state.help`; main prints that parser's help once parsing is over.
function M.add_help(parser, state)
  parser:add_help(false):help_max_width(110)
  parser:flag("-h --help", "Show this help and exit."):action(function() state.help = parser end)
  return parser
end

--- A setting given to the command, or else to the main parser.
function M.setting(args, name)
  local v = args[name]
  if v == nil then v = args["main_" .. name] end
  return v
end

--- A setting the command cannot do without: a usage error names the command and the flag.
function M.need(args, name, what)
  local v = M.setting(args, name)
  if v == nil then fail.usage(what .. " needs --" .. name) end
  return v
end

--- Ends the command with a usage error when the client has no organization.
function M.need_org(client)
  if client.org == nil then
    fail.usage("no organization: pass --org, set HUMANITEC_ORG, or set org in ~/.humctl")
  end
end

return M

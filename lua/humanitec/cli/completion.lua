--- `humanitec completion bash|zsh|fish`: a completion script for the shell, from the commands and kinds.
local args_ = require "humanitec.cli.args"
local fail = require "humanitec.cli.fail"
local kinds = require "humanitec.cli.kinds"

local M = {}

-- Commands whose first argument is a kind.
local KIND_COMMANDS = { "get", "create", "update", "delete" }
local FLAGS = { "--org", "--app", "--env", "--token", "--url", "--output", "--pretty", "--help", "--param" }

--- Declares the command on `parser`.
function M.declare(parser, state)
  local cmd = args_.command(parser, state, "completion", "Print a completion script for bash, zsh or fish.", {
    "completion bash > /etc/bash_completion.d/humanitec", "completion zsh > \"${fpath[1]}/_humanitec\"",
    "completion fish > ~/.config/fish/completions/humanitec.fish", "source <(humanitec completion bash)",
  })
  cmd:argument("shell", "bash, zsh or fish."):choices({ "bash", "zsh", "fish" })
end

local function bash(commands, kind_names)
  return ([[
# bash completion for humanitec
_humanitec() {
  local cur=${COMP_WORDS[COMP_CWORD]} cmd=${COMP_WORDS[1]}
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "%s" -- "$cur"))
    return
  fi
  case "$cur" in
    -*) COMPREPLY=($(compgen -W "%s" -- "$cur")); return ;;
  esac
  case "$cmd" in
    %s)
      if [ "$COMP_CWORD" -eq 2 ]; then COMPREPLY=($(compgen -W "%s" -- "$cur")); return; fi ;;
  esac
  COMPREPLY=($(compgen -f -- "$cur"))
}
complete -F _humanitec humanitec
]]):format(commands, table.concat(FLAGS, " "), table.concat(KIND_COMMANDS, "|"), kind_names)
end

local function zsh(commands, kind_names)
  return ([=[
#compdef humanitec
# zsh completion for humanitec
_humanitec() {
  local -a commands kinds flags
  commands=(%s)
  kinds=(%s)
  flags=(%s)
  if (( CURRENT == 2 )); then
    compadd -a commands
  elif [[ $words[CURRENT] == -* ]]; then
    compadd -a flags
  elif (( CURRENT == 3 )) && [[ $words[2] == (%s) ]]; then
    compadd -a kinds
  else
    _files
  fi
}
compdef _humanitec humanitec
]=]):format(commands, kind_names, table.concat(FLAGS, " "), table.concat(KIND_COMMANDS, "|"))
end

local function fish(commands, kind_names)
  local lines = {
    "# fish completion for humanitec",
    "complete -c humanitec -f",
    ("complete -c humanitec -n __fish_use_subcommand -a '%s'"):format(commands),
    ("complete -c humanitec -n '__fish_seen_subcommand_from %s' -a '%s'"):format(table.concat(KIND_COMMANDS, " "),
      kind_names),
  }
  for _, f in ipairs(FLAGS) do
    lines[#lines + 1] = "complete -c humanitec -l " .. f:sub(3)
  end
  lines[#lines + 1] = "complete -c humanitec -s o -a 'table wide json yaml'"
  return table.concat(lines, "\n") .. "\n"
end

local SHELLS = { bash = bash, zsh = zsh, fish = fish }

M.handlers = {
  completion = { client = false, run = function(ctx)
    local script = SHELLS[ctx.args.shell](table.concat(ctx.commands, " "), table.concat(kinds.names, " "))
    ctx.io.stdout:write(script)
    return fail.OK
  end },
}

return M

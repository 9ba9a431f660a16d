--- `humanitec run`: runs a Lua workflow script with a configured client.
local args_ = require "humanitec.cli.args"
local fail = require "humanitec.cli.fail"
local output = require "humanitec.cli.output"

local M = {}

--- Declares the command on `parser`.
function M.declare(parser, state)
  local run = args_.command(parser, state, "run", "Run a Lua workflow script with a configured client.",
    { "run release.lua 1.2 --dry-run", "run --app shop promote.lua" },
    "The script sees a global 'client' (a humanitec client configured from the flags, the environment and "
    .. "~/.humctl) and 'arg' (its arguments, arg[0] being the script); the other globals are the standard ones. "
    .. "Everything after the script goes to the script, flags too. An error raised by the script ends the "
    .. "command with exit status 1.")
  run:argument("script", "The Lua script."):argname("<script.lua>")
  run:argument("args", "Arguments for the script."):args("*"):argname("<arg>")
end

-- Loads a script with `env` as its globals (Lua 5.2+ and LuaJIT take it in loadfile, 5.1 in setfenv).
local function load_script(path, env)
  local f = io.open(path, "rb")
  if not f then fail.usage("cannot read the script " .. path) end
  f:close()
  local chunk, err = loadfile(path, "t", env)
  if not chunk then return nil, err end
  if setfenv then setfenv(chunk, env) end -- luacheck: ignore 113 (Lua 5.1)
  return chunk
end

local unpack = table.unpack or unpack -- luacheck: ignore 113 (Lua 5.1)

local function run(ctx)
  local client, args, io_ = ctx.client, ctx.args, ctx.io
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
      output.line(io_.stdout, table.concat(parts, "\t", 1, n))
    end,
  }, { __index = _G })
  local chunk, load_err = load_script(args.script, env)
  if not chunk then error(fail.new(fail.FAILURE, output.one_line(load_err)), 0) end
  local ok, err = xpcall(function() return chunk(unpack(script_arg, 1, #script_arg)) end, function(e)
    if fail.is_failure(e) then return e end
    return fail.new(fail.FAILURE, output.one_line(e))
  end)
  if not ok then error(err, 0) end
  return fail.OK
end

M.handlers = { run = { client = true, run = run } }

return M

--- `humanitec version` and `--version`: the CLI's and the SDK's version, and the API spec it was made from.
local args_ = require "humanitec.cli.args"
local fail = require "humanitec.cli.fail"
local humanitec = require "humanitec"
local output = require "humanitec.cli.output"

local M = {}

--- Declares the command on `parser`.
function M.declare(parser, state)
  args_.command(parser, state, "version", "Print the version.", { "version -o json", "--version" })
end

M.handlers = {
  version = { client = false, run = function(ctx)
    local operations = require "humanitec.operations" -- here, not at load: --help never needs it
    local data = { version = humanitec.VERSION, api = operations.version, lua = jit and jit.version or _VERSION }
    if ctx.format == "json" or ctx.format == "yaml" then
      output.emit(ctx, data)
    else
      output.line(ctx.io.stdout, ("humanitec %s (API %s, %s)"):format(data.version, data.api, data.lua))
    end
    return fail.OK
  end },
}

return M

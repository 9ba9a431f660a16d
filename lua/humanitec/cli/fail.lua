--- How a command ends early: a failure carries the exit status and its one line for stderr.
--
-- Commands raise a failure with error(..., 0); humanitec.cli catches it and returns its code.
local humanitec = require "humanitec"
local output = require "humanitec.cli.output"

local M = {}

M.OK, M.FAILURE, M.USAGE = 0, 1, 2

local Failure = {}
Failure.__index = Failure

--- A failure that ends a command with exit status `code`.
---@param code integer
---@param message string the line for stderr
function M.new(code, message)
  return setmetatable({ code = code, message = message }, Failure)
end

--- True when `v` is a failure.
function M.is_failure(v)
  return getmetatable(v) == Failure
end

--- Ends the command with a usage error.
---@param message string
function M.usage(message)
  error(M.new(M.USAGE, "humanitec: " .. message), 0)
end

--- The data of a successful call, or the failure that ends the command: nothing sent (a configuration error)
--- is a usage error, anything else a failure.
function M.check(data, err)
  if not err then return data end
  local code = humanitec.is_error(err) and err.kind == "config" and M.USAGE or M.FAILURE
  error(M.new(code, output.one_line(err)), 0)
end

return M

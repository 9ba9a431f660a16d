--- How a command ends early: a failure carries the exit status and its one line for stderr.
--
-- Commands raise a failure with error(..., 0); humanitec.cli catches it and returns its code.
-- Exit status: 0 success, 1 an API or deployment failure, 2 a usage error, 3 a configuration or
-- authentication error (no token, no organization configured, a token the API refuses).
local humanitec = require "humanitec"
local errors = require "humanitec.errors"
local output = require "humanitec.cli.output"

local M = {}

M.OK, M.FAILURE, M.USAGE, M.CONFIG = 0, 1, 2, 3

local Failure = {}
Failure.__index = Failure

--- A failure that ends a command with exit status `code`; `data` is printed first, on stdout, when given.
---@param code integer
---@param message string the line for stderr
function M.new(code, message, data)
  return setmetatable({ code = code, message = message, data = data }, Failure)
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

--- Ends the command with a configuration error.
---@param message string
function M.config(message)
  error(M.new(M.CONFIG, "humanitec: " .. message), 0)
end

--- The exit status and the text for an SDK error: one line, and for a failed deployment a line per error.
---@param err any
---@return integer code
---@return string line
function M.classify(err)
  if humanitec.is_error(err) then
    if err.kind == "config" then return M.CONFIG, output.one_line(err) end
    if err.status == 401 then
      local text = tostring(err.message or ""):lower()
      if text:find("expired", 1, true) then
        return M.CONFIG, output.one_line(err) .. " (the session has expired: log in again with 'humanitec login')"
      end
      return M.CONFIG, output.one_line(err) .. " (check HUMANITEC_TOKEN, or log in with 'humanitec login')"
    end
  end
  if humanitec.is_error(err) and err.kind == "deployment_failed" then
    -- the deployment's errors, one line each: "  RES-101: summary: message"
    local lines = { output.one_line(err) }
    for _, d in ipairs(type(err.errors) == "table" and err.errors or {}) do
      local parts = {}
      for _, k in ipairs({ "code", "summary", "message" }) do
        if type(d[k]) == "string" and d[k] ~= "" then parts[#parts + 1] = output.scrub(errors.one_line(d[k])) end
      end
      lines[#lines + 1] = "  " .. table.concat(parts, ": ")
    end
    return M.FAILURE, table.concat(lines, "\n")
  end
  return M.FAILURE, output.one_line(err)
end

--- The data of a successful call (data, nil, response), or the failure that ends the command (nil, err).
function M.check(data, err)
  if err == nil then return data end
  local code, line = M.classify(err)
  error(M.new(code, line), 0)
end

return M

--- The parameters of a kind's operation, from the context (org, app, env), --param NAME=VALUE and an id.
local args_ = require "humanitec.cli.args"
local fail = require "humanitec.cli.fail"
local kinds = require "humanitec.cli.kinds"

local M = {}

--- Declares --param on a command.
function M.declare(cmd)
  cmd:option("-p --param", "A parameter of the operation: NAME=VALUE (a path parameter such as "
    .. "pipelineId, or a query parameter). Repeatable."):argname("<name=value>"):count("*"):target("param")
end

--- The parameters the command line gives: `{ orgId = ..., appId = ..., envId = ..., [NAME] = VALUE }`.
---@param ctx table
---@return table<string, string>
function M.given(ctx)
  local params = {}
  for param, setting in pairs(kinds.CONTEXT_PARAMS) do params[param] = ctx.settings[setting] end
  for _, pair in ipairs(ctx.args.param or {}) do
    local name, value = pair:match("^([^=]+)=(.*)$")
    if not name then fail.usage(ctx.command .. ": --param needs NAME=VALUE, got '" .. pair .. "'") end
    params[name] = value
  end
  return params
end

--- The kind called `word` that the given parameters can reach; a usage error (with a suggestion, or the flag
--- that is missing) otherwise.
---@param ctx table
---@param word string
---@param params table
---@param with_id? boolean the id fills the kind's item parameter
function M.kind(ctx, word, params, with_id)
  local available = {}
  for k in pairs(params) do available[k] = true end
  local kind, candidate, missing = kinds.find(word, available, with_id and "*" or nil)
  if kind then return kind end
  if candidate then
    if missing == "orgId" then
      fail.config(ctx.command .. " " .. word .. " needs an organization: pass --org, set HUMANITEC_ORG, or set org "
        .. "in ~/.humctl")
    end
    fail.usage(("%s %s needs %s"):format(ctx.command, word, kinds.flag_for(missing)))
  end
  local guess = args_.suggest(word, kinds.names)
  fail.usage(("%s: unknown kind '%s'%s (see 'humanitec %s --help')"):format(ctx.command, word,
    guess and ("; did you mean '" .. guess .. "'?") or "", ctx.command))
end

--- The parameters for one of the kind's operations: those of its path and query from `params`.
---@param op table
---@param params table
---@return table
function M.for_operation(op, params)
  local out = {}
  for _, p in ipairs(op.params) do
    if params[p.name] ~= nil then
      local v = params[p.name]
      if (p.type == "integer" or p.type == "number") and tonumber(v) then v = tonumber(v) end
      if p.type == "boolean" and (v == "true" or v == "false") then v = v == "true" end
      out[p.name] = v
    end
  end
  return out
end

return M

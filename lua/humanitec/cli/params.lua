--- The parameters of a kind's operation, from the context (org, app, env), --param NAME=VALUE and an id.
local args_ = require "humanitec.cli.args"
local fail = require "humanitec.cli.fail"
local kinds = require "humanitec.cli.kinds"
local vocabulary = require "humanitec.vocabulary"

local M = {}

-- The names each parameter table got from --param (not from the context), to check against the kind's.
local from_flag = setmetatable({}, { __mode = "k" })

--- Declares --param on a command.
function M.declare(cmd)
  cmd:option("-p --param", "A parameter of the operation: NAME=VALUE (a path parameter such as "
    .. "pipelineId, or a query parameter). Repeatable."):argname("<name=value>"):count("*"):target("param")
end

--- The parameters the command line gives: `{ orgId = ..., appId = ..., envId = ..., [NAME] = VALUE }`.
---@param ctx table
---@return table<string, string>
function M.given(ctx)
  local params, names = {}, {}
  for param, setting in pairs(kinds.CONTEXT_PARAMS) do params[param] = ctx.settings[setting] end
  for _, pair in ipairs(ctx.args.param or {}) do
    local name, value = pair:match("^([^=]+)=(.*)$")
    if not name then fail.usage(ctx.command .. ": --param needs NAME=VALUE, got '" .. pair .. "'") end
    params[name] = value
    names[#names + 1] = name
  end
  from_flag[params] = names
  return params
end

-- A --param that no operation of the kind takes would be dropped without a word: refuse it, with a hint.
local function check_flags(ctx, word, kind, params)
  local takes, list = {}, {}
  for _, field in ipairs { "list", "get", "create", "delete", "patch", "put" } do
    for _, p in ipairs(kind[field] and kind[field].params or {}) do
      if not takes[p.name] then takes[p.name] = true; list[#list + 1] = p.name end
    end
  end
  table.sort(list)
  for _, name in ipairs(from_flag[params] or {}) do
    if not takes[name] then
      fail.usage(("%s %s: --param '%s' is no parameter of %s%s"):format(ctx.command, word, name, kind.name,
        vocabulary.hint(name, list)))
    end
  end
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
  if kind then
    check_flags(ctx, word, kind, params)
    return kind
  end
  if candidate then
    check_flags(ctx, word, candidate, params) -- a misspelt --param is likelier what is missing

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

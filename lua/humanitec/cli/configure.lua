--- `humanitec config view|set`: humctl's configuration file (~/.humctl), shown and changed key by key.
local args_ = require "humanitec.cli.args"
local context = require "humanitec.cli.context"
local fail = require "humanitec.cli.fail"
local output = require "humanitec.cli.output"

local M = {}

local SET_KEYS = { "org", "app", "env", "api-prefix" }

--- Declares the command on `parser`.
function M.declare(parser, state)
  local cmd = args_.command(parser, state, "config", "Show or change ~/.humctl (org, app, env, api-prefix).", {
    "config view", "config set org acme", "config set api-prefix http://127.0.0.1:8080", "config set app ''",
  }, "'view' shows the context in force and where each setting comes from (the token only as whether there is "
    .. "one). 'set' writes one key (an empty value removes it), keeping the file's other keys, with mode 0600.")
  cmd:argument("action", "view or set."):choices({ "view", "set" })
  cmd:argument("key", "For set: " .. table.concat(SET_KEYS, ", ") .. "."):args("?"):argname("<key>")
  cmd:argument("value", "For set: the value."):args("?"):argname("<value>")
end

local function view(ctx)
  local s = ctx.settings
  local rows = {}
  for _, k in ipairs({ "org", "app", "env", "url" }) do
    rows[#rows + 1] = { key = k, value = s[k], source = s.source[k] }
  end
  rows[#rows + 1] = { key = "token", value = s.source.token and "(set)" or nil, source = s.source.token }
  if ctx.format == "json" or ctx.format == "yaml" then
    local data = { file = s.file }
    for _, r in ipairs(rows) do data[r.key] = r.value end
    output.emit(ctx, data)
  else
    output.emit(ctx, rows, { columns = { { "KEY", "key" }, { "VALUE", "value" }, { "FROM", "source" } } })
  end
  return fail.OK
end

local function set(ctx)
  local key, value = ctx.args.key, ctx.args.value
  if key == nil then fail.usage("config set needs a key: " .. table.concat(SET_KEYS, ", ")) end
  local file_key = context.FILE_KEYS[key]
  if file_key == nil or key == "token" then
    local guess = args_.suggest(key, SET_KEYS)
    fail.usage(("config set: unknown key '%s'%s"):format(key, guess and ("; did you mean '" .. guess .. "'?") or ""))
  end
  if value == nil then fail.usage("config set " .. key .. " needs a value") end
  if key == "api-prefix" and value ~= "" and not value:find("^https?://[^/]") then
    fail.usage("config set api-prefix: the URL must start with http:// or https://")
  end
  local path = ctx.settings.file
  if not path then fail.config("config set: no configuration file: set HOME or HUMCTL_CONFIG") end
  local ok, err = context.write_file(path, { [file_key] = value ~= "" and value or false })
  if not ok then fail.config(err) end
  output.line(ctx.io.stderr, ("%s %s in %s"):format(value ~= "" and "set" or "removed", file_key, path))
  return fail.OK
end

M.handlers = {
  config = { client = false, run = function(ctx)
    if ctx.args.action == "view" then return view(ctx) end
    return set(ctx)
  end },
}

return M

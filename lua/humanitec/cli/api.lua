--- `humanitec api METHOD PATH [-d BODY]`: any request, authenticated, JSON in and out.
local args_ = require "humanitec.cli.args"
local fail = require "humanitec.cli.fail"
local input = require "humanitec.cli.input"
local output = require "humanitec.cli.output"

local M = {}

local METHODS = { "GET", "POST", "PUT", "PATCH", "DELETE" }

--- Declares the command on `parser`.
function M.declare(parser, state)
  local cmd = args_.command(parser, state, "api", "Send any request to the API.", {
    "api GET /orgs", "api POST /orgs/acme/apps -d '{\"id\":\"shop\",\"name\":\"Shop\"}'",
    "api PUT /orgs/acme/apps/shop/values/LOG_LEVEL -d @value.json", "api DELETE /orgs/acme/apps/shop",
  }, "PATH is relative to the API URL; {org}, {app} and {env} in it are replaced from the context. The response "
    .. "is printed as JSON (or -o yaml); an error status exits 1 with the API's message.")
  cmd:argument("method", "GET, POST, PUT, PATCH or DELETE."):argname("<method>")
  cmd:argument("path", "The path, such as /orgs/acme/apps."):argname("<path>")
  cmd:option("-d --data", "The body: JSON or YAML, @FILE, or - for standard input."):argname("<body>")
end

local function run(ctx)
  local method = ctx.args.method:upper()
  local known = false
  for _, m in ipairs(METHODS) do known = known or m == method end
  if not known then
    fail.usage(("api: unknown method '%s' (one of %s)"):format(ctx.args.method, table.concat(METHODS, ", ")))
  end
  local path = ctx.args.path
  if path:sub(1, 1) ~= "/" then fail.usage("api: the path must start with '/', got '" .. path .. "'") end
  path = path:gsub("{(%a+)}", function(name)
    local v = ctx.settings[name]
    if v == nil then fail.usage("api: the path uses {" .. name .. "}, which needs --" .. name) end
    return v
  end)
  local opts = {}
  if ctx.args.data then opts.body = input.body(ctx, ctx.args.data) end
  local data = fail.check(ctx.client:request(method, path, opts))
  if data ~= true and data ~= nil then
    if ctx.format ~= "yaml" and type(data) == "string" then
      ctx.io.stdout:write(data)
    else
      local saved = ctx.format
      if ctx.format ~= "yaml" then ctx.format = "json" end
      output.emit(ctx, data)
      ctx.format = saved
    end
  end
  return fail.OK
end

M.handlers = { api = { client = true, run = run } }

return M

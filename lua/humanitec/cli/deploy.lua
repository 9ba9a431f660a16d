--- `humanitec deploy`: deploys a delta or a set to an environment, optionally waiting for the outcome.
local args_ = require "humanitec.cli.args"
local fail = require "humanitec.cli.fail"
local json = require "humanitec.json"
local output = require "humanitec.cli.output"

local M = {}

--- Declares the command on `parser`.
function M.declare(parser, state)
  local deploy = args_.command(parser, state, "deploy", "Deploy a delta or a set to an environment.", {
    "deploy --app shop --env development --delta delta.json --wait",
    "deploy --app shop --env production --set 0a1b2c --wait --timeout 600",
  }, "With --wait it prints a line on stderr each time the deployment's status changes and exits 1 when it "
    .. "fails; the deployment goes to stdout.")
  local delta = deploy:option("--delta", "A delta to deploy: a JSON file ('-' for standard input)."):argname("<file>")
  local set = deploy:option("--set", "A set to deploy, by id."):argname("<set-id>"):target("set_id")
  deploy:mutex(delta, set)
  deploy:option("--comment", "A comment for the deployment."):argname("<text>")
  deploy:flag("--wait", "Wait until the deployment has succeeded or failed.")
  deploy:option("--timeout", "Seconds to wait at most (default 1800)."):argname("<seconds>"):convert(function(v)
    local n = tonumber(v)
    if not n or n < 0 then return nil, "--timeout needs a number of seconds" end
    return n
  end)
end

-- The delta in a JSON file ('-': standard input).
local function read_delta(path, io_)
  local text
  if path == "-" then
    text = io_.stdin:read("*a")
  else
    local f = io.open(path, "rb")
    if not f then fail.usage("cannot read the delta file " .. path) end
    text = f:read("*a")
    f:close()
  end
  local delta, err = json.decode(text or "")
  if type(delta) ~= "table" or delta[1] ~= nil then
    fail.usage(("the delta file %s does not hold a JSON object%s"):format(path, err and (": " .. err) or ""))
  end
  return delta
end

local function run(ctx)
  local client, args, io_ = ctx.client, ctx.args, ctx.io
  local app = args_.need(ctx, "app", "deploy")
  local env = args_.need(ctx, "env", "deploy")
  if args.delta == nil and args.set_id == nil then fail.usage("deploy needs --delta or --set") end
  args_.need(ctx, "org", "deploy")
  -- Progress goes to stderr, the deployment to stdout: a pipeline reads one JSON document, or one row.
  local progress = io_.stderr
  local where = app .. "/" .. env
  local deployment = fail.check(client:deploy {
    app = app, env = env, delta = args.delta and read_delta(args.delta, io_), set_id = args.set_id,
    comment = args.comment, wait = args.wait == true, timeout = args.timeout,
    on_progress = function(status, d)
      output.line(progress, ("%s: deployment %s %s"):format(where, tostring(d.id), status))
    end,
  })
  output.emit(ctx, deployment, require("humanitec.cli.get").VIEWS.deployments)
  return fail.OK
end

M.handlers = { deploy = { client = true, run = run } }

return M

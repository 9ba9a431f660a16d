--- `humanitec deploy`: a delta, a set, one environment into another, or a rollback (+N), as humctl does, and
--- the older flag form (--delta FILE|-, --set ID). Progress lines go to stderr, the deployment to stdout.
local args_ = require "humanitec.cli.args"
local fail = require "humanitec.cli.fail"
local input = require "humanitec.cli.input"
local output = require "humanitec.cli.output"

local M = {}

local WHAT = { "delta", "set", "env", "deploy" }

--- Declares the command on `parser`.
function M.declare(parser, state)
  local deploy = args_.command(parser, state, "deploy", "Deploy a delta, a set, an environment, or roll back.", {
    "deploy delta 0a1b2c development --app shop --wait", "deploy set 9f8e7d production --app shop --wait",
    "deploy env staging production --app shop --wait --message 'release 1.2'",
    "deploy deploy +1 . --app shop --env production --wait",
    "deploy --app shop --env development --delta delta.json --wait --timeout 600",
  }, "WHAT is delta (an id), set (an id), env (deploys SOURCE's current set into TARGET) or deploy (a "
    .. "deployment id, or +N for N successful deployments back). TARGET is the environment, '.' or left out "
    .. "for --env. With --wait a line goes to stderr each time the deployment's status changes; a failed "
    .. "deployment prints its errors and exits 1.")
  deploy:argument("what", "delta, set, env or deploy."):args("?"):argname("<what>")
  deploy:argument("id", "The delta, set, source environment or deployment (+N)."):args("?"):argname("<id>")
  deploy:argument("target", "The environment to deploy to ('.': --env)."):args("?"):argname("<target>")
  local delta = deploy:option("--delta", "A delta to deploy: a JSON or YAML file ('-' for standard input).")
    :argname("<file>")
  local set = deploy:option("--set", "A set to deploy, by id."):argname("<set-id>"):target("set_id")
  deploy:mutex(delta, set)
  deploy:option("--message --comment", "A comment for the deployment."):argname("<text>"):target("message")
  deploy:option("--values-version", "The value set version to deploy with."):argname("<id>")
    :target("values_version")
  deploy:flag("--wait", "Wait until the deployment has succeeded or failed.")
  deploy:option("--timeout", "Seconds to wait at most (default 1800)."):argname("<seconds>"):convert(function(v)
    local n = tonumber(v)
    if not n or n < 0 then return nil, "--timeout needs a number of seconds" end
    return n
  end)
end

-- The delta in a file ('-': standard input): one JSON or YAML object.
local function read_delta(ctx, path)
  local text = input.read(ctx, path)
  local docs = input.documents(ctx, text, path == "-" and "standard input" or path)
  local delta = docs[1]
  if #docs ~= 1 or type(delta) ~= "table" or delta[1] ~= nil then
    fail.usage(("deploy: the delta file %s does not hold one object"):format(path))
  end
  return delta
end

local function target_env(ctx, given)
  if given ~= nil and given ~= "." then return given end
  return args_.need(ctx, "env", "deploy")
end

local function run(ctx)
  local client, args = ctx.client, ctx.args
  local app = args_.need(ctx, "app", "deploy")
  args_.need(ctx, "org", "deploy")
  local what = args.what
  if what ~= nil then
    local known = false
    for _, w in ipairs(WHAT) do known = known or w == what end
    if not known then
      local guess = args_.suggest(what, WHAT)
      fail.usage(("deploy: unknown '%s'%s (one of delta, set, env, deploy)"):format(what,
        guess and ("; did you mean '" .. guess .. "'?") or ""))
    end
    if args.delta or args.set_id then fail.usage("deploy " .. what .. ": --delta and --set are for the flag form") end
    if args.id == nil then fail.usage("deploy " .. what .. " needs an id") end
  elseif args.delta == nil and args.set_id == nil then
    fail.usage("deploy needs WHAT ID (delta, set, env, deploy) or --delta FILE or --set ID")
  end

  local env = target_env(ctx, args.target)
  local where = app .. "/" .. env
  local common = {
    appId = app, envId = env, comment = args.message, wait = args.wait == true, timeout = args.timeout,
    on_progress = function(status, d)
      -- the server's words, scrubbed: an escape sequence in a status must not reach the terminal
      output.line(ctx.io.stderr, output.scrub(("%s: deployment %s %s"):format(where, tostring(d.id), tostring(status))))
    end,
  }
  local deployment, err
  if what == "env" then
    if args.values_version then fail.usage("deploy env: --values-version goes with delta or set") end
    common.from, common.to, common.envId = args.id, env, nil
    deployment, err = client:promote(common)
  elseif what == "deploy" then
    if args.values_version then fail.usage("deploy deploy: --values-version goes with delta or set") end
    local steps = args.id:match("^%+(%d+)$")
    common.to = steps and tonumber(steps) or args.id
    if steps and common.to < 1 then fail.usage("deploy deploy: +N needs N of at least 1") end
    deployment, err = client:rollback(common)
  else
    common.value_set_version_id = args.values_version
    if what == "delta" then
      common.delta = args.id
    elseif what == "set" then
      common.set_id = args.id
    elseif args.delta then
      common.delta = read_delta(ctx, args.delta)
    else
      common.set_id = args.set_id
    end
    deployment, err = client:deploy(common)
  end
  if err then
    local code, text = fail.classify(err)
    local data
    if (ctx.format == "json" or ctx.format == "yaml") and err.kind == "deployment_failed" then
      data = {}
      for k, v in pairs(err.deployment or {}) do data[k] = v end
      data.errors = err.errors
    end
    error(fail.new(code, text, data), 0)
  end
  output.emit(ctx, deployment, require("humanitec.cli.get").VIEWS.deployments)
  return fail.OK
end

M.handlers = { deploy = { client = true, run = run } }

return M

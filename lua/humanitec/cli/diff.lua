--- `humanitec diff sets A B`: what changes from one set to another; A and B are set ids or env/ENV (the set an
--- environment runs).
local args_ = require "humanitec.cli.args"
local fail = require "humanitec.cli.fail"
local json = require "humanitec.json"
local output = require "humanitec.cli.output"

local M = {}

--- Declares the command on `parser`.
function M.declare(parser, state)
  local diff = args_.command(parser, state, "diff", "Show what changes from one set to another.", {
    "diff sets env/staging env/production --app shop", "diff sets 0a1b2c 9f8e7d --app shop -o yaml",
  }, "A and B are set ids, or env/ENV for the set an environment's last deployment runs. The output lists the "
    .. "workloads added (+), removed (-) and changed (~, with each JSON Patch step) going from A to B.")
  diff:argument("what", "sets."):choices({ "sets" })
  diff:argument("from", "A set id or env/ENV."):argname("<a>")
  diff:argument("to", "A set id or env/ENV."):argname("<b>")
end

local function env_set(ctx, app, env)
  local environment = fail.check(ctx.client:get_environment { appId = app, envId = env })
  local last = environment.last_deploy
  if type(last) ~= "table" or type(last.set_id) ~= "string" then
    error(fail.new(fail.FAILURE, ("humanitec: diff: %s/%s has no deployment yet"):format(app, env)), 0)
  end
  return last.set_id
end

local function set_of(ctx, app, ref)
  local env = ref:match("^envs?/(.+)$")
  if not env then return ref end
  return env_set(ctx, app, env)
end

local function sorted_keys(t)
  return json.sorted_keys(type(t) == "table" and t or {})
end

local function patch_line(p)
  local value = p.value ~= nil and (": " .. require("humanitec.cli.format").json(p.value, false)) or ""
  return ("    %s %s%s"):format(tostring(p.op), tostring(p.path), value)
end

-- The diff as lines: + added, - removed, ~ changed workloads with their patch steps, then shared values.
local function text_lines(diff)
  local out = {}
  for _, group in ipairs({ "modules", "workloads" }) do
    local g = type(diff[group]) == "table" and diff[group] or {}
    for _, name in ipairs(sorted_keys(g.add)) do out[#out + 1] = "+ " .. group .. "/" .. name end
    local removed = type(g.remove) == "table" and g.remove or {}
    local names = {}
    for _, name in ipairs(removed) do names[#names + 1] = tostring(name) end
    table.sort(names)
    for _, name in ipairs(names) do out[#out + 1] = "- " .. group .. "/" .. name end
    for _, name in ipairs(sorted_keys(g.update)) do
      out[#out + 1] = "~ " .. group .. "/" .. name
      for _, p in ipairs(type(g.update[name]) == "table" and g.update[name] or {}) do
        out[#out + 1] = patch_line(p)
      end
    end
  end
  local shared = type(diff.shared) == "table" and diff.shared or {}
  if #shared > 0 then
    out[#out + 1] = "~ shared"
    for _, p in ipairs(shared) do out[#out + 1] = patch_line(p) end
  end
  return out
end

local function run(ctx)
  local app = args_.need(ctx, "app", "diff sets")
  args_.need(ctx, "org", "diff sets")
  local from = set_of(ctx, app, ctx.args.from)
  local to = set_of(ctx, app, ctx.args.to)
  local diff, err = ctx.client:get_diff { appId = app, setId = to, sourceSetId = from }
  if err and err.status == 404 then
    -- a bare word that is no set id (those are hex) is most likely an environment's name
    for _, ref in ipairs({ ctx.args.from, ctx.args.to }) do
      if not ref:match("^envs?/") and not ref:match("^%x+$") then
        local code, line = fail.classify(err)
        error(fail.new(code, ("%s (for the set an environment runs, give env/%s)"):format(line, output.scrub(ref))), 0)
      end
    end
  end
  diff = fail.check(diff, err)
  if ctx.format == "json" or ctx.format == "yaml" then
    output.emit(ctx, diff)
    return fail.OK
  end
  local out = text_lines(diff)
  if #out == 0 then
    output.line(ctx.io.stderr, "no differences")
  else
    for _, l in ipairs(out) do output.line(ctx.io.stdout, l) end
  end
  return fail.OK
end

M.handlers = { diff = { client = true, run = run } }

return M

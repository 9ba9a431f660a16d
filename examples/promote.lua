-- Releases through environments with the workflow helpers: deploy a workload to development and wait,
-- promote what runs there to production, ship a second release to development, roll development back to the
-- first one, clone production into a new environment, show where each environment stands, and clean up.
--
--   HUMANITEC_TOKEN=... HUMANITEC_ORG=... lua5.4 examples/promote.lua
--
-- `tools/run-example promote` runs it against the local simulator. Exits non-zero, with the error on one line,
-- when a step fails.
local humanitec = require "humanitec"

local client = humanitec.new { user_agent = "lua-humanitec-example/1.0" }
local APP = "promote-" .. os.time()
local WAIT = { timeout = 300, interval = 1 } -- seconds: give up after five minutes, poll from every second

-- Every step goes through here: on failure, one line to stderr, best-effort clean-up, exit 1.
local created = false
local function step(what, ...)
  local _, err = ...
  if err then
    io.stderr:write("promote.lua: ", what, " failed: ", tostring(err), "\n")
    if created then client:delete_application { appId = APP } end
    os.exit(1)
  end
  return ...
end

-- The options of one deploy-like helper call: the waiting settings, and a line per status change.
local function waiting(env, extra)
  local opts = { timeout = WAIT.timeout, interval = WAIT.interval }
  for k, v in pairs(extra) do opts[k] = v end
  opts.on_progress = function(status, deployment)
    print(("  %-12s %s  %s"):format(env, deployment.id, status))
  end
  return opts
end

local function workload(version)
  return {
    metadata = { name = "web " .. version },
    modules = {
      add = {
        web = {
          profile = "humanitec/default-module",
          spec = { containers = { web = { id = "web", image = "registry.example.com/web:" .. version } } },
        },
      },
    },
  }
end

print(("Creating app %s in org %s"):format(APP, client.org))
local _, _, made = step("creating the app", client:ensure_app { appId = APP, envs = {
  "development", { id = "production", name = "Production", type = "production" },
} })
created = made.app

print("Deploying web 1.0.0 to development")
local v1 = step("deploying 1.0.0", client:deploy(waiting("development",
  { appId = APP, envId = "development", delta = workload("1.0.0"), comment = "web 1.0.0" })))
print("  development runs set " .. v1.set_id)

print("Promoting development to production")
local prod = step("promoting", client:promote(waiting("production",
  { appId = APP, from = "development", to = "production" })))
print("  production runs set " .. prod.set_id)

print("Deploying web 1.1.0 to development")
step("deploying 1.1.0", client:deploy(waiting("development",
  { appId = APP, envId = "development", delta = workload("1.1.0"), comment = "web 1.1.0" })))

print("Rolling development back one release")
local back = step("rolling back", client:rollback(waiting("development",
  { appId = APP, envId = "development", to = 1 })))
print("  development runs set " .. back.set_id)

print("Cloning production into hotfix")
local hotfix = step("cloning production", client:clone_env { appId = APP, from = "production", envId = "hotfix" })
local base = type(hotfix.from_deploy) == "table" and hotfix.from_deploy.id or "none"
print(("  %s, of type %s, starts from deployment %s"):format(hotfix.id, hotfix.type, base))

print("Environments")
print(("  %-12s %-12s %-10s %s"):format("ENV", "TYPE", "STATUS", "LAST DEPLOYMENT"))
for _, env in ipairs(step("listing environments", client:list_environments { appId = APP })) do
  local last = env.last_deploy
  if last and last ~= humanitec.null then
    print(("  %-12s %-12s %-10s %s"):format(env.id, env.type, last.status, last.comment))
  else
    print(("  %-12s %-12s %-10s %s"):format(env.id, env.type, "-", "none"))
  end
end

step("deleting the app", client:delete_application { appId = APP })
created = false
print("Cleaned up " .. APP)
client:close()

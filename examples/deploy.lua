-- A Humanitec release workflow in Lua: create an app with development and production, set shared values and
-- a secret, deploy a workload to development and wait, promote it to production, show where each environment
-- stands, and clean up.
--
--   HUMANITEC_TOKEN=... HUMANITEC_ORG=... lua5.4 examples/deploy.lua
--
-- `make demo` runs it against the local simulator (bin/humanitec-sim). Exits non-zero, with the error on one
-- line, when a step fails.
local humanitec = require "humanitec"

local client = humanitec.new { user_agent = "lua-humanitec-example/1.0" }
local APP = "demo-" .. os.time()

-- Every step goes through here: on failure, one line to stderr, best-effort clean-up, exit 1.
local created = false
local function step(what, data, err)
  if err then
    io.stderr:write("deploy.lua: ", what, " failed: ", tostring(err), "\n")
    if created then client:delete_application { appId = APP } end
    os.exit(1)
  end
  return data
end

-- One line per status change of a deployment.
local function progress(env)
  return function(status) print(("  %-12s %s"):format(env, status)) end
end

print(("Creating app %s in org %s"):format(APP, client.org))
step("creating the app", client:ensure_app {
  appId = APP, name = "Demo " .. APP,
  envs = { "development", { id = "production", name = "Production", type = "production" } },
})
created = true

print("Setting shared values")
step("setting values", client:set_values { appId = APP, values = {
  LOG_LEVEL = { value = "info", description = "log verbosity" },
  DB_PASSWORD = { secret = "s3cr3t-demo", description = "database" },
} })
local values = step("reading values", client:get_values { appId = APP })
for _, key in ipairs { "DB_PASSWORD", "LOG_LEVEL" } do
  local v = values[key]
  print(("  %-12s %s"):format(key, type(v) == "table" and "(secret)" or v))
end

-- Short polls: the simulator finishes a deployment in about a second (the default polls every 2 s).
local POLL = 0.2

print("Deploying web to development")
local dev = step("deploying to development", client:deploy {
  appId = APP, envId = "development", comment = "First release", interval = POLL, timeout = 120,
  on_progress = progress("development"),
  delta = {
    metadata = { name = "Add web" },
    modules = { add = { web = {
      profile = "humanitec/default-module",
      spec = { containers = { web = { id = "web", image = "registry.example.com/web:1.0.0" } } },
    } } },
  },
})

print("Promoting to production")
step("promoting to production", client:promote {
  appId = APP, from = "development", to = "production", interval = POLL, timeout = 120,
  comment = "Promote " .. dev.id, on_progress = progress("production"),
})

print("Environments")
print(("  %-12s %-12s %s"):format("ENV", "TYPE", "LAST DEPLOYMENT"))
for _, env in ipairs(step("listing environments", client:list_environments { appId = APP })) do
  local last = env.last_deploy
  local status = (last and last ~= humanitec.null) and (last.status .. " (" .. last.id .. ")") or "none"
  print(("  %-12s %-12s %s"):format(env.id, env.type, status))
end

step("deleting the app", client:delete_application { appId = APP })
created = false
print("Cleaned up " .. APP)
client:close()

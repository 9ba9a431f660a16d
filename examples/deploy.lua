-- A Humanitec release workflow in Lua: create an app with development and production, set shared values and
-- a secret, deploy a workload to development and wait, promote it to production, show where each environment
-- stands, and clean up.
--
--   HUMANITEC_TOKEN=... HUMANITEC_ORG=... lua5.4 examples/deploy.lua
--
-- `make demo` runs it against the local simulator (bin/humanitec-sim). Exits non-zero, with the error on one
-- line, when a step fails.
local humanitec = require "humanitec"
local core = require "humanitec.core"

local client = humanitec.new { user_agent = "lua-humanitec-example/1.0" }
local APP = "demo-" .. os.time()
local TIMEOUT = 60 -- seconds a deployment may take

-- Every step goes through here: on failure, one line to stderr, best-effort clean-up, exit 1.
local created = false
local function step(what, data, err)
  if data == nil then
    io.stderr:write("deploy.lua: ", what, " failed: ", tostring(err), "\n")
    if created then client:delete_application { appId = APP } end
    os.exit(1)
  end
  return data
end

-- Polls a deployment until it ends, printing a line each time its status changes.
local function wait(env, deploy)
  local deadline = core.now() + TIMEOUT
  local last
  while true do
    if deploy.status ~= last then
      print(("  %-12s %s"):format(env, deploy.status))
      last = deploy.status
    end
    if deploy.status == "succeeded" then return deploy end
    if deploy.status == "failed" then
      local errors = client:list_deployment_errors { appId = APP, envId = env, deployId = deploy.id } or {}
      local first = errors[1] and (errors[1].summary or errors[1].message) or "no details"
      return nil, "deployment " .. deploy.id .. " failed: " .. tostring(first)
    end
    if core.now() > deadline then
      return nil, "deployment " .. deploy.id .. " still " .. deploy.status .. " after " .. TIMEOUT .. " s"
    end
    core.sleep(0.2)
    deploy = step("reading deployment " .. deploy.id,
      client:get_deployment { appId = APP, envId = env, deployId = deploy.id })
  end
end

print(("Creating app %s in org %s"):format(APP, client.org))
step("creating the app", client:create_application { body = { id = APP, name = "Demo " .. APP } })
created = true
step("creating production", client:create_environment {
  appId = APP, body = { id = "production", name = "Production", type = "production" },
})

print("Setting shared values")
step("setting LOG_LEVEL", client:create_app_value {
  appId = APP, body = { key = "LOG_LEVEL", value = "info", description = "log verbosity", is_secret = false },
})
step("setting DB_PASSWORD", client:create_app_value {
  appId = APP, body = { key = "DB_PASSWORD", value = "s3cr3t-demo", description = "database", is_secret = true },
})
for _, v in ipairs(step("listing values", client:list_app_values { appId = APP })) do
  print(("  %-12s %s"):format(v.key, v.is_secret and "(secret)" or v.value))
end

print("Deploying web to development")
local delta = step("creating the delta", client:create_delta {
  appId = APP,
  body = {
    metadata = { env_id = "development", name = "Add web" },
    modules = {
      add = {
        web = {
          profile = "humanitec/default-module",
          spec = { containers = { web = { id = "web", image = "registry.example.com/web:1.0.0" } } },
        },
      },
    },
  },
})
local first = step("starting the deployment", client:create_deployment {
  appId = APP, envId = "development", body = { delta_id = delta.id, comment = "First release" },
})
local dev = step("deploying to development", wait("development", first))

print("Promoting to production")
local promoted = step("starting the promotion", client:create_deployment {
  appId = APP, envId = "production", body = { set_id = dev.set_id, comment = "Promote " .. dev.id },
})
step("deploying to production", wait("production", promoted))

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

-- Score in Lua: validate examples/score.yaml offline, show the delta it becomes, deploy it to a new app's
-- development environment with an image chosen now, wait, show what runs, and clean up.
--
--   HUMANITEC_TOKEN=... HUMANITEC_ORG=... lua5.4 examples/score.lua
--
-- `tools/run-example score` runs it against the local simulator. Exits non-zero, with the error on one line
-- (every problem, for an invalid Score file), when a step fails.
local humanitec = require "humanitec"
local score = require "humanitec.score"

local client = humanitec.new { user_agent = "lua-humanitec-example/1.0" }
local APP = "score-" .. os.time()
local FILE = ((arg and arg[0] or ""):match("^(.*)/[^/]*$") or ".") .. "/score.yaml"
local IMAGE = "registry.example.com/web:1.0"

local created = false
local function step(what, data, err)
  if err then
    local text = err.kind == "score" and err.details and score.format_problems(err) or tostring(err)
    io.stderr:write("score.lua: ", what, " failed: ", text, "\n")
    if created then client:delete_application { appId = APP } end
    os.exit(1)
  end
  return data
end

print("Validating " .. FILE)
local doc = step("reading the Score file", score.load(FILE))
local ok, verr, warnings = score.validate(doc)
step("validating", ok, verr)
print(("  valid, %d warning(s)"):format(#warnings))

local delta = step("translating", score.to_delta(doc, { envId = "development", image = IMAGE }))
local module = delta.modules.add.web
print(("Module web: profile %s, image %s"):format(module.profile, module.spec.containers.main.image))
print("  DB_URL = " .. module.spec.containers.main.variables.DB_URL)
print("  LOG_LEVEL = " .. module.spec.containers.main.variables.LOG_LEVEL)

print(("Creating app %s in org %s"):format(APP, client.org))
step("creating the app", client:ensure_app { appId = APP, envs = { "development" } })
created = true

print("Deploying")
local d = step("deploying", score.deploy(client, { doc = doc, appId = APP, envId = "development", image = IMAGE,
  message = "web from score.yaml", wait = true,
  on_progress = function(status) print("  " .. status) end }))
local env = step("reading the environment", client:get_environment { appId = APP, envId = "development" })
local set = step("reading the set", client:get_set { appId = APP, setId = env.last_deploy.set_id })
print(("Deployment %s %s; development runs %s"):format(d.id, d.status, set.modules.web.spec.containers.main.image))

step("deleting the app", client:delete_application { appId = APP })
print("Cleaned up " .. APP)

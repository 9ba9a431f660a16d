-- Shared values with the workflow helpers: set an application's values and a secret, set them again and see
-- that only what differs is written, override one in production, show what is in force where (a secret's
-- value is never read back), and clean up.
--
--   HUMANITEC_TOKEN=... HUMANITEC_ORG=... lua5.4 examples/values.lua
--
-- `tools/run-example values` runs it against the local simulator. Exits non-zero, with the error on one line,
-- when a step fails.
local humanitec = require "humanitec"

local client = humanitec.new { user_agent = "lua-humanitec-example/1.0" }
local APP = "values-" .. os.time()

-- Every step goes through here: on failure, one line to stderr, best-effort clean-up, exit 1.
local created = false
local function step(what, ...)
  local _, err = ...
  if err then
    io.stderr:write("values.lua: ", what, " failed: ", tostring(err), "\n")
    if created then client:delete_application { appId = APP } end
    os.exit(1)
  end
  return ...
end

-- What set_values did, one line per kind of change.
local function report(changes)
  for _, kind in ipairs({ "created", "updated", "unchanged" }) do
    if #changes[kind] > 0 then
      print(("  %-9s %s"):format(kind, table.concat(changes[kind], ", ")))
    end
  end
end

local function shown(v)
  if v == nil then return "-" end
  if type(v) == "table" then return "(secret)" end
  return v
end

print(("Creating app %s in org %s"):format(APP, client.org))
local _, _, made = step("creating the app", client:ensure_app { appId = APP, envs = {
  "development", { id = "production", name = "Production", type = "production" },
} })
created = made.app

print("Setting the app's values")
report(step("setting values", client:set_values { appId = APP, values = {
  LOG_LEVEL = "info",
  REGION = { value = "eu-west-1", description = "where the app runs" },
  DB_PASSWORD = { secret = "s3cr3t-example", description = "database password" },
} }))

print("Setting them again, with LOG_LEVEL changed")
report(step("setting values again", client:set_values { appId = APP, values = {
  LOG_LEVEL = "debug", REGION = "eu-west-1",
} }))

print("Overriding LOG_LEVEL in production")
report(step("setting production's values", client:set_values { appId = APP, envId = "production", values = {
  LOG_LEVEL = "warn",
} }))

local app_values = step("reading the app's values", client:get_values { appId = APP })
local prod_values = step("reading production's values", client:get_values { appId = APP, envId = "production" })
local keys = {}
for key in pairs(app_values) do keys[#keys + 1] = key end
table.sort(keys)
print("Values in force")
print(("  %-12s %-12s %s"):format("KEY", "APP", "PRODUCTION"))
for _, key in ipairs(keys) do
  print(("  %-12s %-12s %s"):format(key, shown(app_values[key]), shown(prod_values[key])))
end

step("deleting the app", client:delete_application { appId = APP })
created = false
print("Cleaned up " .. APP)
client:close()

--- Writes the benchmark's response bodies, deterministically, into the folder given (build/bench/www):
---   orgs/bench/apps            a JSON array of applications, about 1 KB (scenario a, d)
---   orgs/bench/resources/defs  a JSON list of 20 000 resource definitions, about 10 MB (scenario b)
--- Shaped like the API's answers, empty arrays included (an app without environments, a definition without
--- criteria), since real responses hold them and the SDK treats them specially.
---   lua5.4 bench/gen_data.lua DIR [DEFINITIONS]
local cjson = require "cjson"

local dir, count = arg[1], tonumber(arg[2] or "20000")
if not dir then
  io.stderr:write("usage: gen_data.lua DIR [DEFINITIONS]\n")
  os.exit(2)
end

-- cjson writes {} for an empty table; these are arrays, so mark their place and patch the text.
local EMPTY = "__empty_array__"
local function encode(v)
  return (cjson.encode(v):gsub('"' .. EMPTY .. '"', "[]"))
end

local function write(path, text)
  assert(os.execute("mkdir -p '" .. path:match("^(.*)/[^/]*$") .. "'"))
  local f = assert(io.open(path, "wb"))
  assert(f:write(text))
  assert(f:close())
  return #text
end

local apps = {}
for i = 1, 5 do
  local envs = EMPTY
  if i < 5 then
    envs = {
      { id = "development", name = "Development", type = "development" },
      { id = "production", name = "Production", type = "production" },
    }
  end
  apps[i] = {
    id = "app-" .. i, name = "Application number " .. i, org_id = "bench",
    created_at = ("2024-0%d-1%dT10:2%d:33Z"):format(i, i, i), created_by = "a1b2c3d4-user-" .. i,
    envs = envs,
  }
end
local small = write(dir .. "/orgs/bench/apps", encode(apps))

local types = { "postgres", "redis", "dns", "s3", "k8s-cluster", "mysql", "amqp", "k8s-namespace" }
local drivers = { "humanitec/echo", "humanitec/postgres-cloudsql-static", "humanitec/terraform", "humanitec/template" }
local parts = {}
for i = 1, count do
  local criteria = EMPTY
  if i % 4 ~= 0 then
    criteria = {
      { id = ("crit-%06d"):format(i), env_type = (i % 2 == 0) and "production" or "development",
        app_id = "app-" .. (i % 50), class = "default" },
    }
  end
  parts[i] = encode {
    id = ("def-%06d"):format(i),
    name = "Definition " .. i,
    type = types[i % #types + 1],
    driver_type = drivers[i % #drivers + 1],
    driver_account = (i % 3 == 0) and "gcp-account-" .. (i % 7) or cjson.null,
    driver_inputs = {
      values = {
        host = ("db-%d.internal"):format(i), port = 5432 + i % 10, name = "database_" .. i,
      },
      secret_refs = { password = { ref = "db-" .. i .. "/password", store = "vault" } },
    },
    provision = EMPTY == criteria and EMPTY or { ["dns#shared"] = { is_dependent = false, match_dependents = true } },
    criteria = criteria,
    created_at = ("2024-%02d-%02dT%02d:%02d:%02dZ"):format(i % 12 + 1, i % 28 + 1, i % 24, i % 60, i % 59),
    created_by = ("d27c0e4f-4e6a-%012x"):format(i),
    is_default = false,
    is_deleted = false,
  }
end
local large = write(dir .. "/orgs/bench/resources/defs", "[" .. table.concat(parts, ",") .. "]")
io.write(("%d %d\n"):format(small, large))

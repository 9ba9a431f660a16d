--- Runtime stand-ins: what a cluster would report about an environment's workloads, and their logs.
--
-- The simulator has no cluster. An environment's runtime is made from its last deployment: one module per
-- module of the deployed set, one Deployment controller each with its replicas (1 unless patched) and one
-- pod per replica; all "Running" after a successful deployment, "Failed" after a failed one, "Starting"
-- while one is under way, "Stopped" while the environment is paused. A test steers it with
-- `sim:set_runtime{ app =, env =, module? =, status = }` (over HTTP, POST /_sim/runtime), which holds until
-- cleared with `status = nil`. Logs are one line per container of the deployed set.
local json = require "humanitec.json"
local U = require "humanitec.sim.util"
local find = require "humanitec.sim.find"
local deltas = require "humanitec.sim.deltas"

local M = {}

M.STATUSES = { Running = "Success", Succeeded = "Success", Starting = "Warning", ["Partially Succeeded"] = "Warning",
  Failed = "Failure", Stopped = "Stopped", Unknown = "Unknown" }

local function last_deploy(env)
  return env.last_deploy_id and env.deploys[env.last_deploy_id]
end

local function deployed_set(app, env)
  local d = last_deploy(env)
  return d and deltas.set_of(app, d.set_id), d
end

-- The status of module `mid` of the environment.
local function status_of(env, d, mid)
  local steer = env.runtime_status
  if steer and (steer[mid] or steer["*"]) then return steer[mid] or steer["*"] end
  if env.paused then return "Stopped" end
  if not d then return "Unknown" end
  if d.status == "succeeded" then return "Running" end
  if d.status == "failed" then return "Failed" end
  return "Starting"
end

local function sorted_keys(t)
  return json.sorted_keys(t or {})
end

local function module_runtime(env, d, mid, module, v2)
  local status = status_of(env, d, mid)
  local replicas = (env.replicas and env.replicas[mid]) or 1
  if status == "Stopped" then replicas = 0 end
  local pods = json.array()
  local phase = status == "Running" and "Running" or status == "Failed" and "Failed" or "Pending"
  for i = 1, replicas do
    local containers = json.array()
    for _, cid in ipairs(sorted_keys(U.is_object(module.spec) and module.spec.containers or {})) do
      containers[#containers + 1] = { name = cid, ready = status == "Running", restartCount = 0 }
    end
    pods[i] = { podName = mid .. "-" .. i, revision = 1, phase = phase,
      status = status == "Running" and "Success" or status == "Failed" and "Failure" or "Pending",
      containerStatuses = containers }
  end
  local controller = { kind = "Deployment", replicas = replicas, revision = 1, status = status, message = "",
    pods = pods }
  if v2 then
    return { status = status, status_class = M.STATUSES[status] or "Unknown", controllers = { [mid] = controller } }
  end
  return { profile = module.profile or "humanitec/default-module", spec = U.copy(module.spec or {}),
    externals = U.copy(module.externals or {}), [mid] = controller }
end

local function runtime_of(req, app, env, v2)
  local set, d = deployed_set(app, env)
  local modules = {}
  for _, mid in ipairs(sorted_keys(set and set.modules)) do
    modules[mid] = module_runtime(env, d, mid, set.modules[mid], v2)
  end
  return { namespace = req.org.id .. "-" .. app.id .. "-" .. env.id, modules = modules }
end

local function get_runtime(_, req)
  local app, env = find.env(req)
  local accept = (req.headers.accept or ""):lower()
  local v2 = accept:find("application/v2+json", 1, true) ~= nil
  local body = runtime_of(req, app, env, v2)
  if v2 then return 200, json.encode(body), { ["content-type"] = "application/v2+json" } end
  return 200, body
end

local function list_runtime(_, req)
  local app = find.app(req)
  local ids = U.query_all(req, "id") or sorted_keys(app.envs)
  local out = json.array()
  for _, id in ipairs(ids) do
    local env = app.envs[id]
    if env then
      local set, d = deployed_set(app, env)
      local worst = env.paused and "Stopped" or "Running"
      for _, mid in ipairs(sorted_keys(set and set.modules)) do
        local s = status_of(env, d, mid)
        if s ~= "Running" then worst = s end
      end
      out[#out + 1] = { id = id, paused = env.paused == true, status = worst }
    end
  end
  return 200, out
end

local function put_paused(_, req)
  local _, env = find.env(req)
  local paused = U.json_body(req, "any")
  if type(paused) ~= "boolean" then U.fail(400, "the body must be true or false") end
  env.paused = paused
  return 204
end

local function patch_replicas(_, req)
  local _, env = find.env(req)
  local body = U.json_body(req)
  env.replicas = env.replicas or {}
  for mid, n in pairs(body) do
    if type(n) ~= "number" or n ~= math.floor(n) or n < 0 then
      U.fail(400, "replicas of '" .. tostring(mid) .. "' must be a non-negative integer")
    end
    env.replicas[mid] = n
  end
  return 204
end

local function logs(_, req)
  local app, env = find.env(req)
  local set, d = deployed_set(app, env)
  local workload, container = U.query(req, "workload_id"), U.query(req, "container_id")
  local out = json.array()
  if not d then return 200, out end
  local at = U.iso(d.status_changed_at or d.created_at)
  for _, mid in ipairs(sorted_keys(set and set.modules)) do
    local module = set.modules[mid]
    for _, cid in ipairs(sorted_keys(U.is_object(module.spec) and module.spec.containers or {})) do
      if (not workload or workload == mid) and (not container or container == cid) then
        out[#out + 1] = { level = "INFO", payload = "container " .. cid .. " " .. status_of(env, d, mid):lower(),
          timestamp = at, workload_id = mid, container_id = cid }
      end
    end
  end
  return 200, out
end

--- Steers the runtime status of an environment's modules (all of them, or `module`); nil clears it.
---@param sim table
---@param spec {app: string, env: string, module?: string, status?: string}
function M.steer(sim, spec)
  local found
  for _, org in pairs(sim.orgs) do
    local app = org.apps[spec.app]
    if app and app.envs[spec.env] then found = app.envs[spec.env] end
  end
  if not found then
    error("no environment '" .. tostring(spec.env) .. "' in an app '" .. tostring(spec.app) .. "'", 0)
  end
  if spec.status ~= nil and not M.STATUSES[spec.status] then
    error("status must be one of Running, Succeeded, Starting, Partially Succeeded, Failed, Stopped, Unknown", 0)
  end
  found.runtime_status = found.runtime_status or {}
  found.runtime_status[spec.module or "*"] = spec.status
end

---@param r table router
function M.routes(r)
  local env = "/orgs/{orgId}/apps/{appId}/envs/{envId}"
  r:add("GET", env .. "/runtime", get_runtime)
  r:add("PUT", env .. "/runtime/paused", put_paused)
  r:add("PATCH", env .. "/runtime/replicas", patch_replicas)
  r:add("GET", env .. "/logs", logs)
  r:add("GET", "/orgs/{orgId}/apps/{appId}/runtime", list_runtime)
end

return M

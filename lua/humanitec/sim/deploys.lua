--- Deployments: created from a delta or a set, they are "pending", then "in progress", then "succeeded" or
-- "failed" as the simulator's clock passes `pending_seconds` and `deploy_seconds` after their creation.
-- Only one deployment may be active (pending or in progress) in an environment at a time.
local json = require "humanitec.json"
local U = require "humanitec.sim.util"
local find = require "humanitec.sim.find"
local deltas = require "humanitec.sim.deltas"
local resources = require "humanitec.sim.resources"

local M = {}

--- The DeploymentResponse shape of a deployment.
---@param d table
---@return table
function M.view(d)
  local v = {
    id = d.id, env_id = d.env_id, set_id = d.set_id, comment = d.comment, created_at = U.iso(d.created_at),
    created_by = d.created_by, status = d.status, status_changed_at = U.iso(d.status_changed_at),
    from_id = d.from_id, export_status = d.export_status, export_file = "", mode = d.mode,
    value_set_version_id = d.value_set_version_id or json.null,
  }
  if d.delta_id then v.delta_id = d.delta_id end
  return v
end

local function is_active(d)
  return d.status == "pending" or d.status == "in progress"
end

---@param sim table
function M.init(sim)
  sim.active_deploys = {}
end

local function default_errors(d, set)
  local object_id = next(set.modules) or next(set.workloads) or d.env_id
  return {
    {
      scope = "workload", object_id = object_id, code = "SIM-001", error_type = "deployment",
      summary = "Simulated deployment failure", message = "the simulator was told to fail this deployment",
    },
  }
end

-- Moves one active deployment forward to `now`; returns true when it has ended.
local function step(sim, entry, now)
  local d = entry.deploy
  if now >= d.done_at then
    d.status_changed_at = d.done_at
    if d.fail then
      d.status = "failed"
      d.errors = d.fail.errors or default_errors(d, entry.set)
      d.export_status = "failed"
    else
      d.status = "succeeded"
      d.export_status = "succeeded"
      -- The next deployment to this environment builds on this one.
      entry.env.from_deploy_id = d.id
      resources.provision(sim, entry.org, entry.app, entry.env, entry.set, d)
    end
    return true
  elseif now >= d.start_at and d.status == "pending" then
    d.status = "in progress"
    d.status_changed_at = d.start_at
  end
  return false
end

--- Settles the active deployments against the clock.
---@param sim table
---@param now number
function M.settle(sim, now)
  local still = {}
  for _, entry in ipairs(sim.active_deploys) do
    if not step(sim, entry, now) then still[#still + 1] = entry end
  end
  sim.active_deploys = still
end

-- Takes the first queued failure that applies to this application and environment.
local function take_failure(sim, app_id, env_id)
  for i, f in ipairs(sim.deploy_failures) do
    if (f.app == nil or f.app == app_id) and (f.env == nil or f.env == env_id) then
      table.remove(sim.deploy_failures, i)
      return f
    end
  end
  return nil
end

local function latest_value_set_version(app, env)
  local v = env.value_versions[#env.value_versions] or app.value_versions[#app.value_versions]
  return v and v.id
end

local function create_deploy(sim, req)
  local app, env = find.env(req)
  local body = U.json_body(req)
  local delta_id = U.field(body, "delta_id", "string")
  local set_id = U.field(body, "set_id", "string")
  local comment = U.field(body, "comment", "string") or ""
  local mode = U.field(body, "mode", "string")
  if mode and mode ~= "full" and mode ~= "incremental" then U.fail(400, "mode must be 'full' or 'incremental'") end
  local vsv = U.field(body, "value_set_version_id", "string")
  if not delta_id and not set_id then U.fail(400, "one of 'delta_id' or 'set_id' is required") end

  -- The deployment builds on the environment's base: its last successful deployment or a rebase target.
  local base = env.from_deploy_id and find.deploy_in_app(app, env.from_deploy_id)
  local set
  if set_id then
    set = deltas.set_of(app, set_id)
    if not set then U.fail(400, "no set '" .. set_id .. "' in application '" .. app.id .. "'") end
  else
    set = deltas.set_of(app, base and base.set_id or deltas.EMPTY_SET_ID)
  end
  if delta_id then
    local delta = app.deltas[delta_id]
    if not delta then U.fail(400, "no delta '" .. delta_id .. "' in application '" .. app.id .. "'") end
    set = deltas.apply(set, delta)
  end
  for _, other in pairs(env.deploys) do
    if is_active(other) then
      U.fail(409, "deployment '" .. other.id .. "' is still " .. other.status .. " in environment '" .. env.id .. "'")
    end
  end
  local now = sim:now()
  local d = {
    id = U.hex_id(sim, 16), env_id = env.id, set_id = deltas.store_set(app, set), delta_id = delta_id,
    comment = comment, created_at = now, created_by = req.user.id, status = "pending", status_changed_at = now,
    from_id = base and base.id or "", export_status = "pending", mode = mode or "full",
    value_set_version_id = vsv or latest_value_set_version(app, env), seq = sim:next_seq(),
    start_at = now + sim.pending_seconds, done_at = now + sim.deploy_seconds,
    fail = take_failure(sim, app.id, env.id), errors = {},
  }
  env.deploys[d.id] = d
  env.last_deploy_id = d.id
  local entry = { deploy = d, env = env, app = app, org = req.org, set = set }
  -- A zero-length deployment ends at once.
  if not step(sim, entry, now) then sim.active_deploys[#sim.active_deploys + 1] = entry end
  return 201, M.view(d)
end

local function find_deploy(req, env)
  local d = env.deploys[req.params.deployId]
  if not d then U.fail(404, "deployment '" .. req.params.deployId .. "' not found in '" .. env.id .. "'") end
  return d
end

local function list_deploys(_, req)
  local _, env = find.env(req)
  local run = U.query(req, "pipelineRunId")
  local list = U.ordered(env.deploys, function(d) return run == nil or d.pipeline_run_id == run end)
  -- Newest first, as the API lists them.
  local out = json.array()
  for i = #list, 1, -1 do out[#out + 1] = M.view(list[i]) end
  return 200, out
end

local function get_deploy(_, req)
  local _, env = find.env(req)
  return 200, M.view(find_deploy(req, env))
end

local function deploy_errors(_, req)
  local _, env = find.env(req)
  local d = find_deploy(req, env)
  return 200, U.array(d.errors, U.copy)
end

---@param r table router
function M.routes(r)
  local base = "/orgs/{orgId}/apps/{appId}/envs/{envId}/deploys"
  r:add("GET", base, list_deploys)
  r:add("POST", base, create_deploy)
  r:add("GET", base .. "/{deployId}", get_deploy)
  r:add("GET", base .. "/{deployId}/errors", deploy_errors)
end

return M

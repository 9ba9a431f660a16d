--- Workflow helpers for deployments: wait_deployment, deploy, promote, clone_env, rollback.
---
--- ```lua
--- local d = assert(client:deploy { appId = "shop", envId = "development", delta = { modules = {} } })
--- assert(client:promote { appId = "shop", from = "development", to = "production" })
--- assert(client:rollback { appId = "shop", envId = "development", to = d.id })
--- ```
local errors = require "humanitec.errors"
local S = require "humanitec.workflows.shared"

local W = {}

local check_opts, is_null, pace, wait, RUNNING = S.check_opts, S.is_null, S.pace, S.wait, S.RUNNING

---@class humanitec.WaitDeploymentOptions
---@field appId string
---@field envId string
---@field deployId string the deployment
---@field timeout? number seconds, 1800 by default
---@field interval? number seconds between polls to start with, 2 by default
---@field on_progress? fun(status: string, deployment: table)

---@class humanitec.DeployOptions
---@field appId string
---@field envId string
---@field delta? table|string a delta to create, or a delta id
---@field set_id? string
---@field comment? string
---@field value_set_version_id? string
---@field wait? boolean false: return the deployment as started
---@field timeout? number
---@field interval? number
---@field on_progress? fun(status: string, deployment: table)
---@field wait_for_running? boolean on 409, wait for the running deployment and try again

---@class humanitec.PromoteOptions
---@field appId string
---@field from string
---@field to string
---@field comment? string
---@field wait? boolean
---@field timeout? number
---@field interval? number
---@field on_progress? fun(status: string, deployment: table)
---@field wait_for_running? boolean

---@class humanitec.RollbackOptions
---@field appId string
---@field envId string
---@field to string|integer a deployment id, or how many successful deployments back
---@field comment? string
---@field wait? boolean
---@field timeout? number
---@field interval? number
---@field on_progress? fun(status: string, deployment: table)

-- ---- deployments ----------------------------------------------------------------------------------------------

--- Polls a deployment until it succeeds or fails, calling `on_progress(status, deployment)` whenever the
--- status changes (the first status seen included). Returns the final deployment; a failed one returns nil and
--- an error of kind "deployment_failed" with the API's `errors` and the `deployment`; running out of time, an
--- error of kind "timeout" with `last_status`.
---@param opts humanitec.WaitDeploymentOptions
---@return table? deployment
---@return humanitec.Error? err
function W:wait_deployment(opts)
  check_opts(self, "wait_deployment", opts)
  local app = opts.appId
  local env = opts.envId
  local id = opts.deployId
  local done, err = wait(self, opts, RUNNING, "deployment " .. id, "deployment", function()
    return self:get_deployment { appId = app, envId = env, deployId = id }
  end)
  if not done then return nil, err end
  if done.status ~= "succeeded" then
    local list = self:list_deployment_errors { appId = app, envId = env, deployId = id }
    list = type(list) == "table" and list or {}
    local first = list[1]
    local why = first and (first.summary or first.message) or "no details from the API"
    return nil, errors.new {
      kind = "deployment_failed", deployment = done, errors = list, status = nil,
      message = ("deployment %s in %s/%s %s: %s"):format(id, app, env, tostring(done.status), tostring(why)),
    }
  end
  return done
end

-- How many 409s in a row with no deployment running deploy takes before it gives up.
local MAX_IDLE_CONFLICTS = 4

-- The last error of a retry loop that gave up, saying so: the API's error with the tries and the reason added.
local function gave_up(err, tries, why)
  local fields = {}
  for k, v in pairs(err) do fields[k] = v end
  fields.message = ("%s (gave up after %d tries: %s)"):format(tostring(err.message), tries, why)
  fields.tries = tries
  return errors.new(fields)
end

-- The deployment still running in an environment, if any.
local function running_deployment(self, app, env)
  local list, err = self:list_deployments { appId = app, envId = env }
  if not list then return nil, err end
  for _, d in ipairs(list) do
    if RUNNING[d.status] then return d end
  end
  return false
end

--- Deploys to an environment: from a delta (a table is created as a new delta first, its env_id set to
--- `envId`; a string is a delta id) or from a set. With `wait` (the default) it polls until the deployment ends,
--- as `wait_deployment` does, and returns it in its final state; with `wait = false`, as started.
--- When another deployment is running, the API answers 409: with `wait_for_running` the helper waits for that
--- one and tries again, otherwise it returns that error. A 409 with no deployment running (a locked
--- environment, say) is tried again a few times on the backing-off interval, then returned with the reason the
--- helper gave up in its message.
---@param opts humanitec.DeployOptions
---@return table? deployment
---@return humanitec.Error? err
function W:deploy(opts)
  check_opts(self, "deploy", opts)
  local app = opts.appId
  local env = opts.envId
  local delta = opts.delta
  if (delta == nil) == (opts.set_id == nil) then
    error("bad argument #1 to 'deploy' (give one of 'delta' and 'set_id')", 2)
  end
  if type(delta) == "table" then S.check_json("deploy", "delta", delta) end

  local delta_id = delta
  if type(delta) == "table" then
    local body = {}
    for k, v in pairs(delta) do body[k] = v end
    local metadata = {}
    for k, v in pairs(delta.metadata or {}) do metadata[k] = v end
    metadata.env_id = metadata.env_id or env
    body.metadata = metadata
    local created, err = self:create_delta { appId = app, body = body }
    if not created then return nil, err end
    delta_id = type(created) == "string" and created or created.id -- the API has answered with either
  end

  local p = pace(self, opts) -- one deadline for the conflicts and the wait; the conflicts' backing-off interval
  local now = p.now
  local request = {
    appId = app, envId = env,
    body = { delta_id = delta_id, set_id = opts.set_id, comment = opts.comment,
      value_set_version_id = opts.value_set_version_id },
  }
  local deployment, err = self:create_deployment(request)
  -- On 409 with wait_for_running: wait for the deployment that holds the environment, then try again. A 409
  -- with none running is some other conflict (a locked environment, say): a few tries on a backing-off
  -- interval, in case one had just ended, and then the error, saying why the helper gave up.
  local tries, idle = 1, 0
  while err and err.status == 409 and opts.wait_for_running do
    local active, list_err = running_deployment(self, app, env)
    if list_err then return nil, list_err end
    local why
    local waited = false -- whether a running deployment held us up for at least one interval
    if active then
      local started = now()
      local _, wait_err = self:wait_deployment {
        appId = app, envId = env, deployId = active.id, interval = opts.interval,
        timeout = math.max(p.left(), 0),
      }
      -- That one failing is no reason not to deploy this one; running out of time is.
      if wait_err and wait_err.kind ~= "deployment_failed" then return nil, wait_err end
      if p.left() <= 0 then why = "out of time waiting for the running deployments" end
      -- The list said running but the deployment had already ended: the list lags, or the 409 has another
      -- cause. Either way, POSTing again at once would spin; treat it like a 409 with nothing running.
      waited = now() - started >= p.interval
    end
    if waited then
      idle = 0
    elseif not why then
      idle = idle + 1
      if idle >= MAX_IDLE_CONFLICTS then
        why = active and "the deployment listed as running had already ended each time"
          or "no deployment was running, so waiting would not help (is the environment locked?)"
      elseif p.left() <= p.interval then
        why = "out of time, and no deployment was running"
      else
        p.pause()
      end
    end
    if why then return nil, gave_up(err, tries, why) end
    tries = tries + 1
    deployment, err = self:create_deployment(request)
  end
  if not deployment then return nil, err end
  if opts.wait == false then return deployment end
  return self:wait_deployment {
    appId = app, envId = env, deployId = deployment.id, interval = opts.interval, on_progress = opts.on_progress,
    timeout = math.max(p.left(), 0),
  }
end

-- An environment's last deployment, or nil and an error of kind "no_deployment".
local function last_deployment(self, app, env)
  local environment, err = self:get_environment { appId = app, envId = env }
  if not environment then return nil, err end
  if is_null(environment.last_deploy) then
    return nil, errors.new { kind = "no_deployment", message = ("%s/%s has no deployment yet"):format(app, env) }
  end
  return environment.last_deploy
end

--- Promotes what runs in `from` to `to`: rebases `to` on `from`'s current deployment and deploys its set.
--- Waits as `deploy` does (pass `wait = false` not to).
---@param opts humanitec.PromoteOptions
---@return table? deployment
---@return humanitec.Error? err
function W:promote(opts)
  check_opts(self, "promote", opts)
  local app = opts.appId
  local from = opts.from
  local to = opts.to
  local source, err = last_deployment(self, app, from)
  if not source then return nil, err end
  local rebased, rebase_err = self:rebase_environment { appId = app, envId = to, body = source.id }
  if not rebased then return nil, rebase_err end
  return self:deploy {
    appId = app, envId = to, set_id = source.set_id,
    comment = opts.comment or ("Promote %s from %s"):format(source.id, from),
    wait = opts.wait, timeout = opts.timeout, interval = opts.interval, on_progress = opts.on_progress,
    wait_for_running = opts.wait_for_running,
  }
end

--- Creates environment `envId` as a copy of `from`: based on its current deployment (when it has one), of its
--- type unless `type` says otherwise.
---@param opts {appId: string, from: string, envId: string, name?: string, type?: string}
---@return table? environment
---@return humanitec.Error? err
function W:clone_env(opts)
  check_opts(self, "clone_env", opts)
  local app = opts.appId
  local from = opts.from
  local id = opts.envId
  local source, err = self:get_environment { appId = app, envId = from }
  if not source then return nil, err end
  local base = not is_null(source.last_deploy) and source.last_deploy.id or nil
  return self:create_environment {
    appId = app, body = { id = id, name = opts.name or id, type = opts.type or source.type, from_deploy_id = base },
  }
end

--- Rolls an environment back: to a deployment id, or a number of successful deployments back from the
--- current one (1 is the one before). Deploys that deployment's set and value-set version; waits as `deploy`.
---@param opts humanitec.RollbackOptions
---@return table? deployment
---@return humanitec.Error? err
function W:rollback(opts)
  check_opts(self, "rollback", opts)
  local app = opts.appId
  local env = opts.envId
  local to = opts.to
  local target, err
  if type(to) == "string" then
    target, err = self:get_deployment { appId = app, envId = env, deployId = to }
    if not target then return nil, err end
  elseif type(to) == "number" and to >= 1 and to == math.floor(to) then
    local list
    list, err = self:list_deployments { appId = app, envId = env }
    if not list then return nil, err end
    local succeeded = {}
    for _, d in ipairs(list) do
      if d.status == "succeeded" then succeeded[#succeeded + 1] = d end
    end
    -- Newest first, whatever order the API listed them in.
    table.sort(succeeded, function(a, b) return tostring(a.created_at) > tostring(b.created_at) end)
    target = succeeded[to + 1]
    if not target then
      return nil, errors.new { kind = "no_deployment",
        message = ("%s/%s has %d successful deployments: none %d back"):format(app, env, #succeeded, to) }
    end
  else
    error("bad field 'to' to 'rollback' (deployment id or a whole number of steps back expected)", 2)
  end
  return self:deploy {
    appId = app, envId = env, set_id = target.set_id,
    value_set_version_id = not is_null(target.value_set_version_id) and target.value_set_version_id or nil,
    comment = opts.comment or ("Roll back to " .. target.id),
    wait = opts.wait, timeout = opts.timeout, interval = opts.interval, on_progress = opts.on_progress,
  }
end

return W

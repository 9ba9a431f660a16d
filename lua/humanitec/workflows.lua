--- Workflow helpers: the few-line versions of what release scripts do with Humanitec. Each is a client method
--- composed of the generated operations, and keeps their contract: the result, or nil and an error object.
---
--- Waiting polls every `interval` seconds (2 by default), backing off by half again each time up to 10 s, on
--- the session's clock: real time over HTTP, the simulator's own clock in process, so specs never sleep.
---
--- ```lua
--- assert(client:ensure_app { appId = "shop", envs = { "development", "production" } })
--- local d, err = client:deploy { appId = "shop", envId = "development", delta = { modules = {} } }
--- assert(client:promote { appId = "shop", from = "development", to = "production" })
--- ```
local errors = require "humanitec.errors"
local json = require "humanitec.json"
local vocabulary = require "humanitec.vocabulary"

local W = {}

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

---@class humanitec.WaitRunOptions
---@field appId string
---@field pipelineId string
---@field runId string
---@field timeout? number
---@field interval? number
---@field on_progress? fun(status: string, run: table)

---@class humanitec.RunPipelineOptions
---@field appId string
---@field pipelineId string
---@field inputs? table
---@field wait? boolean
---@field idempotency_key? string
---@field timeout? number
---@field interval? number
---@field on_progress? fun(status: string, run: table)

---@class humanitec.CreateTokenOptions
---@field service_user string the service user's name
---@field tokenId string the token's id
---@field role? string for a new service user, "member" by default
---@field description? string
---@field expires_at? string RFC 3339 time

local DEFAULT_TIMEOUT = 1800 -- seconds a wait may take unless told otherwise
local DEFAULT_INTERVAL = 2
local MAX_INTERVAL = 10
local BACKOFF = 1.5

local RUNNING = { pending = true, ["in progress"] = true }
local RUN_OPEN = { queued = true, executing = true, waiting = true, cancelling = true }

-- ---- argument checks: misuse raises at the helper's caller, naming the option -------------------------------

-- Checks a helper's options against the vocabulary; called first thing in each helper's own body.
local function check_opts(fname, opts)
  vocabulary.check(fname, opts, 3) -- not a tail call: level 3 is the helper's caller
  return opts
end

local function is_null(v)
  return v == nil or v == json.null
end

-- ---- the clock ------------------------------------------------------------------------------------------------

local function clock(self)
  return self:_clock()
end

-- Calls `poll()` until it returns a non-nil first value or an error, sleeping between calls on a backing-off
-- interval, never past the deadline. `poll` returns done_value, or nil, err, or false to go on.
local function poll_until(self, opts, poll)
  local now, sleep = clock(self)
  local timeout = opts.timeout or DEFAULT_TIMEOUT
  local deadline = now() + timeout
  local interval = opts.interval or DEFAULT_INTERVAL
  local max_interval = math.max(MAX_INTERVAL, interval)
  while true do
    local value, err = poll()
    if value then return value end
    if err then return nil, err end
    local left = deadline - now()
    if left <= 0 then return nil, "timeout", timeout end
    sleep(math.min(interval, left))
    interval = math.min(interval * BACKOFF, max_interval)
  end
end

-- Polls `get()` until its record's status is none of `open`, calling `opts.on_progress(status, record)` on
-- every change of status (the first one seen included). Returns the final record; or nil and the error ("timeout"
-- when time ran out), with the last record and status seen.
local function watch(self, opts, open, get)
  local last, last_status
  local done, err = poll_until(self, opts, function()
    local record, get_err = get()
    if not record then return nil, get_err end
    last = record
    if record.status ~= last_status then
      last_status = record.status
      if opts.on_progress then opts.on_progress(record.status, record) end
    end
    if open[record.status] then return false end
    return record
  end)
  return done, err, last, last_status
end

-- ---- deployments ----------------------------------------------------------------------------------------------

--- Polls a deployment until it succeeds or fails, calling `on_progress(status, deployment)` whenever the
--- status changes (the first status seen included). Returns the final deployment; a failed one returns nil and
--- an error of kind "deployment_failed" with the API's `errors` and the `deployment`; running out of time, an
--- error of kind "timeout" with `last_status`.
---@param opts humanitec.WaitDeploymentOptions
---@return table? deployment
---@return humanitec.Error? err
function W:wait_deployment(opts)
  check_opts("wait_deployment", opts)
  local app = opts.appId
  local env = opts.envId
  local id = opts.deployId
  local done, err, last, last_status = watch(self, opts, RUNNING, function()
    return self:get_deployment { appId = app, envId = env, deployId = id }
  end)
  if err == "timeout" then
    return nil, errors.new {
      kind = "timeout", last_status = last_status, deployment = last, method = "GET",
      message = ("deployment %s still %s after %g s"):format(id, tostring(last_status),
        opts.timeout or DEFAULT_TIMEOUT),
    }
  end
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
  check_opts("deploy", opts)
  local app = opts.appId
  local env = opts.envId
  local delta = opts.delta
  if (delta == nil) == (opts.set_id == nil) then
    error("bad argument #1 to 'deploy' (give one of 'delta' and 'set_id')", 2)
  end

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

  local now = clock(self)
  local deadline = now() + (opts.timeout or DEFAULT_TIMEOUT)
  local request = {
    appId = app, envId = env,
    body = { delta_id = delta_id, set_id = opts.set_id, comment = opts.comment,
      value_set_version_id = opts.value_set_version_id },
  }
  local deployment, err = self:create_deployment(request)
  -- On 409 with wait_for_running: wait for the deployment that holds the environment, then try again. A 409
  -- with none running is some other conflict (a locked environment, say): a few tries on a backing-off
  -- interval, in case one had just ended, and then the error, saying why the helper gave up.
  local _, sleep = clock(self)
  local interval = opts.interval or DEFAULT_INTERVAL
  local tries, idle = 1, 0
  while err and err.status == 409 and opts.wait_for_running do
    local active, list_err = running_deployment(self, app, env)
    if list_err then return nil, list_err end
    local why
    if active then
      idle = 0
      local _, wait_err = self:wait_deployment {
        appId = app, envId = env, deployId = active.id, interval = opts.interval,
        timeout = math.max(deadline - now(), 0),
      }
      -- That one failing is no reason not to deploy this one; running out of time is.
      if wait_err and wait_err.kind ~= "deployment_failed" then return nil, wait_err end
      if now() >= deadline then why = "out of time waiting for the running deployments" end
    else
      idle = idle + 1
      if idle >= MAX_IDLE_CONFLICTS then
        why = "no deployment was running, so waiting would not help (is the environment locked?)"
      elseif now() + interval >= deadline then
        why = "out of time, and no deployment was running"
      else
        sleep(interval)
        interval = math.min(interval * BACKOFF, MAX_INTERVAL)
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
    timeout = math.max(deadline - now(), 0),
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
  check_opts("promote", opts)
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
  check_opts("clone_env", opts)
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
  check_opts("rollback", opts)
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

-- ---- shared values ---------------------------------------------------------------------------------------------

-- What a value in set_values stands for: { value, is_secret, description }.
local function value_spec(key, v)
  local kind = type(v)
  if kind == "string" or kind == "number" or kind == "boolean" then
    return { value = tostring(v), is_secret = false }
  end
  if kind == "table" then
    local secret = v.secret
    if secret ~= nil then
      if type(secret) ~= "string" then
        error(("bad value '%s' to 'set_values' (secret must be a string)"):format(key), 3)
      end
      return { value = secret, is_secret = true, description = v.description }
    end
    if v.value ~= nil then
      return { value = tostring(v.value), is_secret = false, description = v.description }
    end
  end
  error(("bad value '%s' to 'set_values' (string, { secret = ... } or { value = ... } expected)"):format(key), 3)
end

--- Creates or updates shared values at app level, or at environment level with `envId`. A plain value is a
--- string; `{ secret = "..." }` is a secret; `{ value = ..., description = ... }` sets a description too.
--- Values that already hold what is asked are left alone (secrets, which are never read back, are always
--- written). Returns `{ created = {keys}, updated = {keys}, unchanged = {keys} }`.
---@param opts {appId: string, envId?: string, values: table<string, string|table>}
---@return table? changes
---@return humanitec.Error? err
function W:set_values(opts)
  check_opts("set_values", opts)
  local app = opts.appId
  local env = opts.envId
  local values = opts.values
  local keys, specs = {}, {}
  for key, v in pairs(values) do
    if type(key) ~= "string" then error("bad field 'values' to 'set_values' (string keys expected)", 2) end
    keys[#keys + 1] = key
    specs[key] = value_spec(key, v)
  end
  table.sort(keys)

  local list, err
  if env then
    list, err = self:list_env_values { appId = app, envId = env }
  else
    list, err = self:list_app_values { appId = app }
  end
  if not list then return nil, err end
  local existing = {}
  for _, v in ipairs(list) do
    -- At environment level, a value the app defines is not the environment's own: it gets an override.
    local source = type(v.source) == "string" and v.source or nil
    if not env or source == nil or source == "env" then existing[v.key] = v end
  end

  local changes = { created = {}, updated = {}, unchanged = {} }
  for _, key in ipairs(keys) do
    local want, have = specs[key], existing[key]
    local data
    if have == nil then
      local body = { key = key, value = want.value, is_secret = want.is_secret, description = want.description or "" }
      if env then
        data, err = self:create_env_value { appId = app, envId = env, body = body }
      else
        data, err = self:create_app_value { appId = app, body = body }
      end
      if not data then return nil, err end
      changes.created[#changes.created + 1] = key
    elseif not want.is_secret and not have.is_secret and have.value == want.value
      and (want.description == nil or want.description == have.description) then
      changes.unchanged[#changes.unchanged + 1] = key
    else
      local body = { value = want.value, description = want.description or have.description or "" }
      if env then
        data, err = self:patch_env_value { appId = app, envId = env, key = key, body = body }
      else
        data, err = self:patch_app_value { appId = app, key = key, body = body }
      end
      if not data then return nil, err end
      changes.updated[#changes.updated + 1] = key
    end
  end
  return changes
end

--- The shared values of an app, or those in force in an environment: `{ KEY = "value", SECRET = { secret = true,
--- description = ... } }`. A secret's value is never read.
---@param opts {appId: string, envId?: string}
---@return table<string, string|table>? values
---@return humanitec.Error? err
function W:get_values(opts)
  check_opts("get_values", opts)
  local app = opts.appId
  local env = opts.envId
  local list, err
  if env then
    list, err = self:list_env_values { appId = app, envId = env }
  else
    list, err = self:list_app_values { appId = app }
  end
  if not list then return nil, err end
  local result = {}
  for _, v in ipairs(list) do
    if v.is_secret then
      result[v.key] = { secret = true, description = v.description }
    else
      result[v.key] = v.value
    end
  end
  return result
end

-- ---- pipelines --------------------------------------------------------------------------------------------------

-- A key for Idempotency-Key: unique enough that two runs never share one, from the kernel when it can.
local function idempotency_key()
  local f = io.open("/dev/urandom", "rb")
  local bytes = f and f:read(16)
  if f then f:close() end
  if not bytes or #bytes < 16 then
    local parts = {}
    for i = 1, 16 do parts[i] = string.char(math.random(0, 255)) end
    bytes = table.concat(parts)
  end
  return (bytes:gsub(".", function(c) return ("%02x"):format(c:byte()) end))
end

--- Polls a pipeline run until it ends, calling `on_progress(status, run)` on every status change. Returns the
--- run when it succeeded; otherwise nil and an error of kind "pipeline_failed" (with `run`) or "timeout".
---@param opts humanitec.WaitRunOptions
---@return table? run
---@return humanitec.Error? err
function W:wait_pipeline_run(opts)
  check_opts("wait_pipeline_run", opts)
  local app = opts.appId
  local pipeline = opts.pipelineId
  local id = opts.runId
  local done, err, last, last_status = watch(self, opts, RUN_OPEN, function()
    return self:get_pipeline_run { appId = app, pipelineId = pipeline, runId = id }
  end)
  if err == "timeout" then
    return nil, errors.new { kind = "timeout", last_status = last_status, run = last,
      message = ("pipeline run %s still %s after %g s"):format(id, tostring(last_status),
        opts.timeout or DEFAULT_TIMEOUT) }
  end
  if not done then return nil, err end
  if done.status ~= "succeeded" then
    return nil, errors.new { kind = "pipeline_failed", run = done,
      message = ("pipeline run %s %s: %s"):format(id, tostring(done.status), tostring(done.status_message or "")) }
  end
  return done
end

--- Starts a pipeline run with `inputs`, under an Idempotency-Key (yours, or a new one) that stays the same if
--- the request is retried, so a retry never starts a second run. With `wait`, waits as `wait_pipeline_run`.
---@param opts humanitec.RunPipelineOptions
---@return table? run
---@return humanitec.Error? err
function W:run_pipeline(opts)
  check_opts("run_pipeline", opts)
  local app = opts.appId
  local pipeline = opts.pipelineId
  local inputs = opts.inputs
  local key = opts.idempotency_key or idempotency_key()
  local run, err = self:create_pipeline_run {
    appId = app, pipelineId = pipeline, body = { inputs = inputs or {} }, ["Idempotency-Key"] = key,
  }
  if not run then return nil, err end
  if not opts.wait then return run end
  return self:wait_pipeline_run {
    appId = app, pipelineId = pipeline, runId = run.id, timeout = opts.timeout, interval = opts.interval,
    on_progress = opts.on_progress,
  }
end

-- Approves or denies the approval requests waiting in a run (or the one named by `approval`). Called as a
-- tail call, so that argument errors point at the caller of approve or deny.
local function decide(self, fname, operation, opts)
  check_opts(fname, opts)
  local app = opts.appId
  local pipeline = opts.pipelineId
  local run = opts.runId
  local only = opts.approvalId
  local waiting, err = self:all("list_pipeline_approval_requests",
    { appId = app, pipeline = { pipeline }, run = { run }, status = "waiting" })
  if not waiting then return nil, err end
  local decided = {}
  for _, request in ipairs(waiting) do
    if only == nil or request.id == only then
      local result, decide_err = self:call(operation, {
        appId = app, pipelineId = pipeline, runId = run, jobId = request.job_id, approvalId = request.id,
      })
      if not result then return nil, decide_err end
      decided[#decided + 1] = type(result) == "table" and result or request
    end
  end
  if #decided == 0 then
    return nil, errors.new { kind = "no_approval",
      message = ("no approval request is waiting in run %s of pipeline %s"):format(run, pipeline) }
  end
  return decided
end

--- Approves what waits for approval in a pipeline run (every waiting request, or the one given as
--- `approvalId`). Returns the approval requests as they now stand.
---@param opts {appId: string, pipelineId: string, runId: string, approvalId?: string}
---@return table[]? approvals
---@return humanitec.Error? err
function W:approve(opts)
  return decide(self, "approve", "approve_pipeline_approval_request", opts)
end

--- Denies what waits for approval in a pipeline run, as `approve` approves it.
---@param opts {appId: string, pipelineId: string, runId: string, approvalId?: string}
---@return table[]? approvals
---@return humanitec.Error? err
function W:deny(opts)
  return decide(self, "deny", "deny_pipeline_approval_request", opts)
end

-- ---- resource definitions ------------------------------------------------------------------------------------

local DEFINITION_FIELDS = { "name", "type", "driver_type", "driver_account", "driver_inputs", "provision" }
local CRITERIA_FIELDS = { "app_id", "env_id", "env_type", "res_id", "class" }

-- Order-independent comparison of decoded JSON values (null and absent are the same).
local function same(a, b)
  if is_null(a) and is_null(b) then return true end
  if type(a) ~= "table" or type(b) ~= "table" then return a == b end
  for k, v in pairs(a) do
    if not same(v, b[k]) then return false end
  end
  for k, v in pairs(b) do
    if a[k] == nil and not is_null(v) then return false end
  end
  return true
end

-- What identifies a matching criteria rule: its fields, with the class the API fills in when none is given.
local function criteria_key(c)
  local parts = {}
  for i, name in ipairs(CRITERIA_FIELDS) do
    local v = c[name]
    if name == "class" and is_null(v) then v = "default" end
    parts[i] = is_null(v) and "" or tostring(v)
  end
  return table.concat(parts, "\0")
end

--- Makes a resource definition what `def` says: creates it when missing; otherwise updates the fields that
--- differ and adds or removes matching criteria, and sends nothing that changes anything when nothing
--- differs. `def` takes the API's fields (`id`, `name`, `type`, `driver_type`, `driver_inputs`, `provision`,
--- `driver_account`, `criteria`). Secrets in `driver_inputs.secrets` cannot be read back, so they are written
--- only when the definition is created or something else changed. Returns what changed:
--- `{ created = bool, updated = {fields}, criteria_added = n, criteria_removed = n }`.
---@param def table
---@return table? changes
---@return humanitec.Error? err
function W:apply_resource_definition(def)
  check_opts("apply_resource_definition", def)
  local id = def.id
  local changes = { created = false, updated = {}, criteria_added = 0, criteria_removed = 0 }

  local current, err = self:get_resource_definition { defId = id }
  if not current then
    if err.status ~= 404 then return nil, err end
    local body = {}
    for k, v in pairs(def) do body[k] = v end
    body.name = body.name or id
    local created, create_err = self:create_resource_definition { body = body }
    if not created then return nil, create_err end
    changes.created = true
    changes.criteria_added = def.criteria and #def.criteria or 0
    return changes
  end

  local patch = {}
  for _, name in ipairs(DEFINITION_FIELDS) do
    local want = def[name]
    if want ~= nil then
      local have = current[name]
      if name == "driver_inputs" and type(want) == "table" then
        -- Compare what can be read back: the values (secrets come back without their content).
        have = type(have) == "table" and have.values or nil
        want = want.values
      end
      if not same(want, have) then
        patch[name] = def[name]
        changes.updated[#changes.updated + 1] = name
      end
    end
  end
  if next(patch) then
    patch.name = patch.name or def.name or current.name -- the API requires it in every update
    local updated, patch_err = self:patch_resource_definition { defId = id, body = patch }
    if not updated then return nil, patch_err end
  end

  if def.criteria then
    local wanted, have = {}, {}
    for _, c in ipairs(def.criteria) do wanted[criteria_key(c)] = c end
    for _, c in ipairs(is_null(current.criteria) and {} or current.criteria) do have[criteria_key(c)] = c end
    local add, remove = {}, {}
    for key, c in pairs(wanted) do if not have[key] then add[#add + 1] = { key, c } end end
    for key, c in pairs(have) do if not wanted[key] then remove[#remove + 1] = { key, c } end end
    table.sort(add, function(a, b) return a[1] < b[1] end)
    table.sort(remove, function(a, b) return a[1] < b[1] end)
    for _, item in ipairs(add) do
      local body = {}
      for _, name in ipairs(CRITERIA_FIELDS) do body[name] = item[2][name] end
      local ok, add_err = self:create_resource_definition_criteria { defId = id, body = body }
      if not ok then return nil, add_err end
      changes.criteria_added = changes.criteria_added + 1
    end
    for _, item in ipairs(remove) do
      local ok, remove_err = self:delete_resource_definition_criteria { defId = id, criteriaId = item[2].id }
      if not ok then return nil, remove_err end
      changes.criteria_removed = changes.criteria_removed + 1
    end
  end
  return changes
end

-- ---- apps and environments ---------------------------------------------------------------------------------

--- Makes sure an environment exists: returns it, nil, and whether it was created (`env, nil, created`); or nil
--- and the error.
---@param opts {appId: string, envId: string, name?: string, type?: string}
---@return table? environment
---@return humanitec.Error? err
---@return boolean? created
function W:ensure_env(opts)
  check_opts("ensure_env", opts)
  local app = opts.appId
  local id = opts.envId
  local env, err = self:get_environment { appId = app, envId = id }
  if not err then return env, nil, false end
  if err.status ~= 404 then return nil, err end
  env, err = self:create_environment {
    appId = app, body = { id = id, name = opts.name or id, type = opts.type or "development" },
  }
  if err then return nil, err end
  return env, nil, true
end

--- Makes sure an application exists, with the environments listed in `envs` (ids, or tables with `id`,
--- `name`, `type`). Returns the application, nil, and what was created: `app, nil, { app = bool, envs = {ids} }`;
--- or nil and the error.
---@param opts {appId: string, name?: string, envs?: (string|table)[]}
---@return table? app
---@return humanitec.Error? err
---@return table? created
function W:ensure_app(opts)
  check_opts("ensure_app", opts)
  local id = opts.appId
  local envs = opts.envs
  local specs = {}
  for i, e in ipairs(envs or {}) do
    local spec = type(e) == "string" and { id = e } or e
    if type(spec) ~= "table" or type(spec.id) ~= "string" then
      error(("bad option 'envs' to 'ensure_app' (item %d: an id or { id = ..., name = ..., type = ... } expected)")
        :format(i), 2)
    end
    for k in pairs(spec) do
      if k ~= "id" and k ~= "name" and k ~= "type" then
        error(("bad option 'envs' to 'ensure_app' (item %d: unknown key '%s'%s)"):format(i, tostring(k),
          vocabulary.hint(k, { "id", "name", "type" })), 2)
      end
    end
    specs[i] = spec
  end
  local created = { app = false, envs = {} }
  local app, err = self:get_application { appId = id }
  if not app then
    if err.status ~= 404 then return nil, err end
    -- With envs given, the helper creates exactly those; without, the API's default first environment.
    app, err = self:create_application { body = { id = id, name = opts.name or id,
      skip_environment_creation = envs ~= nil or nil } }
    if not app then return nil, err end
    created.app = true
  end
  for _, spec in ipairs(specs) do
    local _, env_err, env_created = self:ensure_env {
      appId = id, envId = spec.id, name = spec.name, type = spec.type,
    }
    if env_err then return nil, env_err end
    if env_created then created.envs[#created.envs + 1] = spec.id end
  end
  return app, nil, created
end

-- ---- API tokens ------------------------------------------------------------------------------------------------

-- A service user of the org by name, or false.
local function find_service_user(self, name)
  local users, err = self:list_user_roles_in_org()
  if not users then return nil, err end
  for _, u in ipairs(users) do
    if u.type == "service" and u.name == name then return u end
  end
  return false
end

--- Creates an API token for a service user, creating the service user (with `role`, "member" by default)
--- when there is none of that name. Returns the new token's record, whose `token` field holds the secret:
--- it is shown only this once, and the library never prints or logs it.
---@param opts humanitec.CreateTokenOptions
---@return table? token with `token` (the secret), `id`, `user_id`, `type`, `expires_at`
---@return humanitec.Error? err
function W:create_api_token(opts)
  check_opts("create_api_token", opts)
  local name = opts.service_user
  local id = opts.tokenId
  local user, err = find_service_user(self, name)
  if user == nil then return nil, err end
  if not user then
    user, err = self:create_service_user_in_org { body = { name = name, role = opts.role or "member" } }
    if not user then return nil, err end
  end
  local created
  created, err = self:create_user_token { userId = user.id, body = {
    id = id, type = "static", description = opts.description or "", expires_at = opts.expires_at,
  } }
  if not created then return nil, err end
  return { token = created.token, type = created.type or "static", id = id, user_id = user.id,
    expires_at = opts.expires_at }
end

--- The API tokens of a user (by id), without their secrets.
---@param opts {userId: string}
---@return table[]? tokens
---@return humanitec.Error? err
function W:list_api_tokens(opts)
  check_opts("list_api_tokens", opts)
  return self:list_user_tokens { userId = opts.userId }
end

--- Revokes (deletes) a user's API token; it stops working at once.
---@param opts {userId: string, tokenId: string}
---@return true? ok
---@return humanitec.Error? err
function W:revoke_api_token(opts)
  check_opts("revoke_api_token", opts)
  local user = opts.userId
  local id = opts.tokenId
  local ok, err = self:delete_user_token { userId = user, tokenId = id }
  if not ok then return nil, err end
  return true
end

return W

--- Workflow helpers for pipelines: run_pipeline, wait_pipeline_run, approve, deny.
---
--- ```lua
--- local run = assert(client:run_pipeline { appId = "shop", pipelineId = "release", inputs = { version = "1.2" } })
--- assert(client:wait_pipeline_run { appId = "shop", pipelineId = "release", runId = run.id })
--- ```
local errors = require "humanitec.errors"
local hex = require "humanitec.hex"
local S = require "humanitec.workflows.shared"

local W = {}

local check_opts, wait, RUN_OPEN = S.check_opts, S.wait, S.RUN_OPEN

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

-- ---- pipelines --------------------------------------------------------------------------------------------------

-- A key for Idempotency-Key: unique enough that two runs never share one, from the kernel when it can.
local function idempotency_key()
  local key = hex.random(16)
  if key then return key end
  local parts = {}
  for i = 1, 16 do parts[i] = string.char(math.random(0, 255)) end
  return hex.encode(table.concat(parts))
end

--- Polls a pipeline run until it ends, calling `on_progress(status, run)` on every status change. Returns the
--- run when it succeeded; otherwise nil and an error of kind "pipeline_failed" (with `run`) or "timeout".
---@param opts humanitec.WaitRunOptions
---@return table? run
---@return humanitec.Error? err
function W:wait_pipeline_run(opts)
  check_opts(self, "wait_pipeline_run", opts)
  local app = opts.appId
  local pipeline = opts.pipelineId
  local id = opts.runId
  local done, err = wait(self, opts, RUN_OPEN, "pipeline run " .. id, "run", function()
    return self:get_pipeline_run { appId = app, pipelineId = pipeline, runId = id }
  end)
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
  check_opts(self, "run_pipeline", opts)
  S.check_json("run_pipeline", "inputs", opts.inputs)
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
  check_opts(self, fname, opts)
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

return W

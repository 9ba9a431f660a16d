-- A pipeline with an approval gate, with the workflow helpers: create a pipeline whose release job asks for
-- approval before it ships, run it, wait until the run waits for approval, approve, wait for the run to end,
-- and clean up.
--
--   HUMANITEC_TOKEN=... HUMANITEC_ORG=... lua5.4 examples/pipeline.lua
--
-- `tools/run-example pipeline` runs it against the local simulator. Exits non-zero, with the error on one line,
-- when a step fails.
local humanitec = require "humanitec"
local core = require "humanitec.core"

local client = humanitec.new { user_agent = "lua-humanitec-example/1.0" }
local APP = "pipeline-" .. os.time()
local TIMEOUT = 300 -- seconds the run may take

local PIPELINE = [[
apiVersion: pipelines.humanitec.io/v1alpha1
kind: Pipeline
metadata:
  name: Release
  id: release
spec:
  on:
    pipeline_call: {}
  jobs:
    release:
      steps:
        - name: build
          uses: actions/humanitec/log@v1
          with:
            message: building
        - name: approval
          uses: actions/approve
          with:
            message: Ship this release to production?
            env_id: production
        - name: ship
          uses: actions/humanitec/log@v1
          with:
            message: shipping
]]

-- Every step goes through here: on failure, one line to stderr, best-effort clean-up, exit 1.
local created = false
local function step(what, ...)
  local _, err = ...
  if err then
    io.stderr:write("pipeline.lua: ", what, " failed: ", tostring(err), "\n")
    if created then client:delete_application { appId = APP } end
    os.exit(1)
  end
  return ...
end

-- Polls the run until it waits for something (an approval) or has ended.
local function wait_until_held(pipeline, run)
  local deadline = core.now() + TIMEOUT
  while true do
    run = step("reading the run", client:get_pipeline_run { appId = APP, pipelineId = pipeline, runId = run.id })
    if type(run.waiting_for) == "table" and next(run.waiting_for) ~= nil then return run end
    if run.completed_at ~= nil and run.completed_at ~= humanitec.null then return run end
    if core.now() > deadline then return step("waiting for the approval", nil, "still " .. run.status) end
    core.sleep(0.5)
  end
end

print(("Creating app %s in org %s"):format(APP, client.org))
local _, _, made = step("creating the app", client:ensure_app { appId = APP, envs = {
  "development", { id = "production", name = "Production", type = "production" },
} })
created = made.app

local pipeline = step("creating the pipeline", client:create_pipeline {
  appId = APP, body = PIPELINE, content_type = "application/x-yaml",
})
print(("Created pipeline %s (%s)"):format(pipeline.id, pipeline.name))

local run = step("starting a run", client:run_pipeline { appId = APP, pipelineId = pipeline.id,
  idempotency_key = APP .. "-release-1" })
print(("Started run %s: %s"):format(run.id, run.status))

run = wait_until_held(pipeline.id, run)
print(("Run %s is %s, waiting for approval"):format(run.id, run.status))

local approvals = step("approving", client:approve { appId = APP, pipelineId = pipeline.id, runId = run.id })
for _, approval in ipairs(approvals) do
  print(("Approved: %s (%s)"):format(approval.message, approval.status))
end

local done = step("waiting for the run", client:wait_pipeline_run { appId = APP, pipelineId = pipeline.id,
  runId = run.id,
  timeout = TIMEOUT, interval = 1,
  on_progress = function(status) print("  run " .. status) end })
print(("Run %s %s"):format(done.id, done.status))

step("deleting the app", client:delete_application { appId = APP })
created = false
print("Cleaned up " .. APP)
client:close()

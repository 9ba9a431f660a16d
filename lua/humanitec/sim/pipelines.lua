--- Pipelines, their runs, jobs and steps, and approval requests.
--
-- A pipeline is created from YAML (content type application/x-yaml; JSON is accepted too), in either the
-- `kind: Pipeline` form (metadata + spec) or the plain form (name, on, jobs at the top). A run executes the
-- jobs in id order and each job's steps in order, one step per `step_seconds` of the simulator's clock, after
-- waiting in "queued" for one such period. A step that `uses: actions/approve` opens an approval request and
-- the run waits until it is approved (the run goes on) or denied (the run fails).
local json = require "humanitec.json"
local U = require "humanitec.sim.util"
local find = require "humanitec.sim.find"

local yaml = require "humanitec.yaml"

local M = {}

--- The largest YAML pipeline definition accepted, in bytes.
M.MAX_YAML = 1024 * 1024

local APPROVE = "actions/approve"

-- YAML and JSON documents --------------------------------------------------------------------------------

local function parse_document(req)
  local text = req.body
  if text == nil or text:find("^%s*$") then U.fail(400, "a pipeline definition is required in the body") end
  local ctype = (req.headers["content-type"] or ""):lower()
  if ctype:find("json", 1, true) then
    return U.json_body(req)
  end
  if not yaml.available then U.fail(400, "the simulator has no YAML parser (lyaml); send the pipeline as JSON") end
  -- humanitec.yaml refuses what is too large, nested too deep, or uses aliases (an alias bomb) before lyaml
  -- builds anything
  local docs, err = yaml.load_all(text, { max_bytes = M.MAX_YAML })
  if not docs then U.fail(400, "the pipeline definition: " .. err) end
  local doc = docs[1]
  if not U.is_object(doc) then U.fail(400, "the pipeline definition must be a mapping") end
  return doc
end

-- Validates a definition and extracts what the simulator runs: id, name, triggers and jobs.
local function read_definition(doc)
  local name, id, on, jobs
  if doc.kind ~= nil then
    if doc.kind ~= "Pipeline" then U.fail(400, "kind must be 'Pipeline'") end
    local meta, spec = doc.metadata, doc.spec
    if not U.is_object(meta) then U.fail(400, "missing 'metadata'") end
    if not U.is_object(spec) then U.fail(400, "missing 'spec'") end
    name, id, on, jobs = meta.name, meta.id, spec.on, spec.jobs
  else
    name, id, on, jobs = doc.name, doc.id, doc.on, doc.jobs
  end
  if type(name) ~= "string" or name == "" then U.fail(400, "the pipeline needs a 'name'") end
  local explicit = id ~= nil and id ~= json.null
  if explicit then
    U.check_slug(id, "pipeline id")
  else
    id = name:lower():gsub("[^a-z0-9]+", "-"):gsub("^%-+", ""):gsub("%-+$", "")
    if not U.is_slug(id) then U.fail(400, "cannot derive a pipeline id from the name; give 'id'") end
  end
  local triggers = {}
  if on == nil or on == json.null then
    triggers = { "pipeline_call" }
  elseif U.is_object(on) then
    for k in pairs(on) do triggers[#triggers + 1] = k end
  elseif U.is_list(on) then
    for _, k in ipairs(on) do
      if type(k) ~= "string" then U.fail(400, "'on' must list trigger names") end
      triggers[#triggers + 1] = k
    end
  else
    U.fail(400, "'on' must be a mapping of triggers")
  end
  table.sort(triggers)
  if not U.is_object(jobs) or next(jobs) == nil then U.fail(400, "the pipeline needs at least one job in 'jobs'") end
  local job_list = {}
  for job_id, job in pairs(jobs) do
    if not U.is_object(job) then U.fail(400, "job '" .. job_id .. "' must be a mapping") end
    if not U.is_list(job.steps) then U.fail(400, "job '" .. job_id .. "' needs a list of 'steps'") end
    local steps = {}
    for i, step in ipairs(job.steps) do
      if not U.is_object(step) or type(step.uses) ~= "string" then
        U.fail(400, "step " .. i .. " of job '" .. job_id .. "' needs a string 'uses'")
      end
      local with = step.with
      if with ~= nil and with ~= json.null and not U.is_object(with) then
        U.fail(400, "'with' of step " .. i .. " of job '" .. job_id .. "' must be a mapping")
      end
      steps[i] = { name = type(step.name) == "string" and step.name or step.uses, uses = step.uses,
        with = U.is_object(with) and with or {} }
    end
    job_list[#job_list + 1] = { id = job_id, name = type(job.name) == "string" and job.name or job_id, steps = steps }
  end
  table.sort(job_list, function(a, b) return a.id < b.id end)
  return { id = id, explicit_id = explicit, name = name, triggers = triggers, jobs = job_list }
end

-- Views --------------------------------------------------------------------------------------------------

local function etag_of(v)
  return U.sha256_hex(U.canonical(v)):sub(1, 32)
end

local function pipeline_view(p, version)
  version = version or p.versions[#p.versions]
  local v = {
    id = p.id, org_id = p.org_id, app_id = p.app_id, name = version.def.name, status = "active",
    version = version.id, created_at = U.iso(p.created_at), trigger_types = U.array(version.def.triggers),
    metadata = {},
  }
  v.etag = etag_of(v)
  return v
end

local function run_view(run)
  local v = {
    id = run.id, org_id = run.org_id, app_id = run.app_id, pipeline_id = run.pipeline_id,
    pipeline_version = run.pipeline_version, env_ids = U.array(run.env_ids), status = run.status,
    status_message = run.status_message, created_at = U.iso(run.created_at), created_by = run.created_by,
    timeout_seconds = 3600, trigger = run.trigger, inputs = U.copy(run.inputs), run_as = run.run_as,
    waiting_for = U.copy(run.waiting_for),
  }
  if run.executing_at then v.executing_at = U.iso(run.executing_at) end
  if run.cancellation_requested_at then v.cancellation_requested_at = U.iso(run.cancellation_requested_at) end
  if run.completed_at then v.completed_at = U.iso(run.completed_at) end
  v.etag = etag_of(v)
  return v
end

local function job_view(run, job, with_steps)
  local v = {
    id = job.id, name = job.name, org_id = run.org_id, app_id = run.app_id, pipeline_id = run.pipeline_id,
    pipeline_version = run.pipeline_version, run_id = run.id, status = job.status,
    status_message = job.status_message, created_at = U.iso(job.created_at), updated_at = U.iso(job.updated_at),
    timeout_seconds = 3600,
  }
  if job.waiting_for then v.waiting_for = job.waiting_for end
  if job.completed_at then v.completed_at = U.iso(job.completed_at) end
  if job.cancellation_requested_at then v.cancellation_requested_at = U.iso(job.cancellation_requested_at) end
  if with_steps then
    v.steps = U.array(job.steps, function(s)
      local sv = {
        index = s.index, name = s.name, uses = s.uses, status = s.status, status_message = s.status_message,
        created_at = U.iso(s.created_at), timeout_seconds = 600, related_entities = U.copy(s.related_entities),
      }
      if s.completed_at then sv.completed_at = U.iso(s.completed_at) end
      return sv
    end)
  end
  v.etag = etag_of(v)
  return v
end

local function approval_view(a)
  local v = {
    id = a.id, org_id = a.org_id, app_id = a.app_id, pipeline_id = a.pipeline_id, run_id = a.run_id,
    job_id = a.job_id, env_id = a.env_id, message = a.message, created_at = U.iso(a.created_at), status = a.status,
  }
  if a.approved_by then v.approved_by, v.approved_at = a.approved_by, U.iso(a.approved_at) end
  return v
end

-- Running ------------------------------------------------------------------------------------------------

local function complete(run, t, status, message)
  run.status, run.status_message, run.completed_at = status, message, t
  run.next_at, run.waiting_for = nil, {}
  local function open(x) return x.status == "queued" or x.status == "executing" or x.status == "waiting" end
  for _, job in ipairs(run.jobs) do
    if open(job) then job.status, job.updated_at, job.completed_at, job.waiting_for = "cancelled", t, t, nil end
    for _, s in ipairs(job.steps) do
      if open(s) then s.status, s.completed_at = "cancelled", t end
    end
  end
end

-- Starts step `si` of job `ji` at time t (or completes the run when there is none left).
local function begin_step(sim, run, ji, si, t)
  local job = run.jobs[ji]
  if not job then
    complete(run, t, "succeeded", "all jobs succeeded")
    return
  end
  local step = job.steps[si]
  if not step then
    job.status, job.status_message, job.updated_at, job.completed_at = "succeeded", "", t, t
    begin_step(sim, run, ji + 1, 1, t)
    return
  end
  run.ji, run.si = ji, si
  job.status, job.updated_at = "executing", t
  step.status, step.created_at = "executing", t
  if step.uses == APPROVE then
    local a = {
      id = U.uuid(sim), org_id = run.org_id, app_id = run.app_id, pipeline_id = run.pipeline_id, run_id = run.id,
      job_id = job.id, env_id = type(step.with.env_id) == "string" and step.with.env_id or "",
      message = type(step.with.message) == "string" and step.with.message or "Approval required",
      created_at = t, status = "waiting", seq = sim:next_seq(), run = run,
    }
    run.app.approvals[a.id] = a
    step.related_entities = { approval_id = a.id }
    job.status, job.waiting_for = "waiting", "approval"
    run.waiting_for = { [job.id] = "approval" }
    run.next_at = nil -- blocked until the approval is answered
  else
    run.next_at = t + sim.step_seconds
  end
end

-- Moves a run forward to `now`, one transition at a time.
local function advance(sim, run, now)
  while run.next_at and run.next_at <= now and not run.completed_at do
    local t = run.next_at
    if run.status == "queued" then
      run.status, run.status_message, run.executing_at = "executing", "", t
      begin_step(sim, run, 1, 1, t)
    else
      local step = run.jobs[run.ji].steps[run.si]
      step.status, step.completed_at = "succeeded", t
      begin_step(sim, run, run.ji, run.si + 1, t)
    end
  end
end

---@param sim table
function M.init(sim)
  sim.active_runs = {}
end

--- Settles the active runs against the clock.
---@param sim table
---@param now number
function M.settle(sim, now)
  local still = {}
  for _, run in ipairs(sim.active_runs) do
    advance(sim, run, now)
    if not run.completed_at then still[#still + 1] = run end
  end
  sim.active_runs = still
end

-- Handlers: pipelines ------------------------------------------------------------------------------------

local function find_pipeline(req, app)
  local p = app.pipelines[req.params.pipelineId]
  if not p then U.fail(404, "pipeline '" .. req.params.pipelineId .. "' not found in '" .. app.id .. "'") end
  return p
end

local function check_if_match(req, etag)
  local want = req.headers["if-match"]
  if want and want ~= "*" and want:gsub('^W/', ''):gsub('"', '') ~= etag then
    U.fail(412, "If-Match does not match the current etag")
  end
end

local function new_version(sim, req, p, def, doc)
  local version = { id = U.uuid(sim), def = def, text = req.body, doc = doc, created_at = sim:now(),
    created_by = req.user.id, seq = sim:next_seq() }
  p.versions[#p.versions + 1] = version
  return version
end

local function respond_pipeline(status, p, version)
  local v = pipeline_view(p, version)
  return status, v, { etag = '"' .. v.etag .. '"' }
end

local function create_pipeline(sim, req)
  local app = find.app(req)
  local doc = parse_document(req)
  local def = read_definition(doc)
  if app.pipelines[def.id] then U.fail(409, "pipeline '" .. def.id .. "' already exists") end
  if U.query_bool(req, "dry_run") then return 204 end
  local p = {
    id = def.id, org_id = req.org.id, app_id = app.id, created_at = sim:now(), seq = sim:next_seq(), versions = {},
    runs = {}, idempotency = {},
  }
  new_version(sim, req, p, def, doc)
  app.pipelines[p.id] = p
  return respond_pipeline(201, p)
end

local function matches_trigger(req, p)
  local trigger = U.query(req, "trigger")
  if not trigger then return true end
  for _, t in ipairs(p.versions[#p.versions].def.triggers) do
    if t == trigger then return true end
  end
  return false
end

local function list_app_pipelines(_, req)
  local app = find.app(req)
  local list = U.ordered(app.pipelines, function(p) return matches_trigger(req, p) end)
  local page, headers = U.paginate(req, list, pipeline_view)
  return 200, page, headers
end

local function list_org_pipelines(_, req)
  local apps = U.query_all(req, "app")
  local list = {}
  for _, app in pairs(req.org.apps) do
    local wanted = apps == nil
    for _, a in ipairs(apps or {}) do if a == app.id then wanted = true end end
    if wanted then
      for _, p in pairs(app.pipelines) do
        if matches_trigger(req, p) then list[#list + 1] = p end
      end
    end
  end
  table.sort(list, function(a, b) return a.seq < b.seq end)
  local page, headers = U.paginate(req, list, pipeline_view)
  return 200, page, headers
end

local function find_version(req, p)
  local wanted = U.query(req, "version")
  if not wanted then return p.versions[#p.versions] end
  for _, v in ipairs(p.versions) do
    if v.id == wanted then return v end
  end
  U.fail(404, "pipeline version '" .. wanted .. "' not found")
end

local function get_pipeline(_, req)
  local p = find_pipeline(req, find.app(req))
  return respond_pipeline(200, p, find_version(req, p))
end

local function has_active_runs(p)
  for _, run in pairs(p.runs) do
    if not run.completed_at then return true end
  end
  return false
end

local function update_pipeline(sim, req)
  local p = find_pipeline(req, find.app(req))
  check_if_match(req, pipeline_view(p).etag)
  local doc = parse_document(req)
  local def = read_definition(doc)
  if not def.explicit_id then def.id = p.id end -- a renamed pipeline keeps its id
  if def.id ~= p.id then U.fail(400, "the definition's id '" .. def.id .. "' does not match the pipeline") end
  if U.query_bool(req, "dry_run") then return 204 end
  return respond_pipeline(200, p, new_version(sim, req, p, def, doc))
end

local function delete_pipeline(_, req)
  local app = find.app(req)
  local p = find_pipeline(req, app)
  check_if_match(req, pipeline_view(p).etag)
  if has_active_runs(p) then U.fail(409, "pipeline '" .. p.id .. "' has runs that have not completed") end
  app.pipelines[p.id] = nil
  return 204
end

local function list_versions(_, req)
  local p = find_pipeline(req, find.app(req))
  local list = {}
  for i = #p.versions, 1, -1 do list[#list + 1] = p.versions[i] end
  local page, headers = U.paginate(req, list, function(v)
    return { id = v.id, org_id = p.org_id, app_id = p.app_id, pipeline_id = p.id, created_by = v.created_by,
      created_at = U.iso(v.created_at) }
  end)
  return 200, page, headers
end

local function get_schema(_, req)
  local p = find_pipeline(req, find.app(req))
  local version = find_version(req, p)
  local accept = req.headers["accept"] or ""
  if accept:find("json", 1, true) then return 200, U.copy(version.doc) end
  return 200, version.text, { ["content-type"] = "application/x.humanitec-pipelines-v1.0+yaml" }
end

-- Handlers: runs -----------------------------------------------------------------------------------------

local function start_run(sim, req, app, p, inputs)
  local version = p.versions[#p.versions]
  local now = sim:now()
  local run = {
    id = U.uuid(sim), org_id = req.org.id, app_id = app.id, app = app, pipeline_id = p.id,
    pipeline_version = version.id, status = "queued", status_message = "waiting to start", created_at = now,
    created_by = req.user.id, trigger = "pipeline_call", inputs = U.copy(inputs), run_as = req.user.id,
    waiting_for = {}, env_ids = {}, jobs = {}, seq = sim:next_seq(), next_at = now + sim.step_seconds,
  }
  local envs = {}
  for _, jdef in ipairs(version.def.jobs) do
    local job = { id = jdef.id, name = jdef.name, status = "queued", status_message = "", created_at = now,
      updated_at = now, steps = {}, seq = sim:next_seq() }
    for i, sdef in ipairs(jdef.steps) do
      job.steps[i] = { index = i - 1, name = sdef.name, uses = sdef.uses, with = sdef.with, status = "queued",
        status_message = "", created_at = now, related_entities = {} }
      local env_id = sdef.with.env_id
      if type(env_id) == "string" and not envs[env_id] then
        envs[env_id] = true
        run.env_ids[#run.env_ids + 1] = env_id
      end
    end
    run.jobs[#run.jobs + 1] = job
  end
  p.runs[run.id] = run
  sim.active_runs[#sim.active_runs + 1] = run
  return run
end

local function respond_run(status, run)
  local v = run_view(run)
  return status, v, { etag = '"' .. v.etag .. '"' }
end

local function create_run(sim, req)
  local app = find.app(req)
  local p = find_pipeline(req, app)
  local body = U.json_body(req)
  local inputs = U.field(body, "inputs", "table", true)
  local triggers = p.versions[#p.versions].def.triggers
  local callable = false
  for _, t in ipairs(triggers) do if t == "pipeline_call" then callable = true end end
  if not callable then U.fail(422, "pipeline '" .. p.id .. "' has no pipeline_call trigger") end
  if U.query_bool(req, "dry_run") then return 204 end
  local key = req.headers["idempotency-key"]
  if key and p.idempotency[key] then return respond_run(201, p.runs[p.idempotency[key]]) end
  local run = start_run(sim, req, app, p, inputs)
  if key then p.idempotency[key] = run.id end
  return respond_run(201, run)
end

local function find_run(req, p)
  local run = p.runs[req.params.runId]
  if not run then U.fail(404, "run '" .. req.params.runId .. "' not found") end
  return run
end

local function get_run(_, req)
  local p = find_pipeline(req, find.app(req))
  return respond_run(200, find_run(req, p))
end

-- Filters shared by the app- and org-level run listings.
local function run_filter(req)
  local env = U.query(req, "env")
  local statuses = U.query_all(req, "status")
  local completed = U.query_bool(req, "completed")
  local after, before
  local raw_after, raw_before = U.query(req, "created_after"), U.query(req, "created_before")
  if raw_after then
    after = U.parse_iso(raw_after) or U.fail(400, "created_after must be a date-time")
  end
  if raw_before then
    before = U.parse_iso(raw_before) or U.fail(400, "created_before must be a date-time")
  end
  return function(run)
    if completed ~= nil and (run.completed_at ~= nil) ~= completed then return false end
    if after and run.created_at <= after then return false end
    if before and run.created_at >= before then return false end
    if env then
      local found = false
      for _, e in ipairs(run.env_ids) do if e == env then found = true end end
      if not found then return false end
    end
    if statuses then
      local found = false
      for _, s in ipairs(statuses) do if s == run.status then found = true end end
      if not found then return false end
    end
    return true
  end
end

local function newest_first(list)
  table.sort(list, function(a, b) return a.seq > b.seq end)
  return list
end

local function list_runs(_, req)
  local p = find_pipeline(req, find.app(req))
  local keep = run_filter(req)
  local list = {}
  for _, run in pairs(p.runs) do if keep(run) then list[#list + 1] = run end end
  local page, headers = U.paginate(req, newest_first(list), run_view)
  return 200, page, headers
end

local function list_org_runs(_, req)
  local keep = run_filter(req)
  local apps, pipelines = U.query_all(req, "app"), U.query_all(req, "pipeline")
  local function among(list, id)
    if not list then return true end
    for _, x in ipairs(list) do if x == id then return true end end
    return false
  end
  local list = {}
  for _, app in pairs(req.org.apps) do
    if among(apps, app.id) then
      for _, p in pairs(app.pipelines) do
        if among(pipelines, p.id) then
          for _, run in pairs(p.runs) do if keep(run) then list[#list + 1] = run end end
        end
      end
    end
  end
  local page, headers = U.paginate(req, newest_first(list), run_view)
  return 200, page, headers
end

local function cancel_run(sim, req)
  local p = find_pipeline(req, find.app(req))
  local run = find_run(req, p)
  check_if_match(req, run_view(run).etag)
  if run.completed_at then U.fail(409, "run '" .. run.id .. "' has already completed (" .. run.status .. ")") end
  local now = sim:now()
  run.cancellation_requested_at = now
  for _, a in pairs(run.app.approvals) do
    if a.run_id == run.id and a.status == "waiting" then a.status = "cancelled" end
  end
  complete(run, now, "cancelled", "cancelled by " .. req.user.id)
  return 204
end

local function delete_run(_, req)
  local p = find_pipeline(req, find.app(req))
  local run = find_run(req, p)
  check_if_match(req, run_view(run).etag)
  if not run.completed_at then U.fail(409, "run '" .. run.id .. "' has not completed; cancel it first") end
  p.runs[run.id] = nil
  for id, a in pairs(run.app.approvals) do
    if a.run_id == run.id then run.app.approvals[id] = nil end
  end
  return 204
end

local function restart_run(sim, req)
  local app = find.app(req)
  local p = find_pipeline(req, app)
  local old = find_run(req, p)
  if not old.completed_at then U.fail(409, "run '" .. old.id .. "' has not completed") end
  return respond_run(201, start_run(sim, req, app, p, old.inputs))
end

local function find_job(req, run)
  for _, job in ipairs(run.jobs) do
    if job.id == req.params.jobId then return job end
  end
  U.fail(404, "job '" .. req.params.jobId .. "' not found")
end

local function list_jobs(_, req)
  local p = find_pipeline(req, find.app(req))
  local run = find_run(req, p)
  local statuses = U.query_all(req, "status")
  local list = {}
  for _, job in ipairs(run.jobs) do
    local keep = statuses == nil
    for _, s in ipairs(statuses or {}) do if s == job.status then keep = true end end
    if keep then list[#list + 1] = job end
  end
  local page, headers = U.paginate(req, list, function(job) return job_view(run, job, false) end)
  return 200, page, headers
end

local function get_job(_, req)
  local p = find_pipeline(req, find.app(req))
  local run = find_run(req, p)
  local v = job_view(run, find_job(req, run), true)
  return 200, v, { etag = '"' .. v.etag .. '"' }
end

-- Handlers: approvals ------------------------------------------------------------------------------------

local function list_approvals(_, req)
  local app = find.app(req)
  local pipelines, runs = U.query_all(req, "pipeline"), U.query_all(req, "run")
  local status = U.query(req, "status")
  local function among(list, id)
    if not list then return true end
    for _, x in ipairs(list) do if x == id then return true end end
    return false
  end
  local list = U.ordered(app.approvals, function(a)
    return among(pipelines, a.pipeline_id) and among(runs, a.run_id) and (status == nil or a.status == status)
  end)
  local page, headers = U.paginate(req, list, approval_view)
  return 200, page, headers
end

local function find_approval(req)
  local app = find.app(req)
  local a = app.approvals[req.params.approvalId]
  if not a or a.pipeline_id ~= req.params.pipelineId or a.run_id ~= req.params.runId
    or a.job_id ~= req.params.jobId then
    U.fail(404, "approval request '" .. req.params.approvalId .. "' not found")
  end
  return a
end

local function get_approval(_, req)
  return 200, approval_view(find_approval(req))
end

local function answer(approve)
  return function(sim, req)
    local a = find_approval(req)
    if a.status ~= "waiting" then U.fail(400, "approval request '" .. a.id .. "' is already " .. a.status) end
    local now = sim:now()
    local run = a.run
    a.status = approve and "approved" or "denied"
    a.approved_by, a.approved_at = req.user.id, now
    local job = run.jobs[run.ji]
    local step = job.steps[run.si]
    step.completed_at = now
    run.waiting_for = {}
    job.waiting_for = nil
    if approve then
      step.status = "succeeded"
      begin_step(sim, run, run.ji, run.si + 1, now)
    else
      step.status, step.status_message = "failed", "denied by " .. req.user.id
      job.status, job.status_message, job.updated_at, job.completed_at = "failed", "approval denied", now, now
      complete(run, now, "failed", "approval in job '" .. job.id .. "' was denied")
    end
    return 200, approval_view(a)
  end
end

-- Handlers: trigger criteria, batches, step logs, the definition schema ------------------------------------

-- Every pipeline criterion of the application (kept by the generic store, one scope per pipeline).
local function app_criteria(sim, req)
  local out = {}
  local prefix = req.org.id .. "/" .. req.params.appId .. "/"
  for scope, records in pairs(sim.store and sim.store.pipeline_criteria or {}) do
    if scope:sub(1, #prefix) == prefix then
      for _, c in pairs(records) do out[#out + 1] = c end
    end
  end
  table.sort(out, function(a, b) return a.seq < b.seq end)
  return out
end

local function list_app_criteria(sim, req)
  local app = find.app(req)
  local pipeline, env = U.query(req, "pipeline"), U.query(req, "match_env_type")
  local list = {}
  for _, c in ipairs(app_criteria(sim, req)) do
    if (not pipeline or c.pipeline_id == pipeline) and (not env or c.env_type == env) then
      local v = U.copy(c)
      v.seq = nil
      local p = app.pipelines[c.pipeline_id]
      v.pipeline_name = p and p.versions[#p.versions].def.name or c.pipeline_id
      list[#list + 1] = v
    end
  end
  local page, headers = U.paginate(req, list)
  return 200, page, headers
end

-- A deployment request starts the pipeline whose criterion fits it best (environment id over type); none
-- fitting is a 204, as the API answers when the request does not go through a pipeline.
local function create_run_by_trigger(sim, req)
  local app = find.app(req)
  local body = U.json_body(req)
  local trigger = U.field(body, "trigger", "string", true)
  local env_id = U.field(body, "env_id", "string") or U.field(body, "environment", "string")
  local env = env_id and app.envs[env_id]
  if env_id and not env then U.fail(400, "environment '" .. env_id .. "' not found in '" .. app.id .. "'") end
  local kind = body.delta_id and "delta" or body.set_id and "set" or body.deployment_id and "redeploy" or nil
  local best, best_score
  for _, c in ipairs(app_criteria(sim, req)) do
    local fits = c.trigger == trigger and (not c.env_id or c.env_id == env_id)
      and (not c.env_type or (env and c.env_type == env.type))
      and (not c.deployment_type or c.deployment_type == kind)
    if fits and app.pipelines[c.pipeline_id] then
      local score = (c.env_id and 2 or 0) + (c.env_type and 1 or 0)
      if not best or score > best_score then best, best_score = c, score end
    end
  end
  if not best then return 204 end
  local inputs = {}
  for k, v in pairs(body) do
    if k ~= "trigger" and v ~= json.null then inputs[k] = U.copy(v) end
  end
  local run = start_run(sim, req, app, app.pipelines[best.pipeline_id], inputs)
  run.trigger = trigger
  return respond_run(201, run)
end

-- Runs are started as they are asked for: no batch is ever waiting.
local function get_batch(_, req)
  local app = find.app(req)
  find_pipeline(req, app)
  return 200, { items = json.array() }
end

local function step_logs(sim, req)
  local app = find.app(req)
  local run = find_run(req, find_pipeline(req, app))
  local job
  for _, j in ipairs(run.jobs) do
    if j.id == req.params.jobId then job = j end
  end
  if not job then U.fail(404, "job '" .. req.params.jobId .. "' not found") end
  local index = tonumber(req.params.stepIndex)
  local step = index and job.steps[index + 1]
  if not step then U.fail(404, "step " .. req.params.stepIndex .. " not found in job '" .. job.id .. "'") end
  local out = json.array()
  out[1] = { at = U.iso(step.created_at), level = "INFO", message = "step " .. tostring(step.name) .. " queued" }
  if step.status ~= "queued" then
    out[2] = { at = U.iso(step.completed_at or sim:now()), level = step.status == "failed" and "ERROR" or "INFO",
      message = "step " .. tostring(step.name) .. " " .. step.status }
  end
  return 200, out
end

local function latest_schema()
  return 200, {
    ["$schema"] = "https://json-schema.org/draft/2020-12/schema", type = "object",
    required = { "name", "jobs" },
    properties = { name = { type = "string" }, on = { type = "object" }, jobs = { type = "object" } },
  }
end

---@param r table router
function M.routes(r)
  local base = "/orgs/{orgId}/apps/{appId}/pipelines"
  local run = base .. "/{pipelineId}/runs/{runId}"
  r:add("GET", "/orgs/{orgId}/pipelines", list_org_pipelines)
  r:add("GET", "/orgs/{orgId}/pipeline-runs", list_org_runs)
  r:add("GET", base, list_app_pipelines)
  r:add("POST", base, create_pipeline)
  r:add("GET", base .. "/{pipelineId}", get_pipeline)
  r:add("PATCH", base .. "/{pipelineId}", update_pipeline)
  r:add("DELETE", base .. "/{pipelineId}", delete_pipeline)
  r:add("GET", base .. "/{pipelineId}/versions", list_versions)
  r:add("GET", base .. "/{pipelineId}/schema", get_schema)
  r:add("GET", base .. "/{pipelineId}/runs", list_runs)
  r:add("POST", base .. "/{pipelineId}/runs", create_run)
  r:add("GET", run, get_run)
  r:add("DELETE", run, delete_run)
  r:add("POST", run .. "/cancel", cancel_run)
  r:add("POST", run .. "/restart", restart_run)
  r:add("GET", run .. "/jobs", list_jobs)
  r:add("GET", run .. "/jobs/{jobId}", get_job)
  r:add("GET", "/orgs/{orgId}/apps/{appId}/approvals", list_approvals)
  r:add("GET", run .. "/jobs/{jobId}/approvals/{approvalId}", get_approval)
  r:add("POST", run .. "/jobs/{jobId}/approvals/{approvalId}/approve", answer(true))
  r:add("POST", run .. "/jobs/{jobId}/approvals/{approvalId}/deny", answer(false))
  r:add("GET", run .. "/jobs/{jobId}/steps/{stepIndex}/logs", step_logs)
  r:add("GET", "/orgs/{orgId}/apps/{appId}/pipeline-criteria", list_app_criteria)
  r:add("POST", "/orgs/{orgId}/apps/{appId}/pipeline-runs", create_run_by_trigger)
  r:add("GET", base .. "/{pipelineId}/batches/{batchType}", get_batch)
  r:add("GET", "/orgs/{orgId}/pipeline-schemas/latest", latest_schema)
end

return M

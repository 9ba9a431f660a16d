-- The sweep: every operation of the spec called against the simulator, with its parents created first, and
-- each answer judged against the spec (declared status, body valid for its schema). Used in process
-- (spec/sim_sweep_spec.lua) and over HTTP behind Prism's validating proxy (spec/07_contract_spec.lua).
--
--   local result = sweep.run(client, recorder, document, ORG)
--   result.served, result.unserved, result.violations, result.total
--
-- `client` is an SDK client whose transport is `recorder`: a transport that keeps the last raw answer
-- (status, headers, body) so that error bodies are judged too.
local humanitec = require "humanitec"
local json = require "humanitec.json"
local operations = require "humanitec.operations"
local cases_mod = require "support.contract.cases"
local schema_mod = require "support.contract.schema"

local M = {}

--- Wraps a transport so that the last answer of any session it opens is kept in `recorder.last`.
---@param inner table|nil  a transport (nil: libcurl through humanitec.core)
---@return table recorder
function M.recorder(inner)
  local rec = { last = nil }
  function rec.open(_, opts)
    local session, message
    if inner then
      session, message = inner:open(opts)
    else
      session, message = require("humanitec.core").session(opts)
    end
    if not session then return nil, message end
    local wrapper = {}
    function wrapper.request(_, ...)
      local status, headers, body, info = session:request(...)
      rec.last = { status = status, headers = headers, body = body }
      return status, headers, body, info
    end
    return setmetatable(wrapper, { __index = function(_, k)
      local v = session[k]
      if type(v) == "function" then return function(_, ...) return v(session, ...) end end
      return v
    end })
  end
  return rec
end

local function must(what, data, err)
  if data == nil then error(what .. ": " .. tostring(err), 2) end
  return data
end

local PIPELINE = [[
name: Sweep
on:
  pipeline_call:
    inputs: {}
  deployment_request: {}
jobs:
  main:
    steps:
      - name: gate
        uses: actions/approve
      - name: deploy
        uses: actions/humanitec/deploy
]]

--- Creates the world every operation's path can name, and returns the path parameter values by name (and,
--- for parameters two resources share a name for, by "collection:name").
---@param client table
---@param org string
---@param advance fun(seconds: number)  moves the simulator's clock
---@return table ids
function M.world(client, org, advance)
  local base = "/orgs/" .. org
  local ids = { orgId = org, envType = "sweep-type", envTypeId = "sweep-type", appId = "sweep-app",
    envId = "sweep-env" }
  must("env type", client:post(base .. "/env-types", { id = "sweep-type", description = "sweep" }))
  must("app", client:post(base .. "/apps", { id = "sweep-app", name = "Sweep" }))
  local app = base .. "/apps/sweep-app"
  must("env", client:post(app .. "/envs", { id = "sweep-env", name = "Sweep", type = "sweep-type" }))
  local user = must("user", client:post(base .. "/users", { name = "Sweep Robot", role = "member" }))
  ids.userId = user.id
  must("tok", client:post("/users/" .. user.id .. "/tokens", { id = "sweep-token", type = "static" }))
  ids.tokenId = "sweep-token"
  must("def", client:post(base .. "/resources/defs", { id = "sweep-def", name = "Sweep DB", type = "postgres",
    driver_type = "humanitec/echo", driver_inputs = { values = { host = "db" } },
    criteria = { { app_id = "sweep-app" } } }))
  ids.defId = "sweep-def"
  local delta = must("delta", client:post(app .. "/deltas", {
    metadata = { env_id = "sweep-env", name = "sweep" },
    modules = { add = { web = { profile = "humanitec/default-module",
      spec = { containers = { web = { id = "web", image = "registry.example.com/web:1" } } },
      externals = { db = { type = "postgres" } } } } } }))
  ids.deltaId = delta.id
  local deploy = must("deploy", client:post(app .. "/envs/sweep-env/deploys", { delta_id = delta.id,
    comment = "sweep" }))
  advance(5)
  ids.deployId = deploy.id
  ids.setId = deploy.set_id
  ids.sourceSetId = deploy.set_id
  ids.type, ids.resId = "postgres", "modules.web.externals.db"
  local def = must("def read", client:get(base .. "/resources/defs/sweep-def"))
  ids.defVersionId = def.active_version_id
  must("value", client:post(app .. "/values", { key = "SWEEP_KEY", value = "v", description = "" }))
  must("env value", client:post(app .. "/envs/sweep-env/values",
    { key = "SWEEP_KEY", value = "w", description = "" }))
  ids.key = "SWEEP_KEY"
  local versions = must("value set versions", client:get(app .. "/envs/sweep-env/value-set-versions"))
  ids.valueSetVersionId = versions[1].id
  local pipeline = must("pipeline", client:request("POST", app .. "/pipelines", { raw_body = PIPELINE,
    content_type = "application/x-yaml" }))
  ids.pipelineId = pipeline.id
  local run = must("run", client:post(app .. "/pipelines/" .. pipeline.id .. "/runs", { inputs = {} }))
  ids.runId = run.id
  advance(3)
  local jobs = must("jobs", client:get(app .. "/pipelines/" .. pipeline.id .. "/runs/" .. run.id .. "/jobs"))
  ids.jobId = jobs[1].id
  local approvals = must("approvals", client:get(app .. "/approvals", { query = { pipeline = pipeline.id } }))
  ids.approvalId = approvals[1] and approvals[1].id or "none"
  ids.stepIndex = 0
  ids.batchType = "deployment"
  local criteria = client:post(app .. "/pipelines/" .. pipeline.id .. "/criteria",
    { trigger = "deployment_request", env_type = "sweep-type" })
  ids.criteriaId = criteria and criteria.id or "none"
  must("agent", client:post(base .. "/agents", { id = "sweep-agent", public_key = "sweep-public-key" }))
  ids.agentId = "sweep-agent"
  local key = client:post(base .. "/agents/sweep-agent/keys", { public_key = "sweep-key-2" })
  ids.fingerprint = key and key.fingerprint or "none"
  must("registry", client:post(base .. "/registries", { id = "sweep-reg", registry = "registry.example.com",
    type = "basic" }))
  ids.regId = "sweep-reg"
  must("store", client:post(base .. "/secretstores", { id = "sweep-store", primary = false }))
  ids.storeId = "sweep-store"
  must("type", client:post(base .. "/resources/types", { type = "sweep-res", use = "direct" }))
  ids.typeId = "sweep-res"
  must("class", client:post(base .. "/resources/types/sweep-res/classes", { id = "sweep-class",
    description = "sweep" }))
  ids.classId = "sweep-class"
  must("driver", client:post(base .. "/resources/drivers", { id = "sweep-driver", type = "sweep",
    target = "https://driver.example.com", inputs_schema = {}, account_types = json.array() }))
  ids.driverId = "sweep-driver"
  must("account", client:post(base .. "/resources/accounts", { id = "sweep-acc", type = "aws", name = "Sweep",
    credentials = {} }))
  ids.accId = "sweep-acc"
  must("profile", client:post(base .. "/workload-profiles", { id = "sweep-profile", spec_definition = {},
    workload_profile_chart = { id = "sweep-chart", version = "1.0.0" } }))
  ids.profileQid = "sweep-profile"
  local rule = client:post(app .. "/envs/sweep-env/rules", { type = "update" })
  ids.ruleId = rule and rule.id or "none"
  local hook = client:post(app .. "/webhooks", { id = "sweep-hook", url = "https://hook.example.com" })
  ids["webhooks:jobId"] = hook and hook.id or "sweep-hook"
  client:post(app .. "/users", { id = user.id, role = "developer" })
  client:post(base .. "/env-types/sweep-type/users", { id = user.id, role = "deployer" })
  local pk = client:post(base .. "/keys", "-----BEGIN PUBLIC KEY-----\nsweep\n-----END PUBLIC KEY-----\n")
  ids.keyId = pk and pk.id or "none"
  local av = client:post(base .. "/artefact-versions", { type = "workload", name = "sweep-workload",
    version = "1.0.0", spec = { apiVersion = "score.dev/v1b1", metadata = { name = "sweep-workload" },
      containers = { main = { image = "registry.example.com/sweep:1" } } } })
  ids.artefactVersionId = av and av.id or "none"
  ids.artefactId = av and av.artefact_id or "none"
  ids.versionId = ids.artefactVersionId
  client:post(base .. "/images/sweep-image/builds", { branch = "main", commit = string.rep("a", 40),
    image = "registry.example.com/sweep-image:1", tags = { "1" } })
  ids.imageId = "sweep-image"
  local group = client:post(base .. "/groups", { group_id = "sweep-group", idp_id = "sweep-idp",
    role = "member" })
  ids.groupId = group and group.id or "none"
  local graph = client:post(app .. "/envs/sweep-env/resources/graphs", json.array())
  ids.graphId = graph and graph.id or "none"
  return ids
end

-- Where two collections share a parameter name, the path says which is meant.
local function param_value(ids, path, name)
  if name == "jobId" and path:find("/webhooks/", 1, true) then return ids["webhooks:jobId"] end
  return ids[name]
end

local function declared_statuses(spec_op)
  local out = {}
  for status in pairs(spec_op.operation.responses or {}) do out[tostring(status)] = true end
  return out
end

local function media_of(headers)
  local ct = headers and (headers["content-type"] or headers["Content-Type"])
  if type(ct) == "table" then ct = ct[1] end
  return ct and ct:match("^%s*([^;%s]+)") or nil
end

--- Answers the spec itself makes impossible to give validly, by operation: the violation's text must match
--- the pattern, and README's known deviations say why. Nothing else is excused.
M.CONTRADICTIONS = {
  -- ArtefactVersion is oneOf Container (base + ref, commit, digest) and Workload (base alone): every container
  -- version matches both.
  create_artefact_version = "matches 2 oneOf options",
  -- ImageBuildResponse.image is required, and its pattern ends in $' (a quote after the end): no string matches.
  get_deprecated_image = "%.image does not match",
  list_deprecated_images = "%.image does not match",
  list_deprecated_image_builds = "%.image does not match",
}

--- Judges one raw answer: "unserved", "violation" (with why) or "ok".
function M.judge(gen, spec_op, last)
  if not last or not last.status then return "violation", "no answer" end
  local status = last.status
  local decoded = last.body ~= "" and json.decode(last.body) or nil
  if (status == 404 and type(decoded) == "table" and type(decoded.message) == "string"
    and decoded.message:find("^no such endpoint")) or status == 405 then
    return "unserved", "answered " .. status
  end
  local declared = declared_statuses(spec_op)
  if not declared[tostring(status)] and status ~= 401 and status ~= 403 then
    return "violation", "status " .. status .. " is not declared: " .. tostring(last.body):sub(1, 200)
  end
  local response = spec_op.operation.responses[tostring(status)]
  response = response and gen:resolve(response)
  local content = response and response.content
  if content and next(content) then
    local media = media_of(last.headers)
    local entry = media and content[media]
    if not entry then
      if last.body == "" and status == 204 then return "ok" end
      return "violation", "status " .. status .. " answered as " .. tostring(media) .. ", the spec declares others"
    end
    if media == "application/json" or (media and media:find("%+json$")) then
      if decoded == nil and last.body ~= "null" then return "violation", "body is not JSON" end
      local ok, why = gen:check(entry.schema or {}, decoded)
      if not ok then return "violation", "status " .. status .. ": " .. tostring(why) end
    end
  end
  return "ok"
end

local function depth(path)
  local _, n = path:gsub("/", "")
  return n
end

--- Calls every operation of `document` through `client` and judges each answer.
---@param client table
---@param recorder table
---@param document table  the OpenAPI document
---@param org string
---@param advance fun(seconds: number)
---@param on_call? fun(case: table, call: table, last: table)  called after each call (Prism's checks)
---@return table result
function M.run(client, recorder, document, org, advance, on_call)
  local gen = schema_mod.new(document)
  local cases = cases_mod.build(document, operations.operations)
  local ids = M.world(client, org, advance)
  table.sort(cases, function(a, b)
    local da, db = a.op.method == "DELETE", b.op.method == "DELETE"
    if da ~= db then return db end
    if da then
      if depth(a.op.path) ~= depth(b.op.path) then return depth(a.op.path) > depth(b.op.path) end
    end
    return a.name < b.name
  end)
  local result = { served = {}, unserved = {}, violations = {}, ok = {}, total = #cases }
  for _, case in ipairs(cases) do
    local verdict, why = "violation", case.unsatisfiable and ("no valid input: " .. case.unsatisfiable)
    for _, call in ipairs(case.calls or {}) do
      local params = {}
      for k, v in pairs(call.params) do params[k] = v end
      for name in case.op.path:gmatch("{([^}]+)}") do
        if name ~= "orgId" then
          local v = param_value(ids, case.op.path, name)
          if v ~= nil then params[name] = v end
        end
      end
      recorder.last = nil
      local ok, err = pcall(client.call, client, case.name, params)
      if not ok then
        verdict, why = "violation", "the call raised: " .. tostring(err)
      else
        local v, w = M.judge(gen, case.spec_op, recorder.last)
        if on_call then
          local v2, w2 = on_call(case, call, recorder.last)
          if v2 and v == "ok" then v, w = v2, w2 end
        end
        if verdict ~= "unserved" then verdict, why = v, w end
        if v ~= "ok" then break end
      end
    end
    local excuse = M.CONTRADICTIONS[case.name]
    if verdict == "violation" and excuse and tostring(why):find(excuse) then
      verdict = "ok"
      result.contradictions = (result.contradictions or 0) + 1
    end
    if verdict == "unserved" then
      result.unserved[#result.unserved + 1] = case.name
    else
      result.served[#result.served + 1] = case.name
      if verdict == "violation" then
        result.violations[#result.violations + 1] = case.name .. ": " .. tostring(why)
      else
        result.ok[#result.ok + 1] = case.name
      end
    end
  end
  return result
end

--- A client on `transport` for the sweep: no retries, the org given.
function M.client(transport, url, org, token)
  return humanitec.new { transport = transport, url = url, token = token, org = org, config_file = "/dev/null",
    retries = false, timeout = 30 }
end

return M

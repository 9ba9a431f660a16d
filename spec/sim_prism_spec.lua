-- The sweep over HTTP behind Prism's validating proxy: bin/humanitec-sim serves, `prism proxy` (from
-- build/npm, installed by tools/deps) checks every request and response against api/openapi.json, and the
-- spec fails on any response violation Prism reports, any undeclared status, and any operation left
-- unserved. One Prism process for the whole sweep, started on the same quick-to-start copy of the facts the
-- contract suite mocks (support.contract.prism.prepare). Each answer is also judged by the sweep itself
-- (support.sweep.judge: declared status, body valid for the exact media type's schema).
local json = require "humanitec.json"
local helpers = require "support.helpers"
local cases_mod = require "support.contract.cases"
local prism_mod = require "support.contract.prism"
local schema_mod = require "support.contract.schema"
local verdict = require "support.contract.verdict"
local sweep = require "support.sweep"

local SPEC = "api/openapi.json"
local ORG = "sample-org"
local TOKEN = "prism-sweep-token"

local function location(v)
  return type(v.location) == "table" and table.concat(v.location, ".") or tostring(v.location)
end

-- A media type as Prism matches it: type/subtype, any "+suffix" structure dropped ("application/v2+json" is
-- "application/json" to Prism).
local function prism_media(media)
  local main, sub = tostring(media):lower():match("^%s*([^/;%s]+)/([^;%s]+)")
  if not main then return tostring(media) end
  return main .. "/" .. (sub:match("%+([^+]+)$") or sub)
end

-- True when the response declares two media types Prism cannot tell apart: it then checks the body against
-- whichever is listed first, not the one the answer is in.
local function ambiguous(content)
  local seen = {}
  for media in pairs(content or {}) do
    local key = prism_media(media)
    if seen[key] then return true end
    seen[key] = true
  end
  return false
end

--- Why Prism's response violation `v` is not the simulator's fault, or nil. Exactly two cases:
--- a 204 answered with no body (HTTP forbids one; README's known deviations, for deleteEnvironmentType), and
--- a body checked against the wrong one of media types Prism cannot tell apart (the sweep's own judge checks
--- it against the right one).
local function excuse(gen, spec_op, last, v)
  local where = location(v)
  if last.status == 204 and (last.body or "") == "" and (where == "response" or where == "response.body") then
    return "204 carries no body"
  end
  local response = spec_op.operation.responses and spec_op.operation.responses[tostring(last.status)]
  response = response and gen:resolve(response)
  if (where == "response.body" or where:find("^response%.body%.")) and response and ambiguous(response.content) then
    return "Prism cannot tell the declared media types apart"
  end
  return nil
end

--- The verdict on one answer from Prism's `sl-violations` header: nil when clean, or "violation" and why.
--- `excused` counts what `excuse` let through, by reason.
local function prism_verdict(gen, spec_op, last, excused)
  local _, response = verdict.split(verdict.violations(last and last.headers))
  local left = {}
  for _, v in ipairs(response) do
    local why = excuse(gen, spec_op, last, v)
    if why then
      excused[why] = (excused[why] or 0) + 1
    else
      left[#left + 1] = v
    end
  end
  if #left > 0 then return "violation", "Prism: " .. verdict.describe(left) end
  return nil
end

describe("humanitec.sim behind Prism's validating proxy", function()
  it("excuses only a bodiless 204 and a body Prism checks against the wrong media type", function()
    local document = cases_mod.load(SPEC)
    if not document then
      pending("the OpenAPI facts are not at " .. SPEC .. " (run the suite from the repository root)")
      return
    end
    local gen = schema_mod.new(document)
    local ops = {}
    for _, spec_op in ipairs(cases_mod.spec_operations(document)) do
      if spec_op.operation.operationId then ops[spec_op.operation.operationId] = spec_op end
    end
    local media = { location = { "response" }, code = "INVALID_CONTENT_TYPE", message = 'media type ""' }
    local body = { location = { "response", "body" }, code = "type", message = "must be object" }
    local field = { location = { "response", "body", "modules", "web" }, code = "required", message = "status" }
    local header = { location = { "response", "header" }, code = "required", message = "x" }
    local function run(op, last) return prism_verdict(gen, assert(ops[op], op), last, {}) end
    local empty204 = { status = 204, body = "", headers = {} }
    local function with(last, v)
      local copy = { status = last.status, body = last.body }
      copy.headers = { ["sl-violations"] = json.encode({ v }) }
      return copy
    end
    assert.is_nil(run("deleteEnvironmentType", with(empty204, media)))
    assert.is_nil(run("deleteEnvironmentType", with(empty204, body)))
    assert.equals("violation", run("deleteEnvironmentType", with(empty204, header)))
    assert.equals("violation", run("deleteEnvironmentType", with({ status = 204, body = "{}" }, body)))
    -- getRuntime's 200 is application/json (V1) or application/v2+json (V2): one media type to Prism.
    local runtime = { status = 200, body = "{}" }
    assert.is_nil(run("getRuntime", with(runtime, field)))
    assert.equals("violation", run("getRuntime", with(runtime, media)))
    assert.equals("violation", run("getRuntime", with({ status = 404, body = "{}" }, field)))
    assert.equals("violation", run("getEnvironment", with(runtime, field)))
    assert.equals("violation", run("getEnvironment", with(empty204, header)))
  end)

  it("serves every operation over HTTP, and Prism finds no response violation", function()
    if not prism_mod.installed() then
      pending("Prism is not installed (" .. prism_mod.BIN .. " is missing): run tools/deps test")
      return
    end
    local document = assert(cases_mod.load(SPEC))
    local gen = schema_mod.new(document)
    local sim = helpers.start_server("bin/humanitec-sim", { "--port", "0", "--org", ORG, "--token", TOKEN,
      "--control", "--manual-clock" })
    -- Prism checks against its own copy of the facts, made quick to start (the sweep keeps the plain facts).
    local prepared = prism_mod.prepare(assert(cases_mod.load(SPEC)))
    local prism, client, direct
    finally(function()
      if client then client:close() end
      if direct then direct:close() end
      if prism then prism.stop() end
      sim.stop()
      os.remove(prepared)
    end)
    local err
    prism, err = prism_mod.start(prepared, { upstream = sim.url, wait_seconds = 120 })
    assert(prism, err)
    local recorder = sweep.recorder(nil)
    client = sweep.client(recorder, prism.url, ORG, TOKEN)
    direct = sweep.client(nil, sim.url, ORG, TOKEN) -- the control API is not the spec's: past the proxy
    local function advance(seconds) assert(direct:post("/_sim/advance", { seconds = seconds })) end
    local excused, checked = {}, 0
    local function on_call(case, _, last)
      if not last then return nil end
      checked = checked + 1
      return prism_verdict(gen, case.spec_op, last, excused)
    end
    local result = sweep.run(client, recorder, document, ORG, advance, on_call)
    local lines = { ("prism sweep: %d of %d operations served, %d answers checked by Prism, %d violations"):format(
      #result.served, result.total, checked, #result.violations) }
    for why, n in pairs(excused) do lines[#lines + 1] = ("  excused %d: %s"):format(n, why) end
    for _, v in ipairs(result.violations) do lines[#lines + 1] = "  violation: " .. v end
    for _, n in ipairs(result.unserved) do lines[#lines + 1] = "  unserved: " .. n end
    print("\n" .. table.concat(lines, "\n"))
    assert.is_true(checked >= result.total)
    assert.same({}, result.unserved)
    assert.same({}, result.violations)
    assert.equals(result.total, #result.served)
  end)
end)

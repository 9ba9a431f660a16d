-- The contract suite: every operation of Humanitec's OpenAPI spec, called through its generated method against
-- Prism (@stoplight/prism-cli) mocking the project's facts-only copy of that spec (api/openapi.json) on
-- loopback. Inputs are made from the spec's own schemas (spec/support/contract/). For each operation Prism must
-- report no request violation (no `sl-violations` entry whose location starts with "request") and the response
-- must decode; what Prism itself cannot check is named with the reason. Set HUMANITEC_CONTRACT_VERBOSE=1 to
-- see Prism's complaints about its own responses.
local humanitec = require "humanitec"
local operations = require "humanitec.operations"
local cases_mod = require "support.contract.cases"
local prism_mod = require "support.contract.prism"
local schema_mod = require "support.contract.schema"
local verdict = require "support.contract.verdict"

local SPEC = "api/openapi.json" -- made by `make facts`; relative to the repository root, where busted runs
local ORG = "sample-org" -- matches both orgId patterns of the spec
local VERBOSE = os.getenv("HUMANITEC_CONTRACT_VERBOSE") == "1"

local function skip_reason()
  local f = io.open(SPEC, "r")
  if not f then
    return "the OpenAPI facts are not at " .. SPEC .. " (run the suite from the repository root)"
  end
  f:close()
  if not prism_mod.installed() then
    return "Prism is not installed (" .. prism_mod.BIN .. " is missing): run tools/deps test"
  end
  return nil
end

describe("contract with the OpenAPI spec (Prism)", function()
  local skip = skip_reason()
  if skip then
    it("calls every operation through Prism", function() pending(skip) end)
    return
  end

  local document = assert(cases_mod.load(SPEC))
  local mocked = prism_mod.prepare(document) -- what Prism mocks: the facts, made mockable
  local cases, missing, unknown = cases_mod.build(document, operations.operations)
  local total = #cases_mod.spec_operations(document)
  local gen = schema_mod.new(document)
  local server, client
  local trace = {}
  local results = {} -- name -> { verdict, reason }

  setup(function()
    local err
    server, err = prism_mod.start(mocked, { wait_seconds = 60 })
    assert(server, err)
    client = humanitec.new {
      url = server.url, token = "contract-token", org = ORG, config_file = "/dev/null", timeout = 30,
      on_trace = function(text) trace[#trace + 1] = text end,
    }
  end)

  teardown(function()
    if client then client:close() end
    if server then server.stop() end
    os.remove(mocked)
  end)

  it("has a generated method for every operation of the spec, and none the spec lacks", function()
    assert.same({}, missing)
    assert.same({}, unknown)
    assert.equals(total, #cases)
  end)

  it("makes parameters and JSON bodies that the spec's schemas accept", function()
    for _, case in ipairs(cases) do
      for _, p in ipairs(case.spec_params or {}) do
        local value = case.calls and case.calls[1].params[p.name]
        if value ~= nil then
          assert(gen:check(p.schema or {}, value), case.name .. ": parameter " .. p.name)
        end
      end
      local body = case.spec_op.operation.requestBody and gen:resolve(case.spec_op.operation.requestBody)
      for _, call in ipairs(case.calls or {}) do
        local media = body and body.content and body.content[call.label]
        if media and (call.label == "application/json" or call.label:find("%+json$")) then
          local ok, why = gen:check(media.schema or {}, call.params.body)
          assert(ok, case.name .. ": " .. tostring(why))
        end
      end
    end
  end)

  for _, case in ipairs(cases) do
    it(case.name, function()
      if case.unsatisfiable then
        results[case.name] = { "fail", "no valid input can be made from the spec: " .. case.unsatisfiable }
        assert.equals("ok", "fail", case.name .. ": " .. results[case.name][2])
      end
      local worst, reasons = "ok", {}
      for _, call in ipairs(case.calls) do
        for i = #trace, 1, -1 do trace[i] = nil end
        local outcome
        local ok, data, err, response = pcall(client[case.name], client, call.params)
        if ok then
          outcome = { data = data, response = err or response, trace = table.concat(trace) }
        else
          outcome = { raised = data }
        end
        local v, reason, response_violations = verdict.judge(case, call, outcome, gen, ORG)
        if VERBOSE and #response_violations > 0 then
          print(("contract: %s (%s): Prism's response: %s"):format(case.name, call.label,
            verdict.describe(response_violations)))
        end
        if v ~= "ok" then
          reasons[#reasons + 1] = (#case.calls > 1 and (call.label .. ": ") or "") .. reason
          if v == "fail" or worst == "ok" then worst = v end
        end
      end
      results[case.name] = { worst, table.concat(reasons, " / ") }
      if worst == "fail" then
        assert.equals("ok", worst, case.name .. ": " .. results[case.name][2])
      elseif worst == "prism" then
        pending("Prism cannot check " .. case.name .. ": " .. results[case.name][2])
      end
    end)
  end

  it("prints the count", function()
    local accepted, prism_list, failed = 0, {}, {}
    for _, case in ipairs(cases) do
      local r = results[case.name]
      if r and r[1] == "ok" then
        accepted = accepted + 1
      elseif r and r[1] == "prism" then
        prism_list[#prism_list + 1] = "  " .. case.name .. ": " .. r[2]
      else
        failed[#failed + 1] = "  " .. case.name .. ": " .. (r and r[2] or "not run")
      end
    end
    local lines = { ("contract: %d/%d operations accepted by Prism"):format(accepted, total) }
    if #prism_list > 0 then
      lines[#lines + 1] = ("contract: %d that Prism cannot check:"):format(#prism_list)
      for _, l in ipairs(prism_list) do lines[#lines + 1] = l end
    end
    if #failed > 0 then
      lines[#lines + 1] = ("contract: %d failed:"):format(#failed)
      for _, l in ipairs(failed) do lines[#lines + 1] = l end
    end
    print("\n" .. table.concat(lines, "\n"))
    assert.equals(total, accepted + #prism_list + #failed)
  end)
end)

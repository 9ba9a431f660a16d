-- The request builder: from an operation and params to client:request(method, path, opts), with every check
-- the spec allows made before anything is sent.
local calls = require("humanitec.calls")
local operations = require("humanitec.operations")

local DEFAULTS = { org = "acme" }

-- Stands in for client:call: the builder's errors must point at the caller of this function. (Not a tail
-- call, as in the client: a tail call would drop this frame and shift the level.)
local function call(name, params, defaults)
  local method, path, opts = calls.build(name, params, defaults or DEFAULTS)
  return method, path, opts
end

local function build_error(name, params, defaults)
  local ok, err = pcall(call, name, params, defaults)
  assert.is_false(ok, "expected " .. name .. " to raise")
  return err
end

-- Splits a multipart body into its parts: { headers = "...", content = "..." }.
local function parts_of(body, boundary)
  local parts = {}
  local delimiter = "--" .. boundary
  local pos = 1
  assert.equal(delimiter .. "\r\n", body:sub(1, #delimiter + 2))
  while true do
    local start = body:find(delimiter, pos, true)
    local after = start + #delimiter
    if body:sub(after, after + 1) == "--" then
      assert.equal("--\r\n", body:sub(after))
      break
    end
    local next_start = body:find("\r\n" .. delimiter, after, true)
    local chunk = body:sub(after + 2, next_start - 1)
    local head, content = chunk:match("^(.-)\r\n\r\n(.*)$")
    parts[#parts + 1] = { headers = head, content = content }
    pos = next_start + 2
  end
  return parts
end

describe("humanitec.calls", function()
  describe("find", function()
    it("finds an operation by snake_case name or by operationId", function()
      local op = calls.find("list_applications")
      assert.equal(operations.operations.list_applications, op)
      assert.equal(op, calls.find("listApplications"))
      assert.equal("GET", op.method)
    end)

    it("finds operations that have no operationId by their derived name", function()
      local op = calls.find("list_app_values")
      assert.equal("/orgs/{orgId}/apps/{appId}/values", op.path)
      assert.is_nil(op.operation_id)
    end)

    it("returns nil for an unknown name and raises for a non-string", function()
      assert.is_nil(calls.find("list_unicorns"))
      assert.is_nil(calls.find("ListApplications"))
      assert.has_error(function()
        calls.find(42)
      end, "bad argument #1 to 'find' (string expected, got number)")
    end)
  end)

  describe("build", function()
    it("returns method, path and no options for a plain GET", function()
      local method, path, opts = call("list_applications", {})
      assert.equal("GET", method)
      assert.equal("/orgs/acme/apps", path)
      assert.same({}, opts)
    end)

    it("accepts an operation table, a name or an operationId", function()
      local a = { call(operations.operations.get_application, { appId = "web" }) }
      local b = { call("get_application", { appId = "web" }) }
      local c = { call("getApplication", { appId = "web" }) }
      assert.same({ "GET", "/orgs/acme/apps/web", {} }, a)
      assert.same(a, b)
      assert.same(a, c)
    end)

    it("fills orgId from defaults.org, and an explicit orgId wins", function()
      assert.equal("/orgs/acme/apps", select(2, call("list_applications", nil)))
      assert.equal("/orgs/other/apps", select(2, call("list_applications", { orgId = "other" })))
      local err = build_error("list_applications", {}, {})
      assert.matches("list_applications %(listApplications%): missing required parameter 'orgId'", err)
    end)

    describe("path parameters", function()
      it("percent-encodes everything but RFC 3986 unreserved characters", function()
        local _, path = call("get_application", { orgId = "a b", appId = "A-z_0.9~/?#%é" })
        assert.equal("/orgs/a%20b/apps/A-z_0.9~%2F%3F%23%25%C3%A9", path)
      end)

      it("keeps an id like ../x inside its segment", function()
        local _, path = call("get_environment", { appId = "../x", envId = "..%2F.." })
        assert.equal("/orgs/acme/apps/..%2Fx/envs/..%252F..", path)
      end)

      it("rejects ids that would change the path: empty, '.' and '..'", function()
        for _, bad in ipairs({ "", ".", ".." }) do
          local err = build_error("get_application", { appId = bad })
          assert.matches("get_application %(getApplication%): parameter 'appId' must not be", err)
        end
      end)

      it("writes integer path parameters in decimal", function()
        local _, path = call("list_pipeline_step_logs", {
          appId = "a", pipelineId = "p", runId = "r", jobId = "j", stepIndex = 3.0,
        })
        assert.equal("/orgs/acme/apps/a/pipelines/p/runs/r/jobs/j/steps/3/logs", path)
      end)
    end)

    describe("query parameters", function()
      it("passes scalars as strings and integers given as integral floats", function()
        local _, _, opts = call("list_resource_definition_versions", { defId = "d", deleted = true, per_page = 50.0 })
        assert.same({ deleted = "true", per_page = "50" }, opts.query)
      end)

      it("passes array parameters as lists, for the client to repeat the key", function()
        local _, path, opts = call("list_pipeline_runs_by_org", {
          status = { "executing", "succeeded" }, pipeline = { "p1" }, per_page = 10,
        })
        assert.equal("/orgs/acme/pipeline-runs", path)
        assert.same({ status = { "executing", "succeeded" }, pipeline = { "p1" }, per_page = "10" }, opts.query)
      end)

      it("leaves an empty array out", function()
        local _, _, opts = call("list_pipeline_runs_by_org", { status = {} })
        assert.is_nil(opts.query)
      end)

      it("rejects an array with holes or non-string items", function()
        assert.matches("parameter 'status' must be an array",
          build_error("list_pipeline_runs_by_org", { status = { "a", nil, "c" } }))
        assert.matches("parameter 'status' must be an array",
          build_error("list_pipeline_runs_by_org", { status = "executing" }))
        assert.matches("parameter 'status' item 2 must be a string, got number",
          build_error("list_pipeline_runs_by_org", { status = { "a", 2 } }))
      end)

      it("encodes deepObject parameters as name[key] entries", function()
        local _, _, opts = call("list_pipelines_in_org", { metadata = { team = "core", ["cost center"] = "7" } })
        assert.same({ ["metadata[team]"] = "core", ["metadata[cost center]"] = "7" }, opts.query)
        local _, _, opts2 = call("list_pipeline_criteria_in_app", { appId = "a", match = { env_type = "dev" } })
        assert.same({ ["match[env_type]"] = "dev" }, opts2.query)
      end)

      it("rejects a deepObject value that is not a string", function()
        assert.matches("parameter 'metadata' key 'team' must be a string, got number",
          build_error("list_pipelines_in_org", { metadata = { team = 1 } }))
      end)
    end)

    describe("header parameters", function()
      it("sends them as headers", function()
        local method, path, opts = call("create_pipeline_run", {
          appId = "a", pipelineId = "p", ["Idempotency-Key"] = "k-1", body = { inputs = {} },
        })
        assert.equal("POST", method)
        assert.equal("/orgs/acme/apps/a/pipelines/p/runs", path)
        assert.same({ ["Idempotency-Key"] = "k-1" }, opts.headers)
        assert.is_nil(opts.query)
        local _, _, del = call("delete_pipeline", { appId = "a", pipelineId = "p", ["If-Match"] = '"etag"' })
        assert.same({ ["If-Match"] = '"etag"' }, del.headers)
      end)

      it("rejects CR, LF or NUL in a header value", function()
        for _, bad in ipairs({ "k\r\nX-Evil: 1", "k\nX", "k\r", "k\0" }) do
          local err = build_error("delete_pipeline", { appId = "a", pipelineId = "p", ["If-Match"] = bad })
          assert.matches("delete_pipeline %(deletePipeline%): parameter 'If%-Match' must not contain CR, LF", err)
        end
      end)
    end)

    describe("errors", function()
      it("names the operation and the missing parameter", function()
        assert.equal("humanitec: get_application (getApplication): missing required parameter 'appId'",
          build_error("get_application", {}):match("humanitec: .*"))
      end)

      it("names an unknown parameter and suggests the spec's spelling", function()
        assert.matches("get_application %(getApplication%): unknown parameter 'app_id' %(did you mean 'appId'%?%)",
          build_error("get_application", { app_id = "x" }))
        assert.matches("list_app_values: unknown parameter 'colour'",
          build_error("list_app_values", { appId = "a", colour = "red" }))
        assert.matches("unknown parameter 'body'", build_error("get_application", { appId = "a", body = {} }))
      end)

      it("names a parameter of the wrong type", function()
        assert.matches("parameter 'appId' must be a string, got number",
          build_error("get_application", { appId = 7 }))
        assert.matches("parameter 'per_page' must be an integer, got 2.5",
          build_error("list_pipeline_runs_by_org", { per_page = 2.5 }))
        assert.matches("parameter 'per_page' must be an integer, got string",
          build_error("list_pipeline_runs_by_org", { per_page = "10" }))
        assert.matches("parameter 'deleted' must be a boolean, got string",
          build_error("list_resource_definition_versions", { defId = "d", deleted = "yes" }))
      end)

      it("names a value outside the enum and lists the allowed ones", function()
        local err = build_error("list_user_roles_in_app", { appId = "a", type = "robot" })
        assert.matches('list_user_roles_in_app %(listUserRolesInApp%): parameter \'type\' must be one of '
          .. '"user", "group", got "robot"', err)
        local _, _, opts = call("list_user_roles_in_app", { appId = "a", type = "group" })
        assert.same({ type = "group" }, opts.query)
      end)

      it("raises at the caller of the function that called build", function()
        local line
        local ok, err = pcall(function()
          line = debug.getinfo(1, "l").currentline + 1
          call("get_application", {})
        end)
        assert.is_false(ok)
        assert.matches("calls_spec%.lua:" .. line .. ": humanitec: get_application", err)
      end)

      it("raises for an unknown operation name", function()
        assert.matches("humanitec: unknown operation 'frobnicate'", build_error("frobnicate", {}))
      end)
    end)

    describe("bodies", function()
      it("passes a JSON body as a Lua value for the client to encode", function()
        local body = { id = "web", name = "Web" }
        local method, path, opts = call("create_application", { body = body })
        assert.equal("POST", method)
        assert.equal("/orgs/acme/apps", path)
        assert.equal(body, opts.body)
        assert.is_nil(opts.raw_body)
      end)

      it("raises when a required body is missing", function()
        assert.matches("create_application %(createApplication%): missing required request body",
          build_error("create_application", {}))
      end)

      it("checks the body's top-level JSON type", function()
        assert.matches("the request body must be a JSON boolean",
          build_error("archive_delta", { appId = "a", deltaId = "d", body = { archived = true } }))
        local _, _, opts = call("archive_delta", { appId = "a", deltaId = "d", body = false })
        assert.is_false(opts.body)
        assert.matches("the request body must be a JSON object",
          build_error("create_application", { body = "web" }))
      end)

      it("sends a YAML body as raw text with its content type", function()
        local yaml = "apiVersion: pipelines.humanitec.io/v1alpha1\nkind: Pipeline\n"
        local method, path, opts = call("create_pipeline", { appId = "a", body = yaml })
        assert.equal("POST", method)
        assert.equal("/orgs/acme/apps/a/pipelines", path)
        assert.same({ raw_body = yaml, content_type = "application/x-yaml" }, opts)
        assert.matches("the request body must be a string of application/x%-yaml, got table",
          build_error("create_pipeline", { appId = "a", body = { kind = "Pipeline" } }))
      end)

      it("encodes a multipart/form-data body with a boundary", function()
        local _, path, opts = call("create_workload_profile_chart_version", {
          body = { file = { content = "\0\1chart bytes", filename = "my-chart-1.0.0.tgz",
            content_type = "application/gzip" } },
        })
        assert.equal("/orgs/acme/workload-profile-chart-versions", path)
        assert.is_nil(opts.body)
        local boundary = opts.content_type:match("^multipart/form%-data; boundary=(%S+)$")
        assert.is_not_nil(boundary)
        local parts = parts_of(opts.raw_body, boundary)
        assert.equal(1, #parts)
        assert.equal('Content-Disposition: form-data; name="file"; filename="my-chart-1.0.0.tgz"\r\n'
          .. "Content-Type: application/gzip", parts[1].headers)
        assert.equal("\0\1chart bytes", parts[1].content)
      end)

      it("chooses a multipart boundary that occurs in no part, and orders fields by name", function()
        local body, content_type = calls.multipart({
          type = "workload", name = "w",
          spec = { content = "x --lua-humanitec-form-boundary-1 y", content_type = "application/json" },
        })
        local boundary = content_type:match("boundary=(%S+)$")
        assert.equal("lua-humanitec-form-boundary-2", boundary)
        local parts = parts_of(body, boundary)
        assert.equal(3, #parts)
        assert.equal('Content-Disposition: form-data; name="name"', parts[1].headers)
        assert.equal("w", parts[1].content)
        assert.equal('Content-Disposition: form-data; name="spec"; filename="spec"\r\nContent-Type: application/json',
          parts[2].headers)
        assert.equal("x --lua-humanitec-form-boundary-1 y", parts[2].content)
        assert.equal("workload", parts[3].content)
      end)

      it("rejects multipart fields it cannot encode", function()
        assert.matches("multipart field 'file' must be a string, number, boolean or",
          build_error("create_workload_profile_chart_version", { body = { file = { bytes = "x" } } }))
        assert.matches("multipart field 'a\nb' name must not contain CR, LF",
          build_error("create_workload_profile_chart_version", { body = { ["a\nb"] = "x" } }))
      end)

      it("sends JSON by default where multipart is also allowed, and multipart on request", function()
        local _, _, opts = call("create_artefact_version", { body = { type = "container", name = "n" } })
        assert.same({ type = "container", name = "n" }, opts.body)
        local _, _, mp = call("create_artefact_version", {
          content_type = "multipart/form-data", body = { type = "workload", spec = { content = "{}" } },
        })
        assert.matches("^multipart/form%-data; boundary=", mp.content_type)
        assert.matches('name="type"\r\n\r\nworkload\r\n', mp.raw_body)
        assert.matches("parameter 'content_type' must be one of",
          build_error("create_artefact_version", { content_type = "text/plain", body = {} }))
      end)

      it("leaves an optional body out when none is given", function()
        local optional
        for _, name in ipairs(operations.names) do
          local op = operations.operations[name]
          if op.body and not op.body.required then
            optional = op
            break
          end
        end
        assert.is_not_nil(optional)
        local params = {}
        for _, p in ipairs(optional.params) do
          if p.required and p.name ~= "orgId" then
            params[p.name] = "x"
          end
        end
        local _, _, opts = call(optional, params)
        assert.is_nil(opts.body)
        assert.is_nil(opts.raw_body)
      end)
    end)

    it("builds every operation from its required parameters alone", function()
      for _, name in ipairs(operations.names) do
        local op = operations.operations[name]
        local params = {}
        for _, p in ipairs(op.params) do
          if p.required and p.name ~= "orgId" then
            params[p.name] = p.type == "integer" and 1 or "v"
          end
        end
        if op.body and op.body.required then
          local ct = op.body.content_types[1]
          if ct == "application/json" then
            local jt = op.body.json_type
            params.body = (jt == "string" and "s") or (jt == "boolean" and true) or {}
          elseif ct:match("^multipart/") then
            params.body = { file = { content = "x" } }
          else
            params.body = "text"
          end
        end
        local method, path = call(op, params)
        assert.equal(op.method, method)
        assert.is_nil(path:find("[{}]"), name .. ": " .. path)
        assert.equal("/", path:sub(1, 1))
      end
    end)
  end)
end)

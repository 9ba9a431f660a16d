-- The generated operation table, its docs and LuaLS definitions: reproducible from the spec, complete, and
-- correct on the facts the request builder and the client rely on.
local helpers = require "support.helpers"
local operations = require("humanitec.operations")

local shell_quote = helpers.shell_quote

-- The repository root, from this file's own path (busted may run from anywhere).
local function repo_root()
  local source = debug.getinfo(1, "S").source:gsub("^@", "")
  local dir = ("/" .. source):match("^(.*)/spec/[^/]*$")
  if dir == nil then
    return "."
  end
  dir = dir:sub(2)
  return dir == "" and "." or dir
end

local ROOT = repo_root()
local SPEC = ROOT .. "/api/openapi.json" -- the facts-only copy (make facts); spec/facts_spec.lua checks it
local GENERATED = { "lua/humanitec/operations.lua", "lua/humanitec/types.lua", "docs/operations.md" }

local function read(path)
  local f = io.open(path, "rb")
  if not f then
    return nil
  end
  local data = f:read("*a")
  f:close()
  return data
end

local function write(path, data)
  local f = assert(io.open(path, "wb"))
  f:write(data)
  f:close()
end

-- Runs a shell command; true when it exited 0 (os.execute differs between 5.1/LuaJIT and 5.2+).
local function run(cmd)
  local a, _, c = os.execute(cmd)
  if type(a) == "number" then
    return a == 0
  end
  return a == true and (c == nil or c == 0)
end

local function have(program)
  return run("command -v " .. program .. " >/dev/null 2>&1")
end

local function temp_dir()
  local p = io.popen("mktemp -d")
  local dir = p:read("*l")
  p:close()
  assert(dir and dir ~= "", "mktemp -d failed")
  return dir
end

local function generate(spec_path, outdir)
  return run("lua5.4 " .. shell_quote(ROOT .. "/tools/gen-operations.lua") .. " " .. shell_quote(spec_path) .. " "
    .. shell_quote(outdir) .. " 2>" .. shell_quote(outdir .. "/stderr.txt"))
end

local function count_keys(t)
  local n = 0
  for _ in pairs(t) do
    n = n + 1
  end
  return n
end

local function param(op, name)
  for _, p in ipairs(op.params) do
    if p.name == name then
      return p
    end
  end
end

describe("humanitec.operations", function()
  local ops = operations.operations

  describe("reproducibility", function()
    it("the committed files are exactly what the generator makes from the facts now", function()
      assert.is_not_nil(read(SPEC), "the OpenAPI facts are missing from " .. SPEC .. ": run `make facts`")
      assert.is_true(have("lua5.4"), "lua5.4 is needed to run the generator")
      local dir = temp_dir()
      finally(function()
        run("rm -rf " .. shell_quote(dir))
      end)
      assert.is_true(generate(SPEC, dir), read(dir .. "/stderr.txt"))
      for _, rel in ipairs(GENERATED) do
        local committed = read(ROOT .. "/" .. rel)
        assert.is_not_nil(committed, rel .. " is missing from the repository")
        local fresh = read(dir .. "/" .. rel)
        assert.is_not_nil(fresh, rel .. " was not generated")
        assert.is_true(committed == fresh, rel .. " differs from the generator's output: regenerate it with "
          .. "`make generate`")
      end
    end)

    it("loads under every installed interpreter (LuaJIT caps constants per function)", function()
      local tried = 0
      for _, lua in ipairs({ "lua5.1", "luajit", "lua5.4" }) do
        if have(lua) then
          tried = tried + 1
          local cmd = lua .. " -e " .. shell_quote("package.path = " .. ("%q"):format(ROOT .. "/lua/?.lua;")
            .. " .. package.path; local o = require('humanitec.operations'); local n = 0; "
            .. "for _ in pairs(o.operations) do n = n + 1 end; assert(n == 221 and #o.names == 221); "
            .. "assert(loadfile(" .. ("%q"):format(ROOT .. "/lua/humanitec/types.lua") .. "))")
          assert.is_true(run(cmd .. " >/dev/null 2>&1"), "cannot load the generated files under " .. lua)
        end
      end
      assert.is_true(tried > 0)
    end)
  end)

  describe("generator rules", function()
    local function mini_spec(paths)
      return '{"openapi":"3.0.0","info":{"title":"t","version":"9.9.9"},"paths":{' .. paths .. '}}'
    end

    it("writes snake_case names that keep acronyms whole", function()
      if not have("lua5.4") then
        pending("skipped: lua5.4 is needed to run the generator")
        return
      end
      local dir = temp_dir()
      finally(function()
        run("rm -rf " .. shell_quote(dir))
      end)
      write(dir .. "/spec.json", mini_spec(
        '"/a":{"get":{"operationId":"getByID","responses":{"200":{"description":"x"}}}},'
        .. '"/b":{"get":{"operationId":"getHTTPServer","responses":{"200":{"description":"x"}}}},'
        .. '"/c":{"get":{"operationId":"listUserIDs","responses":{"200":{"description":"x"}}}},'
        .. '"/d":{"get":{"operationId":"getOrgsByOrgIdAppsByAppIdEnvsByEnvIdValues",'
        .. '"responses":{"200":{"description":"x"}}}},'
        .. '"/e":{"get":{"operationId":"GetBatch","responses":{"200":{"description":"x"}}}}'))
      assert.is_true(generate(dir .. "/spec.json", dir), read(dir .. "/stderr.txt"))
      local generated = assert(loadfile(dir .. "/lua/humanitec/operations.lua"))()
      assert.same({ "get_batch", "get_by_id", "get_http_server",
        "get_orgs_by_org_id_apps_by_app_id_envs_by_env_id_values", "list_user_ids" }, generated.names)
      assert.equal("/b", generated.by_operation_id.getHTTPServer.path)
      assert.equal("9.9.9", generated.version)
    end)

    it("fails loudly, writing nothing, when two operations would share a name", function()
      if not have("lua5.4") then
        pending("skipped: lua5.4 is needed to run the generator")
        return
      end
      local dir = temp_dir()
      finally(function()
        run("rm -rf " .. shell_quote(dir))
      end)
      write(dir .. "/spec.json", mini_spec(
        '"/a":{"get":{"operationId":"listApps","responses":{"200":{"description":"x"}}}},'
        .. '"/b":{"get":{"operationId":"list_apps","responses":{"200":{"description":"x"}}}}'))
      assert.is_false(generate(dir .. "/spec.json", dir))
      assert.matches("list_apps", read(dir .. "/stderr.txt"))
      assert.is_nil(read(dir .. "/lua/humanitec/operations.lua"))
    end)
  end)

  describe("contents", function()
    it("has the spec's version and all 221 operations, listed in order", function()
      assert.equal("0.28.37", operations.version)
      assert.equal(221, count_keys(ops))
      assert.equal(221, operations.count)
      assert.equal(221, #operations.names)
      for i = 2, #operations.names do
        assert.is_true(operations.names[i - 1] < operations.names[i])
      end
    end)

    it("names every operation uniquely with a Lua identifier, indexed by that name", function()
      local seen = {}
      for name, op in pairs(ops) do
        assert.equal(name, op.name)
        assert.matches("^[a-z][a-z0-9_]*$", name)
        assert.is_nil(seen[name])
        seen[name] = true
      end
      for _, name in ipairs(operations.names) do
        assert.is_true(seen[name])
      end
    end)

    it("maps every operationId to its operation; 41 operations have none", function()
      local with_id, without = 0, 0
      for _, op in pairs(ops) do
        if op.operation_id then
          with_id = with_id + 1
          assert.equal(op, operations.by_operation_id[op.operation_id])
        else
          without = without + 1
        end
      end
      assert.equal(180, with_id)
      assert.equal(41, without)
      assert.equal(180, count_keys(operations.by_operation_id))
    end)

    it("gives no two operations the same method and path", function()
      local seen = {}
      for _, op in pairs(ops) do
        local key = op.method .. " " .. op.path
        assert.is_nil(seen[key], key)
        seen[key] = true
      end
    end)

    it("derives readable names for operations without an operationId", function()
      local expected = {
        list_app_values = { "GET", "/orgs/{orgId}/apps/{appId}/values" },
        delete_app_values = { "DELETE", "/orgs/{orgId}/apps/{appId}/values" },
        update_env_value = { "PUT", "/orgs/{orgId}/apps/{appId}/envs/{envId}/values/{key}" },
        patch_env_value = { "PATCH", "/orgs/{orgId}/apps/{appId}/envs/{envId}/values/{key}" },
        create_registry = { "POST", "/orgs/{orgId}/registries" },
        get_registry_creds = { "GET", "/orgs/{orgId}/registries/{regId}/creds" },
        list_secret_stores = { "GET", "/orgs/{orgId}/secretstores" },
        list_events = { "GET", "/orgs/{orgId}/events" },
        list_env_logs = { "GET", "/orgs/{orgId}/apps/{appId}/envs/{envId}/logs" },
        restore_app_value_set_version = {
          "POST", "/orgs/{orgId}/apps/{appId}/value-set-versions/{valueSetVersionId}/restore" },
        purge_env_value_set_version_key = {
          "POST", "/orgs/{orgId}/apps/{appId}/envs/{envId}/value-set-versions/{valueSetVersionId}/purge/{key}" },
      }
      for name, mp in pairs(expected) do
        local op = ops[name]
        assert.is_not_nil(op, name)
        assert.is_nil(op.operation_id)
        assert.same(mp, { op.method, op.path })
      end
    end)

    it("describes listApplications", function()
      local op = operations.by_operation_id.listApplications
      assert.equal("list_applications", op.name)
      assert.equal("GET", op.method)
      assert.equal("/orgs/{orgId}/apps", op.path)
      assert.same({ { name = "orgId", ["in"] = "path", required = true, type = "string" } }, op.params)
      assert.is_nil(op.body)
      assert.same({ status = { 200 }, content_types = { "application/json" } }, op.responses)
      assert.is_false(op.paginated)
      assert.is_false(op.deprecated)
    end)

    it("marks paginated operations and how they paginate", function()
      local op = ops.list_pipeline_runs_by_org
      assert.is_true(op.paginated)
      assert.same({ page = true, per_page = true, link = true }, op.pagination)
      assert.equal("integer", param(op, "per_page").type)
      local logs = ops.list_pipeline_step_logs
      assert.is_true(logs.paginated)
      assert.same({ page = true, per_page = false, link = true }, logs.pagination)
      local n = 0
      for _, o in pairs(ops) do
        if o.paginated then
          n = n + 1
        end
      end
      assert.equal(14, n)
    end)

    it("records request bodies: required, content types, JSON type", function()
      assert.same({ required = true, content_types = { "application/x-yaml" } }, ops.create_pipeline.body)
      assert.same({ required = true, content_types = { "multipart/form-data" } },
        ops.create_workload_profile_chart_version.body)
      assert.same({
        required = true, content_types = { "application/json", "multipart/form-data" }, json_type = "object",
      }, ops.create_artefact_version.body)
      assert.same({ required = true, content_types = { "application/json" }, json_type = "boolean" },
        ops.archive_delta.body)
      assert.equal("array", ops.query_resource_graph.body.json_type)
    end)

    it("records query styles, header parameters, enums and path parameter order", function()
      local pipelines = ops.list_pipelines_in_org
      assert.same({ name = "app", ["in"] = "query", required = false, type = "array", items = { type = "string" },
        style = "form", explode = true }, param(pipelines, "app"))
      local metadata = param(pipelines, "metadata")
      assert.equal("deepObject", metadata.style)
      assert.same({ type = "string" }, metadata.values)
      assert.same({ "user", "group" }, param(ops.list_user_roles_in_app, "type").enum)
      assert.equal("header", param(ops.create_pipeline_run, "Idempotency-Key")["in"])
      assert.equal("header", param(ops.delete_pipeline, "If-Match")["in"])
      assert.equal("integer", param(ops.list_pipeline_step_logs, "stepIndex").type)
      local names = {}
      for i, p in ipairs(ops.get_pipeline_run.params) do
        names[i] = p.name
      end
      assert.same({ "orgId", "appId", "pipelineId", "runId" }, names)
    end)

    it("records success codes, response content types and deprecation", function()
      assert.same({ 202, 204 }, ops.delete_pipeline.responses.status)
      assert.same({}, ops.delete_pipeline.responses.content_types)
      assert.same({ "application/json", "application/x-yaml" },
        ops.get_workload_artefact_version_spec.responses.content_types)
      assert.is_true(ops.query_resource_graph.deprecated)
      assert.is_true(ops.get_latest_workload_profile_version.deprecated)
    end)
  end)

  describe("LuaLS definitions", function()
    local types = read(ROOT .. "/lua/humanitec/types.lua")

    it("is a meta file with a stub per operation", function()
      assert.equal("---@meta", types:sub(1, 8))
      local stubs = 0
      for name in types:gmatch("\nfunction Client:([%w_]+)%(params%) end") do
        assert.is_not_nil(ops[name], name)
        stubs = stubs + 1
      end
      assert.equal(221, stubs)
    end)

    it("types parameters, optional ones, enums, bodies and results", function()
      assert.matches("---@class humanitec%.params%.list_user_roles_in_app\n"
        .. "%-%-%-@field orgId%? string\n%-%-%-@field appId string\n%-%-%-@field type%? \"user\"|\"group\"\n", types)
      assert.matches("%-%-%-@field %[\"Idempotency%-Key\"%] string%?", types)
      assert.matches("%-%-%-@class humanitec%.params%.create_application\n%-%-%-@field orgId%? string\n"
        .. "%-%-%-@field body humanitec%.schema%.ApplicationCreationRequest\n", types)
      -- The line LuaLS shows as the summary: method, path and operationId, no prose from the spec.
      assert.matches("\n%-%-%- GET /orgs/{orgId}/apps %(listApplications%)\n"
        .. "%-%-%-@param params%? humanitec%.params%.list_applications\n"
        .. "%-%-%-@return humanitec%.schema%.ApplicationResponse%[%]|nil data\n", types)
      assert.matches("%-%-%-@deprecated\n%-%-%-@param params humanitec%.params%.query_resource_graph\n", types)
    end)

    it("declares the response schemas with typed fields", function()
      assert.matches("%-%-%-@class humanitec%.schema%.ApplicationResponse\n", types)
      assert.matches("\n%-%-%-@field envs humanitec%.schema%.EnvironmentBaseResponse%[%]\n", types)
      assert.matches("%-%-%-@alias humanitec%.schema%.SubjectTypeEnum \"user\"|\"group\"\n", types)
      assert.matches("%-%-%-@class humanitec%.schema%.ContainerArtefactVersion: "
        .. "humanitec%.schema%.ArtefactVersionBase\n", types)
    end)
  end)

  describe("docs/operations.md", function()
    local docs = read(ROOT .. "/docs/operations.md")

    it("lists every operation with its method and path, grouped by tag", function()
      for name, op in pairs(ops) do
        local row = "| `" .. name .. "` | " .. op.method .. " | `" .. op.path .. "` | "
          .. (op.operation_id and ("`" .. op.operation_id .. "`") or "—") .. " |"
        assert.is_not_nil(docs:find(row, 1, true), name)
      end
      local application = docs:find("\n### Application\n", 1, true)
      assert.is_not_nil(application)
      assert.is_not_nil(docs:find("| `list_applications` | GET | `/orgs/{orgId}/apps` | `listApplications` |",
        application, true))
    end)

    it("gives every operation's parameters (where, type, required, values), body and results", function()
      for name, op in pairs(ops) do
        local at = docs:find("\n### `" .. name .. "`\n", 1, true)
        assert.is_not_nil(at, name)
        local section = docs:sub(at + 1, (docs:find("\n### ", at + 1, true) or #docs + 1) - 1)
        for _, p in ipairs(op.params) do
          local row = ("| `%s` | %s | "):format(p.name, p["in"])
          assert.is_not_nil(section:find(row, 1, true), name .. ": " .. p.name)
          for _, v in ipairs(p.enum or (p.items and p.items.enum) or {}) do
            assert.is_not_nil(section:find("`" .. tostring(v) .. "`", 1, true), name .. ": " .. p.name .. " " .. v)
          end
        end
        if op.body then
          assert.is_not_nil(section:find("| `body` | body | ", 1, true), name)
        end
        assert.is_not_nil(section:find("\nReturns " .. table.concat(op.responses.status, ", ") .. ": ", 1, true),
          name)
      end
      local s = docs:sub((docs:find("\n### `list_user_roles_in_app`\n", 1, true)))
      assert.is_not_nil(s:find("| `type` | query | string | no | `user`, `group` |", 1, true))
      assert.is_not_nil(s:find("Returns 200: `humanitec.schema.UserRoleResponse[]` (application/json)", 1, true))
    end)
  end)
end)

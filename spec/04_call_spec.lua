-- Operations by name through the client, and pagination, against the simulator in process and a scripted
-- transport for the edge cases of Link headers.
local humanitec = require "humanitec"
local sim_mod = require "humanitec.sim"

local PIPELINE = [[
name: Build %d
on:
  pipeline_call: {}
jobs:
  build:
    steps:
      - name: noop
        uses: actions/humanitec/log@v1
        with:
          message: hello
]]

describe("operations through the client", function()
  local sim, client

  before_each(function()
    sim = sim_mod.new { orgs = { "acme" }, tokens = { tok = { "acme" } } }
    client = humanitec.new { transport = sim:transport(), token = "tok", org = "acme", url = "http://sim.invalid",
      config_file = "/dev/null" }
  end)

  it("calls generated methods with the spec's parameter names, orgId from the client", function()
    local app, _, response = client:create_application { body = { id = "web", name = "Web" } }
    assert.equals("web", app.id, tostring(response))
    assert.equals(201, response.status)
    local got = assert(client:get_application { appId = "web" })
    assert.equals("Web", got.name)
    local apps = assert(client:list_applications())
    assert.equals(1, #apps)
    local envs = assert(client:call("listEnvironments", { appId = "web" }))
    assert.equals("development", envs[1].id)
    local same = assert(client:call("list_environments", { appId = "web", orgId = "acme" }))
    assert.equals(#envs, #same)
  end)

  it("returns API failures as error objects", function()
    local data, err = client:get_application { appId = "missing" }
    assert.is_nil(data)
    assert.equals(404, err.status)
    assert.equals("http", err.kind)
    assert.equals("/orgs/acme/apps/missing", err.path)
  end)

  it("raises on parameter mistakes before anything is sent, naming operation and parameter", function()
    local requests = 0
    local transport = sim:transport()
    local counting = {
      open = function(_, opts)
        local session = transport:open(opts)
        return setmetatable({
          request = function(_, ...) requests = requests + 1; return session:request(...) end,
        }, { __index = session })
      end,
    }
    local c = humanitec.new { transport = counting, token = "tok", org = "acme", url = "http://sim.invalid" }
    local ok, err = pcall(function() c:get_application {} end)
    assert.is_false(ok)
    assert.matches("get_application", err)
    assert.matches("appId", err)
    assert.matches("04_call_spec%.lua", err) -- points at the caller
    assert.has_error(function() c:get_application { appId = "web", apId = "x" } end)
    assert.has_error(function() c:list_applications { per_page = "ten" } end)
    assert.has_error(function() c:call("noSuchOperation") end,
      "bad argument #1 to 'call' (unknown operation 'noSuchOperation')")
    assert.equals(0, requests)
    assert(c:list_applications())
    assert.equals(1, requests)
  end)

  it("percent-encodes path parameters", function()
    local _, err = client:get_application { appId = "../x" }
    assert.equals("/orgs/acme/apps/..%2Fx", err.path)
  end)

  it("pages through every item with each() and all(), following Link", function()
    assert(client:create_application { body = { id = "web", name = "Web" } })
    for i = 1, 7 do
      local p, err = client:create_pipeline { appId = "web", body = PIPELINE:format(i), content_type = "application/x-yaml" }
      assert.is_table(p, tostring(err))
    end
    local names = {}
    for item, err in client:each("list_pipelines", { appId = "web", per_page = 3 }) do
      assert.is_truthy(item, tostring(err))
      names[#names + 1] = item.name
    end
    assert.equals(7, #names)
    local all = assert(client:all("listPipelines", { appId = "web", per_page = 2 }))
    assert.equals(7, #all)
    assert.has_error(function() client:each("get_application", { appId = "web" }) end,
      "bad argument #1 to 'each' (operation 'get_application' is not paginated)")
  end)
end)

describe("pagination edge cases", function()
  -- A transport that answers each request from a script of pages, keyed by the path and query asked for.
  local function scripted(pages)
    local asked = {}
    local transport = {
      open = function()
        return {
          request = function(_, _, url)
            local key = url:gsub("^http://api%.invalid", "")
            asked[#asked + 1] = key
            local page = pages[key]
            if not page then
              return 404, { ["content-type"] = "application/json" }, '{"error":"NF","message":"no page"}', {}
            end
            return 200, { ["content-type"] = "application/json", link = page.link }, page.body, {}
          end,
          close = function() end,
        }
      end,
    }
    local c = humanitec.new { transport = transport, token = "t", org = "acme", url = "http://api.invalid" }
    return c, asked
  end

  it("goes on past an empty page, and takes absolute and relative links", function()
    local c, asked = scripted {
      ["/orgs/acme/audit-logs"] = { body = "[1,2]", link = '<http://api.invalid/orgs/acme/audit-logs?page=b>; rel="next"' },
      ["/orgs/acme/audit-logs?page=b"] = { body = "[]", link = '</orgs/acme/audit-logs?page=c>; rel="next"' },
      ["/orgs/acme/audit-logs?page=c"] = { body = "[3]" },
    }
    local items = assert(c:all("list_audit_log_entries"))
    assert.same({ 1, 2, 3 }, { items[1], items[2], items[3] })
    assert.equals(3, #asked)
  end)

  it("stops with an error on a link that leads off the API, without following it", function()
    local c, asked = scripted {
      ["/orgs/acme/audit-logs"] = { body = "[1]", link = '<http://evil.invalid/steal>; rel="next"' },
    }
    local got = {}
    local failure
    for item, err in c:each("list_audit_log_entries") do
      if not item then failure = err break end
      got[#got + 1] = item
    end
    assert.same({ 1 }, got)
    assert.equals("pagination", failure.kind)
    assert.equals(1, #asked)
  end)

  it("stops when the API repeats a next link", function()
    local c = scripted {
      ["/orgs/acme/audit-logs"] = { body = "[1]", link = '</orgs/acme/audit-logs?page=x>; rel="next"' },
      ["/orgs/acme/audit-logs?page=x"] = { body = "[2]", link = '</orgs/acme/audit-logs?page=x>; rel="next"' },
    }
    local items, err = c:all("list_audit_log_entries")
    assert.is_nil(items)
    assert.equals("pagination", err.kind)
  end)

  it("hands back the error of a failed page", function()
    local c = scripted {
      ["/orgs/acme/audit-logs"] = { body = "[1]", link = '</orgs/acme/audit-logs?page=gone>; rel="next"' },
    }
    local items, err = c:all("list_audit_log_entries")
    assert.is_nil(items)
    assert.equals(404, err.status)
  end)
end)

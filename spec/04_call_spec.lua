-- Operations by name through the client, and pagination, against the simulator in process and a scripted
-- transport for the edge cases of Link headers.
local calls = require "humanitec.calls"
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
  end)

  it("all on a list that is not paginated returns the list", function()
    assert(client:create_application { body = { id = "web", name = "Web" } })
    assert.is_false(calls.find("list_applications").paginated)
    local apps = assert(client:all("list_applications"))
    assert.equals("web", apps[1].id)
  end)
end)

describe("pagination edge cases", function()
  -- A transport that answers each request from a script of pages, keyed by the path and query asked for.
  local function scripted(pages, token)
    local asked = {}
    local transport = {
      open = function(_, opts)
        -- The real core's session masks the token, as a client on libcurl would; this one only lends its redact.
        local core = require("humanitec.core").session(opts)
        return {
          redact = function(_, text) return core:redact(text) end,
          request = function(_, _, url)
            local key = url:gsub("^http://api%.invalid", "")
            asked[#asked + 1] = key
            local page = pages[key]
            if not page then
              return 404, { ["content-type"] = "application/json" }, '{"error":"NF","message":"no page"}', {}
            end
            return 200, { ["content-type"] = "application/json", link = page.link }, page.body, {}
          end,
          close = function() core:close() end,
        }
      end,
    }
    local c = humanitec.new { transport = transport, token = token or "t", org = "acme", url = "http://api.invalid" }
    return c, asked
  end

  it("refuses each and all on an operation that answers no list, before sending anything", function()
    local c, asked = scripted {}
    assert.has_error(function() c:all("get_application", { appId = "web" }) end,
      "bad argument #1 to 'all' ('get_application' does not answer with a list; call it directly)")
    assert.has_error(function() c:each("getApplication", { appId = "web" }) end,
      "bad argument #1 to 'each' ('get_application' does not answer with a list; call it directly)")
    assert.has_error(function() c:all("create_application", { body = { id = "web" } }) end,
      "bad argument #1 to 'all' ('create_application' does not answer with a list; call it directly)")
    assert.equals(0, #asked)
    assert.is_true(calls.find("list_applications").list)
    assert.is_nil(calls.find("get_application").list)
  end)

  it("masks the token in a next link it will not follow", function()
    local secret = "s3cr3t-T0KEN-value"
    for _, link in ipairs { "https://elsewhere.invalid/next?access_token=" .. secret,
      "http://api.invalid/orgs/acme/audit-logs?access_token=" .. secret .. "#frag",
      "http://api.invalid/?access_token=" .. secret } do
      local c = scripted({
        ["/orgs/acme/audit-logs"] = { body = "[1]", link = "<" .. link .. '>; rel="next"' },
      }, secret)
      local items, err = c:all("list_audit_log_entries")
      assert.is_nil(items)
      assert.equals("pagination", err.kind, link)
      assert.is_nil(tostring(err):find(secret, 1, true), tostring(err))
      assert.is_nil(err.message:find(secret, 1, true), err.message)
      for item, e in c:each("list_audit_log_entries") do
        if not item then
          assert.is_nil(tostring(e):find(secret, 1, true), tostring(e))
          break
        end
      end
    end
  end)

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

  it("answers a next link it cannot follow with an error of kind pagination, after the page that held it", function()
    for _, link in ipairs { "http://api.invalid/orgs/acme/audit-logs?page=2#frag", "/orgs/acme/audit logs?page=2",
      "http://api.invalid", "http://api.invalid/", "", "http://api.invalid\n/x" } do
      local c, asked = scripted {
        ["/orgs/acme/audit-logs"] = { body = "[1]", link = "<" .. link .. '>; rel="next"' },
      }
      local got, failure = {}, nil
      for item, err in c:each("list_audit_log_entries") do
        if not item then failure = err break end
        got[#got + 1] = item
      end
      assert.same({ 1 }, got)
      assert.equals("pagination", failure.kind, link)
      assert.equals(1, #asked)
      local items, err = c:all("list_audit_log_entries")
      assert.is_nil(items)
      assert.equals("pagination", err.kind)
    end
  end)

  it("stops after max_pages when the server hands out endless distinct links", function()
    local asked = 0
    local transport = { open = function()
      return { close = function() end, request = function()
        asked = asked + 1
        return 200, { ["content-type"] = "application/json",
          link = ('</orgs/acme/audit-logs?page=%d>; rel="next"'):format(asked) }, "[0]", {}
      end }
    end }
    local c = humanitec.new { transport = transport, token = "t", org = "acme", url = "http://api.invalid" }
    local items, err = c:all("list_audit_log_entries", nil, { max_pages = 50 })
    assert.is_nil(items)
    assert.equals("pagination", err.kind)
    assert.matches("stopped after 50 pages", err.message)
    assert.equals(50, asked)
    asked = 0
    local n = 0
    for item in c:each("list_audit_log_entries") do
      if not item then break end
      n = n + 1
    end
    assert.equals(require("humanitec.paginate").DEFAULT_MAX_PAGES, n)
    assert.has_error(function() c:each("list_audit_log_entries", nil, { max_page = 1 }) end,
      "bad argument #3 to 'each' (unknown option 'max_page'; did you mean 'max_pages'?)")
  end)

  it("hands out pages with their responses when asked", function()
    local c = scripted {
      ["/orgs/acme/audit-logs"] = { body = "[1,2]", link = '</orgs/acme/audit-logs?page=b>; rel="next"' },
      ["/orgs/acme/audit-logs?page=b"] = { body = "[3]" },
    }
    local pages = {}
    for page, err, response in c:each("list_audit_log_entries", nil, { pages = true }) do
      assert.is_nil(err)
      pages[#pages + 1] = { #page, response.status, response.url }
    end
    assert.same({ { 2, 200, "http://api.invalid/orgs/acme/audit-logs" },
      { 1, 200, "http://api.invalid/orgs/acme/audit-logs?page=b" } }, pages)
  end)

  it("parses a 20 KB Link header in linear time", function()
    local link = "<" .. ("<"):rep(20000) .. ", " .. ("rel "):rep(5000) .. ", " .. (";a=b"):rep(5000)
      .. ', </orgs/acme/audit-logs?page=2>; rel="next"'
    local start = os.clock()
    for _ = 1, 20 do
      assert.equals("/orgs/acme/audit-logs?page=2", require("humanitec.paginate").next_link(link))
      assert.is_nil(require("humanitec.paginate").next_link(("<"):rep(20000)))
    end
    assert.is_true(os.clock() - start < 2, "took " .. (os.clock() - start) .. " s")
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

-- `humanitec apply -f` and `delete -f` against the simulator: several kinds in one file, applied twice,
-- --dry-run sending nothing that changes anything, and deleting what was applied.
local cli_helper = require "support.cli_helper"
local helpers = require "support.helpers"
local json = require "humanitec.json"
local sim_mod = require "humanitec.sim"

local lines = cli_helper.lines

local MANIFEST = [[
apiVersion: entity.humanitec.io/v1b1
kind: Application
id: blog
entity:
  name: Blog
---
kind: Environment
app: blog
id: staging
name: Staging
type: development
---
kind: Value
app: blog
id: LOG_LEVEL
entity:
  value: info
  description: verbosity
---
kind: Definition
id: blog-db
entity:
  name: blog-db
  type: postgres
  driver_type: humanitec/echo
  driver_inputs:
    values:
      host: db.example.com
  criteria:
    - app_id: blog
---
kind: Pipeline
app: blog
metadata:
  id: ci
  name: CI
spec:
  jobs:
    build:
      steps:
        - name: hello
          uses: actions/help@v1
]]

describe("humanitec apply", function()
  local sim, run, log, path, client

  before_each(function()
    sim = sim_mod.new { orgs = { "acme" }, tokens = { [cli_helper.TOKEN] = { "acme" } } }
    log = {}
    local runner = cli_helper.runner(sim)
    run = function(argv, extra)
      extra = extra or {}
      extra.transport = cli_helper.logging_transport(sim, log)
      return runner(argv, extra)
    end
    client = require("humanitec").new { transport = sim:transport(), token = cli_helper.TOKEN, org = "acme",
      url = "http://sim.invalid", config_file = "/dev/null" }
    path = helpers.temp_file(MANIFEST)
  end)

  after_each(function() os.remove(path) end)

  local function mutating()
    local out = {}
    for _, l in ipairs(log) do
      if not l:find("^GET ") then out[#out + 1] = l end
    end
    return out
  end

  it("creates what the documents describe, and changes nothing the second time", function()
    local code, out, err = run({ "apply", "-f", path })
    assert.equals(0, code, err)
    assert.same({ "Application blog: created", "Environment blog/staging: created", "Value blog/LOG_LEVEL: created",
      "ResourceDefinition blog-db: created", "Pipeline blog/ci: created" }, lines(out))
    assert.equals("5 created\n", err)
    assert.equals("Blog", assert(client:get_application { appId = "blog" }).name)
    assert.equals("development", assert(client:get_environment { appId = "blog", envId = "staging" }).type)
    assert.equals("db.example.com", assert(client:get_resource_definition { defId = "blog-db" }).driver_inputs
      .values.host)
    assert(client:get_pipeline { appId = "blog", pipelineId = "ci" })

    log = {}
    code, out, err = run({ "apply", "-f", path })
    assert.equals(0, code, err)
    assert.equals("nothing changed\n", err)
    assert.equals(5, #lines(out))
    for _, l in ipairs(lines(out)) do assert.matches(": unchanged$", l) end
    assert.same({}, mutating())
  end)

  it("sends only what differs, and shows it as a diff with --dry-run, sending nothing", function()
    assert.equals(0, (run({ "apply", "-f", path })))
    local changed = helpers.temp_file((MANIFEST:gsub("name: Staging", "name: Staging 2"):gsub("value: info",
      "value: debug")))
    log = {}
    local code, out, err = run({ "apply", "-f", changed, "--dry-run" })
    assert.equals(0, code, err)
    assert.equals("~ Environment blog/staging\n  - name: Staging\n  + name: \"Staging 2\"\n"
      .. "~ Value blog/LOG_LEVEL\n  - value: info\n  + value: debug\n", out)
    assert.equals("2 updated, 3 unchanged (a dry run: nothing sent)\n", err)
    assert.same({}, mutating())
    assert.equals("Staging", assert(client:get_environment { appId = "blog", envId = "staging" }).name)

    code, out, err = run({ "apply", "-f", changed, "-o", "json" })
    os.remove(changed)
    assert.equals(0, code, err)
    local results = json.decode(out)
    assert.equals("updated", results[2].result)
    assert.same({ "name" }, results[2].fields)
    assert.same({ "PATCH /orgs/acme/apps/blog/envs/staging", "PATCH /orgs/acme/apps/blog/values/LOG_LEVEL" },
      mutating())
    assert.equals("Staging 2", assert(client:get_environment { appId = "blog", envId = "staging" }).name)
  end)

  it("reads a directory and standard input, JSON as well as YAML", function()
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir " .. dir) ~= false)
    local f = assert(io.open(dir .. "/a.json", "w"))
    f:write(json.encode({ kind = "Application", id = "from-json", name = "From JSON" }))
    f:close()
    f = assert(io.open(dir .. "/b.yaml", "w"))
    f:write("kind: Environment\napp: from-json\nid: qa\ntype: development\n")
    f:close()
    local _
    local code, out, err = run({ "apply", "-f", dir })
    os.execute("rm -r " .. dir)
    assert.equals(0, code, err)
    assert.same({ "Application from-json: created", "Environment from-json/qa: created" }, lines(out))
    local stdin = { read = function() return "kind: Value\nid: MOTD\nvalue: hello\ndescription: greeting\n" end }
    code, _, err = run({ "apply", "-f", "-" }, { stdin = stdin })
    assert.equals(2, code) -- a Value needs an app
    assert.matches("needs %-%-app", err)
    code, out = run({ "apply", "-f", "-", "--app", "from-json" }, { stdin = stdin })
    assert.equals(0, code)
    assert.equals("Value from-json/MOTD: created\n", out)
    code, out, err = run({ "apply", "-f", "-", "--app", "from-json" }, { stdin = stdin })
    assert.equals(0, code)
    assert.equals("Value from-json/MOTD: unchanged\n", out)
    assert.equals("nothing changed\n", err)
  end)

  it("deletes what the documents name, last first, and says when it is already gone", function()
    assert.equals(0, (run({ "apply", "-f", path })))
    local code, out, err = run({ "delete", "-f", path, "--dry-run" })
    assert.equals(0, code, err)
    assert.equals("- Pipeline blog/ci\n- ResourceDefinition blog-db\n- Value blog/LOG_LEVEL\n"
      .. "- Environment blog/staging\n- Application blog\n", out)
    assert(client:get_application { appId = "blog" })
    code, out, err = run({ "delete", "-f", path })
    assert.equals(0, code, err)
    assert.equals("Pipeline blog/ci: deleted", lines(out)[1])
    assert.equals("5 deleted\n", err)
    local _, gone = client:get_application { appId = "blog" }
    assert.equals(404, gone.status)
    code, _, err = run({ "delete", "-f", path })
    assert.equals(0, code)
    assert.equals("nothing changed\n", err)
  end)

  it("refuses documents it cannot place, naming the file", function()
    local bad = helpers.temp_file("kind: Application\nid: fine\n---\nid: y\n")
    local code, _, err = run({ "apply", "-f", bad })
    assert.equals(2, code)
    assert.equals("humanitec: apply: " .. bad .. "#2 has no kind\n", err)
    assert.same({}, mutating()) -- every document is read before anything is sent
    local f = assert(io.open(bad, "w"))
    f:write("kind: Gadget\nid: x\n")
    f:close()
    code, _, err = run({ "apply", "-f", bad })
    assert.equals(2, code)
    assert.equals("humanitec: apply: " .. bad .. ": unknown kind 'Gadget'\n", err)
    f = assert(io.open(bad, "w"))
    f:write("kind: Application\nname: no id\n")
    f:close()
    code, _, err = run({ "apply", "-f", bad })
    os.remove(bad)
    assert.equals(2, code)
    assert.equals("humanitec: apply: " .. bad .. " has no id\n", err)
    assert.matches("needs %-f FILE", select(3, run("apply")))
    assert.matches("cannot read /nonexistent%.yaml", select(3, run("apply -f /nonexistent.yaml")))
  end)

  it("places every document before the first request, so a bad second document changes nothing", function()
    local bad = helpers.temp_file("kind: Application\nid: first\n---\nkind: Environment\nid: staging\n")
    local code, _, err = run({ "apply", "-f", bad })
    assert.equals(2, code)
    assert.matches("#2 %(Environment staging%) needs %-%-app", err)
    assert.same({}, mutating())
    local _, gone = client:get_application { appId = "first" }
    assert.equals(404, gone.status)
    assert(client:create_application { body = { id = "first", name = "first" } })
    log = {}
    code, _, err = run({ "delete", "-f", bad })
    os.remove(bad)
    assert.equals(2, code)
    assert.matches("needs %-%-app", err)
    assert.same({}, mutating())
    assert(client:get_application { appId = "first" })
  end)

  it("keeps stdout parseable with --dry-run -o json or yaml: the diff goes to stderr", function()
    assert.equals(0, (run({ "apply", "-f", path })))
    local changed = helpers.temp_file((MANIFEST:gsub("Blog", "The blog")))
    local code, out, err = run({ "apply", "-f", changed, "--dry-run", "-o", "json" })
    assert.equals(0, code, err)
    local data = json.decode(out)
    assert.is_table(data)
    assert.matches("~ Application blog", err)
    code, out, err = run({ "apply", "-f", changed, "--dry-run", "-o", "yaml" })
    os.remove(changed)
    assert.equals(0, code, err)
    assert.is_nil(out:find("~ ", 1, true))
    assert.matches("~ Application blog", err)
    code, out, err = run({ "delete", "-f", path, "--dry-run", "-o", "json" })
    assert.equals(0, code, err)
    assert.equals(5, #json.decode(out))
    assert.matches("%- Application blog", err)
  end)
end)

-- humanitec.score.to_delta: Score workloads into one Humanitec delta, checked against golden deltas for every
-- valid document of the corpus, with extensions, overrides, properties and image, and several files at once.
local helpers = require "support.helpers"
local json = require "humanitec.json"
local score = require "humanitec.score"

local C = "spec/fixtures/score/"

local function load(name)
  return assert(score.load(C .. name))
end

-- Compared as JSON values: arrays marked or not, the same.
local function normal(v)
  return json.decode(json.encode(v))
end

local function golden(name)
  return json.decode(helpers.read_file(C .. "golden/" .. name .. ".json"))
end

local function problem(docs, opts)
  local delta, err = score.to_delta(docs, opts)
  assert.is_nil(delta)
  assert.equals("score", err.kind)
  return err
end

local BASE = "apiVersion: score.dev/v1b1\nmetadata:\n  name: app\ncontainers:\n  main:\n    image: busybox\n"

describe("humanitec.score.to_delta", function()
  local cases = {
    minimal = { { "minimal.yaml" }, {} },
    full = { { "full.yaml" }, {} },
    resources = { { "resources.yaml" }, {} },
    arrays = { { "arrays.yaml" }, {} },
    ["minimal-json"] = { { "minimal.json" }, {} },
    anchors = { { "anchors.yaml" }, {} },
    ["full-extensions"] = { { "full.yaml" }, { extensions = C .. "extensions/full.humanitec.yaml" } },
    ["full-overrides"] = { { "full.yaml" }, { overrides = C .. "overrides/full.overrides.yaml",
      properties = { 'containers.main.variables.PLAIN="42"', "containers.main.args", "service.ports.dns",
        'containers.main.files./etc/web-app/config\\.yaml.mode="0600"' }, image = "registry.example.com/proxy:3" } },
    several = { { "minimal.yaml", "resources.yaml", "full.yaml" }, {} },
  }

  it("gives the golden delta for every valid document of the corpus, and for the combinations", function()
    local covered = {}
    for name, c in pairs(cases) do
      local docs = {}
      for i, f in ipairs(c[1]) do
        docs[i] = load(f)
        covered[f] = true
      end
      local opts = c[2]
      opts.envId, opts.message = "development", "golden"
      local delta, err = score.to_delta(#docs == 1 and docs[1] or docs, opts)
      assert.is_nil(err, name .. ": " .. tostring(err))
      assert.same(golden(name), normal(delta), name)
    end
    -- every valid document of the corpus has its golden delta
    local pipe = assert(io.popen("ls " .. C))
    for f in pipe:lines() do
      if f:match("%.yaml$") or f:match("%.json$") then assert.is_true(covered[f] == true, f .. " has no golden delta") end
    end
    pipe:close()
  end)

  it("leaves the caller's document as it was", function()
    local doc = load("full.yaml")
    local before = json.encode(doc)
    assert(score.to_delta(doc, { overrides = C .. "overrides/full.overrides.yaml", image = "x:1",
      properties = { "containers.main.args" } }))
    assert.equals(before, json.encode(doc))
    assert.equals(C .. "full.yaml", score.source_of(doc))
  end)

  it("rewrites placeholders and says where one names nothing", function()
    local doc = assert(score.load(BASE .. "    variables:\n      A: ${resources.db.host}\n"))
    local err = problem(doc)
    assert.equals("<string>:8: containers.main.variables.A: ${resources.db.host} names no resource of the workload "
      .. "(it declares none)", err.message)
    assert.equals(8, err.line)
    err = problem(assert(score.load(BASE .. "    variables:\n      A: x ${metadata.owner}\n")))
    assert.matches("${metadata.owner} names no field of the workload's metadata", err.message, 1, true)
    err = problem(assert(score.load(BASE .. "    args: [\"${what.ever}\"]\n")))
    assert.matches("<string>:7: containers.main.args[0]: ${what.ever} names nothing", err.message, 1, true)
    err = problem(assert(score.load(BASE .. "    variables:\n      A: \"${resources.db\"\n")))
    assert.matches("never closed", err.message, 1, true)
    err = problem(assert(score.load(BASE .. "    variables:\n      A: ${resources.env}\nresources:\n"
      .. "  env:\n    type: environment\n")))
    assert.matches("names the environment without a key", err.message, 1, true)
    local delta = assert(score.to_delta(assert(score.load(BASE .. "    variables:\n"
      .. "      A: \"$${kept} $$ ${metadata.name} $5 ${resources.qq.url} ${resources.qq}\"\n"
      .. "resources:\n  qq:\n    type: amqp\n    metadata:\n      annotations:\n"
      .. "        score.humanitec.io/resId: modules.other.externals.q\n"))))
    assert.equals("${kept} $ app $5 ${modules.other.externals.q.url} modules.other.externals.q",
      delta.modules.add.app.spec.containers.main.variables.A)
    -- a reference into another workload's module declares nothing here
    assert.is_nil(delta.modules.add.app.externals)
    assert.is_nil(delta.shared)
  end)

  it("substitutes in linear time, whatever the text", function()
    local text = ("$$ ${metadata.name} $"):rep(20000)
    local doc = assert(score.load(BASE))
    doc.containers.main.variables = { BIG = text }
    local t0 = os.clock()
    local delta = assert(score.to_delta(doc))
    assert.is_true(os.clock() - t0 < 20)
    assert.equals(("$ app $"):rep(20000), delta.modules.add.app.spec.containers.main.variables.BIG)
  end)

  it("applies properties: set, create, remove, list index and append", function()
    local doc = assert(score.load(BASE .. "    args: [a, b]\n"))
    local delta = assert(score.to_delta(doc, { properties = {
      "containers.main.args.0=first", "containers.main.args.-1=last", "containers.main.variables.NEW=1.5Gi",
      "containers.main.resources.limits.cpu=\"2\"", { "containers.main.variables.LUA", "from Lua" },
    } }))
    local main = delta.modules.add.app.spec.containers.main
    assert.same({ "first", "b", "last" }, main.args)
    assert.same({ NEW = "1.5Gi", LUA = "from Lua" }, main.variables)
    assert.same({ limits = { cpu = "2" } }, main.resources)
    local err = problem(doc, { properties = { "containers.main.args.7=x" } })
    assert.matches("'7' is not an index of the list (0 to 2, or -1 to append)", err.message, 1, true)
    err = problem(doc, { properties = { "containers.main.image.x=1" } })
    assert.matches("'containers.main.image' is not a map or a list", err.message, 1, true)
    -- a property that breaks the document is caught by validation, on the document's line
    err = problem(doc, { properties = { "containers.main.image=42" } })
    assert.equals("<string>:6: containers.main.image: expected string, got integer 42", err.message)
  end)

  it("sets --image on containers whose image is '.', or on the only one, and refuses to guess", function()
    local doc = assert(score.load(BASE:gsub("busybox", ".") .. "  side:\n    image: nginx\n"))
    local delta = assert(score.to_delta(doc, { image = "web:2" }))
    assert.equals("web:2", delta.modules.add.app.spec.containers.main.image)
    assert.equals("nginx", delta.modules.add.app.spec.containers.side.image)
    assert.equals("web:3", assert(score.to_delta(assert(score.load(BASE)), { image = "web:3" }))
      .modules.add.app.spec.containers.main.image)
    local err = problem(assert(score.load(BASE .. "  side:\n    image: nginx\n")), { image = "web:2" })
    assert.matches("has 2 containers (main, side) and none has image '.'", err.message, 1, true)
  end)

  it("checks the extensions and substitutes in them", function()
    local doc = load("minimal.yaml")
    local err = problem(doc, { extensions = { apiVersion = "humanitec.org/v2", profile = "x" } })
    assert.matches("apiVersion must be humanitec.org/v1b1", err.message, 1, true)
    err = problem(doc, { extensions = { apiVersion = "humanitec.org/v1b1", spec = "no" } })
    assert.matches("spec must be a map", err.message, 1, true)
    err = problem(doc, { extensions = { apiVersion = "humanitec.org/v1b1", spec = { labels = { a = "${resources.x.y}" } } } })
    assert.matches("extensions: spec.labels.a: ${resources.x.y} names no resource", err.message, 1, true)
    err = problem(doc, { extensions = C .. "extensions/missing.yaml" })
    assert.matches("extensions: ", err.message, 1, true)
    local delta = assert(score.to_delta(doc, { extensions = { apiVersion = "humanitec.org/v1b1",
      profile = "acme/job", spec = { schedules = { nightly = { schedule = "0 3 * * *" } } } } }))
    local m = delta.modules.add["hello-world"]
    assert.equals("acme/job", m.profile)
    assert.same({ nightly = { schedule = "0 3 * * *" } }, m.spec.schedules)
  end)

  it("puts several workloads in one delta, sharing what they share, and refuses conflicts", function()
    local a = assert(score.load(BASE .. "resources:\n  db:\n    type: postgres\n    id: main\n"))
    local b = assert(score.load((BASE:gsub("name: app", "name: other")) .. "resources:\n  db:\n    type: postgres\n"
      .. "    id: main\n"))
    local delta = assert(score.to_delta({ a, b }))
    assert.same({ "add", "/main", "postgres" }, { delta.shared[1].op, delta.shared[1].path, delta.shared[1].value.type })
    assert.equals(1, #delta.shared)
    local err = problem({ a, a })
    assert.matches("two Score files describe the workload 'app'", err.message, 1, true)
    local c = assert(score.load((BASE:gsub("name: app", "name: third")) .. "resources:\n  db:\n    type: mysql\n"
      .. "    id: main\n"))
    err = problem({ a, c })
    assert.matches("the shared resource 'main' is declared differently by 'app' and 'third'", err.message, 1, true)
    -- entries carry their own options
    delta = assert(score.to_delta({ { a, image = "one:1" }, { doc = b, image = "two:2" } }))
    assert.equals("one:1", delta.modules.add.app.spec.containers.main.image)
    assert.equals("two:2", delta.modules.add.other.spec.containers.main.image)
  end)

  it("carries Score specs as Generic Mode workloads", function()
    local doc = load("resources.yaml")
    local delta = assert(score.to_delta(doc, { mode = "workloads", envId = "dev", image = "orders:4",
      extensions = { apiVersion = "humanitec.org/v1b1", spec = { labels = { team = "a" } } } }))
    assert.is_nil(delta.modules)
    local w = delta.workloads.add.orders
    assert.equals("score.dev/v1b1", w.spec.apiVersion)
    assert.equals("orders:4", w.spec.containers.api.image)
    assert.equals("${resources.cache.host}", w.spec.containers.api.variables.REDIS:match("%${[^}]+}"))
    assert.same({ kubernetes = { labels = { team = "a" } } }, w.extensions)
    assert.equals("dev", delta.metadata.env_id)
  end)

  it("refuses invalid documents with every problem, and misuse with a raise", function()
    local err = problem(assert(score.load(C .. "invalid/protocol-enum.yaml")))
    assert.equals(1, #err.details)
    assert.has_error(function() score.to_delta("x") end,
      "bad argument #1 to 'to_delta' (Score document or list expected, got string)")
    assert.has_error(function() score.to_delta({}) end, "bad argument #1 to 'to_delta' (no Score document given)")
    assert.has_error(function() score.to_delta(load("minimal.yaml"), { mode = "other" }) end)
    assert.has_error(function() score.to_delta({ { nothing = true } }) end)
    assert.has_error(function() score.to_delta(load("minimal.yaml"), { env = "dev" }) end,
      "bad argument #2 to 'to_delta' (unknown option 'env'; did you mean 'envId'?)")
    assert.has_error(function() score.to_delta(load("minimal.yaml"), { image = 1 }) end,
      "bad option 'image' to 'to_delta' (string expected, got number)")
  end)
end)

-- The same translation through the server: convertScoreToSet (POST /orgs/{orgId}/artefact-versions/convert-score)
-- against the simulator answers, for every valid document of the corpus and with extensions, the modules and
-- shared resources of the reviewed golden deltas (spec/fixtures/score/golden/), not whatever to_delta builds
-- today: the simulator shares humanitec.score's translation, so comparing the two would prove nothing.
local json = require "humanitec.json"
local score = require "humanitec.score"
local helpers = require "support.helpers"
local sim_helper = require "support.sim_helper"

local C = "spec/fixtures/score/"

-- Compared as JSON values.
local function normal(v)
  return json.decode(json.encode(v))
end

-- What the client sends: the document with each file's `source` read into `content` (the server cannot read
-- the user's disk), as Generic Mode's workloads carry it.
local function inlined(doc)
  local delta = assert(score.to_delta(doc, { mode = "workloads" }))
  return delta.workloads.add[doc.metadata.name].spec
end

-- The set content a golden delta stands for: its modules, and its shared actions as a map.
local function golden_set(name)
  local delta = json.decode(helpers.read_file(C .. "golden/" .. name .. ".json"))
  local shared = {}
  for _, a in ipairs(delta.shared or {}) do shared[a.path:sub(2)] = a.value end
  return normal({ modules = delta.modules.add, shared = shared })
end

describe("convertScoreToSet against the simulator", function()
  local client
  before_each(function() client = sim_helper.counting_client() end)

  local function server(body)
    local set, err = client:convert_score_to_set { body = body }
    assert.is_nil(err, tostring(err))
    if next(set.shared) == nil then set.shared = {} end
    return normal(set)
  end

  it("gives the golden delta's modules for every valid document of the corpus", function()
    local golden = { ["minimal.yaml"] = "minimal", ["full.yaml"] = "full", ["resources.yaml"] = "resources",
      ["arrays.yaml"] = "arrays", ["minimal.json"] = "minimal-json", ["anchors.yaml"] = "anchors" }
    local pipe = assert(io.popen("ls " .. C))
    local n = 0
    for f in pipe:lines() do
      if f:match("%.yaml$") or f:match("%.json$") then
        assert.is_string(golden[f], f .. " has no golden delta")
        local doc = assert(score.load(C .. f))
        assert.same(golden_set(golden[f]), server({ spec = inlined(doc) }), f)
        n = n + 1
      end
    end
    pipe:close()
    assert.equals(6, n)
    local doc = assert(score.load(C .. "full.yaml"))
    local ext = assert(score.load(C .. "extensions/full.humanitec.yaml"))
    assert.same(golden_set("full-extensions"), server({ spec = inlined(doc), extensions = ext }))
  end)

  it("applies extensions, overrides, property overrides, aliases and the image", function()
    local doc = assert(score.load(C .. "full.yaml"))
    local ext = assert(score.load(C .. "extensions/full.humanitec.yaml"))
    local ovr = assert(score.load(C .. "overrides/full.overrides.yaml"))
    local set = server({ spec = inlined(doc), extensions = ext, overrides = ovr, image = "proxy:9",
      property_overrides = { ["containers.main.variables.PLAIN"] = "42 as text", ["service.ports.www.port"] = 8081 },
      resource_type_aliases = { volume = "nfs-volume" } })
    local web = set.modules["web-app"]
    assert.equals("42 as text", web.spec.containers.main.variables.PLAIN)
    assert.equals("proxy:9", web.spec.containers.sidecar.image)
    assert.equals("nfs-volume", web.externals.data.type)
    assert.equals(8081, web.spec.service.ports.www.service_port)
    assert.equals("before", web.deploy.when)
  end)

  it("answers 400 with the reason where to_delta returns an error", function()
    local doc = assert(score.load("apiVersion: score.dev/v1b1\nmetadata: {name: w1}\ncontainers:\n"
      .. "  c1:\n    image: x\n    variables: {A: '${resources.ghost.host}'}\n"))
    local _, lerr = score.to_delta(doc)
    assert.matches("names no resource", lerr.message, 1, true)
    local set, err = client:convert_score_to_set { body = { spec = doc } }
    assert.is_nil(set)
    assert.equals(400, err.status)
    assert.matches("${resources.ghost.host} names no resource", err.message, 1, true)
    -- the server reads no file: a source must travel as content
    set, err = client:convert_score_to_set { body = { spec = assert(score.load(C .. "arrays.yaml")) } }
    assert.is_nil(set)
    assert.equals(400, err.status)
    assert.matches("reads no files", err.message, 1, true)
  end)
end)

-- The same translation through the server: convertScoreToSet (POST /orgs/{orgId}/artefact-versions/convert-score)
-- against the simulator gives, for every valid document of the corpus and with extensions, overrides,
-- property overrides and an image, the modules and shared resources that humanitec.score.to_delta builds.
local json = require "humanitec.json"
local score = require "humanitec.score"
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

-- The set content to_delta's delta stands for: its modules, and its shared actions as a map.
local function as_set(delta)
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

  it("gives to_delta's module for every valid document of the corpus", function()
    local pipe = assert(io.popen("ls " .. C))
    local n = 0
    for f in pipe:lines() do
      if f:match("%.yaml$") or f:match("%.json$") then
        local doc = assert(score.load(C .. f))
        assert.same(as_set(assert(score.to_delta(doc))), server({ spec = inlined(doc) }), f)
        n = n + 1
      end
    end
    pipe:close()
    assert.is_true(n >= 6)
  end)

  it("applies extensions, overrides, property overrides, aliases and the image as to_delta does", function()
    local doc = assert(score.load(C .. "full.yaml"))
    local ext = assert(score.load(C .. "extensions/full.humanitec.yaml"))
    local ovr = assert(score.load(C .. "overrides/full.overrides.yaml"))
    local local_delta = assert(score.to_delta(doc, { extensions = ext, overrides = ovr, image = "proxy:9",
      properties = { { "containers.main.variables.PLAIN", "42 as text" }, { "service.ports.www.port", 8081 } },
      resource_type_aliases = { volume = "nfs-volume" } }))
    local set = server({ spec = inlined(doc), extensions = ext, overrides = ovr, image = "proxy:9",
      property_overrides = { ["containers.main.variables.PLAIN"] = "42 as text", ["service.ports.www.port"] = 8081 },
      resource_type_aliases = { volume = "nfs-volume" } })
    assert.same(as_set(local_delta), set)
    local web = set.modules["web-app"]
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

-- The project's facts-only copies of the upstream API description and Score schema (tools/facts.lua,
-- `make facts` and `make score-facts`): they carry no prose and they keep the facts. Comparing them with
-- upstream is a maintenance check outside the suite (`make facts-check`, tools/facts-check.lua); nothing here
-- needs anything beside the clone.
local helpers = require "support.helpers"

local shell_quote, read_file, capture, have = helpers.shell_quote, helpers.read_file, helpers.capture, helpers.have

local COPIES = {
  { copy = "api/openapi.json", make = "facts" },
  { copy = "api/score-v1b1.json", make = "score-facts" },
}

-- Keys that are prose wherever they stand as a keyword.
local PROSE = { description = true, summary = true, title = true, example = true, examples = true,
  externalDocs = true, ["$comment"] = true }
-- Keywords whose value is a map from names (property names, status codes, media types, paths) to objects: a
-- property called `description` is a fact about the API, not prose.
local NAME_MAPS = { properties = true, patternProperties = true, ["$defs"] = true, definitions = true,
  dependentSchemas = true, paths = true, schemas = true, parameters = true, responses = true,
  requestBodies = true, headers = true, securitySchemes = true, content = true, mapping = true }
-- Keywords whose value is data, not schema: enum members, defaults, consts.
local DATA = { enum = true, default = true, const = true }

local ok_cjson, cjson = pcall(require, "cjson")

-- Every keyword key in `node` that is prose, or an x- extension, as a JSON pointer.
local function prose_keys(node, where, names, found)
  found = found or {}
  if type(node) ~= "table" then return found end
  for k, v in pairs(node) do
    local at = where .. "/" .. tostring(k)
    if names then
      prose_keys(v, at, false, found)
    else
      if type(k) == "string" and (PROSE[k] or k:sub(1, 2) == "x-") and k ~= "x-tagGroups" then
        found[#found + 1] = at
      end
      if not DATA[k] then
        prose_keys(v, at, NAME_MAPS[k] and type(v) == "table" and #v == 0, found)
      end
    end
  end
  return found
end

local function run_tool(mode, input, output)
  local out, status = capture("lua5.4 tools/facts.lua " .. mode .. " " .. shell_quote(input) .. " "
    .. shell_quote(output))
  return status == 0, out
end

local function decode(text)
  local ok, value = pcall(cjson.decode, text)
  return ok and value or nil
end

describe("the facts-only copies (tools/facts.lua)", function()
  if not ok_cjson then
    it("are checked", function() pending("lua-cjson is not installed for this interpreter") end)
    return
  end

  for _, c in ipairs(COPIES) do
    describe(c.copy, function()
      local doc = decode(read_file(c.copy))

      it("is in the project and decodes", function()
        assert.is_table(doc, c.copy .. " is missing or not JSON: run `make " .. c.make .. "`")
      end)

      it("carries no description, summary, title, example or x- key anywhere", function()
        assert.same({}, prose_keys(doc, "#"))
      end)
    end)
  end

  it("lua/humanitec/score/schema.lua is what tools/gen-score-schema.lua makes from api/score-v1b1.json", function()
    if not have("lua5.4") then
      pending("skipped: lua5.4 runs the generator and is not installed")
      return
    end
    local out = os.tmpname()
    finally(function() os.remove(out) end)
    local text, status = capture("lua5.4 tools/gen-score-schema.lua api/score-v1b1.json " .. shell_quote(out))
    assert.equals(0, status, text)
    assert.is_true(read_file(out) == read_file("lua/humanitec/score/schema.lua"),
      "lua/humanitec/score/schema.lua is stale: run `make score-schema`")
  end)

  describe("api/openapi.json", function()
    local doc = decode(read_file("api/openapi.json")) or {}
    local paths = doc.paths or {}

    it("keeps the facts: operations, parameters, bodies, schemas, status codes, content types", function()
      local list = paths["/orgs/{orgId}/apps"].get
      assert.equals("listApplications", list.operationId)
      assert.same({ "public", "Application" }, list.tags)
      assert.equals("#/components/schemas/ApplicationResponse", list.responses["200"].content["application/json"]
        .schema.items["$ref"])
      local create = paths["/orgs/{orgId}/apps"].post
      assert.is_true(create.requestBody.required)
      assert.equals("#/components/schemas/ApplicationCreationRequest",
        create.requestBody.content["application/json"].schema["$ref"])
      local app = doc.components.schemas.ApplicationCreationRequest
      assert.same({ "id", "name" }, app.required)
      assert.equals("string", app.properties.id.type)
      assert.is_string(app.properties.id.pattern)
      local org = doc.components.parameters.orgIdPathParam
      assert.same({ "path", "orgId", true }, { org["in"], org.name, org.required })
      -- A property named `description` is a fact about the API and stays.
      assert.equals("string", doc.components.schemas.ValueRequest.properties.description.type)
      assert.is_true(doc.components.schemas.ValueResponse.properties.value ~= nil)
      assert.equals("0.28.37", doc.info.version)
    end)
  end)

  describe("the tool", function()
    if not have("lua5.4") then
      it("runs", function() pending("skipped: lua5.4 runs the tool and is not installed") end)
      return
    end

    local function make(mode, document)
      local input, output = os.tmpname(), os.tmpname()
      local f = assert(io.open(input, "wb"))
      f:write(cjson.encode(document))
      f:close()
      local ok, err = run_tool(mode, input, output)
      local text = read_file(output)
      os.remove(input)
      os.remove(output)
      return ok, ok and text or err
    end

    it("drops prose, keeps facts, and writes sorted keys the same way every time", function()
      local ok, text = make("jsonschema", {
        ["$schema"] = "https://json-schema.org/draft/2020-12/schema", title = "T", description = "Long prose.",
        type = "object", required = { "b", "a" }, examples = { { a = 1 } },
        properties = {
          description = { type = "string", description = "A field called description.", maxLength = 3 },
          b = { enum = { "x", "y" }, title = "B", ["$comment"] = "c" },
          a = { type = "integer", minimum = 0.5, default = 2, example = 7 },
        },
        additionalProperties = false,
      })
      assert.is_true(ok, text)
      assert.equals(table.concat({
        "{",
        '  "$schema": "https://json-schema.org/draft/2020-12/schema",',
        '  "additionalProperties": false,',
        '  "properties": {',
        '    "a": {',
        '      "default": 2,',
        '      "minimum": 0.5,',
        '      "type": "integer"',
        "    },",
        '    "b": {',
        '      "enum": ["x", "y"]',
        "    },",
        '    "description": {',
        '      "maxLength": 3,',
        '      "type": "string"',
        "    }",
        "  },",
        '  "required": ["b", "a"],',
        '  "type": "object"',
        "}",
        "",
      }, "\n"), text)
    end)

    it("keeps an operation's facts and drops its prose and the document's", function()
      local ok, text = make("openapi", {
        openapi = "3.0.0", info = { title = "API", version = "1", description = "Intro." },
        tags = { { name = "A", description = "About A.", ["x-displayName"] = "Aa" } },
        paths = { ["/x/{id}"] = { summary = "S", get = {
          operationId = "getX", summary = "Get.", description = "Gets.", tags = { "A" },
          parameters = { { name = "id", ["in"] = "path", required = true, schema = { type = "string" },
            example = "e", description = "The id." } },
          responses = { ["200"] = { description = "OK", content = { ["application/json"] = {
            schema = { type = "object", nullable = true }, example = { a = 1 } } } } },
        } } },
      })
      assert.is_true(ok, text)
      local doc = cjson.decode(text)
      assert.same({ openapi = "3.0.0", info = { version = "1" }, tags = { { name = "A" } },
        paths = { ["/x/{id}"] = { get = {
          operationId = "getX", tags = { "A" },
          parameters = { { name = "id", ["in"] = "path", required = true, schema = { type = "string" } } },
          responses = { ["200"] = { content = { ["application/json"] = {
            schema = { type = "object", nullable = true } } } } },
        } } } }, doc)
    end)

    it("stops on a key it does not know rather than drop a fact", function()
      local ok, err = make("jsonschema", { type = "string", someNewKeyword = 3 })
      assert.is_false(ok)
      assert.matches("unknown key \"someNewKeyword\"", err)
    end)
  end)
end)

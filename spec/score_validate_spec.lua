-- humanitec.score: reading Score files with their lines, and validating them offline against the Score schema
-- with the project's JSON Schema validator (humanitec.score.jsonschema, ECMA patterns by
-- humanitec.score.regex), whose verdicts must be Ajv's on the whole corpus.
local helpers = require "support.helpers"
local json = require "humanitec.json"
local score = require "humanitec.score"
local jsonschema = require "humanitec.score.jsonschema"
local regex = require "humanitec.score.regex"

local CORPUS = "spec/fixtures/score"
local NPM = "build/npm/node_modules"

local function list(dir, ext)
  local out = {}
  local pipe = assert(io.popen("ls " .. dir))
  for name in pipe:lines() do
    if name:sub(-#ext) == ext then out[#out + 1] = dir .. "/" .. name end
  end
  pipe:close()
  return out
end

local function valid_corpus()
  local files = list(CORPUS, ".yaml")
  for _, f in ipairs(list(CORPUS, ".json")) do files[#files + 1] = f end
  return files
end

-- Every line "# expect: LINE PATH KEYWORD" of an invalid document.
local function expectations(path)
  local out = {}
  for line in io.lines(path) do
    local l, p, k = line:match("^# expect: (%d+) (.-) (%S+)$")
    if l then out[#out + 1] = l .. " " .. p .. " " .. k end
  end
  table.sort(out)
  return out
end

local function clock_bound(seconds, fn)
  local t0 = os.clock()
  fn()
  local spent = os.clock() - t0
  assert(spent < seconds, ("took %.2f s of CPU, more than the loose bound of %d s"):format(spent, seconds))
end

describe("humanitec.score.regex", function()
  local cases = {
    { "^score\\.dev/v1b1$", "score.dev/v1b1", true }, { "^score\\.dev/v1b1$", "scoreXdev/v1b1", false },
    { "^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$", "ab", true }, { "^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$", "a-", false },
    { "^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$", ("a"):rep(63), true },
    { "^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$", ("a"):rep(64), false },
    { "^[a-z0-9]+(?:-+[a-z0-9]+)*(?:\\.[a-z0-9]+(?:-+[a-z0-9]+)*)*$", "db--x.y-z", true },
    { "^[a-z0-9]+(?:-+[a-z0-9]+)*(?:\\.[a-z0-9]+(?:-+[a-z0-9]+)*)*$", "db.", false },
    { "^(0\\.\\d+|[1-9]\\d*(\\.\\d+)?)(K|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$", "1.5Gi", true },
    { "^(0\\.\\d+|[1-9]\\d*(\\.\\d+)?)(K|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$", "01", false },
    { "^\\d+(?:m|\\.\\d+)?$", "125m", true }, { "^\\d+(?:m|\\.\\d+)?$", "1.m", false },
    { "^0?[0-7]{3}$", "0600", true }, { "^0?[0-7]{3}$", "0800", false },
    { "^[^=]+$", "A_B", true }, { "^[^=]+$", "A=B", false }, { "^[^=]+$", "", false },
    { "b", "abc", true }, { "x", "abc", false }, { "", "", true }, { "a|", "zzz", true },
    { "^\195\169.$", "\195\169x", true }, { "^.$", "\226\130\172", true }, { "^.$", "\n", false },
    { "\\bfoo\\b", "a foo b", true }, { "\\bfoo\\b", "afoo", false }, { "a\\Bb", "ab", true },
    { "^\\x41\\u0042\\u{43}$", "ABC", true }, { "^[\\d-]+$", "1-2", true }, { "^a{2,}$", "aaaa", true },
    { "^a{2,}$", "a", false }, { "^(?<word>\\w+)$", "w_1", true }, { "^a*?b+?$", "aab", true },
  }
  it("matches as ECMAScript does, searching unless anchored, over code points", function()
    for _, c in ipairs(cases) do
      assert.equals(c[3], regex.compile(c[1]):test(c[2]), "/" .. c[1] .. "/ on " .. c[2])
    end
  end)

  it("refuses what an automaton cannot match, and malformed patterns, naming the construct", function()
    local refused = {
      ["(?=a)"] = "lookaround", ["(?<!a)b"] = "lookaround", ["(a)\\1"] = "backreferences",
      ["a{2,1}"] = "out of order", ["(a"] = "missing ')'", ["[z-a]"] = "out of order", ["*a"] = "nothing to repeat",
      ["\\q"] = "unknown escape", ["a{99999}"] = "too large",
    }
    for pattern, why in pairs(refused) do
      local ok, msg = pcall(regex.compile, pattern)
      assert.is_false(ok, pattern)
      assert.matches(why, msg, 1, true)
    end
    assert.has_error(function() regex.compile(42) end, "bad argument #1 to 'compile' (string expected, got number)")
  end)

  it("stays linear on the inputs that make backtracking engines explode", function()
    local subject = ("a"):rep(20000) .. "!"
    clock_bound(20, function()
      assert.is_false(regex.compile("^(a+)+$"):test(subject))
      assert.is_false(regex.compile("^(a|a)*(a|aa)*b$"):test(subject))
      assert.is_false(regex.compile("^[a-z0-9]+(?:-+[a-z0-9]+)*(?:\\.[a-z0-9]+(?:-+[a-z0-9]+)*)*$")
        :test(("a-"):rep(10000) .. "!"))
    end)
  end)
end)

describe("humanitec.score.jsonschema", function()
  local cases = json.decode(helpers.read_file("spec/fixtures/jsonschema/cases.json"))

  it("gives the verdict the case says for every keyword it supports", function()
    for _, c in ipairs(cases) do
      local v = jsonschema.compile(c.schema)
      for i, t in ipairs(c.tests) do
        local ok, errs = v:validate(t.data)
        assert.equals(t.valid, ok == true, c.description .. ", test " .. i)
        if not ok then
          assert.is_true(#errs > 0)
          for _, e in ipairs(errs) do
            assert.is_string(e.message)
            assert.is_string(e.keyword)
            assert.is_table(e.path)
          end
        end
      end
    end
  end)

  it("says what was expected, where", function()
    local v = jsonschema.compile({
      type = "object", required = { "a" },
      properties = { b = { type = "array", items = { type = "integer", maximum = 3 } } },
      additionalProperties = false,
    })
    local ok, errs = v:validate({ b = { 1, 5, "x" }, c = true })
    assert.is_false(ok)
    local seen = {}
    for _, e in ipairs(errs) do seen[#seen + 1] = table.concat(e.path, "/") .. " " .. e.keyword .. ": " .. e.message end
    table.sort(seen)
    assert.same({
      " required: missing required property 'a'",
      "b/1 maximum: expected a number <= 3, got 5",
      "b/2 type: expected integer, got string \"x\"",
      "c additionalProperties: unexpected property 'c' (expected one of 'b')",
    }, seen)
  end)

  it("refuses schemas it would misjudge, rather than ignoring keywords", function()
    for _, s in ipairs({
      { unevaluatedProperties = false }, { ["$dynamicRef"] = "#x" }, { ["$ref"] = "#/$defs/missing" },
      { pattern = "(?=x)" }, { type = "text" }, { ["$schema"] = "http://json-schema.org/draft-07/schema#" },
      { ["$ref"] = "https://elsewhere.example/schema" },
    }) do
      assert.has_error(function() jsonschema.compile(s) end)
    end
    assert.has_error(function() jsonschema.compile("x") end)
  end)

  it("stops a $ref loop that never descends into the value", function()
    local v = jsonschema.compile({ ["$defs"] = { a = { ["$ref"] = "#/$defs/b" }, b = { ["$ref"] = "#/$defs/a" } },
      ["$ref"] = "#/$defs/a" })
    local ok, err = pcall(v.validate, v, 1)
    assert.is_false(ok)
    assert.matches("$ref loop", err, 1, true)
  end)
end)

describe("humanitec.score.load", function()
  it("reads YAML with the line of every value and key", function()
    local doc = assert(score.load(CORPUS .. "/full.yaml"))
    assert.equals("web-app", doc.metadata.name)
    assert.equals(80, doc.service.ports.www.port)
    assert.is_true(json.is_array(doc.containers.main.command))
    assert.equals("0644", doc.containers.main.files["/etc/web-app/config.yaml"].mode)
    assert.equals(CORPUS .. "/full.yaml", score.source_of(doc))
    assert.equals(4, score.line_of(doc, { "metadata", "name" }))
    assert.equals(22, score.line_of(doc, { "containers", "main", "image" }))
    assert.equals(24, score.line_of(doc, { "containers", "main", "args", 3 }))
    -- a path below a known value falls back to the nearest line known
    assert.equals(22, score.line_of(doc, { "containers", "main", "image", "nothing" }))
    assert.is_nil(score.line_of({ plain = true }, { "plain" }))
  end)

  it("reads JSON through the same parser, lines included", function()
    local doc = assert(score.load(CORPUS .. "/minimal.json"))
    assert.equals("json-app", doc.metadata.name)
    assert.equals(5, score.line_of(doc, { "containers", "app", "image" }))
  end)

  it("takes text as well as a path", function()
    local doc = assert(score.load("apiVersion: score.dev/v1b1\nmetadata: {name: x1}\n"))
    assert.equals("x1", doc.metadata.name)
    assert.equals("<string>", score.source_of(doc))
    doc = assert(score.decode('{"metadata": {"name": "j1"}}', "in.json"))
    assert.equals("j1", doc.metadata.name)
  end)

  it("resolves plain scalars by YAML 1.2's core schema, as Go's yaml.v3 does", function()
    local doc = assert(score.load(table.concat({
      "a: ~", "b: null", "c:", "d: true", "e: False", "f: yes", "g: on", "h: 42", "i: -3.5", "j: 1e3",
      "k: 0x1F", "l: 0o17", "m: 0600", "n: '42'", "o: !!str 7", "p: .inf", "q: 1.2.3", "r: \"true\"", "",
    }, "\n")))
    assert.equals(json.null, doc.a)
    assert.equals(json.null, doc.b)
    assert.equals(json.null, doc.c)
    assert.is_true(doc.d)
    assert.is_false(doc.e)
    assert.equals("yes", doc.f)
    assert.equals("on", doc.g)
    assert.equals(42, doc.h)
    assert.equals(-3.5, doc.i)
    assert.equals(1000, doc.j)
    assert.equals(31, doc.k)
    assert.equals(15, doc.l)
    assert.equals(600, doc.m)
    assert.equals("42", doc.n)
    assert.equals("7", doc.o)
    assert.equals(math.huge, doc.p)
    assert.equals("1.2.3", doc.q)
    assert.equals("true", doc.r)
  end)

  it("reads a long digit run that is not a number in linear time", function()
    local digits = string.rep("7", 20000)
    local t0 = os.clock()
    local doc = assert(score.load("a: " .. digits .. "x\nb: " .. digits .. ".5e\nc: -" .. digits .. ".25e+3\n"))
    local took = os.clock() - t0
    assert.equals(digits .. "x", doc.a)
    assert.equals(digits .. ".5e", doc.b)
    assert.equals("number", type(doc.c))
    assert.is_true(took < 1, "20,000 digits took " .. took .. " s")
    doc = assert(score.load("a: 5.\nb: .5\nc: .\nd: +.e1\ne: 1e\nf: -2.5E-3\n"))
    assert.equals(5, doc.a)
    assert.equals(0.5, doc.b)
    assert.equals(".", doc.c)
    assert.equals("+.e1", doc.d)
    assert.equals("1e", doc.e)
    assert.equals(-2.5e-3, doc.f)
  end)

  it("decodes malformed UTF-8 one way for patterns, lengths and binaryContent", function()
    -- a lone continuation byte, an overlong NUL, a surrogate, above U+10FFFF, a truncated sequence
    local malformed = { "\128", "\224\128\128", "\237\160\128", "\244\144\128\128", "a\226\130" }
    local widths = { 1, 3, 3, 4, 3 }
    for i, s in ipairs(malformed) do
      local _, n, ok = regex.code_points(s)
      assert.equals(widths[i], n, "case " .. i)
      assert.is_false(ok)
      assert.equals(n, regex.utf8_len(s))
      assert.is_false(regex.is_utf8(s))
      -- the validator's length and the pattern's code points agree
      local v = jsonschema.compile({ maxLength = n, minLength = n, pattern = "^.{" .. n .. "}$" })
      assert.is_true(v:validate(s), "case " .. i)
      assert.is_false(v:validate(s .. "x") == true, "case " .. i)
      -- and a file's binaryContent made of these bytes is refused
      local b64 = require("basexx").to_base64(s)
      local _, err = score.to_delta(assert(score.load("apiVersion: score.dev/v1b1\nmetadata: {name: u1}\n"
        .. "containers:\n  c1:\n    image: x\n    files:\n      /f: {binaryContent: '" .. b64 .. "'}\n")))
      assert.matches("not UTF-8 text", err and err.message, 1, true)
    end
    local _, n, ok = regex.code_points("h\195\169\240\159\152\128")
    assert.equals(3, n)
    assert.is_true(ok)
    assert.is_true(regex.is_utf8("h\195\169\240\159\152\128"))
  end)

  it("follows anchors, aliases and merge keys", function()
    local doc = assert(score.load(CORPUS .. "/anchors.yaml"))
    assert.same({ memory = "256Mi", cpu = "250m" }, doc.containers.one.resources.limits)
    assert.same({ memory = "256Mi", cpu = "100m" }, doc.containers.one.resources.requests)
    assert.same({ memory = "256Mi", cpu = "250m" }, doc.containers.two.resources.limits)
  end)

  it("reports syntax errors, duplicate keys and extra documents with their line", function()
    local doc, err = score.load("a: [1\nb: 2\n")
    assert.is_nil(doc)
    assert.equals("score", err.kind)
    assert.equals(2, err.line)
    doc, err = score.load("a: 1\nb: 2\na: 3\n")
    assert.is_nil(doc)
    assert.equals(3, err.line)
    assert.matches("duplicate key 'a' (first at line 1)", err.message, 1, true)
    doc, err = score.load("a: 1\n---\nb: 2\n")
    assert.is_nil(doc)
    assert.matches("more than one YAML document", err.message, 1, true)
    doc, err = score.load("- a\n- b\n")
    assert.is_nil(doc)
    assert.matches("a Score document is a mapping, got array", err.message, 1, true)
    doc, err = score.load("spec/fixtures/score/no-such-file.yaml")
    assert.is_nil(doc)
    assert.matches("no-such-file.yaml", err.message, 1, true)
    assert.has_error(function() score.load(7) end, "bad argument #1 to 'load' (string expected, got number)")
  end)

  it("refuses documents that aliases blow up, and nesting without end, quickly", function()
    local lines = { "a0: &a0 [x, x, x, x, x, x, x, x, x, x]" }
    for i = 1, 9 do
      local refs = {}
      for _ = 1, 10 do refs[#refs + 1] = "*a" .. (i - 1) end
      lines[#lines + 1] = ("a%d: &a%d [%s]"):format(i, i, table.concat(refs, ", "))
    end
    clock_bound(10, function()
      local doc, err = score.load(table.concat(lines, "\n") .. "\n")
      assert.is_nil(doc)
      assert.matches("expands to more than", err.message, 1, true)
      doc, err = score.load(("["):rep(100000) .. ("]"):rep(100000) .. "\n")
      assert.is_nil(doc)
      assert.is_truthy(err.message:find("nesting deeper", 1, true) or err.message:find("depth", 1, true))
    end)
  end)
end)

describe("humanitec.score.validate", function()
  it("accepts every valid document of the corpus", function()
    for _, path in ipairs(valid_corpus()) do
      local doc = assert(score.load(path))
      local ok, err = score.validate(doc)
      assert.is_true(ok, path .. ": " .. tostring(err and score.format_problems(err)))
    end
  end)

  it("reports, for each invalid document, exactly the mistake it holds: line, YAML path and keyword", function()
    local files = list(CORPUS .. "/invalid", ".yaml")
    assert.is_true(#files >= 15)
    for _, path in ipairs(files) do
      local doc = assert(score.load(path))
      local ok, err = score.validate(doc)
      assert.is_nil(ok, path)
      assert.equals("score", err.kind)
      local got = {}
      for _, p in ipairs(err.details) do
        got[#got + 1] = p.line .. " " .. p.yaml_path .. " " .. p.keyword
        assert.matches("^[a-z]", p.message)
      end
      table.sort(got)
      assert.same(expectations(path), got, path)
      -- the one-line message and the listing both name the file and the line
      assert.matches("^" .. path:gsub("%p", "%%%0") .. ":%d+: ", err.message)
      for line in score.format_problems(err):gmatch("[^\n]+") do
        assert.matches("^" .. path:gsub("%p", "%%%0") .. ":%d+: ", line)
      end
    end
  end)

  it("explains the common mistakes in words", function()
    local function problems(text)
      local _, err = score.validate(assert(score.load(text)))
      return score.format_problems(err)
    end
    local base = "apiVersion: score.dev/v1b1\nmetadata: {name: app}\ncontainers:\n  app:\n"
    assert.equals("<string>:7: containers.app.files[\"/x\"]: expected exactly one of the properties 'content', "
      .. "'binaryContent', 'source', got 'content', 'source'",
      problems(base .. "    image: b\n    files:\n      /x: {content: a, source: b}\n"):gsub("\n.*", ""))
    assert.matches("must not have the property 'target'",
      problems(base .. "    image: b\n    files:\n      /x: {target: /x, content: a}\n"))
    assert.matches("expected string, got null", problems(base .. "    image:\n"))
  end)

  it("takes plain tables too, without lines", function()
    local ok, err = score.validate({ apiVersion = "score.dev/v1b1", metadata = { name = "x" }, containers = {} })
    assert.is_nil(ok)
    local paths = {}
    for _, p in ipairs(err.details) do
      assert.is_nil(p.line)
      paths[#paths + 1] = p.yaml_path .. " " .. p.keyword
    end
    table.sort(paths)
    assert.same({ "containers minProperties", "metadata.name minLength", "metadata.name pattern" }, paths)
    assert.has_error(function() score.validate("x") end, "bad argument #1 to 'validate' (table expected, got string)")
  end)

  it("stays fast on long hostile strings in every patterned field", function()
    local long = ("a-"):rep(20000) .. "!"
    local doc = {
      apiVersion = long, metadata = { name = long, annotations = { [long] = long } },
      containers = { [long] = { image = long, variables = { [long] = long },
        resources = { limits = { memory = ("9"):rep(40000) .. "X", cpu = ("1"):rep(40000) .. "." } } } },
      resources = { [long] = { type = long, id = ("a-"):rep(20000) .. "." } },
    }
    clock_bound(30, function()
      local ok, err = score.validate(doc)
      assert.is_nil(ok)
      assert.is_true(#err.details >= 8)
    end)
  end)
end)

describe("the validator's verdicts against Ajv's (draft 2020-12, ajv-formats)", function()
  local function ajv_available()
    local f = io.open(NPM .. "/ajv/dist/2020.js")
    local g = io.open(NPM .. "/ajv-formats/package.json")
    if f then f:close() end
    if g then g:close() end
    return f ~= nil and g ~= nil and helpers.have("node")
  end

  local function ajv_verdicts(cases)
    local path = helpers.temp_file(json.encode(cases))
    local out, status = helpers.capture("NODE_PATH=" .. NPM .. " node spec/support/ajv_verdicts.js " .. path)
    os.remove(path)
    assert.equals(0, status, out)
    return json.decode(out:match("(%[.*%])%s*$"))
  end

  it("agree on every document of the Score corpus, valid and invalid", function()
    if not ajv_available() then
      pending("ajv and ajv-formats are not installed in build/npm (or node is missing): run tools/deps test")
      return
    end
    local docs, names, ours = {}, {}, {}
    local files = valid_corpus()
    for _, f in ipairs(list(CORPUS .. "/invalid", ".yaml")) do files[#files + 1] = f end
    for _, path in ipairs(files) do
      local doc = assert(score.load(path))
      docs[#docs + 1] = doc
      names[#names + 1] = path
      ours[#ours + 1] = score.validate(doc) == true
    end
    -- the schema Ajv compiles is the one the Lua validator uses: the project's facts-only copy
    local verdicts = ajv_verdicts({ { schema = require "humanitec.score.schema", data = docs } })[1]
    assert.equals(#docs, #verdicts)
    local valid = 0
    for i = 1, #docs do
      assert.equals(verdicts[i], ours[i], names[i])
      if ours[i] then valid = valid + 1 end
    end
    assert.is_true(valid >= 5 and #docs - valid >= 15)
  end)

  it("agree on every case of the keyword suite", function()
    if not ajv_available() then
      pending("ajv and ajv-formats are not installed in build/npm (or node is missing): run tools/deps test")
      return
    end
    local cases = json.decode(helpers.read_file("spec/fixtures/jsonschema/cases.json"))
    local input = {}
    for i, c in ipairs(cases) do
      local data = json.array()
      for j, t in ipairs(c.tests) do data[j] = t.data end
      input[i] = { schema = c.schema, data = data }
    end
    local verdicts = ajv_verdicts(input)
    for i, c in ipairs(cases) do
      local v = jsonschema.compile(c.schema)
      for j, t in ipairs(c.tests) do
        assert.equals(verdicts[i][j], v:validate(t.data) == true, c.description .. ", test " .. j)
      end
    end
  end)
end)

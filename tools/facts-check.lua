-- Maintenance check against upstream (`make facts-check SPEC=... SCORE=...`): the facts-only copies under api/
-- are exactly what tools/facts.lua makes from the upstream files, and neither the copies nor the files
-- generated from them carry any of upstream's long prose. The test suite needs no upstream; this does.
--
-- Usage: lua5.4 tools/facts-check.lua OPENAPI.json SCORE.json
local cjson = require("cjson")

local spec_path, score_path = arg[1], arg[2]
if not spec_path or not score_path then
  io.stderr:write("usage: lua5.4 tools/facts-check.lua OPENAPI.json SCORE.json\n")
  os.exit(2)
end

local function read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local data = f:read("a")
  f:close()
  return data
end

local function quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

local failures = 0
local function fail(msg)
  failures = failures + 1
  io.stderr:write("facts-check: " .. msg .. "\n")
end

-- Keywords whose value maps names to objects (a property called `description` is a fact), and keywords whose
-- value is data, not schema.
local NAME_MAPS = { properties = true, patternProperties = true, ["$defs"] = true, definitions = true,
  dependentSchemas = true, paths = true, schemas = true, parameters = true, responses = true,
  requestBodies = true, headers = true, securitySchemes = true, content = true, mapping = true }
local DATA = { enum = true, default = true, const = true }

local COPIES = {
  { mode = "openapi", upstream = spec_path, copy = "api/openapi.json", make = "facts" },
  { mode = "jsonschema", upstream = score_path, copy = "api/score-v1b1.json", make = "score-facts" },
}

for _, c in ipairs(COPIES) do
  if not read(c.upstream) then
    fail("upstream " .. c.upstream .. " cannot be read")
  else
    local out = os.tmpname()
    local ok = os.execute("lua5.4 tools/facts.lua " .. c.mode .. " " .. quote(c.upstream) .. " " .. quote(out))
    if ok ~= true and ok ~= 0 then
      fail("tools/facts.lua " .. c.mode .. " failed on " .. c.upstream)
    elseif read(out) ~= read(c.copy) then
      fail(c.copy .. " differs from what tools/facts.lua makes from " .. c.upstream .. ": run `make " .. c.make
        .. "`")
    end
    os.remove(out)
  end
end

-- Upstream's long prose (summaries and descriptions with a space, 12 bytes or more) appears nowhere in the
-- copies or the files generated from them.
local upstream_text = read(spec_path)
local ok_decode, upstream = pcall(cjson.decode, upstream_text or "")
if not ok_decode or type(upstream) ~= "table" then
  fail("upstream " .. spec_path .. " is not JSON")
else
  local texts = {}
  local function collect(node, names)
    if type(node) ~= "table" then return end
    for k, v in pairs(node) do
      if not names and (k == "summary" or k == "description") and type(v) == "string" and #v >= 12
        and v:find(" ", 1, true) then
        texts[#texts + 1] = v
      end
      if not DATA[k] then collect(v, not names and NAME_MAPS[k] and type(v) == "table" and #v == 0) end
    end
  end
  collect(upstream, false)
  if #texts < 200 then fail("found only " .. #texts .. " prose texts in " .. spec_path .. ": is it the spec?") end
  for _, rel in ipairs({ "api/openapi.json", "api/score-v1b1.json", "lua/humanitec/operations.lua",
    "lua/humanitec/types.lua", "docs/operations.md", "lua/humanitec/sim/schemas.lua" }) do
    local data = read(rel)
    if not data or #data == 0 then
      fail(rel .. " is missing or empty")
    else
      for _, text in ipairs(texts) do
        if data:find(text, 1, true) then fail(rel .. " contains upstream prose: " .. text) break end
      end
    end
  end
end

if failures > 0 then os.exit(1) end
print("facts-check: api/ copies match upstream and no upstream prose was found")

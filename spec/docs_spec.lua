-- The reference (make docs): every public function of the public modules has a doc comment that says what it
-- does, names each parameter and, when it returns something, what; each module shows an example; and LDoc
-- builds the HTML with every one of those functions in it.
local helpers = require "support.helpers"

local read_file, shell_quote, capture, have = helpers.read_file, helpers.shell_quote, helpers.capture, helpers.have

local MODULES = {
  { "humanitec", "lua/humanitec/init.lua" },
  { "humanitec.client", "lua/humanitec/client.lua" },
  { "humanitec.paginate", "lua/humanitec/paginate.lua" },
  { "humanitec.pipeline", "lua/humanitec/pipeline.lua" },
  { "humanitec.errors", "lua/humanitec/errors.lua" },
  { "humanitec.async", "lua/humanitec/async.lua" },
  { "humanitec.loop", "lua/humanitec/loop/init.lua" },
  { "humanitec.sim", "lua/humanitec/sim/init.lua" },
  { "humanitec.workflows", "lua/humanitec/workflows/init.lua" },
  { "humanitec.workflows.deploy", "lua/humanitec/workflows/deploy.lua" },
  { "humanitec.workflows.values", "lua/humanitec/workflows/values.lua" },
  { "humanitec.workflows.pipelines", "lua/humanitec/workflows/pipelines.lua" },
  { "humanitec.workflows.resources", "lua/humanitec/workflows/resources.lua" },
  { "humanitec.workflows.apps", "lua/humanitec/workflows/apps.lua" },
  { "humanitec.workflows.tokens", "lua/humanitec/workflows/tokens.lua" },
  { "humanitec.score", "lua/humanitec/score/init.lua" },
}

local function lines_of(path)
  local lines = {}
  for line in (read_file(path) .. "\n"):gmatch("([^\n]*)\n") do lines[#lines + 1] = line end
  return lines
end

-- The public functions of a file: `function M.x(...)`, `function Class:x(...)` / `Class.x` (a capitalised
-- owner), and documented `M.x = ...` assignments that carry @param or @return. Names starting with `_` and
-- metamethods are private. Each: { name, line, params, doc = { lines above }, body = { lines } }.
local function public_functions(path)
  local lines = lines_of(path)
  local found = {}
  for i, line in ipairs(lines) do
    local indent, name, params = line:match("^(%s*)function%s+([%w_]+[.:][%w_]+)%s*%(([^)]*)%)")
    local assigned = not name and line:match("^M%.([%w_]+)%s*=%s*[%w_%.]+%s*%-?%-?")
    if name or assigned then
      local owner, short = (name or ""):match("^([%w_]+)[.:]([%w_]+)$")
      local doc, j = {}, i - 1
      while j >= 1 and lines[j]:match("^%s*%-%-") do
        table.insert(doc, 1, lines[j])
        j = j - 1
      end
      if assigned then
        local is_function = false
        for _, d in ipairs(doc) do
          if d:match("^%-%-%-@param") or d:match("^%-%-%-@return") then is_function = true end
        end
        if is_function then
          found[#found + 1] = { name = "M." .. assigned, short = assigned, line = i, params = "", doc = doc, body = {} }
        end
      elseif (owner == "M" or owner:match("^%u")) and not short:match("^_") then
        -- The body's own statements: one level in (returns inside nested blocks or functions are not counted).
        local body, k = {}, i + 1
        while k <= #lines and not lines[k]:match("^" .. indent .. "end") do
          if lines[k]:match("^" .. indent .. "  %S") and not lines[k]:match("^%s*%-%-") then
            body[#body + 1] = lines[k]
          end
          k = k + 1
        end
        found[#found + 1] = { name = name, short = short, line = i, params = params, doc = doc, body = body }
      end
    end
  end
  return found
end

local function problems_of(fn)
  local has_text, params, has_return = false, {}, false
  for _, d in ipairs(fn.doc) do
    if d:match("^%s*%-%-%-%s*[^@%s%-]") then has_text = true end
    local p = d:match("^%s*%-%-%-@param%s+([%w_]+)")
    if p then params[p] = true end
    if d:match("^%s*%-%-%-@return") then has_return = true end
  end
  local missing = {}
  if not has_text then missing[#missing + 1] = "a description" end
  for p in fn.params:gmatch("[%w_]+") do
    if p ~= "self" and not p:match("^_") and not params[p] then missing[#missing + 1] = "---@param " .. p end
  end
  for _, b in ipairs(fn.body) do
    if b:match("%f[%w]return%s+[^%s]") and not b:match("%f[%w]return%s+end") and not b:match("%f[%w]function%f[%W]")
      and not has_return then
      missing[#missing + 1] = "---@return"
      break
    end
  end
  return missing
end

describe("the reference", function()
  it("documents every public function of the public modules", function()
    local undocumented, count = {}, 0
    for _, m in ipairs(MODULES) do
      for _, fn in ipairs(public_functions(m[2])) do
        count = count + 1
        local missing = problems_of(fn)
        if #missing > 0 then
          undocumented[#undocumented + 1] = ("%s:%d %s needs %s"):format(m[2], fn.line, fn.name,
            table.concat(missing, ", "))
        end
      end
    end
    assert.same({}, undocumented)
    assert.is_true(count > 50, "found only " .. count .. " public functions")
  end)

  it("finds what is missing: an undocumented function, parameter or return", function()
    local path = os.tmpname()
    finally(function() os.remove(path) end)
    local f = assert(io.open(path, "w"))
    f:write(table.concat({
      "local M = {}", "local Thing = {}",
      "--- Documented.", "---@param a string", "---@return string", "function M.good(a)", "  return a", "end",
      "function M.bare(x)", "  return x", "end",
      "--- Says what, but not about b or the result.", "---@param a string", "function Thing:half(a, b)",
      "  if a then return b end", "end",
      "local function hidden(y) return y end", "function M._private(z) return z end",
      "return M", "",
    }, "\n"))
    f:close()
    local report = {}
    for _, fn in ipairs(public_functions(path)) do report[fn.name] = problems_of(fn) end
    assert.same({
      ["M.good"] = {},
      ["M.bare"] = { "a description", "---@param x", "---@return" },
      ["Thing:half"] = { "---@param b", "---@return" },
    }, report)
  end)

  it("shows an example in each module's header", function()
    for _, m in ipairs(MODULES) do
      local header = {}
      for _, line in ipairs(lines_of(m[2])) do
        if not line:match("^%-%-") then break end
        header[#header + 1] = line
      end
      assert.truthy(table.concat(header, "\n"):find("```lua\n.-\n%-%-%-? ?```"), m[2] .. " has no example")
    end
  end)

  it("builds with LDoc, every public function in the HTML (make docs)", function()
    if not (have("ldoc") and have("lua5.4")) then
      pending("LDoc (Debian lua-ldoc) or lua5.4 is not installed")
      return
    end
    local out = os.tmpname()
    os.remove(out)
    finally(function() os.execute("rm -rf " .. shell_quote(out)) end)
    local args = {}
    for _, m in ipairs(MODULES) do args[#args + 1] = shell_quote(m[1] .. "=" .. m[2]) end
    local text, status = capture("lua5.4 tools/ldoc-prep.lua " .. shell_quote(out .. "/src") .. " "
      .. table.concat(args, " ") .. " && ldoc -c \"$(pwd)/config.ld\" --dir " .. shell_quote(out .. "/html") .. " "
      .. shell_quote(out .. "/src"))
    assert.equals(0, status, text)
    assert.is_nil(text:find("not found, falling back to text", 1, true), "LDoc found no markdown (lua-markdown)")
    for _, m in ipairs(MODULES) do
      local html = read_file(out .. "/html/modules/" .. m[1] .. ".html")
      assert.is_true(#html > 0, m[1] .. " has no page")
      assert.truthy(html:find("<pre", 1, true), m[1] .. ": the example is not a code block")
      for _, fn in ipairs(public_functions(m[2])) do
        local anchor = fn.name:gsub("^M%.", "")
        assert.truthy(html:find('<a name = "' .. anchor .. '"', 1, true),
          m[1] .. ": " .. fn.name .. " is not in the reference")
      end
    end
  end)
end)

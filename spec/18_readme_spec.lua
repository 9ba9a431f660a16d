-- Every Lua snippet of the README runs, against the in-process simulator: `humanitec.new` as the snippet calls it
-- gets the simulator's transport (and a token and org, as the environment would give them), and each snippet
-- finds what its text assumes already there (an app "web" with a pipeline "ci", say). The Neovim snippets run
-- only inside Neovim and are compiled here; plugin-manager lines are checked as the table expressions they are.
local helpers = require "support.helpers"
local humanitec = require "humanitec"
local sim_mod = require "humanitec.sim"

local read = helpers.read_file

-- The README's ```lua blocks, with the line each starts on.
local function blocks()
  local list, current = {}, nil
  local n = 0
  for line in (read("README.md") .. "\n"):gmatch("([^\n]*)\n") do
    n = n + 1
    if current then
      if line:find("^```") then
        list[#list + 1] = current
        current = nil
      else
        current.lines[#current.lines + 1] = line
      end
    elseif line:find("^```lua%s*$") then
      current = { line = n + 1, lines = {} }
    end
  end
  for _, b in ipairs(list) do b.text = table.concat(b.lines, "\n") end
  return list
end

local PIPELINE = [[
name: %s
on:
  pipeline_call: {}
jobs:
  main:
    steps:
      - name: build
        uses: actions/humanitec/log@v1
        with:
          message: building
%s]]
local GATE = [[
      - name: approval
        uses: actions/approve
        with:
          message: ship it?
]]

local function compile(text, name, env)
  local chunk, err
  if setfenv then
    chunk, err = loadstring(text, name)
    if chunk then setfenv(chunk, env) end
  else
    chunk, err = load(text, name, "t", env)
  end
  return chunk, err
end

-- What a snippet's first line says it needs: a simulator made for it, and what to put in it first.
local function world(first)
  local sim = sim_mod.new { orgs = { "acme" }, tokens = { tok = { "acme" } }, step_seconds = 0 }
  local function new(opts)
    local o = {}
    for k, v in pairs(opts or {}) do o[k] = v end
    o.transport = o.transport or sim:transport()
    o.token = o.token or "tok"
    o.org = o.org or "acme"
    o.url = o.url or "http://sim.invalid"
    o.config_file = "/dev/null"
    local c = humanitec.new(o)
    return c
  end
  local setup = new()
  local function pipeline(app, id, gate)
    assert(setup:create_pipeline { appId = app, body = PIPELINE:format(id, gate and GATE or ""),
      content_type = "application/x-yaml" })
  end
  if first:find("client:each", 1, true) or first:find("-- A batch", 1, true) or first:find("for page", 1, true)
    or first:find("local params", 1, true) then
    assert(setup:ensure_app { appId = "web", envs = { "development" } })
    assert(setup:ensure_app { appId = "shop", envs = { "development", "production" } })
    pipeline("web", "ci")
    for _ = 1, 3 do assert(setup:create_pipeline_run { appId = "web", pipelineId = "ci", body = { inputs = {} } }) end
  elseif first:find("local humanitec = require", 1, true) then
    assert(setup:ensure_app { appId = "shop", envs = { "development" } })
    pipeline("shop", "release", true)
  end
  return sim, new, setup
end

describe("README snippets", function()
  for i, block in ipairs(blocks()) do
    local first = block.lines[1] or ""
    local name = ("README.md:%d"):format(block.line)
    it(("block %d (%s) %s"):format(i, name, first), function()
      if first:find("lazy.nvim", 1, true) then
        for _, line in ipairs(block.lines) do
          if not line:find("^%-%-") then
            local expr = line:gsub("^use ", "")
            assert(compile("local _ = " .. expr, name, {}))
          end
        end
        return
      end
      if block.text:find("vim%.") or block.text:find("humanitec.nvim", 1, true) then
        assert(compile(block.text, name, {})) -- runs inside Neovim only: spec/nvim_*_spec.lua drive the plugin
        return
      end
      local sim, new, setup = world(first)
      local wrapped = setmetatable({ new = new }, { __index = humanitec })
      local score = require "humanitec.score"
      local score_wrapped = setmetatable({
        load = function(path) return score.load(path == "score.yaml" and "spec/fixtures/score/minimal.yaml" or path) end,
      }, { __index = score })
      local printed = {}
      local env = setmetatable({
        humanitec = wrapped, client = setup,
        print = function(...) printed[#printed + 1] = select("#", ...) end,
        io = { stderr = { write = function() end } },
        os = setmetatable({ getenv = function(k) return k == "DB_PASSWORD" and "hunter2" or nil end },
          { __index = os }),
        require = function(mod)
          if mod == "humanitec" then return wrapped end
          if mod == "humanitec.score" then return score_wrapped end
          if mod == "luv" then
            local ok, uv = pcall(require, "luv")
            if not ok then pending("luv is not installed") error("skipped", 0) end
            return uv
          end
          return require(mod)
        end,
      }, { __index = _G })
      local chunk = assert(compile(block.text, "@" .. name, env))
      local ok, err = pcall(chunk)
      if not ok and err == "skipped" then return end
      assert(ok, tostring(err))
      assert.is_true(sim ~= nil)
    end)
  end
end)

-- The plugin's code for Neovim versions later than the one installed here. Debian 12 ships Neovim 0.7.2, and
-- the other specs run everything on it; these run the branches taken on later versions, in headless 0.7.2
-- with the later API's shape put in place first (by the script, before it loads the SDK):
--   - vim.uv (0.10), here a view of vim.loop that records what is used through it;
--   - vim.json as 0.10 has it: encode, decode and new() only (new() instances too), without vim.json.null
--     and without lua-cjson's settings, so an empty Lua table encodes as [];
--   - vim.health.start/ok/warn/error/info (0.10), and vim.health.report_* (0.8 and 0.9);
--   - LspAttach (0.8) and client:notify as a method (0.11), for the Score schema's association.
-- Neovim 0.7's own shape (vim.loop, the "health" module, vim.lsp.start_client, client.notify as a function)
-- is what the other nvim_* specs run.
local helpers = require "support.helpers"
local nvim = require "support.nvim"

local have_nvim = helpers.have("nvim")
local q = helpers.shell_quote
local TOKEN = "tok-versions-spec"

-- Before anything of the SDK loads: the later versions' API shape.
local PRELUDE = [[
  local r = {}
  local loop = vim.loop
  local used = {}
  vim.uv = setmetatable({}, { __index = function(_, k) used[k] = true; return loop[k] end })
  local real_json = vim.json
  vim.json = {
    encode = real_json.encode,
    decode = real_json.decode,
    new = function()
      local instance = real_json.new()
      return { encode = instance.encode, decode = instance.decode }
    end,
  }
  local reported = {}
  local function reporter(names)
    local h = {}
    for short, name in pairs(names) do
      h[name] = function(msg) reported[#reported + 1] = short .. ": " .. msg end
    end
    return h
  end
  vim.health = reporter { start = "start", ok = "ok", warn = "warn", error = "error", info = "info" }
  local function finish()
    r.used = used
    local f = assert(io.open(os.getenv("RESULT"), "w"))
    f:write(real_json.encode(r))
    f:close()
  end
]]

local function script(body) return nvim.script(PRELUDE, body) end

describe("the Neovim plugin on later versions' API (shims on 0.7)", function()
  local root, plugin, sim

  setup(function()
    if not have_nvim then return end
    root = nvim.temp_dir()
    plugin = nvim.install(root)
    sim = helpers.start_server("bin/humanitec-sim", { "--port", "0", "--org", "acme", "--token", TOKEN })
  end)

  teardown(function()
    if sim then sim.stop() end
    if root then os.execute("rm -rf " .. q(root)) end
  end)

  local function run(body)
    local env = { HUMANITEC_TOKEN = TOKEN, HUMANITEC_ORG = "acme", HUMANITEC_API_PREFIX = sim.url }
    local result, out = nvim.run(root, plugin, script(body), env)
    assert.is_table(result, out)
    assert.is_nil(result.error, result.error)
    return result, out
  end

  local function skip()
    if not have_nvim then
      pending("nvim is not installed")
      return true
    end
  end

  it("encodes JSON through 0.10's vim.json (no settings, no null), with {} and [] kept apart", function()
    if skip() then return end
    local result = run [[
      local json = require "humanitec.json"
      r.null_is_nil = json.null == vim.NIL
      r.top = json.encode({})
      r.array = json.encode(json.array())
      r.body = json.encode { a = {}, b = json.array(), c = json.null, d = { 1, 2 }, e = { f = {} } }
      r.round = json.encode(json.decode('{"x":[],"y":{},"z":null}'))
    ]]
    assert.is_true(result.null_is_nil)
    assert.equals("{}", result.top)
    assert.equals("[]", result.array)
    for _, piece in ipairs { '"a":{}', '"b":[]', '"c":null', '"d":[1,2]', '"e":{"f":{}}' } do
      assert.truthy(result.body:find(piece, 1, true), result.body .. " lacks " .. piece)
    end
    for _, piece in ipairs { '"x":[]', '"y":{}', '"z":null' } do
      assert.truthy(result.round:find(piece, 1, true), result.round .. " lacks " .. piece)
    end
  end)

  it("runs requests on vim.uv, and :checkhealth's report through vim.health.start/ok (0.10)", function()
    if skip() then return end
    local result = run [[
      local hnvim = require "humanitec.nvim"
      local done
      hnvim.client():start("GET", "/orgs/acme/apps", function(data, err)
        done = true
        r.apps = data and #data
        r.err = err and tostring(err)
      end)
      vim.wait(10000, function() return done end, 5)
      require("humanitec.health").check()
      r.reported = reported
    ]]
    assert.is_nil(result.err, result.err)
    assert.equals(0, result.apps)
    -- The adapter's timer and poll came through vim.uv.
    assert.is_true(result.used.new_timer)
    assert.is_true(result.used.new_socket_poll)
    assert.is_true(result.used.hrtime) -- the health check's timing
    local text = table.concat(result.reported, "\n")
    assert.matches("start: humanitec: the core", text)
    assert.matches("ok: JSON: vim%.json", text)
    assert.matches("ok: token: from the ", text)
    assert.matches("ok: GET /orgs: 1 organization%(s%)", text)
    assert.is_nil(text:find("error: ", 1, true), text)
  end)

  it("reports :checkhealth through vim.health.report_* (0.8 and 0.9)", function()
    if skip() then return end
    local result = run [[
      vim.health = reporter { start = "report_start", ok = "report_ok", warn = "report_warn", error = "report_error",
        info = "report_info" }
      require("humanitec.health").check()
      r.reported = reported
    ]]
    local text = table.concat(result.reported, "\n")
    assert.matches("start: humanitec: the core", text)
    assert.matches("ok: GET /orgs: 1 organization%(s%)", text)
  end)

  it("gives yaml-language-server the Score schema on LspAttach, told by client:notify (0.11)", function()
    if skip() then return end
    local result = run [[
      local attach
      local create_autocmd, exists, has = vim.api.nvim_create_autocmd, vim.fn.exists, vim.fn.has
      vim.api.nvim_create_autocmd = function(event, opts)
        if event == "LspAttach" then
          attach = opts.callback
          return 1
        end
        return create_autocmd(event, opts)
      end
      vim.fn.exists = function(what) if what == "##LspAttach" then return 1 end return exists(what) end
      vim.fn.has = function(what) if what == "nvim-0.11" then return 1 end return has(what) end
      local notified = {}
      local client = { name = "yamlls", config = {} }
      function client:notify(method, params)
        notified[#notified + 1] = { method = method, as_method = self == client, params = params }
      end
      vim.lsp.get_client_by_id = function(id) return id == 7 and client or nil end
      local schema = require "humanitec.nvim.schema"
      schema.watch()
      r.hooked = attach ~= nil
      attach { data = { client_id = 7 } }
      attach { data = { client_id = 7 } } -- once only
      r.notified = #notified
      r.method = notified[1] and notified[1].method
      r.as_method = notified[1] and notified[1].as_method
      r.globs = client.config.settings.yaml.schemas[schema.path()]
    ]]
    assert.is_true(result.hooked)
    assert.equals(1, result.notified)
    assert.equals("workspace/didChangeConfiguration", result.method)
    assert.is_true(result.as_method)
    assert.same({ "**/score.yaml", "**/score.yml", "**/score-*.yaml", "**/score-*.yml" }, result.globs)
  end)
end)

-- :Humanitec in headless Neovim against the simulator, with the plugin installed as a plugin manager installs
-- it: the pickers (through vim.ui.select) and completion, show, deployments and one deployment with its errors,
-- deploy of a delta buffer and of a score.yaml, cancellation from the command and by closing the buffer. While
-- requests are in flight a 5 ms timer measures how long the editor's loop ever went without running it.
local helpers = require "support.helpers"
local nvim = require "support.nvim"
local humanitec = require "humanitec"

local have_nvim = helpers.have("nvim")
-- Distinctive, so that finding it in a notification or a buffer line cannot be a coincidence.
local TOKEN = "tok-Zq81-never-shown-3f9c"
local q = helpers.shell_quote

-- Loaded before each script: notifications and picker calls are recorded, a loop monitor, a result writer.
local PRELUDE = [[
  local notes, picks = {}, {}
  local records = 0
  vim.notify = function(msg, level, opts)
    records = records + 1
    notes[#notes + 1] = { msg = msg, level = level, replace = opts and opts.replace or nil, record = records }
    return records -- as nvim-notify does: a record to replace
  end
  -- The picker answers with the item whose id is in WANT (a queue), and records what it was shown.
  local want = {}
  vim.ui.select = function(items, opts, on_choice)
    local shown = {}
    for i, item in ipairs(items) do shown[i] = opts.format_item(item) end
    picks[#picks + 1] = { prompt = opts.prompt, items = shown }
    local id = table.remove(want, 1)
    for _, item in ipairs(items) do
      if item.id == id then return on_choice(item) end
    end
    on_choice(nil)
  end
  local hnvim = require "humanitec.nvim"
  hnvim.setup { poll_interval = 0.2 }
  -- Loading the SDK's modules and making the client happen once, before the first request: the monitor
  -- starts after them and measures the loop while requests are in flight.
  local uv = vim.uv or vim.loop
  local loaded_at = uv.hrtime()
  assert(hnvim.client())
  require "humanitec.nvim.commands"
  require("humanitec.calls").find("get_environment")
  local load_ms = (uv.hrtime() - loaded_at) / 1e6
  local maxgap, last, ticks, over = 0, uv.hrtime(), 0, 0
  local monitor = uv.new_timer()
  monitor:start(5, 5, function()
    local now = uv.hrtime()
    local gap = (now - last) / 1e6
    maxgap = math.max(maxgap, gap)
    ticks = ticks + 1
    if gap > 10 then over = over + 1 end -- the 5 ms tick came more than 5 ms late
    last = now
  end)
  local function wait(fn, ms) return vim.wait(ms or 10000, fn, 5) end
  local function lines(buf) return vim.api.nvim_buf_get_lines(buf or 0, 0, -1, false) end
  local function last_note() return notes[#notes] and notes[#notes].msg or "" end
  local r = { notes = notes, picks = picks }
  local function finish()
    monitor:close()
    r.buffer_text = {}
    for _, buf in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_loaded(buf) then
        r.buffer_text[#r.buffer_text + 1] = table.concat(lines(buf), "\n")
      end
    end
    r.buffer_text = table.concat(r.buffer_text, "\n")
    r.maxgap, r.load_ms, r.ticks, r.over = maxgap, load_ms, ticks, over
    local f = assert(io.open(os.getenv("RESULT"), "w"))
    f:write(vim.json.encode(r))
    f:close()
  end
]]

local function script(body) return nvim.script(PRELUDE, body) end

-- The notification texts, one per line.
local function note_text(result)
  local out = {}
  for _, n in ipairs(result.notes) do out[#out + 1] = n.msg end
  return table.concat(out, "\n")
end

describe(":Humanitec in Neovim", function()
  local root, plugin, sim, client, control
  local first_id, failed_id
  local worst_gap, worst_load, ticks, late = 0, 0, 0, 0

  setup(function()
    if not have_nvim then return end
    root = nvim.temp_dir()
    plugin = nvim.install(root)
    sim = helpers.start_server("bin/humanitec-sim", { "--port", "0", "--org", "acme", "--token", TOKEN,
      "--control", "--latency", "50", "--deploy-seconds", "0.5" })
    client = humanitec.new { url = sim.url, token = TOKEN, org = "acme", config_file = "/dev/null" }
    control = humanitec.new { url = sim.url, token = false, config_file = "/dev/null" }
    -- An application with two environments, values (one secret), and two deployments: one that succeeded,
    -- then one that failed.
    assert(client:post("/orgs/acme/apps", { id = "web", name = "Web" }))
    assert(client:post("/orgs/acme/apps/web/envs", { id = "production", name = "Production", type = "development" }))
    assert(client:post("/orgs/acme/apps/web/values", { key = "API_URL", value = "https://api.example", description = "" }))
    assert(client:post("/orgs/acme/apps/web/values", { key = "DB_PASSWORD", value = "hunter2", is_secret = true,
      description = "" }))
    local function deploy(comment)
      local delta = assert(client:post("/orgs/acme/apps/web/deltas", {
        metadata = { env_id = "development" },
        modules = { add = { api = { profile = "humanitec/default-module",
          spec = { containers = { main = { image = "registry.example/api:1" } } } } } },
      }))
      local d = assert(client:post("/orgs/acme/apps/web/envs/development/deploys",
        { delta_id = type(delta) == "string" and delta or delta.id, comment = comment }))
      for _ = 1, 200 do
        local now = assert(client:get("/orgs/acme/apps/web/envs/development/deploys/" .. d.id))
        if now.status ~= "pending" and now.status ~= "in progress" then return d.id end
        require("humanitec.core").sleep(0.05)
      end
      error("deployment " .. d.id .. " did not end")
    end
    first_id = deploy("first")
    assert(control:post("/_sim/fail-next-deployment", { app = "web", env = "development" }))
    failed_id = deploy("second")
  end)

  teardown(function()
    if have_nvim then
      io.stdout:write(("\n:Humanitec specs: with requests in flight the editor's loop went at most %.1f ms without "
        .. "running; %d of %d gaps were over 10 ms; loading the SDK took up to %.0f ms\n"):format(worst_gap, late,
        ticks, worst_load))
    end
    if client then client:close() end
    if control then control:close() end
    if sim then sim.stop() end
    if root then os.execute("rm -rf " .. q(root)) end
  end)

  local function run(body, extra)
    local env = { HUMANITEC_TOKEN = TOKEN, HUMANITEC_ORG = "acme", HUMANITEC_API_PREFIX = sim.url }
    for k, v in pairs(extra or {}) do env[k] = v end
    local result, out = nvim.run(root, plugin, script(body), env)
    assert.is_table(result, out)
    assert.is_nil(result.error, result.error)
    -- The token is in no notification and no buffer line, whatever the script did (error paths included).
    assert.is_nil(note_text(result):find(TOKEN, 1, true), "a notification shows the token")
    assert.is_nil(result.buffer_text:find(TOKEN, 1, true), "a buffer shows the token")
    worst_load = math.max(worst_load, result.load_ms)
    return result, out
  end

  -- The editor's loop never went long without running while requests were in flight (a loose bound: the
  -- machine may be busy; the teardown prints the longest gap seen).
  local function assert_no_stall(result)
    worst_gap = math.max(worst_gap, result.maxgap)
    ticks, late = ticks + result.ticks, late + result.over
    assert.is_true(result.maxgap < 100, ("the editor's loop stalled for %.1f ms"):format(result.maxgap))
  end

  local function skip()
    if not have_nvim then
      pending("nvim is not installed")
      return true
    end
  end

  it("picks an org, an app and an environment through vim.ui.select, and completes their ids", function()
    if skip() then return end
    local result = run [[
      -- One client per organization, shared by whoever asks.
      r.shared = hnvim.client("acme") == hnvim.client("acme") and hnvim.client() == hnvim.client("acme")
      r.distinct = hnvim.client("acme") ~= hnvim.client("other") and hnvim.client("other").org == "other"
      r.subcommands = vim.fn.getcompletion("Humanitec ", "cmdline")
      r.before = vim.fn.getcompletion("Humanitec org ", "cmdline") -- starts a listing for the next <Tab>
      wait(function() return #vim.fn.getcompletion("Humanitec org ", "cmdline") > 0 end, 5000)
      r.orgs = vim.fn.getcompletion("Humanitec org ", "cmdline")
      want = { "acme", "web", "production" }
      vim.cmd("Humanitec org")
      wait(function() return hnvim.state.org == "acme" end)
      vim.cmd("Humanitec app")
      wait(function() return hnvim.state.app == "web" end)
      vim.cmd("Humanitec env")
      wait(function() return hnvim.state.env == "production" end)
      r.state = vim.deepcopy(hnvim.state)
      r.envs = vim.fn.getcompletion("Humanitec env d", "cmdline")
      vim.cmd("Humanitec env development")
      r.env_given = hnvim.state.env
      vim.cmd("Humanitec")
      vim.cmd("Humanitec nonsense")
    ]]
    assert.is_true(result.shared)
    assert.is_true(result.distinct)
    assert.same({ "app", "cancel", "deploy", "deployment", "deployments", "env", "org", "show" }, result.subcommands)
    assert.same({}, result.before)
    assert.same({ "acme" }, result.orgs)
    assert.same({ org = "acme", app = "web", env = "production" }, result.state)
    assert.same({ "development" }, result.envs)
    assert.equals("development", result.env_given)
    assert.equals("Humanitec organization", result.picks[1].prompt)
    assert.same({ "acme" }, result.picks[1].items)
    assert.same({ "web (Web)" }, result.picks[2].items)
    assert.same({ "development (Development)", "production (Production)" }, result.picks[3].items)
    local text = note_text(result)
    assert.matches("Humanitec: environment acme/web/production", text)
    assert.matches("usage: :Humanitec org|app|env|show|deployments|deployment|deploy|cancel", text)
    assert.equals(4, result.notes[#result.notes].level) -- vim.log.levels.ERROR
  end)

  it("keeps a setup{ client = { token } } token out of options(), notifications and buffers, errors included",
    function()
    if skip() then return end
    local body = [[
      hnvim.setup { client = { token = os.getenv("SETUP_TOKEN"), url = os.getenv("API"), org = "acme",
        config_file = "/dev/null" }, poll_interval = 0.2 }
      r.options = vim.inspect(hnvim.options())
      r.has_token = hnvim.has_setup_token()
      hnvim.state.org, hnvim.state.app, hnvim.state.env = "acme", "web", "development"
      vim.cmd("Humanitec show")
      wait(function() return lines()[1] ~= "Loading ..." end)
      r.show = lines()
      -- Error paths: an app that does not exist, a deployment that does not exist.
      hnvim.state.app = "no-such-app"
      vim.cmd("enew")
      vim.cmd("Humanitec show")
      wait(function() return lines()[1] ~= "Loading ..." end)
      hnvim.state.app = "web"
      vim.cmd("enew")
      vim.cmd("Humanitec deployment no-such-deployment")
      wait(function() return lines()[1] ~= "Loading ..." end)
    ]]
    local result = run(body, { SETUP_TOKEN = TOKEN, API = sim.url, HUMANITEC_TOKEN = "env-token-not-accepted" })
    assert.is_true(result.has_token)
    assert.is_nil(result.options:find(TOKEN, 1, true), "options() returns the token")
    assert.matches("development", table.concat(result.show, "\n")) -- the token from setup was used
    assert.matches("404", result.buffer_text) -- the error paths ran
  end)

  it("shows an environment: last deployment, status, modules, values with secrets masked", function()
    if skip() then return end
    local result = run [[
      hnvim.state.org, hnvim.state.app, hnvim.state.env = "acme", "web", "development"
      vim.cmd("Humanitec show")
      r.name = vim.api.nvim_buf_get_name(0)
      r.loading = lines()
      wait(function() return lines()[1] ~= "Loading ..." end)
      r.lines = lines()
      r.modifiable = vim.bo.modifiable
      r.buftype = vim.bo.buftype
    ]]
    assert.matches("humanitec://acme/web/development$", result.name)
    assert.same({ "Loading ..." }, result.loading)
    local text = table.concat(result.lines, "\n")
    assert.matches("Environment development %(app web, org acme%)", text)
    assert.matches("Last deployment: " .. failed_id, text)
    assert.matches("Status: failed", text)
    assert.matches("Comment: second", text)
    assert.matches("Modules %(1%)\n  api\n    profile: humanitec/default%-module\n    container main: "
      .. "registry%.example/api:1", text)
    assert.matches("Values %(2%)\n  API_URL = https://api%.example\n  DB_PASSWORD = %*%*%*%*%*%*%*%* %(secret%)", text)
    assert.is_nil(text:find("hunter2", 1, true))
    assert.is_false(result.modifiable)
    assert.equals("nofile", result.buftype)
    assert_no_stall(result)
  end)

  it("lists deployments and opens one with its errors", function()
    if skip() then return end
    local result = run(([[
      hnvim.state.org, hnvim.state.app, hnvim.state.env = "acme", "web", "development"
      vim.cmd("Humanitec deployments")
      wait(function() return lines()[1] ~= "Loading ..." end)
      r.list = lines()
      for i, line in ipairs(r.list) do
        if line:find(%q, 1, true) == 1 then vim.api.nvim_win_set_cursor(0, { i, 0 }) end
      end
      vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes("<CR>", true, false, true), "x", false)
      r.name = vim.api.nvim_buf_get_name(0)
      wait(function() return lines()[1] ~= "Loading ..." end)
      r.deployment = lines()
      r.completion = vim.fn.getcompletion("Humanitec deployment ", "cmdline")
      vim.cmd("Humanitec deployment " .. %q)
      wait(function() return lines()[1] ~= "Loading ..." end)
      r.first = lines()
    ]]):format(failed_id, first_id))
    local list = table.concat(result.list, "\n")
    assert.matches(failed_id .. "  failed       %S+  second", list)
    assert.matches(first_id .. "  succeeded    %S+  first", list)
    assert.matches("deployments/" .. failed_id .. "$", result.name)
    local text = table.concat(result.deployment, "\n")
    assert.matches("Deployment " .. failed_id .. " of web/development", text)
    assert.matches("Status: failed", text)
    assert.matches("Errors %(1%)\n  workload api: Simulated deployment failure %[SIM%-001%]\n    the simulator was told to "
      .. "fail this deployment", text)
    table.sort(result.completion)
    local ids = { first_id, failed_id }
    table.sort(ids)
    assert.same(ids, result.completion)
    assert.matches("Status: succeeded\n.*Errors %(0%)", table.concat(result.first, "\n"))
    assert_no_stall(result)
  end)

  it("writes nothing to stderr when the API refuses connections (no poll on a socket libcurl has closed)",
    function()
    if skip() then return end
    local result, out = run [[
      local refused = require("humanitec").new { url = "http://127.0.0.1:1", token = false, org = "acme",
        config_file = "/dev/null", retries = { attempts = 3, base = 0.01, cap = 0.02 } }
      require("humanitec.loop").nvim(refused)
      local done
      refused:start("GET", "/orgs", function(_, err) done = tostring(err) end)
      wait(function() return done ~= nil end)
      r.err = done
      refused:close()
    ]]
    assert.matches("onnect", result.err)
    assert.matches("3 attempts", result.err)
    assert.equals("", out, "Neovim wrote to stderr")
  end)

  it("trusts no server text: ids that are not strings are skipped, control characters are escaped in "
    .. "notifications, and <Tab> while a listing is pending starts no second one", function()
    if skip() then return end
    local result = run [[
      -- A client whose answers are made up here: what a broken or hostile API could send.
      local calls = {}
      local answers = {
        list_organizations = { { { id = "acme" }, { id = 42 }, { id = { "x" } }, { name = "no id" }, "junk" } },
        create_delta = { { id = "d1" } },
        create_deployment = { { id = "dep\27[2J1", status = "failed\n\27]0;title\7" } },
        list_deployment_errors = { { { summary = "broke\r\n\27[31mred\0" } } },
      }
      local fake = { org = "acme" }
      function fake:start(op, _, cb)
        calls[op] = (calls[op] or 0) + 1
        local answer = answers[op] or { nil, "unexpected " .. op }
        vim.defer_fn(function() cb(answer[1], answer[2]) end, 200)
        return { cancel = function() end }
      end
      hnvim.client = function() return fake end
      for _ = 1, 5 do vim.fn.getcompletion("Humanitec org ", "cmdline") end -- <Tab>, again and again
      r.listings_started = calls.list_organizations
      wait(function() return #vim.fn.getcompletion("Humanitec org ", "cmdline") > 0 end, 5000)
      r.orgs = vim.fn.getcompletion("Humanitec org ", "cmdline")
      want = { "acme" }
      vim.cmd("Humanitec org")
      wait(function() return hnvim.state.org == "acme" end, 5000)
      r.picked = hnvim.state.org
      hnvim.state.app, hnvim.state.env = "web", "production"
      vim.cmd("edit delta.json")
      vim.api.nvim_buf_set_lines(0, 0, -1, false, { '{ "modules": {} }' })
      vim.cmd("Humanitec deploy")
      wait(function() return last_note():find("broke") ~= nil end, 5000)
      answers.create_delta = { nil, "refused:\n\27[31mevil\7" }
      vim.cmd("Humanitec deploy")
      wait(function() return last_note():find("evil") ~= nil end, 5000)
    ]]
    assert.equals(1, result.listings_started)
    assert.same({ "acme" }, result.orgs)
    assert.equals("acme", result.picked)
    assert.same({ "acme" }, result.picks[1].items)
    local text = note_text(result)
    assert.matches("broke", text)
    assert.matches("evil", text)
    for _, n in ipairs(result.notes) do
      assert.is_nil(n.msg:find("%c"), "a notification holds a control character: " .. n.msg)
    end
  end)

  it("deploys a delta buffer with progress notifications replaced in place, and a final status", function()
    if skip() then return end
    local result = run [[
      hnvim.state.org, hnvim.state.app, hnvim.state.env = "acme", "web", "production"
      vim.cmd("edit delta.json")
      vim.api.nvim_buf_set_lines(0, 0, -1, false, {
        '{ "modules": { "add": { "worker": { "profile": "humanitec/default-module" } } } }' })
      vim.cmd("Humanitec deploy release 7")
      wait(function() return last_note():find("succeeded") or last_note():find("failed") end)
      r.pending = hnvim.pending()
    ]]
    local text = note_text(result)
    assert.matches("Humanitec: deploying to web/production: creating the delta", text)
    assert.matches("Humanitec: deployment %x+ to web/production: pending", text)
    assert.matches("Humanitec: deployment %x+ to web/production succeeded$", text)
    -- Each progress line replaces the one before it.
    for i = 2, #result.notes do
      assert.equals(result.notes[i - 1].record, result.notes[i].replace)
    end
    assert.equals(0, result.pending)
    local deployments = assert(client:get("/orgs/acme/apps/web/envs/production/deploys"))
    assert.equals("release 7", deployments[1].comment)
    assert.equals("succeeded", deployments[1].status)
    assert_no_stall(result)
  end)

  it("reports a failed deployment with its first error, and refuses a buffer that is not a delta", function()
    if skip() then return end
    assert(control:post("/_sim/fail-next-deployment", { app = "web", env = "production" }))
    local result = run [[
      hnvim.state.org, hnvim.state.app, hnvim.state.env = "acme", "web", "production"
      vim.cmd("edit delta.json")
      vim.api.nvim_buf_set_lines(0, 0, -1, false, { '{ "modules": {} }' })
      vim.cmd("Humanitec deploy")
      wait(function() return last_note():find("succeeded") or last_note():find("failed:") end)
      vim.cmd("enew")
      vim.api.nvim_buf_set_lines(0, 0, -1, false, { "not json {" })
      vim.cmd("Humanitec deploy")
    ]]
    local failed = result.notes[#result.notes - 1]
    assert.matches("deployment %x+ to web/production failed: Simulated deployment failure %(:Humanitec deployment %x+%)",
      failed.msg)
    assert.equals(4, failed.level) -- vim.log.levels.ERROR
    assert.matches("the buffer is not a JSON delta", result.notes[#result.notes].msg)
  end)

  it("deploys a score.yaml buffer through humanitec.score, and points at the line of a mistake", function()
    if skip() then return end
    local result = run [[
      hnvim.state.org, hnvim.state.app, hnvim.state.env = "acme", "web", "production"
      vim.cmd("edit score.yaml")
      vim.api.nvim_buf_set_lines(0, 0, -1, false, { "apiVersion: score.dev/v1b1", "metadata:", "  name: web",
        "containers:", "  main:", "    image: 42" })
      vim.cmd("Humanitec deploy")
      r.invalid = last_note()
      r.quickfix = {}
      for _, item in ipairs(vim.fn.getqflist()) do
        r.quickfix[#r.quickfix + 1] = { lnum = item.lnum, text = item.text, here = item.bufnr == vim.fn.bufnr() }
      end
      vim.api.nvim_buf_set_lines(0, 0, -1, false, { "apiVersion: score.dev/v1b1", "metadata:", "  name: shop",
        "containers:", "  main:", "    image: registry.example/shop:1" })
      vim.cmd("Humanitec deploy from score")
      wait(function() return last_note():find("succeeded") or last_note():find("failed") end)
      r.deployed = last_note()
    ]]
    assert.matches("score%.yaml:6: containers%.main%.image: expected string", result.invalid)
    assert.equals(1, #result.quickfix)
    assert.equals(6, result.quickfix[1].lnum)
    assert.is_true(result.quickfix[1].here)
    assert.matches("^containers%.main%.image: expected string", result.quickfix[1].text)
    assert.matches("deployment %x+ to web/production succeeded$", result.deployed)
    local deployments = assert(client:get("/orgs/acme/apps/web/envs/production/deploys"))
    assert.equals("from score", deployments[1].comment)
    local set = assert(client:get("/orgs/acme/apps/web/sets/" .. deployments[1].set_id))
    assert.equals("registry.example/shop:1", set.modules.shop.spec.containers.main.image)
  end)

  it("cancels what is in flight with :Humanitec cancel and when the buffer is closed", function()
    if skip() then return end
    -- Environment reads take 3 s for a while: long enough to cancel them on the way.
    assert(control:post("/_sim/inject", { latency = 3, path = "/envs/development$", times = 2 }))
    local result = run [[
      hnvim.state.org, hnvim.state.app, hnvim.state.env = "acme", "web", "development"
      local c = hnvim.client()
      vim.cmd("Humanitec show")
      local buf = vim.api.nvim_get_current_buf()
      r.in_flight = hnvim.pending()
      vim.cmd("Humanitec cancel")
      r.cancelled = last_note()
      r.after_cancel = hnvim.pending()
      r.requests_after_cancel = c._async and c._async.count
      vim.wait(300, function() return false end, 5)
      r.still_loading = lines(buf)
      vim.cmd("Humanitec show")
      r.in_flight2 = hnvim.pending()
      vim.cmd("close") -- the scratch buffer is wiped out with its window
      r.after_close = hnvim.pending()
      r.requests_after_close = c._async and c._async.count
      vim.cmd("Humanitec cancel")
      r.nothing = last_note()
      -- Wiping out a buffer being deployed stops watching its deployment.
      vim.cmd("edit delta.json")
      vim.api.nvim_buf_set_lines(0, 0, -1, false, { '{ "modules": {} }' })
      vim.cmd("Humanitec deploy")
      wait(function() return last_note():find("pending") ~= nil end)
      vim.cmd("bwipeout!")
      r.wiped = last_note()
      r.after_wipe = hnvim.pending()
    ]]
    assert.equals(1, result.in_flight)
    assert.equals("Humanitec: cancelled 1 task", result.cancelled)
    assert.equals(0, result.after_cancel)
    assert.equals(0, result.requests_after_cancel)
    assert.same({ "Loading ..." }, result.still_loading)
    assert.equals(1, result.in_flight2)
    assert.equals(0, result.after_close)
    assert.equals(0, result.requests_after_close)
    assert.equals("Humanitec: nothing in flight", result.nothing)
    assert.matches("stopped watching deployment %x+ to web/development; it goes on in Humanitec", result.wiped)
    assert.equals(0, result.after_wipe)
  end)
end)

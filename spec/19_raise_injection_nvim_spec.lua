-- Raise injection under the Neovim adapter (humanitec.loop.nvim), in headless Neovim with the plugin installed
-- as a plugin manager installs it: a request's callback, on_trace, the adapter's delivery (vim.schedule) and
-- the host's on_error raise in turn, with a string, a table, and an error object whose __tostring raises too;
-- then close() from a callback and from on_trace. Every call ends once, run() and batch return, every handle
-- the adapter made is closed, the sockets are released, every error reaches vim.notify (or the host's
-- on_error) from the editor's main loop and none goes to stderr, and Neovim exits 0.
local helpers = require "support.helpers"
local nvim = require "support.nvim"

local have_nvim = helpers.have("nvim")

-- Runs before each case's script: recorders, and the case's helpers.
local PRELUDE = [[
local uv = vim.uv or vim.loop
local URL = os.getenv("TEST_URL")
local r = { notes = {}, cases = {} }
-- vim.notify as Neovim's own behaves: inside a luv callback ("fast" context) it raises E5560; elsewhere the
-- message is recorded.
vim.notify = function(msg, level)
  if vim.in_fast_event() then error("E5560: vim.notify must not be called in a lua loop callback") end
  r.notes[#r.notes + 1] = { msg = tostring(msg), level = level }
end
-- Every handle the adapter makes, to check each was closed (uv.walk asserts on Neovim 0.7's own handles).
local made = {}
for _, name in ipairs { "new_timer", "new_socket_poll", "new_poll" } do
  local make = uv[name]
  uv[name] = function(...)
    local h = make(...)
    made[#made + 1] = h
    return h
  end
end
local function open_handles(from)
  local n = 0
  for i = from + 1, #made do
    if not made[i]:is_closing() then n = n + 1 end
  end
  return n
end
-- This process's open descriptors.
local function fds()
  collectgarbage()
  collectgarbage()
  local p = assert(io.popen("ls /proc/" .. uv.os_getpid() .. "/fd"))
  local n = 0
  for _ in p:lines() do n = n + 1 end
  p:close()
  return n
end
local RAISES = {
  string = function() error("injected", 0) end,
  table = function() error({ injected = true }) end,
  hostile = function()
    error(setmetatable({}, { __tostring = function() error("__tostring raised too") end }))
  end,
}
local hnvim = require "humanitec.nvim"
assert(hnvim.load_core())
local humanitec = require "humanitec"
local loop = require "humanitec.loop"
local function finish()
  r.done = true
  local f = assert(io.open(os.getenv("RESULT"), "w"))
  f:write(vim.json.encode(r))
  f:close()
end
]]

-- One case per raising kind: `where` raises ("callback", "on_trace", "deliver", "on_error" or "all").
local INJECT = [[
local where = os.getenv("WHERE")
local function at(w) return where == w or where == "all" end
for _, kind in ipairs { "string", "table", "hostile" } do
  local raise = RAISES[kind]
  local case = { kind = kind, ended = {}, kinds = {}, on_error = 0, notes_from = #r.notes + 1 }
  r.cases[#r.cases + 1] = case
  local fds_before, made_before = fds(), #made
  local c = humanitec.new { token = "t", url = URL, config_file = "/dev/null",
    on_trace = at("on_trace") and raise or nil }
  -- The adapter delivers through vim.schedule; here it schedules the callback, then raises.
  local schedule = vim.schedule
  if at("deliver") then
    vim.schedule = function(fn)
      schedule(fn)
      raise()
    end
  end
  local opts = nil
  if at("on_error") then
    opts = { on_error = function()
      case.on_error = case.on_error + 1
      case.on_error_fast = case.on_error_fast or vim.in_fast_event()
      raise()
    end }
  end
  loop.nvim(c, opts)
  vim.schedule = schedule
  for i = 1, 6 do
    case.ended[i] = 0
    c:start("GET", i % 2 == 0 and "/echo" or "/slow?ms=20", function(_, err)
      case.ended[i] = case.ended[i] + 1
      case.kinds[i] = err and err.kind or "ok"
      case.callback_fast = case.callback_fast or vim.in_fast_event()
      if at("callback") then raise() elseif where == "on_error" then RAISES.string() end
    end)
  end
  case.waited = vim.wait(20000, function()
    for i = 1, 6 do if case.ended[i] == 0 then return false end end
    return true
  end, 5)
  local results = c:batch { { "GET", "/echo" }, { "GET", "/slow?ms=10" } }
  case.batch = {}
  for i, res in ipairs(results) do case.batch[i] = res.err and res.err.kind or "ok" end
  case.pending = c._session:pending()
  c:close()
  case.ran = c:run(1)
  vim.wait(50, function() return false end, 5) -- the loop completes the closes, and runs what was scheduled
  case.open_handles = open_handles(made_before)
  case.handles = #made - made_before
  case.fds_left = fds() - fds_before
  case.notes_to = #r.notes
end
finish()
]]

-- close() from a callback and from on_trace: every other call ends aborted once.
local CLOSE = [[
local now = uv.hrtime
for _, from in ipairs { "callback", "on_trace" } do
  local case = { from = from, ended = {}, fast = {}, api_ok = {}, notes_from = #r.notes + 1 }
  r.cases[#r.cases + 1] = case
  local fds_before, made_before = fds(), #made
  local c
  local traced = 0
  c = humanitec.new { token = "t", url = URL, config_file = "/dev/null", on_trace = from == "on_trace" and function()
    traced = traced + 1
    if traced == 1 then c:close() end
  end or nil }
  loop.nvim(c)
  local function on(name, closes)
    return function(_, err)
      case.ended[name] = case.ended[name] or {}
      table.insert(case.ended[name], err and err.kind or "ok")
      case.fast[name] = vim.in_fast_event()
      -- The editor's API answers in every callback, aborted ones included.
      case.api_ok[name] = pcall(vim.api.nvim_get_current_buf)
      if closes then c:close() end
      error("raised by " .. name, 0) -- reported, after the aborted ones ran (close() runs them)
    end
  end
  local started = now()
  c:start("GET", "/echo", on("fast", from == "callback"))
  for i = 1, 3 do c:start("GET", "/slow", { query = { ms = 3000, i = i } }, on("slow" .. i)) end
  case.waited = vim.wait(10000, function()
    for _, name in ipairs { "fast", "slow1", "slow2", "slow3" } do
      if not case.ended[name] then return false end
    end
    return true
  end, 5)
  case.seconds = (now() - started) / 1e9
  case.ran = c:run(1)
  vim.wait(50, function() return false end, 5)
  case.open_handles = open_handles(made_before)
  case.handles = #made - made_before
  case.fds_left = fds() - fds_before
  case.notes_to = #r.notes
end
finish()
]]

describe("raise injection under the Neovim adapter", function()
  local root, plugin, server

  setup(function()
    if not have_nvim then return end
    server = helpers.start_server("spec/support/test_server.lua")
    root = nvim.temp_dir()
    plugin = nvim.install(root)
  end)

  teardown(function()
    if server then server.stop() end
    if root then os.execute("rm -rf " .. helpers.shell_quote(root)) end
  end)

  -- Runs a script in Neovim; checks it reached its end, Neovim exited 0, and nothing went to stderr.
  local function run(script, env)
    env.TEST_URL = server.url
    local result, out, status = nvim.run(root, plugin, PRELUDE .. script, env)
    assert.is_table(result, out)
    assert.is_true(result.done, out)
    assert.equals(0, status, out)
    assert.is_nil(out:find("humanitec", 1, true), "reported on stderr, not to the editor:\n" .. out)
    assert.is_nil(out:find("E5560", 1, true), out)
    return result, out
  end

  -- The notifications a case made, each at level ERROR from the main loop (the recorder raises elsewhere).
  local function notes_of(result, case)
    local list = {}
    for i = case.notes_from, case.notes_to do
      local note = result.notes[i]
      assert.equals(4, note.level, note.msg) -- vim.log.levels.ERROR
      list[#list + 1] = note.msg
    end
    return list
  end

  -- What each raising kind looks like in a report.
  local SHOWN = { string = "injected", table = "table: ", hostile = "(a table error value that cannot be shown)" }

  local function check_common(case, out)
    local label = case.kind or case.from
    assert.is_true(case.waited, label .. ": a call never ended\n" .. out)
    assert.is_true(case.ran, label)
    assert.equals(0, case.open_handles, label .. ": a handle the adapter made was left open")
    assert.is_true(case.handles >= 2, label .. ": the adapter made no poll handle (was the loop used?)")
    assert.is_true(case.fds_left <= 0, label .. ": a descriptor left open")
  end

  for _, where in ipairs { "callback", "on_trace", "deliver", "on_error", "all" } do
    it(where .. " raising: every call ends once, run() and batch return, the errors reach the editor", function()
      if not have_nvim then
        pending("nvim is not installed (an optional dependency)")
        return
      end
      local result, out = run(INJECT, { WHERE = where })
      assert.equals(3, #result.cases, out)
      for _, case in ipairs(result.cases) do
        check_common(case, out)
        for i = 1, 6 do
          assert.equals(1, case.ended[i], case.kind .. ": call " .. i .. " ended " .. case.ended[i] .. " times")
          assert.equals("ok", case.kinds[i])
        end
        assert.same({ "ok", "ok" }, case.batch)
        assert.equals(0, case.pending)
        if where ~= "deliver" and where ~= "all" then -- (when vim.schedule raises, the SDK runs the callback at once)
          assert.is_false(case.callback_fast, "a callback ran inside a luv callback, where the editor's API fails")
        end
        local notes = notes_of(result, case)
        local shown = SHOWN[case.kind]
        if where == "callback" then
          assert.equals(6, #notes, out)
        elseif where == "on_trace" then
          assert.equals(8, #notes, out) -- six calls and the batch's two
        elseif where == "deliver" then
          assert.equals(6, #notes, out)
        elseif where == "on_error" then
          -- The host's on_error got each callback's error, in the main loop; its own raise is notified.
          assert.equals(6, case.on_error)
          assert.is_false(case.on_error_fast)
          assert.equals(6, #notes, out)
          for _, msg in ipairs(notes) do
            assert.matches("error in on_error: " .. shown, msg, 1, true)
            assert.matches("(reporting: injected)", msg, 1, true)
          end
        else
          assert.is_true(#notes >= 8, out)
        end
        for _, msg in ipairs(notes) do
          assert.matches("^humanitec: error in ", msg)
          if where ~= "on_error" then assert.is_truthy(msg:find(shown, 1, true), msg) end
        end
      end
    end)
  end

  it("close() from a callback or from on_trace: the others end aborted once, run() returns", function()
    if not have_nvim then
      pending("nvim is not installed (an optional dependency)")
      return
    end
    local result, out = run(CLOSE, {})
    assert.equals(2, #result.cases, out)
    for _, case in ipairs(result.cases) do
      check_common(case, out)
      assert.is_true(case.seconds < 2.5, case.from .. ": waited for the calls close() should have aborted")
      local fast = case.from == "callback" and "ok" or "aborted"
      assert.same({ fast = { fast }, slow1 = { "aborted" }, slow2 = { "aborted" }, slow3 = { "aborted" } },
        case.ended, case.from)
      for name in pairs(case.ended) do
        assert.is_false(case.fast[name], case.from .. ": " .. name .. " ran inside a luv callback")
        assert.is_true(case.api_ok[name], case.from .. ": the editor's API failed in " .. name)
      end
      local notes = notes_of(result, case)
      assert.equals(4, #notes, out)
      for _, name in ipairs { "fast", "slow1", "slow2", "slow3" } do
        local found = false
        for _, msg in ipairs(notes) do
          if msg == "humanitec: error in a callback: raised by " .. name then found = true end
        end
        assert.is_true(found, case.from .. ": no notification for " .. name .. "\n" .. table.concat(notes, "\n"))
      end
    end
  end)
end)

-- Tearing down while requests run: close() from inside a callback, callbacks and hooks that raise, and the
-- event-loop adapters' detach in every order, each in a child process whose exit status is checked.
local helpers = require "support.helpers"
local humanitec = require "humanitec"
local now = require("humanitec.core").now

describe("tear-down", function()
  local server

  setup(function()
    server = helpers.start_server("spec/support/test_server.lua")
  end)

  teardown(function()
    server.stop()
  end)

  local function new_client(opts)
    opts = opts or {}
    opts.token, opts.url, opts.config_file = "teardown-token", server.url, "/dev/null"
    return humanitec.new(opts)
  end

  -- Counts each call's endings by name: every call must end exactly once.
  local function recorder()
    local ended = {}
    local function on(name, extra)
      return function(data, err, response)
        ended[name] = ended[name] or {}
        table.insert(ended[name], err and err.kind or "ok")
        if extra then extra(data, err, response) end
      end
    end
    return ended, on
  end

  describe("close() from a callback", function()
    -- Before, run() raised "attempt to use a closed session" and the other callbacks never ran.
    it("ends every other call aborted, once each, and run() returns", function()
      local client = new_client()
      local ended, on = recorder()
      client:start("GET", "/echo", on("fast", function() client:close() end))
      for i = 1, 3 do client:start("GET", "/slow", { query = { ms = 3000, i = i } }, on("slow" .. i)) end
      local started = now()
      assert.is_true(client:run(10))
      assert.is_true(now() - started < 2.5, "run() waited for the calls it should have aborted")
      assert.same({ fast = { "ok" }, slow1 = { "aborted" }, slow2 = { "aborted" }, slow3 = { "aborted" } }, ended)
    end)

    -- Both answers are in the session's done list before run() dispatches them, so they arrive in one round:
    -- the first one's callback closes, and the second, already collected, must end aborted, not be lost.
    it("ends an answer already collected in the same round aborted", function()
      for _, closer in ipairs { 1, 2 } do
        local client = new_client()
        local ended, on = recorder()
        local first_done
        for i = 1, 2 do
          client:start("GET", "/echo/" .. i, on("call", function()
            if not first_done then
              first_done = i
              client:close()
            end
          end))
        end
        local session = client._session
        for _ = 1, 200 do
          if session:wait(0.05) == 0 then break end
        end
        assert.equals(2, session:pending()) -- both finished, neither handed over yet
        assert.is_true(client:run(5))
        table.sort(ended.call)
        assert.same({ "aborted", "ok" }, ended.call, "round " .. closer)
      end
    end)

    -- A call started beside the batch closes the client from its callback, which the batch's loop runs.
    it("during a batch: the batch returns every result, the unfinished ones aborted", function()
      local client = new_client()
      local ended, on = recorder()
      client:start("GET", "/echo", on("fast", function() client:close() end))
      local calls = {}
      for i = 1, 6 do calls[i] = { "GET", "/slow", { query = { ms = 3000, i = i } } } end
      local started = now()
      local results = client:batch(calls, { concurrency = 2 })
      assert.is_true(now() - started < 2.5, "the batch waited for the calls it should have aborted")
      assert.same({ fast = { "ok" } }, ended)
      assert.equals(6, #results)
      for i = 1, 6 do
        assert.is_nil(results[i].data)
        assert.equals("aborted", results[i].err.kind)
      end
    end)

    it("from on_trace: that call and the others end aborted", function()
      local client
      client = new_client { on_trace = function() client:close() end }
      local ended, on = recorder()
      client:start("GET", "/echo", on("a"))
      client:start("GET", "/slow", { query = { ms = 3000 } }, on("b"))
      assert.is_true(client:run(10))
      assert.same({ a = { "aborted" }, b = { "aborted" } }, ended)
    end)
  end)

  describe("errors raised by callbacks and hooks", function()
    local function quiet_stderr(f)
      local stderr = io.stderr
      local lines = {}
      io.stderr = { write = function(_, ...) lines[#lines + 1] = table.concat({ ... }) end } -- luacheck: ignore 122
      local ok, err = pcall(f)
      io.stderr = stderr -- luacheck: ignore 122
      assert(ok, err)
      return table.concat(lines)
    end

    -- Before, tostring() on it raised inside run(), which escaped with the other calls left unfinished.
    it("an error object whose __tostring raises, thrown from a callback, is reported and run() goes on", function()
      local client = new_client()
      local ended, on = recorder()
      local nasty = setmetatable({}, { __tostring = function() error("no text for you") end })
      client:start("GET", "/echo", on("a", function() error(nasty) end))
      client:start("GET", "/echo", on("b"))
      local said = quiet_stderr(function() assert.is_true(client:run(10)) end)
      assert.same({ a = { "ok" }, b = { "ok" } }, ended)
      assert.matches("error in a callback: %(a table error value that cannot be shown%)", said)
      client:close()
    end)

    it("an on_trace that raises is reported; the call still ends normally", function()
      local client = new_client { on_trace = function() error("trace hook failed") end }
      local ended, on = recorder()
      client:start("GET", "/echo", on("a"))
      local said = quiet_stderr(function() assert.is_true(client:run(10)) end)
      assert.same({ a = { "ok" } }, ended)
      assert.matches("trace hook failed", said)
      client:close()
    end)

    it("during a blocking call, on_trace runs in the caller's stack: its raise comes out of that call", function()
      local client = new_client { on_trace = function() error("trace hook failed", 0) end }
      local ok, err = pcall(client.get, client, "/echo")
      assert.is_false(ok)
      assert.equals("trace hook failed", err)
      client:close()
    end)

    it("on_error gets the value raised itself; when on_error raises, both go to stderr", function()
      local uv = require "luv"
      local client = new_client()
      local thrown, got = setmetatable({}, { __tostring = function() return "the thrown object" end }), {}
      local raise_in_handler = false
      local attached = require("humanitec.loop").luv(client, uv, { on_error = function(e)
        got[#got + 1] = e
        if raise_in_handler then error("handler failed", 0) end
      end })
      client:start("GET", "/echo", function() error(thrown) end)
      assert.is_true(client:run(10))
      assert.equals(1, #got)
      assert.is_true(rawequal(thrown, got[1]))
      raise_in_handler = true
      client:start("GET", "/echo", function() error(thrown) end)
      local said = quiet_stderr(function() assert.is_true(client:run(10)) end)
      assert.equals("humanitec: error in on_error: handler failed\n"
        .. "humanitec: error in a callback: the thrown object\n", said)
      attached.close()
      client:close()
    end)
  end)

  describe("the coroutine await suspended", function()
    it("raising after it resumed is reported to on_error, and the loop goes on", function()
      local uv = require "luv"
      local client = new_client()
      local got, later = {}, false
      local attached = require("humanitec.loop").luv(client, uv, { on_error = function(e) got[#got + 1] = e end })
      coroutine.wrap(function()
        client:await("GET", "/echo")
        error("raised in the awaiting coroutine", 0)
      end)()
      client:start("GET", "/slow", { query = { ms = 50 } }, function() later = true end)
      local deadline = now() + 10
      while not (later and #got > 0) and now() < deadline do uv.run("once") end
      assert.same({ "raised in the awaiting coroutine" }, got)
      assert.is_true(later)
      attached.close()
      client:close()
    end)
  end)

  describe("requests from inside a callback", function()
    -- Under client:run() and under the luv adapter: a callback starts a request, makes a blocking call and
    -- runs a batch; each works and the loop that called back goes on afterwards.
    for _, driver in ipairs { "run", "luv" } do
      it(("start, a blocking call and batch all work (%s)"):format(driver), function()
        local uv = driver == "luv" and require "luv"
        local client = new_client()
        local attached = uv and require("humanitec.loop").luv(client, uv)
        local log = {}
        client:start("GET", "/echo", function(_, err)
          log[#log + 1] = "first " .. (err and err.kind or "ok")
          local data, get_err = client:get("/echo", { query = { blocking = 1 } })
          log[#log + 1] = "get " .. (get_err and get_err.kind or data.query)
          local results = client:batch { { "GET", "/echo" }, { "GET", "/slow", { query = { ms = 10 } } } }
          log[#log + 1] = "batch " .. (results[1].err and "err" or "ok") .. " " .. (results[2].err and "err" or "ok")
          client:start("GET", "/echo", function(_, e) log[#log + 1] = "nested " .. (e and e.kind or "ok") end)
        end)
        client:start("GET", "/slow", { query = { ms = 50 } }, function(_, err)
          log[#log + 1] = "slow " .. (err and err.kind or "ok")
        end)
        if uv then
          local deadline = now() + 10
          while #log < 5 and now() < deadline do uv.run("once") end
          attached.close()
        else
          assert.is_true(client:run(10))
        end
        table.sort(log)
        assert.same({ "batch ok ok", "first ok", "get blocking=1", "nested ok", "slow ok" }, log)
        client:close()
      end)
    end

    it("an await in progress returns nil and an aborted error when another callback closes the client", function()
      local uv = require "luv"
      local client = new_client()
      require("humanitec.loop").luv(client, uv)
      local awaited
      coroutine.wrap(function()
        local data, err = client:await("GET", "/slow", { query = { ms = 3000 } })
        awaited = { data = data, kind = err and err.kind }
      end)()
      client:start("GET", "/echo", function() client:close() end)
      local started, deadline = now(), now() + 10
      while not awaited and now() < deadline do uv.run("once") end
      uv.run("nowait")
      assert.is_true(now() - started < 2.5, "the await waited for the call close() should have aborted")
      assert.same({ kind = "aborted" }, awaited)
      assert.is_true(client:run(1)) -- nothing left: returns at once
      assert.has_error(function() client:start("GET", "/echo", function() end) end)
      assert.has_error(function() client:get("/echo") end)
      assert.has_error(function() client:await("GET", "/echo") end)
      assert.has_error(function() client:batch { { "GET", "/echo" } } end)
    end)
  end)

  describe("event-loop adapters, in a child process", function()
    local ORDERS = { "close", "detach", "detach-close", "close-detach", "none", "close-in-callback",
      "detach-in-callback" }

    local function run_host(command, order, again)
      local out, status = helpers.capture(("ORDER=%s AGAIN=%s TEST_URL=%s %s"):format(order, again and 1 or 0,
        helpers.shell_quote(server.url), command))
      local aborted = order:find("in%-callback") and ",slow=aborted" or ""
      return out, status, "teardown ok fast=ok" .. aborted
    end

    -- Before, luv 1.44 crashed in lua_close (status 139) after the adapter closed its handles in a loop that
    -- never ran again.
    it("exit cleanly under luv in every order, with and without running the loop again", function()
      local _, have_luv = helpers.run_lua("require 'luv'")
      if not have_luv then
        pending("luv is not installed for " .. helpers.LUA)
        return
      end
      local command = ("env LUA_CPATH=%s %s spec/support/teardown_host.lua"):format(
        helpers.shell_quote(helpers.CPATH .. ";;"), helpers.LUA_RUN)
      for _, order in ipairs(ORDERS) do
        for _, again in ipairs { false, true } do
          local out, status, expected = run_host(command, order, again)
          local case = ("%s, %s, loop again: %s"):format(helpers.LUA, order, tostring(again))
          assert.equals(expected, out:match("teardown ok [^\n]*"), case .. "\n" .. out)
          assert.equals(0, status, case .. "\n" .. out)
        end
      end
    end)

    it("exit cleanly under Neovim in every order", function()
      if not helpers.have("nvim") then
        pending("nvim is not installed")
        return
      end
      -- Neovim runs LuaJIT: the host script loads the luajit build whatever interpreter runs this spec.
      assert(io.open("build/luajit/humanitec/core.so"), "build the core for luajit first (make build LUA=luajit)")
        :close()
      local command = "timeout 60 nvim --headless -u NONE -i NONE -n -c 'luafile spec/support/teardown_host.lua' "
        .. "-c 'qa!' </dev/null"
      for _, order in ipairs(ORDERS) do
        for _, again in ipairs { false, true } do
          local out, status, expected = run_host(command, order, again)
          local case = ("nvim, %s, loop again: %s"):format(order, tostring(again))
          assert.equals(expected, out:match("teardown ok [^\n]*"), case .. "\n" .. out)
          assert.equals(0, status, case .. "\n" .. out)
        end
      end
    end)
  end)
end)

-- Concurrent and non-blocking requests: batch, start and cancel, await, run, the luv adapter, Neovim.
local helpers = require "support.helpers"
local humanitec = require "humanitec"

describe("concurrent requests", function()
  local server, client
  local now = require("humanitec.core").now

  setup(function()
    server = helpers.start_server("spec/support/test_server.lua")
  end)

  teardown(function()
    server.stop()
  end)

  before_each(function()
    client = humanitec.new { token = "async-token", url = server.url, config_file = "/dev/null" }
  end)

  after_each(function()
    client:close()
  end)

  describe("batch", function()
    it("runs 200 calls of 50 ms at concurrency 20 in well under the sequential time, results in order", function()
      local calls = {}
      for i = 1, 200 do calls[i] = { "GET", "/echo/" .. i, { query = { i = i } } } end
      for i = 1, 200 do
        if i % 10 ~= 7 then calls[i] = { "GET", "/slow", { query = { ms = 50, i = i } } } end
      end
      calls[17] = { "GET", "/respond", { query = { status = 404, type = "application/json",
        body = '{"error":"NF","message":"no"}' } } }
      local started = now()
      local results = client:batch(calls, { concurrency = 20 })
      local took = now() - started
      assert.equals(200, #results)
      assert.is_true(took < 200 * 0.05 / 4, ("took %.2f s"):format(took)) -- sequential would take 10 s
      for i = 1, 200 do
        if i == 17 then
          assert.is_nil(results[i].data)
          assert.equals(404, results[i].err.status) -- the failure stays in its own slot
        elseif i % 10 == 7 then
          assert.equals("/echo/" .. i, results[i].data.path)
        else
          assert.is_true(results[i].data.slow)
          assert.equals(200, results[i].response.status)
        end
      end
    end)

    it("runs generated operations, and retries each call on its own", function()
      local sim = helpers.start_server("bin/humanitec-sim", { "--port", "0", "--org", "acme", "--token", "tok" })
      local c = humanitec.new { token = "tok", org = "acme", url = sim.url, config_file = "/dev/null" }
      assert(c:create_application { body = { id = "web", name = "Web" } })
      local results = c:batch({
        { "get_application", { appId = "web" } },
        { "list_environments", { appId = "web" } },
        { "get_application", { appId = "missing" } },
      }, { concurrency = 2 })
      assert.equals("Web", results[1].data.name)
      assert.equals("development", results[2].data[1].id)
      assert.equals(404, results[3].err.status)
      c:close()
      sim.stop()
      local key = "k" .. os.time() .. math.random(1e6)
      local flaky = client:batch({
        { "GET", "/flaky", { query = { key = key, fail = 2 }, retries = { random = function() return 0 end } } },
        { "GET", "/flaky", { query = { key = key .. "b", fail = 5 }, retries = false } },
      })
      assert.equals(3, flaky[1].response.attempts)
      assert.equals(1, flaky[2].err.attempts)
      assert.equals(503, flaky[2].err.status)
    end)

    it("raises on a bad call before sending anything", function()
      assert.has_error(function() client:batch { { "GET", "/echo" }, { "no_such_operation", {} } } end)
      assert.has_error(function() client:batch { { "GET", "no-slash" } } end)
      assert.has_error(function() client:batch({}, { concurrency = 0 }) end)
      assert.same({}, client:batch {})
    end)
  end)

  describe("start, cancel and run", function()
    it("calls back once per request, with what a blocking call returns", function()
      local got = {}
      client:start("GET", "/echo", function(data, res) got[#got + 1] = { data, res } end)
      client:start("POST", "/echo", { body = { a = 1 } }, function(data) got[#got + 1] = { data } end)
      client:start("GET", "/respond", { query = { status = 500 } }, function(data, err)
        got[#got + 1] = { data, err }
      end)
      assert.is_true(client:run(10))
      assert.equals(3, #got)
      local by_method = {}
      for _, g in ipairs(got) do
        if g[1] then by_method[g[1].method] = g[1] else by_method.err = g[2] end
      end
      assert.equals(200, by_method.GET and 200)
      assert.equals('{"a":1}', by_method.POST.body)
      assert.equals(500, by_method.err.status)
    end)

    it("cancels in flight, and from inside another request's callback", function()
      local called = {}
      local slow = client:start("GET", "/slow", { query = { ms = 3000 } }, function() called.slow = true end)
      local other = client:start("GET", "/slow", { query = { ms = 3000, b = 1 } }, function() called.other = true end)
      client:start("GET", "/echo", function()
        called.fast = true
        assert.is_true(other.cancel())
      end)
      assert.is_true(slow.cancel())
      assert.is_false(slow.cancel()) -- twice is harmless
      local started = now()
      assert.is_true(client:run(10))
      assert.is_true(now() - started < 2.5)
      assert.is_true(called.fast)
      assert.is_nil(called.slow)
      assert.is_nil(called.other)
    end)

    it("reports an error thrown in a callback and goes on", function()
      local errors_seen, later = {}, false
      local attached = require("humanitec.loop").luv(client, require "luv",
        { on_error = function(e) errors_seen[#errors_seen + 1] = tostring(e) end })
      client:start("GET", "/echo", function() error("boom in callback") end)
      client:start("GET", "/echo?second=1", function() later = true end)
      assert.is_true(client:run(10))
      attached.close()
      require("luv").run("nowait") -- lets the closed handles finish closing
      assert.equals(1, #errors_seen)
      assert.matches("boom in callback", errors_seen[1])
      assert.is_true(later)
    end)

    it("ends what is in flight with kind 'aborted' when the client closes", function()
      local c = humanitec.new { token = "t", url = server.url, config_file = "/dev/null" }
      local errs = {}
      for i = 1, 5 do
        c:start("GET", "/slow", { query = { ms = 2000, i = i } }, function(_, err) errs[#errs + 1] = err end)
      end
      c:_act() -- get them going
      c:close()
      assert.equals(5, #errs)
      for _, e in ipairs(errs) do assert.equals("aborted", e.kind) end
      assert.has_error(function() c:start("GET", "/echo", function() end) end)
    end)

    it("survives clients collected with requests pending", function()
      for i = 1, 20 do
        local c = humanitec.new { token = "t", url = server.url, config_file = "/dev/null" }
        c:start("GET", "/slow", { query = { ms = 500, i = i } }, function() end)
        c:_act()
      end
      collectgarbage("collect")
      collectgarbage("collect")
      assert(client:get("/echo"))
    end)

    it("answers a client without a token with a config error, through the callback", function()
      local c = humanitec.new { url = server.url, config_file = "/dev/null" }
      local err
      c:start("GET", "/echo", function(_, e) err = e end)
      assert.is_true(c:run(5))
      assert.equals("config", err.kind)
      c:close()
    end)

    it("runs on the in-process simulator too, one request at a time", function()
      local sim = require("humanitec.sim").new { orgs = { "acme" }, tokens = { tok = { "acme" } } }
      local c = humanitec.new { transport = sim:transport(), token = "tok", org = "acme", url = "http://sim.invalid" }
      local results = c:batch { { "list_applications", {} }, { "GET", "/orgs/acme" } }
      assert.same({}, results[1].data)
      assert.equals("acme", results[2].data.id)
    end)
  end)

  describe("the luv adapter", function()
    local uv = require "luv"

    it("keeps a 10 ms timer firing while 50 requests are in flight, and awaits in a coroutine", function()
      local attached = require("humanitec.loop").luv(client, uv)
      local done, maxgap, last = 0, 0, uv.hrtime()
      local ticker = uv.new_timer()
      ticker:start(10, 10, function()
        local t = uv.hrtime()
        maxgap = math.max(maxgap, (t - last) / 1e6)
        last = t
      end)
      for i = 1, 50 do
        -- Each answer takes 1.5 s: a loop that blocked on even one request would stall far past the bound below,
        -- which stays loose because ASan and a loaded machine stretch every tick.
        client:start("GET", "/slow", { query = { ms = 1500, i = i } }, function(data)
          if data then done = done + 1 end
        end)
      end
      local awaited
      coroutine.wrap(function()
        local data, _, res = client:await("get", "/echo")
        awaited = { data.method, res.status }
      end)()
      assert.is_nil(awaited) -- the coroutine is waiting; the loop goes on
      local guard = uv.new_timer()
      guard:start(10000, 0, function() uv.stop() end)
      local check = uv.new_timer()
      check:start(5, 5, function() if done == 50 and awaited then uv.stop() end end)
      uv.run()
      for _, h in ipairs { ticker, guard, check } do h:close() end
      attached.close()
      uv.run("nowait")
      assert.equals(50, done)
      assert.same({ "GET", 200 }, awaited)
      assert.is_true(maxgap < 1000, ("the loop stalled for %.1f ms"):format(maxgap))
    end)
  end)

  describe("Neovim", function()
    it("never freezes the editor, and calls back through vim.schedule", function()
      if not helpers.have("nvim") then
        pending("nvim is not installed")
        return
      end
      local pipe = assert(io.popen(("TEST_URL=%s timeout 60 nvim --headless -u NONE -i NONE -n "
        .. "-c 'luafile spec/support/nvim_concurrency.lua' -c 'qa!' </dev/null 2>&1"):format(server.url)))
      local out = pipe:read("*a")
      pipe:close()
      local done, failed, fast, gap, ok = out:match("done (%d+) failed (%d+) fast (%d+) maxgap ([%d.]+) ok (%a+)")
      assert.is_truthy(done, out)
      assert.equals("50", done)
      assert.equals("0", failed)
      assert.equals("0", fast) -- no callback ran in a fast event: all came through vim.schedule
      assert.equals("true", ok)
      assert.is_true(tonumber(gap) < 1000, "the editor's loop stalled for " .. gap .. " ms")
    end)
  end)
end)

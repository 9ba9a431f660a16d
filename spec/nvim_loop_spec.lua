-- The SDK on Neovim's event loop, in headless Neovim with the plugin installed as a plugin manager installs it:
-- requests in flight do not stall the editor's loop, and a socket that fails while the loop watches it writes
-- nothing to stderr.
--
-- Stalls are measured, not timed against a tight bound (the machine may be busy): a 1 ms timer records the
-- gaps between its ticks during a window without requests (the baseline: what the machine's load alone does)
-- and during a window with many requests in flight against the simulator (bodies of some 100 KB, slow
-- answers, many at once). Requests may add no gaps over 10 ms beyond the baseline's rate plus a small
-- tolerance. A control window, with one blocking request made on the loop, must show its stall, so the
-- measurement is known to see one. Bodies of a megabyte are measured too: each is decoded on the loop when
-- it is handed over (the README says how long that takes), one per turn of the loop.
--
-- luv writes "EBADF: bad file descriptor" to stderr whenever a poll handle's socket reports an error (libuv
-- turns POLLERR into UV_EBADF), so a failure must never reach a poll handle on one of libcurl's sockets. A
-- connection refused at once (loopback) is found before anything watches the socket; a refusal from a remote
-- host, or a reset, comes later, while the socket is watched. The servers here, run inside the Neovim child on
-- the machine's own non-loopback address (127.0.0.2 when it has none), make both happen late: one whose accept
-- queue is full drops the SYN and closes before the client's retry, which is then refused (~1 s); one accepts,
-- reads the request and resets the connection 200 ms later. On Linux the loop watches one epoll descriptor
-- holding libcurl's sockets (csrc/multi.c), never a socket itself; the control shows what watching the socket
-- itself does.
local helpers = require "support.helpers"
local nvim = require "support.nvim"
local humanitec = require "humanitec"

local have_nvim = helpers.have("nvim")
local q = helpers.shell_quote
local TOKEN = "tok-loop-spec"

-- Loaded before each script: the servers, and a result writer.
local PRELUDE = [[
  local uv = vim.uv or vim.loop
  local r = {}
  local function finish()
    local f = assert(io.open(os.getenv("RESULT"), "w"))
    f:write(vim.json.encode(r))
    f:close()
  end
  -- The machine's own IPv4 address that is not loopback, or 127.0.0.2.
  local function own_address()
    for _, addrs in pairs(uv.interface_addresses()) do
      for _, a in ipairs(addrs) do
        if a.family == "inet" and not a.internal then return a.ip end
      end
    end
    return "127.0.0.2"
  end
  local host = own_address()
  r.host = host
  -- A listener whose accept queue is full, so the kernel drops the next SYN. After 300 ms it closes, and the
  -- client's retried SYN (about 1 s after the first) is answered with a reset: the refusal comes late. The
  -- queue is filled one connection at a time (libuv takes one off it) until one is left unconnected.
  local function late_refusal()
    local server = uv.new_tcp()
    assert(server:bind(host, 0))
    assert(server:listen(0, function() end))
    local port = server:getsockname().port
    local fillers = {}
    for i = 1, 8 do
      local connected = false
      fillers[i] = uv.new_tcp()
      fillers[i]:connect(host, port, function(err) connected = not err end)
      if not vim.wait(100, function() return connected end, 5) then break end
    end
    local closer = uv.new_timer()
    closer:start(300, 0, function()
      closer:close()
      server:close()
      for _, f in ipairs(fillers) do f:close() end
    end)
    return port
  end
  -- A server that reads a request and, 200 ms later, resets the connection.
  local function resetting()
    local server = uv.new_tcp()
    assert(server:bind(host, 0))
    assert(server:listen(16, function()
      local c = uv.new_tcp()
      server:accept(c)
      c:read_start(function(_, data)
        if not data then return end
        c:read_stop()
        local t = uv.new_timer()
        t:start(200, 0, function()
          t:close()
          c:close_reset()
        end)
      end)
    end))
    return server:getsockname().port, server
  end
  local function wait(fn, ms) return vim.wait(ms or 10000, fn, 5) end
  -- The editor's own part of a gap: the wall time less the time its main thread waited for a CPU while
  -- runnable (/proc/self/schedstat, Linux). On a busy machine a gap can be long only because other processes
  -- had the CPUs; what the editor did (work, or a blocking wait) is what is left. Without schedstat, the wall.
  -- (Opened anew each time: a kept handle reads what it read first.)
  local function waited_ms()
    local f = io.open("/proc/self/schedstat", "r")
    if not f then return nil end
    local line = f:read("*l") or ""
    f:close()
    local wait_ns = line:match("^%d+%s+(%d+)")
    return wait_ns and tonumber(wait_ns) / 1e6
  end
  r.schedstat = waited_ms() ~= nil
  -- Runs fn (which starts the window's work and returns a function telling when it is done) under a 1 ms
  -- timer, and returns the window's gaps between ticks: how many, how many of the editor's own parts were over
  -- 10 ms, the longest own part, the longest wall gap, and how long the window was.
  local function measure(fn, limit_ms)
    local gaps, over, worst, worst_wall = 0, 0, 0, 0
    local last, last_waited = uv.hrtime(), waited_ms() or 0
    local ticker = uv.new_timer()
    ticker:start(1, 1, function()
      local now, waited = uv.hrtime(), waited_ms() or 0
      local wall = (now - last) / 1e6
      local own = wall - (waited - last_waited)
      last, last_waited = now, waited
      gaps = gaps + 1
      if own > 10 then over = over + 1 end
      if own > worst then worst = own end
      if wall > worst_wall then worst_wall = wall end
    end)
    local started = uv.hrtime()
    local finished = fn()
    local ok = vim.wait(limit_ms or 30000, finished, 1)
    -- A gap is recorded when the timer next runs: let it, after a stall that ended the window.
    vim.wait(20, function() return false end, 1)
    ticker:stop()
    ticker:close()
    return { gaps = gaps, over = over, worst = worst, worst_wall = worst_wall, ms = (uv.hrtime() - started) / 1e6,
      finished = ok }
  end
  local function new_client()
    return require("humanitec").new { url = os.getenv("API"), token = os.getenv("TOKEN"), org = "acme",
      config_file = "/dev/null" }
  end
  -- A request first, so that loading the SDK's modules happens before anything is measured.
  local function warmed(c)
    local warm
    c:start("GET", "/orgs/acme/apps", function() warm = true end)
    c:run(10)
    assert(warm, "the first request did not end")
    return c
  end
  -- How many modules a delta's body held.
  local function modules(data)
    local n = 0
    for _ in pairs(data.modules.add) do n = n + 1 end
    return n
  end
]]

local function script(body) return nvim.script(PRELUDE, body) end

-- The deltas whose bodies the requests read: this many modules, about 165 bytes each in JSON.
local MEDIUM_MODULES, BIG_MODULES = 600, 6000

describe("the SDK on Neovim's loop", function()
  local root, plugin, sim, client, control
  local paths, sizes, report = {}, {}, {}

  setup(function()
    if not have_nvim then return end
    root = nvim.temp_dir()
    plugin = nvim.install(root)
    sim = helpers.start_server("bin/humanitec-sim", { "--port", "0", "--org", "acme", "--token", TOKEN, "--control" })
    client = humanitec.new { url = sim.url, token = TOKEN, org = "acme", config_file = "/dev/null" }
    control = humanitec.new { url = sim.url, token = false, config_file = "/dev/null" }
    assert(client:post("/orgs/acme/apps", { id = "web", name = "Web" }))
    for name, n in pairs { medium = MEDIUM_MODULES, big = BIG_MODULES } do
      local add = {}
      for i = 1, n do
        add["module-" .. i] = { profile = "humanitec/default-module", spec = { containers = { main = {
          image = "registry.example/module:" .. i, variables = { N = tostring(i) } } } } }
      end
      local delta = assert(client:post("/orgs/acme/apps/web/deltas", { metadata = { env_id = "development" },
        modules = { add = add } }))
      paths[name] = "/orgs/acme/apps/web/deltas/" .. delta.id
      local _, _, response = assert(client:get(paths[name]))
      sizes[name] = #tostring(response.body)
    end
  end)

  teardown(function()
    for _, line in ipairs(report) do io.stdout:write("\n", line) end
    if #report > 0 then io.stdout:write("\n") end
    if client then client:close() end
    if control then control:close() end
    if sim then sim.stop() end
    if root then os.execute("rm -rf " .. q(root)) end
  end)

  local function run(body, env)
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

  local function env() return { API = sim.url, TOKEN = TOKEN, MEDIUM = paths.medium, BIG = paths.big } end

  it("keeps the loop running while many requests are in flight, and sees a blocking request stall it", function()
    if skip() then return end
    -- Slow answers: the small requests wait 1 s at the server; the control's blocking request 0.3 s.
    assert(control:post("/_sim/inject", { latency = 1, path = "^/orgs/acme/apps/web$", times = 30 }))
    assert(control:post("/_sim/inject", { latency = 0.3, path = "/apps/web/envs$", times = 1 }))
    local result, out = run([[
      local c = warmed(new_client())
      require("humanitec.loop").nvim(c)
      local function for_ms(ms)
        local t = uv.hrtime()
        return function() return (uv.hrtime() - t) / 1e6 >= ms end
      end
      r.baseline = measure(function() return for_ms(2000) end)
      r.load = measure(function()
        local done, n = 0, 0
        local function count(data, err)
          done = done + 1
          if err then r.load_error = tostring(err) end
          if data and data.modules then r.medium_modules = modules(data) end
        end
        for _ = 1, 8 do n = n + 1; c:start("GET", os.getenv("MEDIUM"), count) end
        for i = 1, 30 do n = n + 1; c:start("GET", "/orgs/acme/apps/web", { query = { i = i } }, count) end
        r.requests = n
        return function() return done == n end
      end)
      -- The control: a blocking request (the plain client:get) made on the loop, 50 ms into the window.
      local blocking = new_client()
      r.control = measure(function()
        local done
        local t = uv.new_timer()
        t:start(50, 0, function()
          t:close()
          vim.schedule(function()
            local started = uv.hrtime()
            r.control_data = blocking:get("/orgs/acme/apps/web/envs") ~= nil
            r.control_ms = (uv.hrtime() - started) / 1e6
            done = true
          end)
        end)
        return function() return done end
      end)
      blocking:close()
      c:close()
    ]], env())
    assert.equals("", out, "Neovim wrote to stderr")
    assert.is_nil(result.load_error, result.load_error)
    assert.is_true(result.load.finished, "the requests did not all end")
    assert.equals(MEDIUM_MODULES, result.medium_modules)
    assert.is_true(result.control.finished and result.control_data, "the blocking request did not end")
    local base, load, ctl = result.baseline, result.load, result.control
    report[#report + 1] = ("Neovim's loop, 1 ms timer (the editor's own part of each gap, %s): baseline %d gaps in "
      .. "%.0f ms, %d over 10 ms, worst %.1f ms (wall %.1f); %d requests in flight (8 bodies of %.0f KB, 30 answers "
      .. "1 s late): %d gaps in %.0f ms, %d over 10 ms, worst %.1f ms (wall %.1f); control, a blocking request "
      .. "(%.0f ms): worst %.1f ms"):format(result.schedstat and "less run-queue waits" or "wall time", base.gaps,
      base.ms, base.over, base.worst, base.worst_wall, result.requests, sizes.medium / 1024, load.gaps, load.ms,
      load.over, load.worst, load.worst_wall, result.control_ms, ctl.worst)
    -- Gaps over 10 ms with requests in flight: no more than the baseline's rate over as long a window, plus 3.
    local allowed = base.over * load.ms / base.ms + 3
    assert.is_true(load.over <= allowed, ("requests in flight: %d gaps over 10 ms (worst %.1f ms) in %.0f ms; the "
      .. "baseline had %d in %.0f ms"):format(load.over, load.worst, load.ms, base.over, base.ms))
    assert.is_true(load.worst < 250, ("the loop stalled for %.1f ms"):format(load.worst)) -- a loose sanity bound
    -- The measurement sees a stall: the blocking request held the loop for its 0.3 s at least.
    assert.is_true(result.control_ms >= 290, ("the blocking request took %.0f ms"):format(result.control_ms))
    assert.is_true(ctl.worst >= 250, ("a blocking request stalled the loop for only %.1f ms"):format(ctl.worst))
    assert.is_true(ctl.over >= 1 and ctl.over > base.over * ctl.ms / base.ms)
  end)

  it("hands bodies of a megabyte over one per turn of the loop, and measures what decoding one costs", function()
    if skip() then return end
    local result, out = run([[
      local json = require "humanitec.json"
      local c = warmed(new_client())
      local text
      c:start("GET", os.getenv("BIG"), function(_, _, response) text = tostring(response.body) end)
      c:run(30)
      -- What decoding one body costs, in CPU time (the least of three).
      r.decode_ms = math.huge
      for _ = 1, 3 do
        local t = os.clock()
        json.decode(text)
        r.decode_ms = math.min(r.decode_ms, (os.clock() - t) * 1000)
      end
      require("humanitec.loop").nvim(c)
      -- The session hands finished transfers over up to a budget of body bytes per turn of the loop: count
      -- what each hand-over held.
      local session = c._session
      local handed = {}
      c._session = setmetatable({}, { __index = function(_, k)
        local v = session[k]
        if type(v) ~= "function" then return v end
        return function(_, ...)
          local list, more = v(session, ...)
          if k == "completed" and #list > 0 then handed[#handed + 1] = #list end
          return list, more
        end
      end })
      r.load = measure(function()
        local done = 0
        for _ = 1, 6 do
          c:start("GET", os.getenv("BIG"), function(data, err)
            done = done + 1
            if err then r.err = tostring(err) end
            if data then r.big_modules = modules(data) end
          end)
        end
        return function() return done == 6 end
      end)
      r.handed = handed
      c._session = session
      c:close()
    ]], env())
    assert.equals("", out, "Neovim wrote to stderr")
    assert.is_nil(result.err, result.err)
    assert.is_true(result.load.finished)
    assert.equals(BIG_MODULES, result.big_modules)
    -- One body per hand-over: each is over the budget.
    assert.same({ 1, 1, 1, 1, 1, 1 }, result.handed)
    report[#report + 1] = ("6 bodies of %.2f MB at once: decoding one takes %.1f ms of CPU; the loop's worst gap "
      .. "%.1f ms (wall %.1f), %d over 10 ms in %.0f ms"):format(sizes.big / 1e6, result.decode_ms, result.load.worst,
      result.load.worst_wall, result.load.over, result.load.ms)
    assert.is_true(result.load.worst < 2000, ("the loop stalled for %.1f ms"):format(result.load.worst))
  end)

  it("writes nothing to stderr when a remote host refuses late or resets, and reports each kind", function()
    if skip() then return end
    local result, out = run [[
      local function request(port)
        local c = require("humanitec").new { url = ("http://%s:%d"):format(host, port), token = false,
          org = "acme", config_file = "/dev/null", retries = false }
        require("humanitec.loop").nvim(c)
        local done, kind
        local started = uv.hrtime()
        c:start("GET", "/orgs", function(_, err)
          done, kind = tostring(err), err and err.kind
        end)
        wait(function() return done ~= nil end)
        c:close()
        return { err = done, kind = kind, ms = (uv.hrtime() - started) / 1e6 }
      end
      r.refused = request(late_refusal())
      local port, server = resetting()
      r.reset = request(port)
      server:close()
    ]]
    assert.equals("connect", result.refused.kind, result.refused.err)
    -- The refusal came long after the request started, so after the socket was being watched.
    assert.is_true(result.refused.ms > 500, ("refused after %.0f ms"):format(result.refused.ms))
    assert.equals("reset", result.reset.kind, result.reset.err)
    assert.is_true(result.reset.ms > 150, ("reset after %.0f ms"):format(result.reset.ms))
    assert.equals("", out, "Neovim wrote to stderr")
  end)

  it("(control) a poll handle on a socket refused late does write EBADF to stderr", function()
    if skip() then return end
    -- What the adapter did before: watch the connecting socket itself. A plain non-blocking connect through
    -- LuaJIT's FFI, watched by a poll handle, against the same late refusal.
    local result, out = run [[
      local ffi = require "ffi"
      ffi.cdef("int socket(int domain, int type, int protocol);"
        .. "int connect(int fd, const void *addr, unsigned len);"
        .. "int inet_pton(int af, const char *src, void *dst); int close(int fd);")
      local port = late_refusal()
      local fd = ffi.C.socket(2, 1 + 2048, 0) -- AF_INET, SOCK_STREAM | SOCK_NONBLOCK
      assert(fd >= 0)
      local addr = ffi.new("uint8_t[16]")
      addr[0], addr[1] = 2, 0 -- sin_family AF_INET (little-endian), then the port in network order
      addr[2], addr[3] = math.floor(port / 256), port % 256
      assert(ffi.C.inet_pton(2, host, addr + 4) == 1)
      ffi.C.connect(fd, addr, 16) -- EINPROGRESS
      local poll = uv.new_socket_poll(fd)
      poll:start("w", function(err)
        r.err = err or false
        poll:stop()
      end)
      wait(function() return r.err ~= nil end)
      poll:close()
      ffi.C.close(fd)
    ]]
    assert.equals("EBADF", result.err)
    assert.matches("EBADF", out)
  end)
end)

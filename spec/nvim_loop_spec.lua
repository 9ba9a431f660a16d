-- The SDK on Neovim's event loop, in headless Neovim with the plugin installed as a plugin manager installs it:
-- a socket that fails while the loop watches it writes nothing to stderr.
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

local have_nvim = helpers.have("nvim")
local q = helpers.shell_quote

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
]]

local function script(body)
  return PRELUDE .. "local ok, err = pcall(function()\n" .. body .. "\nend)\nr.error = not ok and tostring(err) or nil\n"
    .. "finish()\n"
end

describe("the SDK on Neovim's loop", function()
  local root, plugin

  setup(function()
    if not have_nvim then return end
    root = nvim.temp_dir()
    plugin = nvim.install(root)
  end)

  teardown(function()
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

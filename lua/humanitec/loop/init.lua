--- Event-loop adapters: drive a client's concurrent requests from luv (libuv) or from Neovim's loop, so a host
--- never blocks while requests are in flight.
---
--- ```lua
--- local stop = require("humanitec.loop").luv(client, require "luv")
--- client:start("list_applications", {}, function(apps, err) ... end)
--- ```
---
--- The adapter watches the descriptors the core names (one poll handle each, replaced when the descriptor's
--- generation changes, so a socket libcurl closed and another that reused its number are never confused) and
--- runs one timer for libcurl's timeouts and the client's retry waits. On Linux the core names one epoll
--- descriptor that holds libcurl's sockets, so no poll handle ever sees a socket fail (luv writes "EBADF" to
--- stderr when one does); elsewhere it names the sockets themselves.
local errors = require "humanitec.errors"
local vocabulary = require "humanitec.vocabulary"

local M = {}

local LUV_OPTIONS = { deliver = true, on_error = true, host_runs_loop = true }

local EVENTS = { ["in"] = "r", out = "w", inout = "rw" }

--- Attaches `client` to a luv loop. Returns a handle whose `close()` detaches it (closing the client does too).
--- `opts.deliver(fn)` runs each callback (the Neovim adapter passes vim.schedule); by default they run at once.
--- `opts.on_error(err)` receives errors thrown by callbacks (by default they are written to stderr).
--- Detaching closes the adapter's handles; when the loop is not running at that moment (and the host does
--- not run it outside luv, as Neovim does: `opts.host_runs_loop`), it then runs the loop once with "nowait"
--- so the closes complete: luv 1.44 crashes at exit on handles closed in a loop that never ran again. That
--- run may call the host's own callbacks that are due.
---@param client humanitec.Client
---@param uv table the luv module (or vim.uv / vim.loop)
---@param opts? {deliver?: fun(fn: function), on_error?: fun(err: any), host_runs_loop?: boolean}
---@return table handle with close()
function M.luv(client, uv, opts)
  if type(client) ~= "table" or type(client._attach) ~= "function" then
    error("bad argument #1 to 'luv' (a humanitec client expected)", 2)
  end
  if type(uv) ~= "table" or type(uv.new_timer) ~= "function" then
    error("bad argument #2 to 'luv' (the luv module expected)", 2)
  end
  opts = opts or {}
  if type(opts) ~= "table" then error("bad argument #3 to 'luv' (table expected, got " .. type(opts) .. ")", 2) end
  for k in pairs(opts) do
    if not LUV_OPTIONS[k] then
      error(("bad argument #3 to 'luv' (unknown option '%s'%s)"):format(tostring(k),
        vocabulary.hint(k, vocabulary.names(LUV_OPTIONS))), 2)
    end
  end

  local polls = {} -- fd -> { handle = poll handle, gen = n, what = "in"|"out"|"inout" }
  -- Where the core names sockets themselves (not Linux): a socket libcurl is still connecting is first handed
  -- back to libcurl once, on the next timer tick, before a poll watches it: a connection refused at once is
  -- found then and the socket closed, whereas a poll would see the error (POLLERR) first, and luv writes
  -- "EBADF: bad file descriptor" to stderr for it. fd -> gen probed.
  local probed, probes = {}, {}
  local timer = uv.new_timer()
  local attached = true
  local reconcile

  local function stop_poll(fd)
    local p = polls[fd]
    polls[fd] = nil
    p.handle:stop()
    if not p.handle:is_closing() then p.handle:close() end
  end

  -- Whatever a luv callback of ours runs must not raise: luv ends the process on an error in a callback.
  -- The client already keeps its callbacks' errors from reaching here; this is the last guard.
  local function guarded(fn, ...)
    local ok, err = pcall(fn, ...)
    if ok then return end
    local handler = opts.on_error
    if not (handler and pcall(handler, err)) then
      io.stderr:write("humanitec: error in the event loop adapter: ", errors.describe(err), "\n")
    end
  end

  local function act(fd, readable, writable)
    client:_act(fd, readable, writable)
    reconcile()
  end

  local function on_timer()
    if not attached then return end
    if next(probes) ~= nil then
      local due = probes
      probes = {}
      for fd in pairs(due) do
        if not attached then return end
        guarded(client._act, client, fd, false, true)
      end
    end
    guarded(act)
  end

  -- Brings the poll handles and the timer in line with what libcurl and the client want now.
  function reconcile()
    if not attached then return end
    local watched = client:_watched()
    for fd, p in pairs(polls) do
      local w = watched[fd]
      if not w or w.gen ~= p.gen then stop_poll(fd) end
    end
    for fd, gen in pairs(probed) do
      if not watched[fd] or watched[fd].gen ~= gen then probed[fd], probes[fd] = nil, nil end
    end
    for fd, w in pairs(watched) do
      local p = polls[fd]
      if not p and w.what == "out" and probed[fd] ~= w.gen then
        probed[fd], probes[fd] = w.gen, true -- not polled until libcurl has looked at it once (see above)
      elseif not p and not probes[fd] then
        local handle = uv.new_socket_poll(fd)
        p = { handle = handle, gen = w.gen }
        polls[fd] = p
      end
      if p and p.what ~= w.what then
        p.what = w.what
        p.handle:start(EVENTS[w.what], function(err, events)
          if not attached then return end
          -- An error on the socket is for libcurl to find out about: let it try both ways.
          local readable = err ~= nil or (events and events:find("r", 1, true) ~= nil)
          local writable = err ~= nil or (events and events:find("w", 1, true) ~= nil)
          guarded(act, fd, readable, writable)
        end)
      end
    end
    timer:stop()
    local wake = client:_next_wakeup()
    if next(probes) ~= nil then wake = 0 end
    if wake then
      timer:start(math.max(0, math.ceil(wake * 1000)), 0, on_timer)
    end
  end

  local function detach()
    if not attached then return end
    attached = false
    for fd in pairs(polls) do stop_poll(fd) end
    timer:stop()
    if not timer:is_closing() then timer:close() end
    client:_detach(detach)
    -- Outside the loop, let it finish the closes now (see above); inside, it does so when this returns.
    if not opts.host_runs_loop and uv.loop_mode and uv.loop_mode() == nil then uv.run("nowait") end
  end

  client:_attach { wake = reconcile, detach = detach, deliver = opts.deliver, on_error = opts.on_error }
  reconcile()
  return { close = detach }
end

--- Attaches `client` to Neovim's event loop (`vim.uv`, or `vim.loop` before 0.10). Callbacks run in the main
--- loop (through `vim.schedule` when they come from inside a luv callback), so they may call any editor API;
--- so does `opts.on_error(err)`, which receives the errors raised by callbacks. Without it, or when it raises
--- too, they are reported with `vim.notify` at level ERROR (`nvim_err_writeln` if that raises). Nothing the
--- adapter reports goes to stderr, which would write over the editor's screen.
---@param client humanitec.Client
---@param opts? {on_error?: fun(err: any)}
---@return table handle with close()
function M.nvim(client, opts)
  local vim = rawget(_G, "vim")
  if type(vim) ~= "table" then
    error("humanitec.loop.nvim runs inside Neovim only", 2)
  end
  opts = opts or {}
  if type(opts) ~= "table" then error("bad argument #2 to 'nvim' (table expected, got " .. type(opts) .. ")", 2) end
  for k in pairs(opts) do
    if k ~= "on_error" then
      error(("bad argument #2 to 'nvim' (unknown option '%s'%s)"):format(tostring(k),
        vocabulary.hint(k, { "on_error" })), 2)
    end
  end
  local user_on_error = opts.on_error
  -- Inside a luv callback ("fast" context) the editor's API is refused (E5560): what runs there is scheduled.
  -- Deliveries go through vim.schedule as it was when attached (as luv's opts.deliver is fixed then).
  local schedule = vim.schedule
  local function deliver(fn)
    if vim.in_fast_event() then schedule(fn) else fn() end
  end
  local function in_main_loop(fn)
    if vim.in_fast_event() then vim.schedule(fn) else fn() end
  end
  local function notify(text)
    if not pcall(vim.notify, text, vim.log.levels.ERROR) then pcall(vim.api.nvim_err_writeln, text) end
  end
  return M.luv(client, vim.uv or vim.loop, {
    host_runs_loop = true,
    deliver = deliver,
    on_error = function(err)
      in_main_loop(function()
        if not user_on_error then
          notify("humanitec: error in a callback: " .. errors.describe(err))
          return
        end
        local ok, handler_err = pcall(user_on_error, err)
        if not ok then
          notify("humanitec: error in on_error: " .. errors.describe(handler_err) .. " (reporting: "
            .. errors.describe(err) .. ")")
        end
      end)
    end,
  })
end

return M

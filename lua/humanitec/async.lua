--- Concurrent and non-blocking requests: client:start (a callback per request), client:batch (many calls for a
--- script), client:await (inside a coroutine), client:run (the blocking driver for plain scripts), and the
--- hooks the event-loop adapters in humanitec.loop use.
---
--- The transfers run on the session's libcurl multi handle. Whoever drives them (client:run, batch, or an
--- adapter's event loop) calls into the session and then into `dispatch`, which turns finished transfers into
--- results, retries what the policy retries (after a wait kept here, not slept), and hands results to the
--- callbacks. Callbacks never run inside libcurl, and an error in one is reported and goes no further.
---
--- ```lua
--- client:start("list_applications", {}, function(apps, err) print(err or #apps) end)
--- client:run() -- drives the requests until none is left
--- local results = client:batch { { "get_environment", { appId = "shop", envId = "development" } },
---   { "GET", "/orgs/acme/apps/shop/envs/production", {} } }
--- ```
local errors = require "humanitec.errors"
local vocabulary = require "humanitec.vocabulary"

local M = {}

-- What start, await and batch take as an HTTP method (any case); any other name is an operation's.
local HTTP_METHODS = { GET = true, HEAD = true, POST = true, PUT = true, PATCH = true, DELETE = true,
  OPTIONS = true }

-- Under an event loop, one dispatch takes finished transfers from the session only up to this many bytes of
-- body (one at least): the core decodes JSON as it hands them over, about 20 ms per MB on a busy machine, and
-- the host's loop waits meanwhile. The rest come on the next turn of the loop. Blocking drivers take them all.
local HANDOVER_BUDGET = 256 * 1024

--- Installs the methods on the client class. `internal` holds the request pipeline's shared pieces.
---@param Client table
---@param internal table prepare, new_call, attempt_timeout, report_trace, next_wait, settle, calls; gets abort_all
function M.install(Client, internal)
  local prepare, new_call = internal.prepare, internal.new_call
  local attempt_timeout, report_trace = internal.attempt_timeout, internal.report_trace
  local next_wait, settle, calls = internal.next_wait, internal.settle, internal.calls

  -- The client's concurrent state, made on first use.
  local function state(self)
    local st = self._async
    if not st then
      -- Every field a raise could interrupt is made here (false, not nil), so that setting it later allocates
      -- nothing: `current` is the round of outcomes being handed over, `arrived` what the session's completed()
      -- gave, `aborting` what close() is ending; each stays reachable, with its position, until all of it was
      -- delivered, so that a raise part-way (a memory error) loses none. The next dispatch goes on with it.
      st = { inflight = {}, delayed = {}, ready = {}, count = 0, current = false, current_at = 1, arrived = false,
        arrived_at = 1, more = false, aborting = false, aborting_errs = false, aborting_at = 1 }
      self._async = st
    end
    return st
  end

  local describe = errors.describe

  -- Hands an error raised by a callback (or a hook) to the adapter's on_error (`handler`, by default the one
  -- attached now), else to stderr. Never raises: the driver that called back goes on with the other calls.
  local function report(self, err, handler)
    handler = handler or self._on_callback_error
    if handler then
      local ok, handler_err = pcall(handler, err)
      if ok then return end
      io.stderr:write("humanitec: error in on_error: ", describe(handler_err), "\n")
    end
    io.stderr:write("humanitec: error in a callback: ", describe(err), "\n")
  end

  -- Calls a record's callback: at once for the SDK's own (batch, blocking await), otherwise through the
  -- adapter's delivery (Neovim's vim.schedule) when there is one.
  local function deliver(self, rec, data, err, response)
    local st = state(self)
    local callback = rec.callback
    -- Where the callback's error goes is decided now: a callback the adapter runs after it was detached (the
    -- client closed meanwhile) still reports to that adapter's on_error.
    local on_error = self._on_callback_error
    local called, entered = false, false
    local function enter()
      entered = true
      return callback(data, err, response)
    end
    local function call() -- once, even when a deliver that ran it raises afterwards
      if called then return end
      called = true
      local ok, callback_err = pcall(enter)
      -- Memory ran out before the callback began (Lua could not make its call frame): one more try.
      if not ok and not entered then ok, callback_err = pcall(enter) end
      if not ok then report(self, callback_err, on_error) end
    end
    if rec.done then return end
    if rec.direct or not self._deliver then
      -- The call is marked done as its callback is entered (rec.done exists already: nothing allocates). When
      -- memory runs out before that (Lua could not make the call frame) the raise goes on with the call not
      -- done, and the outcome stays where the next dispatch, or close(), finds it.
      local function enter_direct()
        rec.done = true
        st.count = st.count - 1
        return callback(data, err, response)
      end
      local ok, callback_err = pcall(enter_direct)
      if not ok then
        if not rec.done then error(callback_err, 0) end
        report(self, callback_err, on_error)
      end
      return
    end
    -- Through the adapter's delivery the call is done once handed to it: the callback runs later, once.
    rec.done = true
    st.count = st.count - 1
    do
      local ok, deliver_err = pcall(self._deliver, call)
      if not ok then -- the callback still runs, once
        report(self, deliver_err, on_error)
        call()
      end
    end
  end

  -- The error a call ends with when the client is closed before its answer was handed over.
  local function aborted(rec)
    return errors.new { kind = "aborted", message = "the client was closed", method = rec.call.req.method,
      path = rec.call.req.path, attempts = rec.call.attempt }
  end

  local function launch(self, rec)
    local st = state(self)
    local now = self:_clock()
    local req = rec.call.req
    local session = self._session
    if not session.start then
      -- A transport without concurrency (the in-process simulator): the request runs now, and its outcome
      -- waits for the next dispatch like any other.
      local status, headers, body, info =
        session:request(req.method, req.url, req.headers, req.body, attempt_timeout(rec.call, now), req.repeatable)
      st.ready[#st.ready + 1] = { false, status, headers, body, info, rec = rec }
      if self._loop then self._loop.wake() end
      return
    end
    local id, message, kind = session:start(req.method, req.url, req.headers, req.body,
      attempt_timeout(rec.call, now), req.repeatable)
    if not id then
      -- The result waits for the next dispatch, so a callback never runs inside the call that started it.
      st.ready[#st.ready + 1] = { false, nil, message, kind, rec = rec }
    else
      rec.id = id
      st.inflight[id] = rec
    end
    if self._loop then self._loop.wake() end
  end

  -- One outcome: `o[2..7]` are the status, headers, body, info, decoded data and decode error, as the session's
  -- completed() gives them; `o.aborted` and `o.config_error` mark the calls that end without a request.
  local function handle_outcome(self, st, now, rec, o)
    if rec.cancelled or rec.done then -- luacheck: ignore 542
      -- ended already: cancelled, or aborted by a close()
    elseif o.aborted then
      deliver(self, rec, nil, aborted(rec))
    elseif o.config_error then
      -- No token or an unreadable config file answers every request, as on the blocking path.
      deliver(self, rec, nil, errors.new { kind = "config", message = self._config_error,
        method = rec.call.req.method, path = rec.call.req.path, attempts = 0 })
    else
      local ok, trace_err = pcall(report_trace, self, o[2], o[5])
      if not ok then report(self, trace_err) end
      local wait = not self._closed and next_wait(self, rec.call, now, o[2], o[3], o[4])
      if self._closed then -- on_trace closed the client
        deliver(self, rec, nil, aborted(rec))
      elseif wait then
        rec.due = now() + wait
        st.delayed[#st.delayed + 1] = rec
      else
        deliver(self, rec, settle(self, rec.call, o[2], o[3], o[4], o[5], o[6], o[7]))
      end
    end
  end

  -- Turns what finished into results or retries, starts the retries that are due, and calls back. A raise
  -- part-way (memory running out) leaves what is not handed over yet where the next dispatch, or close(),
  -- finds it; a callback that closes the client ends the rest of the round aborted (close() does).
  local function dispatch(self)
    local st = state(self)
    if self._closed then
      internal.abort_all(self) -- goes on with one that a raise interrupted
      return
    end
    local now = self:_clock()
    if not st.current then
      st.current, st.current_at, st.ready = st.ready, 1, {}
    end
    local list = st.current
    while not self._closed and st.current == list and st.current_at <= #list do
      local o = list[st.current_at]
      handle_outcome(self, st, now, o.rec, o)
      if st.current == list then st.current_at = st.current_at + 1 end
    end
    if self._closed then -- a callback closed the client: the rest ends aborted (and close() may have raised)
      internal.abort_all(self)
      return
    end
    if st.current == list then st.current = false end
    if not st.arrived and self._session.completed then
      local arrived, more = self._session:completed(self._loop and HANDOVER_BUDGET or nil)
      st.arrived, st.arrived_at, st.more = arrived, 1, more == true
    end
    list = st.arrived
    while list and not self._closed and st.arrived == list and st.arrived_at <= #list do
      local r = list[st.arrived_at]
      local rec = st.inflight[r[1]]
      if rec then handle_outcome(self, st, now, rec, r) end
      if st.arrived == list then
        if rec and st.inflight[r[1]] == rec then st.inflight[r[1]] = nil end
        st.arrived_at = st.arrived_at + 1
      end
    end
    if self._closed then
      internal.abort_all(self)
      return
    end
    if list and st.arrived == list then st.arrived = false end
    -- The retries that are due start; each leaves the list when it started.
    local delayed = st.delayed
    local i, t = 1, now()
    while not self._closed and st.delayed == delayed and i <= #delayed do
      local rec = delayed[i]
      if rec.cancelled then -- a cancelled one is dropped here
        table.remove(delayed, i)
      elseif rec.due <= t then
        rec.call.attempt = rec.call.attempt + 1
        launch(self, rec)
        table.remove(delayed, i)
      else
        i = i + 1
      end
    end
  end

  -- Parses the arguments of start, (operation, params, callback) or (method, path, [opts,] callback), and of
  -- await, the same without the callback. Raises (at the caller of start or await) on a mistake.
  local function parse(self, fname, with_callback, a, b, c, d)
    local callback, req
    if type(a) == "string" and not HTTP_METHODS[a:upper()] then
      if calls.find(a) == nil then
        error(("bad argument #1 to '%s' (unknown operation '%s')"):format(fname, a), 3)
      end
      callback = c
      local method, path, opts = calls.build(a, b, { org = self.org }, 4)
      req = prepare(self, method, path, opts, fname, 4)
    else
      local opts = c
      if with_callback then
        if type(c) == "function" and d == nil then
          opts, callback = nil, c
        else
          callback = d
        end
      end
      req = prepare(self, a, b, opts, fname, 4)
    end
    if with_callback and type(callback) ~= "function" then
      error(("bad argument to '%s' (a callback function expected last)"):format(fname), 3)
    end
    return req, callback
  end

  local function begin(self, req, callback, direct)
    local st = state(self)
    local now = self:_clock()
    -- Every field set later exists from the start (see state()).
    local rec = { call = new_call(req, now), callback = callback, direct = direct, done = false, cancelled = false,
      id = false, due = 0 }
    rec.call.attempt = 1
    local handle = {}
    --- Cancels the request: its callback is never called. Safe from inside any callback, and twice.
    function handle.cancel()
      if rec.cancelled or rec.done then return false end
      rec.cancelled = true
      st.count = st.count - 1
      if rec.id then
        st.inflight[rec.id] = nil
        if not self._closed then self._session:cancel(rec.id) end
      end
      return true
    end
    -- The call is counted once it is registered (where its outcome waits): a raise before that leaves no trace.
    if self._config_error then
      st.ready[#st.ready + 1] = { rec = rec, config_error = true }
      rec.call.attempt = 0
      if self._loop then self._loop.wake() end
    elseif self._closed then
      -- Only a batch gets here after close() (start and await raise): its next call ends aborted.
      st.ready[#st.ready + 1] = { rec = rec, aborted = true }
    else
      launch(self, rec)
    end
    st.count = st.count + 1
    return handle
  end

  --- Starts a request without waiting for it. `callback(data, err, response)` is called with the same
  --- values a blocking call returns, once, when it ends (after any retries). Forms:
  --- `client:start("get_environment", params, callback)`, `client:start("GET", "/path", callback)`,
  --- `client:start("POST", "/path", opts, callback)`. Returns a handle with `handle.cancel()`.
  --- Requests make progress while something drives them: an adapter's event loop (humanitec.loop), or
  --- `client:run()`.
  ---@param a string an operation's name, or an HTTP method
  ---@param b table|string the operation's params, or the path
  ---@param c? table|function the request's options, or the callback
  ---@param d? function the callback, after options
  ---@return table handle
  function Client:start(a, b, c, d)
    local req, callback = parse(self, "start", true, a, b, c, d)
    return begin(self, req, callback, false)
  end

  -- Waits for and handles one round of events, for the blocking drivers.
  local function step(self, max_wait)
    local st = state(self)
    local now, sleep = self:_clock()
    local wait = max_wait or 1
    for _, rec in ipairs(st.delayed) do
      wait = math.min(wait, math.max(0, rec.due - now()))
    end
    if #st.ready > 0 or st.more or self._closed then wait = 0 end
    if not self._closed and self._session.pending and self._session:pending() > 0 then
      self._session:wait(wait)
    elseif wait > 0 then
      sleep(wait)
    end
    dispatch(self)
  end

  --- Drives the client's requests until none is left (or `timeout` seconds pass): the blocking event loop for
  --- plain scripts. Returns true when all are done, false on the timeout.
  ---@param timeout? number
  ---@return boolean
  function Client:run(timeout)
    if timeout ~= nil and (type(timeout) ~= "number" or timeout ~= timeout or timeout < 0) then
      error("bad argument #1 to 'run' (non-negative number expected)", 2)
    end
    local st = state(self)
    local now = self:_clock()
    local deadline = timeout and now() + timeout
    while st.count > 0 do
      if deadline and now() >= deadline then return false end
      step(self, deadline and math.min(1, deadline - now()) or 1)
    end
    return true
  end

  --- Runs many calls, `concurrency` at a time (16 by default), and returns when all have ended. A call is a
  --- raw request, `{ "GET", "/path", opts }`, or an operation, `{ "get_environment", { appId = a, envId = e } }`.
  --- `results[i]` answers `calls[i]`: `{ data = ..., response = ... }` or `{ err = ... }`. One call's failure
  --- never affects another's, and each is retried on its own. Mistakes in a call raise, before any is sent.
  ---@param calls_list table[]
  ---@param opts? {concurrency?: integer}
  ---@return table[] results
  function Client:batch(calls_list, opts)
    if type(calls_list) ~= "table" then
      error("bad argument #1 to 'batch' (list of calls expected, got " .. type(calls_list) .. ")", 2)
    end
    if opts ~= nil and type(opts) ~= "table" then
      error("bad argument #2 to 'batch' (table expected, got " .. type(opts) .. ")", 2)
    end
    for k in pairs(opts or {}) do
      if k ~= "concurrency" then
        error(("bad argument #2 to 'batch' (unknown option '%s'%s)"):format(tostring(k),
          vocabulary.hint(k, { "concurrency" })), 2)
      end
    end
    local concurrency = opts and opts.concurrency or 16
    if type(concurrency) ~= "number" or concurrency < 1 or concurrency ~= math.floor(concurrency) then
      error("bad option 'concurrency' to 'batch' (whole number of at least 1 expected)", 2)
    end
    local n = #calls_list
    local reqs = {}
    for i = 1, n do
      local call = calls_list[i]
      if type(call) ~= "table" or type(call[1]) ~= "string" then
        error(("bad call #%d to 'batch' (a table { method, path, opts } or { operation, params } expected)")
          :format(i), 2)
      end
      local ok, req_or_err = pcall(function()
        if HTTP_METHODS[call[1]:upper()] then
          return prepare(self, call[1], call[2], call[3], "batch", 3)
        end
        if calls.find(call[1]) == nil then error("unknown operation '" .. call[1] .. "'", 0) end
        local method, path, o = calls.build(call[1], call[2], { org = self.org })
        return prepare(self, method, path, o, "batch", 3)
      end)
      if not ok then
        error(("bad call #%d to 'batch': %s"):format(i, tostring(req_or_err):gsub("^.-:%d+: ", "")), 2)
      end
      reqs[i] = req_or_err
    end

    -- Each result's table is made before any call starts, so that a callback stores its call's outcome without
    -- allocating (memory may run out); a call counts as started once begin() returned, and one that a raise
    -- kept from starting starts on the next round.
    local results, started, running = {}, 0, 0
    for i = 1, n do results[i] = { data = false, response = false, err = false } end
    local function fill()
      while running < concurrency and started < n do
        local i = started + 1
        begin(self, reqs[i], function(data, err, response)
          local r = results[i]
          if err then
            r.data, r.response, r.err = nil, nil, err
          else
            r.data, r.response, r.err = data, response, nil
          end
          running = running - 1
          fill()
        end, true)
        started, running = i, running + 1
      end
    end
    while running > 0 or started < n do
      fill()
      step(self, 1)
    end
    return results
  end

  --- Inside a coroutine driven by an adapter: starts the request, yields, and returns what a blocking call
  --- returns when it ends, while the event loop goes on. Elsewhere (no adapter, or the main thread) it simply
  --- blocks until the request ends. Arguments as for client:start, without the callback.
  ---@param a string an operation's name, or an HTTP method
  ---@param b? table|string the operation's params, or the path
  ---@param c? table the request's options
  ---@return any data
  ---@return humanitec.Error? err
  ---@return humanitec.Response? response
  function Client:await(a, b, c)
    local req = parse(self, "await", false, a, b, c)
    local co, is_main = coroutine.running()
    if co == nil or is_main or not self._loop then
      local done, data, err, response = false, nil, nil, nil
      begin(self, req, function(d, e, r) done, data, err, response = true, d, e, r end, true)
      while not done do step(self, 1) end
      return data, err, response
    end
    begin(self, req, function(d, e, r)
      local ok, resume_err = coroutine.resume(co, d, e, r)
      if not ok then report(self, resume_err) end
    end, false)
    return coroutine.yield()
  end

  -- ---- for adapters ------------------------------------------------------------------------------------------
  -- The interface an event-loop adapter (humanitec.loop) uses, and nothing else of the client: _attach and
  -- _detach, then _act, _next_wakeup and _watched while attached. The client keeps what it is given; an adapter
  -- never writes into the client.

  --- Attaches an event loop: `adapter.wake()` is called when the client wants the loop to look again,
  --- `adapter.detach()` when the client closes or another loop is attached; callbacks go through
  --- `adapter.deliver(fn)` when given, and callback errors to `adapter.on_error(err)`.
  ---@param adapter {wake: fun(), detach: fun(), deliver?: fun(fn: function), on_error?: fun(err: any)}
  function Client:_attach(adapter)
    if self._loop then self._loop.detach() end
    self._loop = { wake = adapter.wake, detach = adapter.detach }
    self._deliver = adapter.deliver
    self._on_callback_error = adapter.on_error
  end

  --- Detaches the loop whose `detach` function is given, if it is still the attached one. A client that is
  --- closing keeps the loop's delivery and on_error: the calls close() ends aborted are handed over, and their
  --- errors reported, the way the host asked for every other call (under Neovim, in the editor's main loop).
  ---@param detach fun()
  function Client:_detach(detach)
    if self._loop and self._loop.detach == detach then
      self._loop = nil
      if not self._closed then self._deliver, self._on_callback_error = nil, nil end
    end
  end

  --- Acts on a ready socket (or, without one, on libcurl's timer) and dispatches what finished.
  function Client:_act(fd, readable, writable)
    if self._closed then return end
    if self._session.act then self._session:act(fd, readable, writable) end
    dispatch(self)
  end

  --- Seconds until the client next needs `_act()` without a socket: libcurl's timer, a retry coming due, or a
  --- result waiting; nil when nothing is pending.
  function Client:_next_wakeup()
    if self._closed then return nil end
    local st = state(self)
    if #st.ready > 0 or st.more then return 0 end
    local wake = self._session.timer and self._session:timer() or nil
    local now = self:_clock()
    for _, rec in ipairs(st.delayed) do
      local left = math.max(0, rec.due - now())
      if not wake or left < wake then wake = left end
    end
    return wake
  end

  --- The sockets libcurl wants watched now (see session:watched()).
  function Client:_watched()
    if self._closed or not self._session.watched then return {} end
    return self._session:watched()
  end

  -- Requests still in flight when the client closes end with an error of kind "aborted". Every error is made
  -- before anything is cleared, and the list being ended stays reachable until each was delivered: a raise
  -- part-way (memory running out) leaves the rest to the next call (dispatch calls it again while closed).
  function internal.abort_all(self)
    local st = self._async
    if not st then return end
    local pending, errs = {}, {}
    local function add(rec)
      if not rec.cancelled and not rec.done then
        pending[#pending + 1] = rec
        errs[#pending] = aborted(rec)
      end
    end
    if st.aborting then
      for i = st.aborting_at, #st.aborting do add(st.aborting[i]) end
    end
    if st.current then
      for i = st.current_at, #st.current do add(st.current[i].rec) end
    end
    for _, rec in pairs(st.inflight) do add(rec) end -- those in `arrived` too
    for _, o in ipairs(st.ready) do add(o.rec) end
    for _, rec in ipairs(st.delayed) do add(rec) end
    -- Nothing below allocates until the deliveries.
    st.aborting, st.aborting_errs, st.aborting_at = pending, errs, 1
    st.current, st.arrived, st.more = false, false, false
    for k in pairs(st.inflight) do st.inflight[k] = nil end
    for i = #st.ready, 1, -1 do st.ready[i] = nil end
    for i = #st.delayed, 1, -1 do st.delayed[i] = nil end
    while st.aborting == pending and st.aborting_at <= #pending do
      local i = st.aborting_at
      deliver(self, pending[i], nil, errs[i])
      if st.aborting == pending then st.aborting_at = i + 1 end
    end
    if st.aborting == pending then st.aborting, st.aborting_errs = false, false end
  end

end

return M

--- What the workflow helpers share: the option check, the clock and its pace (a deadline and a backing-off
--- interval), the waits built on it, and the statuses a wait watches. Internal to humanitec.workflows.
local errors = require "humanitec.errors"
local json = require "humanitec.json"
local vocabulary = require "humanitec.vocabulary"

local S = {}

local DEFAULT_TIMEOUT = 1800 -- seconds a wait may take unless told otherwise
local DEFAULT_INTERVAL = 2
local MAX_INTERVAL = 10
local BACKOFF = 1.5

local RUNNING = { pending = true, ["in progress"] = true }
local RUN_OPEN = { queued = true, executing = true, waiting = true, cancelling = true }

-- ---- argument checks: misuse raises at the helper's caller, naming the option -------------------------------

-- Checks a helper's options against the vocabulary, and that the client is open; called first thing in each
-- helper's own body, so misuse raises at the helper's caller rather than deep in a request it makes.
local function check_opts(self, fname, opts)
  if rawget(self, "_closed") then
    error("attempt to use a closed humanitec client", 3)
  end
  vocabulary.check(fname, opts, 3) -- not a tail call: level 3 is the helper's caller
  return opts
end

-- Checks that a helper's option `name` can be sent as JSON, naming the field's path from the option
-- (`delta.modules.add.x: a function cannot be sent as JSON`); raises at the helper's caller.
local function check_json(fname, name, value)
  if value == nil then return end
  local ok, message = pcall(json.encode, value, name)
  if not ok then
    error(("bad option '%s' to '%s' (%s)"):format(name, fname, tostring(message)), 3)
  end
end

local function is_null(v)
  return v == nil or v == json.null
end

-- ---- the clock ------------------------------------------------------------------------------------------------

-- The pace of a wait on the client's clock: `deadline`, `opts.timeout` seconds from now; `interval`, from
-- `opts.interval`, which each `pause` sleeps (or `seconds`, when given) and then grows by BACKOFF, up to
-- MAX_INTERVAL or the first interval if that is longer. `now()` and `left()` read the clock.
local function pace(self, opts)
  local now, sleep = self:_clock()
  local p = { now = now, timeout = opts.timeout or DEFAULT_TIMEOUT, interval = opts.interval or DEFAULT_INTERVAL }
  p.deadline = now() + p.timeout
  local max_interval = math.max(MAX_INTERVAL, p.interval)
  function p.left() return p.deadline - now() end
  function p.pause(seconds)
    sleep(seconds or p.interval)
    p.interval = math.min(p.interval * BACKOFF, max_interval)
  end
  return p
end

-- Calls `poll()` until it returns a non-nil first value or an error, sleeping between calls on a backing-off
-- interval, never past the deadline. `poll` returns done_value, or nil, err, or false to go on.
local function poll_until(self, opts, poll)
  local p = pace(self, opts)
  while true do
    local value, err = poll()
    if value then return value end
    if err then return nil, err end
    local left = p.left()
    if left <= 0 then return nil, "timeout", p.timeout end
    p.pause(math.min(p.interval, left))
  end
end

-- Polls `get()` until its record's status is none of `open`, calling `opts.on_progress(status, record)` on
-- every change of status (the first one seen included). Returns the final record; or nil and the error ("timeout"
-- when time ran out), with the last record and status seen.
local function watch(self, opts, open, get)
  local last, last_status
  local done, err = poll_until(self, opts, function()
    local record, get_err = get()
    if not record then return nil, get_err end
    last = record
    if record.status ~= last_status then
      last_status = record.status
      if opts.on_progress then opts.on_progress(record.status, record) end
    end
    if open[record.status] then return false end
    return record
  end)
  return done, err, last, last_status
end

-- Watches as `watch` does, for a helper's wait: returns the final record, or nil and the error. Running out of
-- time is an error of kind "timeout" ("<what> still <status> after <timeout> s") with `last_status` and the
-- last record seen as `field`.
local function wait(self, opts, open, what, field, get)
  local done, err, last, last_status = watch(self, opts, open, get)
  if err == "timeout" then
    return nil, errors.new { kind = "timeout", last_status = last_status, [field] = last, method = "GET",
      message = ("%s still %s after %g s"):format(what, tostring(last_status), opts.timeout or DEFAULT_TIMEOUT) }
  end
  return done, err
end

S.RUNNING, S.RUN_OPEN = RUNNING, RUN_OPEN
S.check_opts, S.check_json, S.is_null = check_opts, check_json, is_null
S.pace, S.wait = pace, wait

return S

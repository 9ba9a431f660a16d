--- Serves a simulator over HTTP with lua-http and cqueues (no hand-written HTTP parsing).
--
--   local server = require("humanitec.sim.server").new(sim, { host = "127.0.0.1", port = 0 })
--   print(server:url())   -- the address it listens on, with the port the system picked
--   server:loop()         -- serves until the process is stopped
--
-- The simulator's clock should be real time here (see `M.real_clock`), unless test drivers move it through the
-- control API; injected latency is slept with cqueues, so other connections are served meanwhile.
--
-- The control API (`M.control`, `bin/humanitec-sim --control`) lets a test driver in any language do over HTTP
-- what a Lua test does in process with the simulator's methods, as moto's and stripe-mock's do. It is not
-- part of Humanitec's API: its routes live under the reserved prefix /_sim/, take no token, never meet
-- injected faults, and are served only when asked for. Serve it on loopback only. Bodies are JSON; errors
-- have the usual error body (400 for bad input, 404 and 405 for unknown routes and methods).
--
--   GET  /_sim/now                   200 {"now": epoch seconds, "time": "2024-01-01T00:00:00.000Z",
--                                         "manual_clock": true when /_sim/advance can move it}
--   POST /_sim/advance               {"seconds": N}: moves the manual clock and settles what became due
--                                    (deployments, pipeline runs); 200 as /_sim/now, 409 on real time
--   POST /_sim/inject                a fault, as sim:inject takes it: {"status", "retry_after", "latency",
--                                    "times" (a count, or "always" until cleared), "path" (a Lua pattern),
--                                    "method", "message"}; 204
--   POST /_sim/fail-next-deployment  {"app"?, "env"?, "errors"?}, as sim:fail_next_deployment; 204
--   POST /_sim/clear-faults          drops injected faults and pending deployment failures; 204
--   POST /_sim/tokens                {"token", "orgs": [ids], "user"?, "name"?, "email"?}: adds a bearer token
--                                    (organizations and user created if missing), as sim:add_token;
--                                    201 {"token", "user_id"}
--   GET  /_sim/devices               the device log-ins waiting for an answer, oldest first:
--                                    200 [{"security_code", "device_id", "created_at"}]
--   POST /_sim/devices/approve       {"security_code", "orgs"?, "user"?, "expires_in"? (seconds)}: approves
--                                    one, as sim:approve_device; 200 {"security_code", "access_token"}
--   POST /_sim/devices/refuse        {"security_code"}: refuses one, as sim:refuse_device; 204
--   POST /_sim/runtime               {"app", "env", "module"?, "status"?}: what the runtime stand-in reports,
--                                    as sim:set_runtime; 204
--   POST /_sim/reset                 drops all state and starts a fresh simulator from the startup options;
--                                    a body may override some of them, for the new simulator only:
--                                    {"orgs": [ids], "tokens": {token: [org ids] or {"orgs", "user", "name",
--                                    "email"}}, "seed", "start" (manual clock only), "deploy_seconds",
--                                    "pending_seconds", "step_seconds", "latency" (seconds), "public_url"};
--                                    204
local cqueues = require "cqueues"
local ce = require "cqueues.errno"
local http_server = require "http.server"
local http_headers = require "http.headers"
local http_util = require "http.util"
local json = require "humanitec.json"
local sim_mod = require "humanitec.sim"
local router_mod = require "humanitec.sim.router"
local U = require "humanitec.sim.util"

local M = {}

local Server = {}
Server.__index = Server

--- A clock in epoch seconds that follows the monotonic clock, so it never jumps with the wall clock.
---@return fun(): number
function M.real_clock()
  local start, mono = os.time(), cqueues.monotime()
  return function() return start + (cqueues.monotime() - mono) end
end

-- The control API ---------------------------------------------------------------------------------------

--- The reserved path prefix of the control API.
M.CONTROL_PREFIX = "/_sim/"

-- The simulator options /_sim/reset takes (all JSON can carry), each with the check its value must pass.
local function non_negative(v) return type(v) == "number" and v >= 0 end
local RESET_OPTIONS = {
  orgs = function(v) return U.is_list(v) or U.is_object(v) and next(v) == nil end,
  tokens = U.is_object,
  seed = function(v) return type(v) == "string" or type(v) == "number" end,
  start = non_negative, deploy_seconds = non_negative, pending_seconds = non_negative,
  step_seconds = non_negative, latency = non_negative,
  public_url = function(v) return type(v) == "string" end,
}

-- The optional JSON object body of a control request, with JSON nulls dropped.
local function control_body(req)
  if req.body == nil or req.body:find("^%s*$") then return {} end
  local body = U.json_body(req)
  for k, v in pairs(body) do
    if v == json.null then body[k] = nil end
  end
  return body
end

-- Runs one of the simulator's methods for the control API: its argument errors become 400s.
local function call(fn, ...)
  local ok, err = pcall(fn, ...)
  if not ok then U.fail(400, (tostring(err):gsub("^[^\n]-:%d+: ", ""))) end
  return err
end

local function clock_answer(sim)
  local now = sim:now()
  return 200, { now = now, time = U.iso(now), manual_clock = sim.manual_now ~= nil }
end

local CONTROL = router_mod.new()

CONTROL:add("GET", "/_sim/now", function(self) return clock_answer(self.sim) end)

CONTROL:add("POST", "/_sim/advance", function(self, req)
  local seconds = control_body(req).seconds
  if not self.sim.manual_now then
    U.fail(409, "the simulator runs on real time: start it with --manual-clock to move its clock")
  end
  call(self.sim.advance, self.sim, seconds)
  return clock_answer(self.sim)
end)

CONTROL:add("POST", "/_sim/inject", function(self, req)
  local fault = control_body(req)
  if fault.times == "always" then fault.times = math.huge end
  -- JSON numbers may decode as floats (503.0), which would not do for a status line.
  if type(fault.status) == "number" and fault.status == math.floor(fault.status) then
    fault.status = math.floor(fault.status)
  end
  call(self.sim.inject, self.sim, fault)
  return 204
end)

CONTROL:add("POST", "/_sim/fail-next-deployment", function(self, req)
  call(self.sim.fail_next_deployment, self.sim, control_body(req))
  return 204
end)

CONTROL:add("POST", "/_sim/clear-faults", function(self)
  self.sim:clear_faults()
  return 204
end)

CONTROL:add("POST", "/_sim/tokens", function(self, req)
  local body = control_body(req)
  local user = call(self.sim.add_token, self.sim, body.token, body.orgs,
    { user = body.user, name = body.name, email = body.email })
  return 201, { token = body.token, user_id = user.id }
end)

CONTROL:add("GET", "/_sim/devices", function(self)
  return 200, U.array(self.sim:device_requests())
end)

CONTROL:add("POST", "/_sim/devices/approve", function(self, req)
  local body = control_body(req)
  local token = call(self.sim.approve_device, self.sim, body.security_code,
    { orgs = body.orgs, user = body.user, expires_in = body.expires_in })
  return 200, { security_code = body.security_code, access_token = token }
end)

CONTROL:add("POST", "/_sim/devices/refuse", function(self, req)
  call(self.sim.refuse_device, self.sim, control_body(req).security_code)
  return 204
end)

CONTROL:add("POST", "/_sim/runtime", function(self, req)
  local body = control_body(req)
  call(self.sim.set_runtime, self.sim, { app = body.app, env = body.env, module = body.module, status = body.status })
  return 204
end)

CONTROL:add("POST", "/_sim/reset", function(self, req)
  local options = U.copy(self.options)
  for name, value in pairs(control_body(req)) do
    local check = RESET_OPTIONS[name]
    if not check then U.fail(400, "unknown option '" .. tostring(name) .. "' to /_sim/reset") end
    if not check(value) then U.fail(400, "bad value for option '" .. name .. "' to /_sim/reset") end
    options[name] = value
  end
  if options.clock and options.start then
    U.fail(400, "option 'start' needs the manual clock (--manual-clock)")
  end
  self.sim = call(sim_mod.new, options)
  return 204
end)

local Control = {}
Control.__index = Control

--- The simulator with the control API in front of it: built from `options` (those of `humanitec.sim.new`),
-- it answers requests under `M.CONTROL_PREFIX` itself and hands every other one to the current simulator.
-- Give it to `M.new` in place of a simulator. Raises, as `humanitec.sim.new` does, on bad options.
---@param options humanitec.sim.Options  the startup options: /_sim/reset starts again from them
---@return table handler  with `handle`, the simulator's contract, and `sim`, the current simulator
function M.control(options)
  if type(options) ~= "table" then
    error("bad argument #1 to 'control' (table expected, got " .. type(options) .. ")", 2)
  end
  return setmetatable({ options = U.copy(options), sim = sim_mod.new(options) }, Control)
end

--- Answers one request, as `sim:handle` does.
---@param req humanitec.sim.Request
---@return integer status
---@return table<string, string> headers
---@return string body
---@return number latency
function Control:handle(req)
  if type(req) ~= "table" or type(req.path) ~= "string" or type(req.method) ~= "string"
    or req.path:sub(1, #M.CONTROL_PREFIX) ~= M.CONTROL_PREFIX then
    return self.sim:handle(req)
  end
  local path = #req.path > 1 and req.path:gsub("/+$", "") or req.path
  local handler, allowed = CONTROL:find(req.method:upper(), path)
  local ok, status, body = pcall(function()
    if handler then return handler(self, req) end
    if #allowed > 0 then U.fail(405, "method " .. req.method .. " is not allowed on " .. path) end
    U.fail(404, "no such control endpoint: " .. path)
  end)
  local headers = { ["content-type"] = "application/json" }
  if not ok then
    if not U.is_failure(status) then
      status, body = 500, U.error_body(500, "internal simulator error: " .. tostring(status))
    else
      status, body = status.status, U.error_body(status.status, status.message)
    end
    if status == 405 then headers.allow = table.concat(allowed, ", ") end
  end
  if body == nil then return status, {}, "", 0 end
  return status, headers, json.encode(body), 0
end

-- Seconds a connection may take to send a request's header or body, or to take an answer.
local IO_TIMEOUT = 30

--- The largest request body the server reads, in bytes; a larger one is answered 413 unread.
M.MAX_BODY = 8 * 1024 * 1024

-- Writes an answer. `close` adds "connection: close" (the connection is dropped after it).
local function send(stream, status, headers, body, head_only, close)
  local res = http_headers.new()
  res:append(":status", tostring(status))
  for name, value in pairs(headers) do res:append(name, value) end
  if close then res:append("connection", "close") end
  local empty = body == "" or head_only == true
  if not empty then res:append("content-length", tostring(#body)) end
  local ok, err = stream:write_headers(res, empty, IO_TIMEOUT)
  if ok and not empty then ok, err = stream:write_chunk(body, true, IO_TIMEOUT) end
  return ok, err
end

-- Answers with an error body and "connection: close"; failures to write are ignored (the peer may be gone).
local function send_error(stream, status, message, head_only)
  local body = json.encode(U.error_body(status, message))
  send(stream, status, { ["content-type"] = "application/json" }, body, head_only, true)
end

-- Ends the connection under `stream`. lua-http 0.4 drains what is left of a request when the stream shuts down,
-- and it cannot do that for a body it could not frame: a negative Content-Length raises out of the server loop,
-- and a body cut short (or a Content-Length it rejected) is polled forever without yielding. With the socket
-- taken away those reads fail at once (EPIPE) and the stream closes. No automatic answer is left to write:
-- lua-http would write one on the socket that is gone when no header was sent.
local function drop_connection(stream)
  if stream.body_write_type == nil then stream.body_write_type = "missing" end
  local sock = stream.connection:take_socket()
  if sock then sock:close() end
end

-- Checks how the request frames its body. Returns "none", "length" and the byte count, or "chunked"; or nil,
-- the status to answer and a message. Only a digits-only Content-Length is accepted, and one of the two
-- framings at a time (both at once is how requests are smuggled past proxies).
local function framing(headers, limit)
  local te = headers:get_comma_separated("transfer-encoding")
  local lengths = headers:get_as_sequence("content-length")
  if te then
    if lengths.n > 0 then return nil, 400, "a request cannot have both Content-Length and Transfer-Encoding" end
    if te:lower():match("^%s*(.-)%s*$") ~= "chunked" then
      return nil, 400, "unsupported Transfer-Encoding: " .. te
    end
    return "chunked"
  end
  if lengths.n == 0 then return "none" end
  if lengths.n > 1 then return nil, 400, "a request may have only one Content-Length" end
  local text = lengths[1]
  if not text:find("^%d+$") then return nil, 400, "Content-Length must be a decimal number of bytes" end
  local digits = text:gsub("^0+", "")
  if #digits > 15 or tonumber(digits ~= "" and digits or "0") > limit then
    return nil, 413, "the request body is larger than " .. limit .. " bytes"
  end
  local n = tonumber(text)
  if n == 0 then return "none" end
  return "length", n
end

-- Reads the body, bounded in time and size. Returns it, or nil, the status to answer and a message. `want` is
-- the declared length (nil for chunked): a body that ends short of it is an error, not a request.
local function read_body(stream, want, limit)
  local deadline = cqueues.monotime() + IO_TIMEOUT
  local parts, total = {}, 0
  for _ = 1, limit + 2 do -- every chunk but the end carries a byte
    local left = deadline - cqueues.monotime()
    if left <= 0 then return nil, 408, "timed out reading the request body" end
    local chunk, err = stream:get_next_chunk(left)
    if chunk == nil then
      if err then return nil, 400, "cannot read the request body: " .. tostring(err) end
      if want and total ~= want then
        return nil, 400, string.format("the request body ended after %d of %d bytes", total, want)
      end
      return table.concat(parts)
    end
    total = total + #chunk
    if total > limit then return nil, 413, "the request body is larger than " .. limit .. " bytes" end
    parts[#parts + 1] = chunk
  end
  return nil, 400, "the request body did not end"
end

-- Serves one request. Returns true when the connection can carry another one (the request was read whole
-- and answered), false when it must be dropped.
local function serve(sim, stream, limit)
  -- lua-http rejects some framings here ("Content-Length: abc"), and raises on others ("Transfer-Encoding:
  -- gzip" without lua-zlib): either way the request line arrived but no usable header.
  local read_ok, req_headers, err, errno = http_util.yieldable_pcall(stream.get_headers, stream, IO_TIMEOUT)
  if not read_ok then req_headers, err = nil, "unsupported request framing" end
  if not req_headers and errno == ce.EILSEQ and stream.state == "idle" then
    -- No request line could be read: longer than the socket's line limit (4 KiB), or not HTTP/1.x. lua-http
    -- leaves the stream idle, where it cannot answer; open it as an HTTP/1.1 stream so that this malformed
    -- request gets its 400 like every other one instead of a reset.
    stream.peer_version = 1.1
    stream:set_state("open")
    err = "the request line is too long (over 4 KiB) or not HTTP/1.x"
  end
  if not req_headers then
    if stream.state ~= "idle" then send_error(stream, 400, "malformed request: " .. tostring(err)) end
    return false
  end
  local method = req_headers:get(":method")
  local head_only = method == "HEAD"
  local kind, want, message = framing(req_headers, limit)
  if not kind then
    send_error(stream, want, message, head_only)
    return false
  end
  local body
  if kind ~= "none" then
    -- lua-http leaves the interim answer to us; without it curl waits a second before sending a large body.
    if (req_headers:get("expect") or ""):lower() == "100-continue" then stream:write_continue(IO_TIMEOUT) end
    local status
    body, status, message = read_body(stream, kind == "length" and want or nil, limit)
    if not body then
      send_error(stream, status, message, head_only)
      return false
    end
  end
  local target = req_headers:get(":path") or "/"
  local path, query = target:match("^([^?]*)%??(.*)$")
  local headers = {}
  for name, value in req_headers:each() do
    if name:sub(1, 1) ~= ":" then headers[name] = value end
  end
  headers.host = headers.host or req_headers:get(":authority")
  local ok, status, out_headers, out_body, latency = pcall(sim.handle, sim, {
    method = method, path = path, query = query ~= "" and query or nil, headers = headers, body = body,
  })
  if not ok then
    io.stderr:write("humanitec-sim: ", tostring(status), "\n")
    status, out_headers, latency = 500, { ["content-type"] = "application/json" }, 0
    out_body = json.encode(U.error_body(500, "internal simulator error"))
  end
  if latency and latency > 0 then cqueues.sleep(latency) end
  return send(stream, status, out_headers, out_body, head_only) == true
end

local function on_stream(sim, stream, limit)
  local ok, keep = http_util.yieldable_pcall(serve, sim, stream, limit)
  if not ok then
    io.stderr:write("humanitec-sim: ", tostring(keep), "\n")
    if stream.body_write_type == nil and stream.state ~= "idle" then
      pcall(send_error, stream, 500, "internal simulator error")
    end
  end
  if not (ok and keep) then drop_connection(stream) end
end

--- Binds a listening socket for `sim`: a simulator, or one with the control API in front (`M.control`).
---@param sim table  anything with the simulator's `handle`
---@param opts? {host?: string, port?: integer, max_body?: integer}
---@return table|nil server
---@return string? err
function M.new(sim, opts)
  opts = opts or {}
  local host, port = opts.host or "127.0.0.1", opts.port or 0
  local limit = opts.max_body or M.MAX_BODY
  local ok, srv = pcall(http_server.listen, {
    host = host, port = port, reuseaddr = true,
    onstream = function(_, stream) on_stream(sim, stream, limit) end,
    onerror = function(_, context, op, err)
      -- A client that went away mid-request is not the simulator's problem; report anything else.
      io.stderr:write(string.format("humanitec-sim: %s %s: %s\n", tostring(context), tostring(op), tostring(err)))
    end,
  })
  if not ok then return nil, tostring(srv) end
  local bound, err = srv:listen()
  if not bound then return nil, tostring(err) end
  local _, bound_host, bound_port = srv:localname()
  return setmetatable({ srv = srv, host = bound_host or host, port = bound_port }, Server)
end

--- The base URL clients reach the server at.
---@return string
function Server:url()
  local host = self.host
  if host:find(":", 1, true) then host = "[" .. host .. "]" end
  return string.format("http://%s:%d", host, self.port)
end

--- Serves until the process is stopped (or an unrecoverable error, returned as nil, err).
---@return boolean|nil ok
---@return string? err
function Server:loop()
  return self.srv:loop()
end

return M

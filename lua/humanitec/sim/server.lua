--- Serves a simulator over HTTP with lua-http and cqueues (no hand-written HTTP parsing).
--
--   local server = require("humanitec.sim.server").new(sim, { host = "127.0.0.1", port = 0 })
--   print(server:url())   -- the address it listens on, with the port the system picked
--   server:loop()         -- serves until the process is stopped
--
-- The simulator's clock should be real time here (see `M.real_clock`); injected latency is slept with
-- cqueues, so other connections are served meanwhile.
local cqueues = require "cqueues"
local http_server = require "http.server"
local http_headers = require "http.headers"
local http_util = require "http.util"
local json = require "humanitec.json"
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
  local read_ok, req_headers, err = http_util.yieldable_pcall(stream.get_headers, stream, IO_TIMEOUT)
  if not read_ok then req_headers, err = nil, "unsupported request framing" end
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

--- Binds a listening socket for `sim`.
---@param sim table
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

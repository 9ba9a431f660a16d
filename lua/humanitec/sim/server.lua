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

local M = {}

local Server = {}
Server.__index = Server

--- A clock in epoch seconds that follows the monotonic clock, so it never jumps with the wall clock.
---@return fun(): number
function M.real_clock()
  local start, mono = os.time(), cqueues.monotime()
  return function() return start + (cqueues.monotime() - mono) end
end

-- Reads a request body, bounded in time; nil when the client sent none.
local function read_body(stream, headers)
  local length = headers:get("content-length")
  local chunked = (headers:get("transfer-encoding") or ""):lower():find("chunked")
  if (not length or length == "0") and not chunked then return nil end
  -- lua-http leaves the interim answer to us; without it curl waits a second before sending a large body.
  if (headers:get("expect") or ""):lower() == "100-continue" and stream.write_continue then
    stream:write_continue(30)
  end
  return stream:get_body_as_string(30)
end

local function on_stream(sim, _, stream)
  local req_headers = stream:get_headers(30)
  if not req_headers then return end
  local method = req_headers:get(":method")
  local target = req_headers:get(":path") or "/"
  local path, query = target:match("^([^?]*)%??(.*)$")
  local headers = {}
  for name, value in req_headers:each() do
    if name:sub(1, 1) ~= ":" then headers[name] = value end
  end
  headers.host = headers.host or req_headers:get(":authority")
  local body = read_body(stream, req_headers)
  local status, out_headers, out_body, latency = sim:handle{
    method = method, path = path, query = query ~= "" and query or nil, headers = headers, body = body,
  }
  if latency and latency > 0 then cqueues.sleep(latency) end
  local res = http_headers.new()
  res:append(":status", tostring(status))
  for name, value in pairs(out_headers) do res:append(name, value) end
  local empty = out_body == "" or method == "HEAD"
  if not empty then res:append("content-length", tostring(#out_body)) end
  stream:write_headers(res, empty, 30)
  if not empty then stream:write_chunk(out_body, true, 30) end
end

--- Binds a listening socket for `sim`.
---@param sim table
---@param opts? {host?: string, port?: integer}
---@return table|nil server
---@return string? err
function M.new(sim, opts)
  opts = opts or {}
  local host, port = opts.host or "127.0.0.1", opts.port or 0
  local ok, srv = pcall(http_server.listen, {
    host = host, port = port, reuseaddr = true,
    onstream = function(s, stream) on_stream(sim, s, stream) end,
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

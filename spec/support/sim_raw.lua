--- A raw-bytes HTTP client for the simulator specs: sends exactly the bytes given (bad framing curl will not
-- send) over loopback with cqueues and reads what comes back, every wait bounded.
--
--   local conn = require("support.sim_raw").open(server.url, "POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\n")
--   local reply = conn:read(2)   -- everything until the server closes, or what came within 2 s
--   conn:close()
local socket = require "cqueues.socket"
local cqueues = require "cqueues"

local M = {}

local Conn = {}
Conn.__index = Conn

--- Connects to `url` (http://HOST:PORT) and writes `data`; `opts.shutdown` then ends the write side, as a
-- client that gives up half way through its body does.
---@param url string
---@param data string
---@param opts? {shutdown?: boolean, timeout?: number}
---@return table conn
function M.open(url, data, opts)
  opts = opts or {}
  local host, port = url:match("^http://%[?([^%]/]-)%]?:(%d+)$")
  assert(host, "not a base URL: " .. tostring(url))
  local timeout = opts.timeout or 2
  local sock = assert(socket.connect{ host = host, port = tonumber(port) })
  sock:setmode("bn", "bn")
  assert(sock:connect(timeout))
  assert(sock:xwrite(data, "bn", timeout))
  if opts.shutdown then sock:shutdown("w") end
  return setmetatable({ sock = sock }, Conn)
end

--- Reads until the server closes the connection or `seconds` pass. Returns the bytes and whether the server
-- closed the connection.
---@param seconds number
---@return string reply
---@return boolean closed
function Conn:read(seconds)
  local deadline = cqueues.monotime() + seconds
  local parts = {}
  for _ = 1, 10000 do
    local left = deadline - cqueues.monotime()
    if left <= 0 then break end
    local chunk, err = self.sock:xread(-65536, "b", left)
    if not chunk then return table.concat(parts), err == nil end
    parts[#parts + 1] = chunk
  end
  return table.concat(parts), false
end

function Conn:close()
  self.sock:close()
end

--- Sends `data`, reads the answer until the server closes (at most `seconds`, default 2) and closes.
---@param url string
---@param data string
---@param opts? {shutdown?: boolean, timeout?: number}
---@return string reply
---@return boolean closed
function M.send(url, data, opts)
  local conn = M.open(url, data, opts)
  local reply, closed = conn:read(opts and opts.timeout or 2)
  conn:close()
  return reply, closed
end

--- The status code of a raw reply, or nil.
---@param reply string
---@return integer|nil
function M.status(reply)
  return tonumber(reply:match("^HTTP/1%.%d (%d%d%d) "))
end

return M

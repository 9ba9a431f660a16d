--- The in-process transport: the client's transport contract served by a simulator, with no sockets.
--
--   local session = transport:open{ token = "tok", max_body = 1e6, ... }
--   local status, headers, body, info = session:request("GET", "http://sim.invalid/orgs", {}, nil, 5)
--   session:close()
--
-- Injected latency is reported in `info` rather than slept: when it exceeds the request's timeout the request
-- fails as a timeout would (nil, message, "timeout"), so tests exercise timeouts without waiting.
local M = {}

local Transport = {}
Transport.__index = Transport

local Session = {}
Session.__index = Session

--- A transport for `sim`.
---@param sim table
---@return table
function M.new(sim)
  return setmetatable({ sim = sim }, Transport)
end

--- Opens a session; the token it is given authenticates every request made through it.
---@param opts? {token?: string, max_body?: number, connect_timeout?: number, trace?: boolean}
---@return table session
function Transport:open(opts)
  if opts ~= nil and type(opts) ~= "table" then
    error("bad argument #1 to 'open' (table expected, got " .. type(opts) .. ")", 2)
  end
  opts = opts or {}
  if opts.token ~= nil and type(opts.token) ~= "string" then
    error("bad field 'token' to 'open' (string expected)", 2)
  end
  return setmetatable({ sim = self.sim, token = opts.token, max_body = opts.max_body, closed = false }, Session)
end

-- Splits an absolute URL into host (with port), path and raw query.
local function split_url(url)
  local host, rest = url:match("^[hH][tT][tT][pP][sS]?://([^/?#]+)(.*)$")
  if not host then return nil end
  rest = rest:gsub("#.*$", "")
  local path, query = rest:match("^([^?]*)%?(.*)$")
  if not path then path = rest end
  if path == "" then path = "/" end
  return host, path, query
end

--- Sends one request to the simulator.
---@param method string
---@param url string  absolute
---@param header_pairs? string[][]  { { name, value }, ... }, as the core takes them
---@param body? string
---@param timeout? number  seconds
---@return integer|nil status
---@return table|string headers_or_message
---@return string|nil body_or_kind
---@return table|nil info
function Session:request(method, url, header_pairs, body, timeout)
  if type(method) ~= "string" then
    error("bad argument #1 to 'request' (string expected, got " .. type(method) .. ")", 2)
  end
  if type(url) ~= "string" then error("bad argument #2 to 'request' (string expected, got " .. type(url) .. ")", 2) end
  if header_pairs ~= nil and type(header_pairs) ~= "table" then
    error("bad argument #3 to 'request' (table expected, got " .. type(header_pairs) .. ")", 2)
  end
  for i, pair in ipairs(header_pairs or {}) do
    if type(pair) ~= "table" or type(pair[1]) ~= "string" or type(pair[2]) ~= "string" then
      error(("bad argument #3 to 'request' (header #%d: { name, value } of strings expected)"):format(i), 2)
    end
  end
  if body ~= nil and type(body) ~= "string" then
    error("bad argument #4 to 'request' (string expected, got " .. type(body) .. ")", 2)
  end
  if self.closed then error("request on a closed session", 2) end
  local host, path, query = split_url(url)
  if not host then return nil, "unsupported URL: " .. url, "url" end
  local headers = { host = host }
  for _, pair in ipairs(header_pairs or {}) do
    headers[pair[1]:lower()] = pair[2]:match("^%s*(.*%S)") or "" -- as a server reads it: no white space around
  end
  if self.token then headers["authorization"] = "Bearer " .. self.token end
  local status, out_headers, out_body, latency = self.sim:handle{
    method = method, path = path, query = query, headers = headers, body = body,
  }
  if timeout and timeout > 0 and latency > timeout then
    return nil, string.format("operation timed out after %.3f seconds", timeout), "timeout"
  end
  if self.max_body and #out_body > self.max_body then
    return nil, "response body exceeds max_body (" .. self.max_body .. " bytes)", "too_large"
  end
  return status, out_headers, out_body, { total = latency, connect = 0, tls = 0, first_byte = latency }
end

--- The simulator's clock, so that the client's waiting helpers poll on it rather than on real time.
---@return number
function Session:now()
  return self.sim:now()
end

--- Waiting in process moves the simulator's manual clock instead of sleeping: specs never wait for real. A
--- simulator given a clock of its own (real time, say) is waited for in real time.
---@param seconds number
function Session:sleep(seconds)
  if self.sim.manual_now then
    self.sim:advance(seconds)
  else
    require("humanitec.core").sleep(seconds)
  end
end

--- Closes the session; closing twice is harmless.
function Session:close()
  self.closed = true
end

Session.__close = Session.close

return M

--- A simulator in another process that looks like one in process: bin/humanitec-sim with `--control
-- --manual-clock`, reached with lua-http's client over one kept-alive loopback connection.
--
--   local sim = require("support.sim_remote").start()
--   sim:reset{ orgs = { "acme" }, tokens = { tok = { "acme" } } }   -- a fresh simulator, these options
--   local status, headers, body = sim:handle{ method = "GET", path = "/orgs", headers = { ... } }
--   sim:advance(5)        -- and inject, fail_next_deployment, clear_faults, now, add_token: the control API
--   sim:stop()
--
-- `handle` keeps the in-process contract (status, lowercase headers, body) so the same client and specs run
-- against both; a request whose path is an absolute URL (a Link header's) goes to this server all the same.
local http_client = require "http.client"
local http_headers = require "http.headers"
local json = require "humanitec.json"
local sim_server = require "support.sim_server"

local M = {}

local Remote = {}
Remote.__index = Remote

-- Seconds any one step of a request may take (connect, write, read).
local TIMEOUT = 10

--- Starts bin/humanitec-sim with the control API and the manual clock (plus `args`).
---@param args? string[]
---@return table sim
function M.start(args)
  local all = { "--control", "--manual-clock" }
  for _, a in ipairs(args or {}) do all[#all + 1] = a end
  local server = sim_server.start(all)
  local host, port = server.url:match("^http://([^/]+):(%d+)$")
  return setmetatable({ server = server, url = server.url, host = host, port = tonumber(port),
    authority = host .. ":" .. port }, Remote)
end

--- Closes the connection and stops the server.
function Remote:stop()
  if self.conn then
    self.conn:close()
    self.conn = nil
  end
  self.server:stop()
end

-- Sends one request on the open connection (opening one when there is none). Returns the status, the
-- headers and the body; or nil and a message.
local function exchange(self, method, target, headers, body)
  if not self.conn then
    local conn, err = http_client.connect({ host = self.host, port = self.port, tls = false, version = 1.1 },
      TIMEOUT)
    if not conn then return nil, "cannot connect to " .. self.url .. ": " .. tostring(err) end
    self.conn = conn
  end
  local stream, err = self.conn:new_stream()
  if not stream then return nil, err end
  local h = http_headers.new()
  h:append(":method", method)
  h:append(":scheme", "http")
  h:append(":path", target)
  local authority = self.authority
  for name, value in pairs(headers) do
    if name:lower() == "host" then authority = value end
  end
  h:append(":authority", authority)
  for name, value in pairs(headers) do
    if name:lower() ~= "host" then h:append(name, value) end
  end
  local ok
  if body then
    h:append("content-length", tostring(#body))
    ok, err = stream:write_headers(h, false, TIMEOUT)
    if ok then ok, err = stream:write_chunk(body, true, TIMEOUT) end
  else
    ok, err = stream:write_headers(h, true, TIMEOUT)
  end
  if not ok then return nil, err end
  local res
  res, err = stream:get_headers(TIMEOUT)
  if not res then return nil, err end
  local text
  text, err = stream:get_body_as_string(TIMEOUT)
  if not text then return nil, err end
  local out = {}
  for name, value in res:each() do
    if name:sub(1, 1) ~= ":" and out[name] == nil then out[name] = value end
  end
  if (out.connection or ""):lower():find("close", 1, true) then
    self.conn:close()
    self.conn = nil
  end
  return tonumber(res:get(":status")), out, text
end

--- Answers one request over HTTP, as `sim:handle` does in process: the status, the response headers
-- (lowercase names; a repeated header gives its first value) and the body ("" when empty).
---@param req {method: string, path: string, query?: string, headers?: table<string, string>, body?: string}
---@return integer status
---@return table<string, string> headers
---@return string body
function Remote:handle(req)
  local target = req.path:gsub("^https?://[^/]*", "")
  if req.query then target = target .. "?" .. req.query end
  local headers = {}
  for name, value in pairs(req.headers or {}) do headers[name] = tostring(value) end
  -- The server drops a connection it kept idle too long: a reused one that fails is tried once afresh.
  local reused = self.conn ~= nil
  local status, out, body = exchange(self, req.method, target, headers, req.body)
  if not status and reused then
    if self.conn then self.conn:close() end
    self.conn = nil
    status, out, body = exchange(self, req.method, target, headers, req.body)
  end
  if not status then
    if self.conn then self.conn:close() end
    self.conn = nil
    error("humanitec-sim over HTTP: " .. req.method .. " " .. target .. ": " .. tostring(out), 2)
  end
  return status, out, body
end

-- Calls the control API; raises (blaming the caller's caller) with the server's message when it refuses.
local function control(self, method, name, body)
  local status, _, text = self:handle{ method = method, path = "/_sim/" .. name,
    headers = { ["content-type"] = "application/json" }, body = body and json.encode(body) or nil }
  local decoded = text ~= "" and json.decode(text) or nil
  if status >= 300 then
    error(name .. ": " .. tostring(type(decoded) == "table" and decoded.message or text), 3)
  end
  return decoded
end

-- A table from a spec as JSON can carry it: `math.huge` times become "always", a token's mixed table
-- ({ user = "bob", "acme" }) an object with its organizations under "orgs".
local function token_spec(spec)
  if type(spec) ~= "table" then return spec end
  local orgs = {}
  for i, org in ipairs(spec.orgs or spec) do orgs[i] = org end
  return { orgs = json.array(orgs), user = spec.user, name = spec.name, email = spec.email }
end

--- Starts a fresh simulator with `opts` (those of `humanitec.sim.new` that JSON can carry).
---@param opts? table
function Remote:reset(opts)
  opts = opts or {}
  if opts.clock ~= nil then error("a clock function cannot cross HTTP: an in-process-only spec", 2) end
  local body = {}
  for k, v in pairs(opts) do body[k] = v end
  if opts.tokens then
    body.tokens = {}
    for token, spec in pairs(opts.tokens) do body.tokens[token] = token_spec(spec) end
  end
  control(self, "POST", "reset", body)
end

--- Seconds on the simulator's clock.
---@return number
function Remote:now()
  return control(self, "GET", "now").now
end

--- Moves the manual clock forward.
---@param seconds number
function Remote:advance(seconds)
  control(self, "POST", "advance", { seconds = seconds })
end

--- Injects a fault (see `humanitec.sim.Fault`).
---@param fault table
function Remote:inject(fault)
  local body = {}
  for k, v in pairs(fault) do body[k] = v end
  if body.times == math.huge then body.times = "always" end
  control(self, "POST", "inject", body)
end

--- Makes the next deployment fail (see `humanitec.sim.DeployFailure`).
---@param spec? table
function Remote:fail_next_deployment(spec)
  control(self, "POST", "fail-next-deployment", spec or {})
end

--- Removes every injected fault and pending deployment failure.
function Remote:clear_faults()
  control(self, "POST", "clear-faults")
end

--- Adds a bearer token with access to `orgs`; returns its user (here only its id).
---@param token string
---@param orgs string[]
---@param who? {user?: string, name?: string, email?: string}
---@return {id: string} user
function Remote:add_token(token, orgs, who)
  who = who or {}
  local body = type(orgs) == "table" and token_spec(orgs) or { orgs = orgs }
  body.user, body.name, body.email, body.token = who.user, who.name, who.email, token
  return { id = control(self, "POST", "tokens", body).user_id }
end

--- The device log-ins waiting for an answer.
---@return table[]
function Remote:device_requests()
  return control(self, "GET", "devices")
end

--- Approves a device log-in; returns the session token.
---@param code string
---@param opts? table
---@return string
function Remote:approve_device(code, opts)
  opts = opts or {}
  local body = { security_code = code, user = opts.user, expires_in = opts.expires_in,
    orgs = opts.orgs and json.array(opts.orgs) }
  return control(self, "POST", "devices/approve", body).access_token
end

--- Refuses a device log-in.
---@param code string
function Remote:refuse_device(code)
  control(self, "POST", "devices/refuse", { security_code = code })
end

--- Steers the runtime stand-in (see sim:set_runtime).
---@param spec table
function Remote:set_runtime(spec)
  control(self, "POST", "runtime", spec)
end

return M

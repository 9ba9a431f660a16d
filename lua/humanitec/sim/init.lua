--- humanitec.sim: a stateful, in-memory simulator of the Humanitec Platform Orchestrator API.
--
-- One simulator holds organizations, applications, environments, deltas, sets, deployments, shared values,
-- resource definitions, pipelines, users and tokens. It answers requests three ways:
--
--   sim:handle{ method, path, query, headers, body }  -> status, headers, body   (the pure core)
--   sim:transport()                                     the client's transport contract, without sockets
--   bin/humanitec-sim                                   over HTTP on loopback (humanitec.sim.server)
--
-- Time comes from a clock. In process the default clock is manual: it only moves when a test calls
-- `sim:advance(seconds)`, so deployments and pipeline runs progress exactly when the test says. Work that
-- depends on time (a deployment finishing) is settled lazily, at the start of each request, from the clock.
-- Over HTTP the clock is real time, unless `bin/humanitec-sim --control --manual-clock` lets test drivers move
-- it (and inject faults) through the control API under /_sim/ (see humanitec.sim.server).
--
-- ```lua
-- local sim = require("humanitec.sim").new { orgs = { "acme" }, tokens = { tok = { "acme" } } }
-- local client = humanitec.new { transport = sim:transport(), token = "tok", org = "acme", url = "http://sim.invalid" }
-- sim:advance(2) -- deployments move on
-- ```
local json = require "humanitec.json"
local U = require "humanitec.sim.util"
local router_mod = require "humanitec.sim.router"
local operations = require "humanitec.operations"
local facts = require "humanitec.sim.schemas"
local shape_mod = require "humanitec.sim.shape"

local M = {}

M.VERSION = "0.2.0"

-- Area modules, each with `routes(router)` and optionally `settle(sim, now)` and `init(sim)`.
local AREAS = {}
for i, name in ipairs({ "orgs", "users", "apps", "deltas", "deploys", "values", "resources", "pipelines",
  "devices", "collections", "artefacts", "runtime", "access" }) do
  AREAS[i] = require("humanitec.sim." .. name)
end

local ROUTER = router_mod.new()
for _, area in ipairs(AREAS) do area.routes(ROUTER) end

-- Routes answered without a token: the device log-in flow, which is how a token is obtained.
local PUBLIC = { ["POST /auth/device"] = true, ["POST /auth/device-poll"] = true }

-- A path template with its parameter names blanked ("/orgs/{}/apps"): the router's names and the spec's may
-- differ ({envType} and {envTypeId}) while naming the same operation.
local function shape(template)
  return (template:gsub("{[^}]*}", "{}"))
end

-- The spec's operations by method and template shape, for the request body's media types; and their schema
-- facts (declared statuses, response schemas).
local OPERATIONS, FACTS = {}, {}
for _, op in pairs(operations.operations) do OPERATIONS[op.method .. " " .. shape(op.path)] = op end
for key, f in pairs(facts.operations) do
  local method, path = key:match("^(%S+) (.*)$")
  FACTS[method .. " " .. shape(path)] = f
end

--- The operations of the spec that the simulator serves, and those it does not, as sorted lists of operation
-- names (humanitec.operations' snake_case names). Routes outside the spec (the device log-in flow) are not
-- counted.
---@return string[] served
---@return string[] unserved
function M.coverage()
  local routes = {}
  for _, route in ipairs(ROUTER.routes) do routes[route.method .. " " .. shape(route.template)] = true end
  local served, unserved = {}, {}
  for name, op in pairs(operations.operations) do
    local list = routes[op.method .. " " .. shape(op.path)] and served or unserved
    list[#list + 1] = name
  end
  table.sort(served)
  table.sort(unserved)
  return served, unserved
end

-- Path parameters that the spec constrains to its id pattern; a request breaking it gets a 400.
local SLUG_PARAMS = { orgId = 100, appId = 50, envId = 50, userId = 100, envTypeId = 100, envType = 100 }

-- 2024-01-01T00:00:00Z: where the manual clock starts unless told otherwise.
local DEFAULT_START = 1704067200

---@class humanitec.sim.Sim
---@field orgs table<string, table>
---@field users table<string, table>
---@field tokens table<string, table>
local Sim = {}
Sim.__index = Sim

---@class humanitec.sim.Options
---@field orgs? (string|{id: string, name?: string})[]  organizations that exist from the start
---@field tokens? table<string, string[]|{orgs?: string[], user?: string, name?: string, email?: string}>
---   bearer tokens that authenticate; each grants access to the listed organizations (created if missing)
---@field clock? fun(): number  seconds; default: a manual clock moved by sim:advance()
---@field start? number  epoch seconds where the manual clock starts (default 2024-01-01T00:00:00Z)
---@field seed? string|number  seeds the deterministic ids (default "humanitec-sim")
---@field deploy_seconds? number  time from creating a deployment to its end (default 1)
---@field pending_seconds? number  time a deployment stays "pending" (default a quarter of deploy_seconds)
---@field step_seconds? number  time each pipeline step takes (default 1)
---@field latency? number  seconds of latency added to every answer by the transport and the server
---@field public_url? string  the URL clients reach the simulator at (behind a proxy), for absolute `Link`
---   headers; without it pagination links are relative to the request

local function check_number(opts, name)
  local v = opts[name]
  if v ~= nil and (type(v) ~= "number" or v < 0) then
    error("bad option '" .. name .. "' to 'new' (non-negative number expected, got " .. tostring(v) .. ")", 3)
  end
end

--- Creates a simulator.
---@param opts? humanitec.sim.Options
---@return humanitec.sim.Sim
function M.new(opts)
  if opts ~= nil and type(opts) ~= "table" then
    error("bad argument #1 to 'new' (table expected, got " .. type(opts) .. ")", 2)
  end
  opts = opts or {}
  if opts.clock ~= nil and type(opts.clock) ~= "function" then
    error("bad option 'clock' to 'new' (function expected, got " .. type(opts.clock) .. ")", 2)
  end
  for _, name in ipairs({ "start", "deploy_seconds", "pending_seconds", "step_seconds", "latency" }) do
    check_number(opts, name)
  end
  local public_url = opts.public_url
  if public_url ~= nil and (type(public_url) ~= "string" or not public_url:find("^https?://[^%s/]+[^%s]*$")) then
    error("bad option 'public_url' to 'new' (http(s) URL expected, got " .. tostring(public_url) .. ")", 2)
  end
  local self = setmetatable({
    seed = tostring(opts.seed or "humanitec-sim"),
    counter = 0,
    seq = 0,
    orgs = {},
    users = {},
    tokens = {},
    faults = {},
    deploy_failures = {},
    deploy_seconds = opts.deploy_seconds or 1,
    step_seconds = opts.step_seconds or 1,
    latency = opts.latency or 0,
    public_url = public_url and public_url:gsub("/+$", ""),
  }, Sim)
  self.pending_seconds = math.min(opts.pending_seconds or self.deploy_seconds / 4, self.deploy_seconds)
  if opts.clock then
    self.clock = opts.clock
  else
    local now = opts.start or DEFAULT_START
    self.manual_now = now
    self.clock = function() return self.manual_now end
  end
  for _, area in ipairs(AREAS) do
    if area.init then area.init(self) end
  end
  local orgs = opts.orgs or {}
  if type(orgs) ~= "table" then error("bad option 'orgs' to 'new' (table expected)", 2) end
  for _, org in ipairs(orgs) do
    if type(org) == "table" then
      self:add_org(org.id, org.name)
    else
      self:add_org(org)
    end
  end
  local tokens = opts.tokens or {}
  if type(tokens) ~= "table" then error("bad option 'tokens' to 'new' (table expected)", 2) end
  local names = {}
  for token in pairs(tokens) do names[#names + 1] = token end
  table.sort(names) -- deterministic ids whatever order pairs() gives
  for _, token in ipairs(names) do
    local spec = tokens[token]
    if type(token) ~= "string" or type(spec) ~= "table" then
      error("bad option 'tokens' to 'new' (token string -> list of orgs expected)", 2)
    end
    self:add_token(token, spec.orgs or spec, { user = spec.user, name = spec.name, email = spec.email })
  end
  return self
end

--- The next creation sequence number, used to list records in the order they were made.
---@return integer
function Sim:next_seq()
  self.seq = self.seq + 1
  return self.seq
end

--- Seconds on the simulator's clock.
---@return number
function Sim:now()
  return self.clock()
end

--- Moves the manual clock forward and settles whatever became due (deployments finishing, run steps).
---@param seconds number
function Sim:advance(seconds)
  if type(seconds) ~= "number" or seconds < 0 then
    error("bad argument #1 to 'advance' (non-negative number expected, got " .. tostring(seconds) .. ")", 2)
  end
  if not self.manual_now then
    error("advance: this simulator was given its own clock; move that clock instead", 2)
  end
  self.manual_now = self.manual_now + seconds
  self:settle()
end

--- Brings every time-dependent record up to the clock's present.
function Sim:settle()
  local now = self:now()
  for _, area in ipairs(AREAS) do
    if area.settle then area.settle(self, now) end
  end
end

--- Creates an organization (with the default environment types) if it does not exist yet.
---@param id string
---@param name? string
---@return table org
function Sim:add_org(id, name)
  if not U.is_slug(id) then
    error("bad argument #1 to 'add_org' (organization id matching ^[a-z0-9](?:-?[a-z0-9]+)+$ expected, got "
      .. tostring(id) .. ")", 2)
  end
  return require("humanitec.sim.orgs").create(self, id, name)
end

--- Adds a bearer token with access to `orgs` (created if missing). The token belongs to a human user: the
-- one named by `who.user` (an id, created if missing) or the default simulated user.
---@param token string
---@param orgs string[]
---@param who? {user?: string, name?: string, email?: string}
---@return table user
function Sim:add_token(token, orgs, who)
  if type(token) ~= "string" or token == "" then
    error("bad argument #1 to 'add_token' (non-empty string expected)", 2)
  end
  if type(orgs) ~= "table" then error("bad argument #2 to 'add_token' (list of organization ids expected)", 2) end
  who = who or {}
  local users = require "humanitec.sim.users"
  local user = users.ensure_user(self, who.user, who.name, who.email)
  local access = {}
  for _, org_id in ipairs(orgs) do
    if not U.is_slug(org_id) then error("bad argument #2 to 'add_token' (invalid organization id)", 2) end
    local org = self.orgs[org_id] or self:add_org(org_id)
    access[org_id] = true
    if not org.members[user.id] then
      org.members[user.id] = { role = "administrator", seq = self:next_seq(), created_at = self:now() }
    end
  end
  self.tokens[token] = { token = token, user_id = user.id, orgs = access }
  return user
end

---@class humanitec.sim.Fault
---@field status? integer  answer with this status (and an error body) instead of handling the request
---@field retry_after? number  seconds for a Retry-After header (sent with any status when given)
---@field latency? number  seconds added to the answer (the transport and the server honour it)
---@field times? integer  how many matching requests it affects (default 1; math.huge for all)
---@field path? string  a Lua pattern the request path must match (default: every path)
---@field method? string  the request method must be this one (default: every method)
---@field message? string  the error body's message

--- Injects a fault into the next matching requests: an error status (429 with Retry-After, 503, ...) and/or
-- latency. Faults are checked in the order they were added; a request takes at most one.
---@param fault humanitec.sim.Fault
function Sim:inject(fault)
  if type(fault) ~= "table" then error("bad argument #1 to 'inject' (table expected, got " .. type(fault) .. ")", 2) end
  local st = fault.status
  if st ~= nil and (type(st) ~= "number" or st ~= math.floor(st) or st < 100 or st > 599) then
    error("bad field 'status' to 'inject' (HTTP status expected)", 2)
  end
  if fault.status == nil and fault.latency == nil then
    error("bad argument #1 to 'inject' (needs 'status' or 'latency')", 2)
  end
  for _, name in ipairs({ "retry_after", "latency", "times" }) do
    if fault[name] ~= nil and (type(fault[name]) ~= "number" or fault[name] < 0) then
      error("bad field '" .. name .. "' to 'inject' (non-negative number expected)", 2)
    end
  end
  if fault.path ~= nil and type(fault.path) ~= "string" then
    error("bad field 'path' to 'inject' (string expected)", 2)
  end
  if fault.method ~= nil and type(fault.method) ~= "string" then
    error("bad field 'method' to 'inject' (string expected)", 2)
  end
  self.faults[#self.faults + 1] = {
    status = fault.status, retry_after = fault.retry_after, latency = fault.latency, times = fault.times or 1,
    path = fault.path, method = fault.method and fault.method:upper(), message = fault.message,
  }
end

--- Removes every injected fault and pending deployment failure.
function Sim:clear_faults()
  self.faults = {}
  self.deploy_failures = {}
end

---@class humanitec.sim.DeployFailure
---@field app? string  only a deployment in this application (default: any)
---@field env? string  only a deployment in this environment (default: any)
---@field errors? table[]  the deployment's errors (DeploymentErrorResponse shape); a default one when absent

--- Makes the next deployment (matching `app`/`env` when given) end as "failed" with the given errors.
---@param spec? humanitec.sim.DeployFailure
function Sim:fail_next_deployment(spec)
  if spec ~= nil and type(spec) ~= "table" then
    error("bad argument #1 to 'fail_next_deployment' (table expected, got " .. type(spec) .. ")", 2)
  end
  spec = spec or {}
  if spec.errors ~= nil and type(spec.errors) ~= "table" then
    error("bad field 'errors' to 'fail_next_deployment' (list expected)", 2)
  end
  self.deploy_failures[#self.deploy_failures + 1] = { app = spec.app, env = spec.env, errors = spec.errors }
end

--- The device log-in requests waiting for an answer, oldest first: { security_code, device_id, created_at }.
---@return table[]
function Sim:device_requests()
  return require("humanitec.sim.devices").pending(self)
end

---@class humanitec.sim.DeviceApproval
---@field orgs? string[]  organizations the session token reaches (default: every organization)
---@field user? string  the user logging in (default: the simulated user)
---@field expires_in? number  seconds the session token lasts (default a day)

--- Approves the device log-in request `code`: its next poll answers with a new session token, which is also
-- returned here.
---@param code string  the security code the request was given
---@param opts? humanitec.sim.DeviceApproval
---@return string token
function Sim:approve_device(code, opts)
  local devices = require "humanitec.sim.devices"
  local d, why = devices.find_pending(self, code)
  if not d then error("bad argument #1 to 'approve_device' (" .. why .. ")", 2) end
  if opts ~= nil and type(opts) ~= "table" then
    error("bad argument #2 to 'approve_device' (table expected, got " .. type(opts) .. ")", 2)
  end
  opts = opts or {}
  local expires_in = opts.expires_in or devices.SESSION_SECONDS
  if type(expires_in) ~= "number" or expires_in < 0 then
    error("bad field 'expires_in' to 'approve_device' (non-negative number expected)", 2)
  end
  local orgs = opts.orgs
  if orgs == nil then
    orgs = {}
    for id in pairs(self.orgs) do orgs[#orgs + 1] = id end
    table.sort(orgs)
  elseif type(orgs) ~= "table" then
    error("bad field 'orgs' to 'approve_device' (list of organization ids expected)", 2)
  end
  if opts.user ~= nil and not U.is_slug(opts.user) then
    error("bad field 'user' to 'approve_device' (user id expected)", 2)
  end
  local token = "hum_session_" .. U.hex_id(self, 32)
  self:add_token(token, orgs, { user = opts.user })
  self.tokens[token].expires_at = self:now() + expires_in
  d.state, d.token = "approved", token
  return token
end

--- Refuses the device log-in request `code`: its next poll answers `{"accepted": false}`.
---@param code string
function Sim:refuse_device(code)
  local d, why = require("humanitec.sim.devices").find_pending(self, code)
  if not d then error("bad argument #1 to 'refuse_device' (" .. why .. ")", 2) end
  d.state = "refused"
end

--- Steers what the runtime stand-in reports for an environment (see humanitec.sim.runtime): `status` one of
--- the spec's RuntimeInfoStatus values ("Running", "Failed", ...) for every module or only `module`; a nil
--- status goes back to what the last deployment says.
---@param spec {app: string, env: string, module?: string, status?: string}
function Sim:set_runtime(spec)
  if type(spec) ~= "table" then
    error("bad argument #1 to 'set_runtime' (table expected, got " .. type(spec) .. ")", 2)
  end
  local ok, err = pcall(require("humanitec.sim.runtime").steer, self, spec)
  if not ok then error("bad argument #1 to 'set_runtime' (" .. tostring(err) .. ")", 2) end
end

-- Takes the first fault matching the request, counting it down.
local function take_fault(self, method, path)
  for i, f in ipairs(self.faults) do
    if (not f.method or f.method == method) and (not f.path or path:find(f.path)) then
      f.times = f.times - 1
      if f.times <= 0 then table.remove(self.faults, i) end
      return f
    end
  end
  return nil
end

local function bearer(headers)
  local auth = headers["authorization"]
  if type(auth) ~= "string" then return nil end
  return auth:match("^[Bb]earer%s+(%S+)%s*$")
end

-- Resolves the token to its record and user, or fails with 401.
local function authenticate(self, headers)
  local token = bearer(headers)
  if not token then U.fail(401, "missing bearer token in the Authorization header") end
  local rec = self.tokens[token]
  if not rec then U.fail(401, "the token is not valid") end
  if rec.expires_at and self:now() >= rec.expires_at then U.fail(401, "the token has expired") end
  local user = self.users[rec.user_id]
  if not user then U.fail(401, "the token's user no longer exists") end
  return rec, user
end

--- True when the token record grants access to the organization.
---@param rec table
---@param org_id string
---@return boolean
function Sim:token_allows(rec, org_id)
  if rec.orgs then return rec.orgs[org_id] == true end
  local org = self.orgs[org_id]
  return org ~= nil and org.members[rec.user_id] ~= nil
end

-- Fails with 415 when the request carries a body in a media type the operation does not accept. A body
-- without a Content-Type is read as the operation's first media type.
local function check_media_type(req, op)
  if not op or not op.body or req.body == nil or req.body == "" then return end
  local given = req.headers["content-type"]
  if given == nil then return end
  local media = given:match("^%s*([^;%s]+)")
  media = media and media:lower()
  for _, accepted in ipairs(op.body.content_types) do
    if media == accepted then return end
  end
  U.fail(415, "Content-Type '" .. given .. "' is not accepted here; send "
    .. table.concat(op.body.content_types, " or "))
end

-- Authenticates (before routing: without a valid token every path is 401, known or not), routes, checks the
-- body's media type, access and the path's ids, then runs the handler.
local function dispatch(self, req)
  local handler, params, template = ROUTER:find(req.method, req.path)
  if not (handler and PUBLIC[req.method .. " " .. template]) then
    req.token, req.user = authenticate(self, req.headers)
  end
  if not handler then
    if #params > 0 then
      return 405, U.error_body(405, "method " .. req.method .. " is not allowed on " .. req.path),
        { allow = table.concat(params, ", ") }
    end
    return 404, U.error_body(404, "no such endpoint: " .. req.path)
  end
  req.params, req.template = params, template
  local key = req.method .. " " .. shape(template)
  check_media_type(req, OPERATIONS[key])
  local op_facts = FACTS[key]
  -- Whether the operation declares `status`: a handler answers another way where the spec leaves no room.
  function req.declares(status)
    if not op_facts then return true end
    for _, s in ipairs(op_facts.statuses) do
      if s == status then return true end
    end
    return false
  end
  for name, max in pairs(SLUG_PARAMS) do
    if params[name] ~= nil then U.check_slug(params[name], name, max) end
  end
  if params.orgId then
    if not self:token_allows(req.token, params.orgId) then
      U.fail(403, "the token has no access to organization '" .. params.orgId .. "'")
    end
    req.org = self.orgs[params.orgId]
    if not req.org then U.fail(404, "organization '" .. params.orgId .. "' not found") end
  end
  local status, body, headers = handler(self, req)
  -- A JSON answer goes out in the form the spec declares for it: required fields present, undeclared ones
  -- dropped (humanitec.sim.shape).
  local schema = op_facts and type(body) == "table" and not (headers and headers["content-type"])
    and op_facts.responses[tostring(status)] and op_facts.responses[tostring(status)]["application/json"]
  if schema then body = shape_mod.conform(body, schema, U.iso(self:now())) end
  return status, body, headers
end

local function encode(status, body, headers)
  headers = headers or {}
  if body == nil then return status, headers, "" end
  if type(body) == "string" and headers["content-type"] then return status, headers, body end
  local ok, text = pcall(json.encode, body)
  if not ok then
    return 500, { ["content-type"] = "application/json" },
      json.encode(U.error_body(500, "simulator could not encode its answer: " .. tostring(text)))
  end
  headers["content-type"] = "application/json"
  return status, headers, text
end

---@class humanitec.sim.Request
---@field method string
---@field path string  without the query string
---@field query? string  the raw query string
---@field headers? table<string, string>  lowercase names
---@field body? string

--- Answers one request. Returns the status, the response headers (lowercase names) and the body ("" when
-- empty), plus the latency in seconds that the answer should be delayed by (the transport and the HTTP server
-- apply it; callers of the pure core may ignore it).
---@param req humanitec.sim.Request
---@return integer status
---@return table<string, string> headers
---@return string body
---@return number latency
function Sim:handle(req)
  if type(req) ~= "table" then error("bad argument #1 to 'handle' (table expected, got " .. type(req) .. ")", 2) end
  if type(req.method) ~= "string" then error("bad field 'method' to 'handle' (string expected)", 2) end
  if type(req.path) ~= "string" then error("bad field 'path' to 'handle' (string expected)", 2) end
  if req.query ~= nil and type(req.query) ~= "string" then
    error("bad field 'query' to 'handle' (string expected)", 2)
  end
  if req.body ~= nil and type(req.body) ~= "string" then error("bad field 'body' to 'handle' (string expected)", 2) end
  local headers = {}
  for k, v in pairs(req.headers or {}) do
    if type(k) == "string" then headers[k:lower()] = type(v) == "table" and tostring(v[1]) or tostring(v) end
  end
  local method = req.method:upper()
  local path = req.path
  if #path > 1 then path = path:gsub("/+$", "") end

  local latency = self.latency
  local fault = take_fault(self, method, path)
  if fault then
    latency = latency + (fault.latency or 0)
    if fault.status then
      local h = { ["content-type"] = "application/json" }
      if fault.retry_after then h["retry-after"] = tostring(math.ceil(fault.retry_after)) end
      local message = fault.message or ("injected fault: status " .. fault.status)
      return fault.status, h, json.encode(U.error_body(fault.status, message)), latency
    end
  end

  local request = {
    method = method, path = path, raw_query = req.query, query = U.parse_query(req.query),
    headers = headers, body = req.body, public_url = self.public_url,
  }
  local ok, status, body, out_headers = pcall(function()
    self:settle()
    return dispatch(self, request)
  end)
  if not ok then
    local e = status
    if U.is_failure(e) then
      status, body, out_headers = e.status, e.body or U.error_body(e.status, e.message), nil
    else
      -- A bug in the simulator: answer 500 rather than take the caller down with it.
      status, body, out_headers = 500, U.error_body(500, "internal simulator error: " .. tostring(e)), nil
    end
  end
  if method ~= "GET" and method ~= "HEAD" and request.org and request.user and self.orgs[request.org.id] then
    require("humanitec.sim.access").audit(self, request.org, request.user, method, path, status)
  end
  local s, h, b = encode(status, body, out_headers)
  return s, h, b, latency
end

--- An in-process transport satisfying the client's transport contract (`open`, `request`, `close`), backed
-- by this simulator: no sockets, no threads, answers in the caller's own stack.
---@return table transport
function Sim:transport()
  return require("humanitec.sim.transport").new(self)
end

return M

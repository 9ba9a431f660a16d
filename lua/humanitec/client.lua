--- The client: its class, the methods callers use (request, the verbs, call, every operation by name, the
--- workflow helpers), and the constructor. The request pipeline under them is humanitec.pipeline.
--
-- Data flows one way: caller -> here (path, query, headers, JSON encode) -> the session (libcurl, or a transport
-- such as the simulator) -> back here as status, headers, body -> decoded data or an error object -> caller.
--
-- ```lua
-- local client = require("humanitec").new { org = "acme" } -- the token from HUMANITEC_TOKEN or ~/.humctl
-- local apps, err = client:list_applications()                -- every operation by name
-- if err then error(tostring(err)) end
-- local app = assert(client:get("/orgs/acme/apps/" .. humanitec.escape(apps[1].id)))
-- ```
local config = require "humanitec.config"
local errors = require "humanitec.errors"
local json = require "humanitec.json"
local pipeline = require "humanitec.pipeline"
local retry = require "humanitec.retry"

local M = {}

-- humanitec.calls (and with it the operation table) loads on first use, not with the client: a stand-in whose
-- first lookup requires it and then delegates to it. Its functions are the module's own, called directly, so
-- the levels they raise at are unchanged.
local calls = setmetatable({}, { __index = function(self, key)
  local module = require "humanitec.calls"
  setmetatable(self, { __index = module })
  return module[key]
end })

M.VERSION = "0.2.0"

local Response = pipeline.Response
local NO_OPTIONS, shown_url = pipeline.NO_OPTIONS, pipeline.shown_url
local prepare, send = pipeline.prepare, pipeline.send

-- tostring(response) is defined below, with the URL shown without its userinfo.

---@class humanitec.Client
---@field org? string the default organization
---@field url string base URL of the API
local Client = {}
Client.__name = "humanitec.Client"
Client.__index = Client
pipeline.bind(Client)

local perform -- the request pipeline's entry, below

-- A method for one generated operation: client:list_applications(params). It calls calls.build itself (not
-- through client:call) so that a parameter error points at the line that called the method.
local function operation_method(op)
  return function(self, params)
    local method, path, opts = calls.build(op, params, { org = self.org })
    local data, err, response = perform(self, method, path, opts, op.name)
    return data, err, response
  end
end

local operation_methods = setmetatable({}, { __mode = "v" })

local workflows -- humanitec.workflows, loaded when a name missing from Client is first looked up
local install_async -- below: installs humanitec.async's methods once; true when it just did

-- Client methods first (a plain table lookup); then the concurrent ones (start, batch, await, run and the
-- adapters' hooks), installed the first time a name is missing; then the workflow helpers (deploy, promote,
-- set_values, ...), kept as Client methods once found; any other name that is an operation's becomes that
-- operation's method.
setmetatable(Client, { __index = function(_, key)
  if type(key) ~= "string" then return nil end
  if install_async() then
    local method = rawget(Client, key)
    if method ~= nil then return method end
  end
  if key:byte(1) ~= 95 then -- "_": the client's own fields, never a helper
    workflows = workflows or require "humanitec.workflows"
    local helper = workflows[key]
    if helper ~= nil then
      Client[key] = helper
      return helper
    end
  end
  local method = operation_methods[key]
  if method == nil then
    local op = calls.find(key)
    if op == nil or op.name ~= key then return nil end -- only snake names become methods
    method = operation_method(op)
    operation_methods[key] = method
  end
  return method
end })


-- One request from a public entry point (request, the verbs, an operation's method, call): checks its
-- arguments, raising at the entry point's caller, and sends it. Never called as a tail call, nor from anywhere
-- but an entry point's own body, so that level 4 is always the caller's line.
function perform(self, method, path, opts, fname)
  local req = prepare(self, method, path, opts, fname, 4)
  if self._config_error then
    return nil, errors.new { kind = "config", message = self._config_error, method = req.method, path = req.path,
      attempts = 0 }
  end
  local data, err, response = send(self, req)
  return data, err, response
end

--- Sends one request. `path` is relative to the client's URL and starts with "/"; a query in it is kept (less
--- the parameters `opts.query` names, which replace them), and `opts.query` is added to it. Failures worth
--- another try are retried as the client's (or this call's) `retries` policy says; `err.attempts` tells how
--- many were made.
---
--- Success returns `data, nil, response`; failure `nil, err`. So `local data, err = ...; if err then` and
--- `assert(client:request(...))` both work, and a JSON `false` or `null` body is told apart by `err`.
---@param method string "GET", "POST", ...
---@param path string e.g. "/orgs/acme/apps"
---@param opts? humanitec.RequestOptions query, body, raw_body, content_type, headers, timeout, retries
---@return any data decoded JSON, the body as a string for other content types, or true for an empty body
---@return humanitec.Error? err nil on success
---@return humanitec.Response? response on success
function Client:request(method, path, opts)
  local data, err, response = perform(self, method, path, opts, "request")
  return data, err, response
end

--- The clock waits run on: the session's own when it has one (the simulator's), else the core's monotonic one.
---@return fun(): number now
---@return fun(seconds: number) sleep
function Client:_clock()
  return self._now, self._sleep
end

-- The clock of a session, set once when the client is made: the session never changes, nor does its clock.
local function session_clock(session)
  if session.now and session.sleep then
    return function() return session:now() end, function(seconds) session:sleep(seconds) end
  end
  local core = require "humanitec.core"
  return core.now, core.sleep
end

--- Calls an operation of the API by its name or operationId, with the spec's parameter names; `orgId` defaults
--- to the client's org and the request body goes in `params.body`. Parameters are checked before anything is
--- sent: a mistake raises, naming the operation and the parameter.
---@param name string e.g. "get_application" or "getApplication"
---@param params? table
---@return any data
---@return humanitec.Error? err
---@return humanitec.Response? response
function Client:call(name, params)
  if type(name) ~= "string" then
    error("bad argument #1 to 'call' (operation name expected, got " .. type(name) .. ")", 2)
  end
  if calls.find(name) == nil then
    error("bad argument #1 to 'call' (unknown operation '" .. name .. "')", 2)
  end
  local method, path, opts = calls.build(name, params, { org = self.org })
  local data, err, response = perform(self, method, path, opts, "call")
  return data, err, response
end

-- client:each and client:all walk the pages on top of the pipeline above.
require("humanitec.paginate").install(Client, calls)

function Client:_redact(text)
  local session = self._session
  if type(text) == "string" and session.redact then
    return session:redact(text)
  end
  return text
end

---@alias humanitec.VerbWithoutBody fun(self: humanitec.Client, path: string, opts?: humanitec.RequestOptions):
---  any, humanitec.Error?, humanitec.Response?
---@alias humanitec.VerbWithBody fun(self: humanitec.Client, path: string, body?: any, opts?: humanitec.RequestOptions):
---  any, humanitec.Error?, humanitec.Response?

-- Thin verb helpers, with fixed argument shapes: get/delete(path, opts) and post/put/patch(path, body, opts).
local function verb_without_body(method, fname)
  return function(self, path, opts)
    local data, err, response = perform(self, method, path, opts, fname)
    return data, err, response
  end
end

local function verb_with_body(method, fname)
  return function(self, path, body, opts)
    if opts ~= nil and type(opts) ~= "table" then
      error(("bad argument #3 to '%s' (table of request options expected, got %s)"):format(fname, type(opts)), 2)
    end
    if opts ~= nil and (opts.body ~= nil or opts.raw_body ~= nil) then
      error(("bad argument #3 to '%s' (the body is the second argument: client:%s(path, body, opts))")
        :format(fname, fname), 2)
    end
    local merged = {}
    for k, v in pairs(opts or NO_OPTIONS) do merged[k] = v end
    merged.body = body
    local data, err, response = perform(self, method, path, merged, fname)
    return data, err, response
  end
end

--- GET a path: `client:get(path, opts)`. `opts` as for request (no body).
---@type humanitec.VerbWithoutBody
Client.get = verb_without_body("GET", "get")
--- DELETE a path: `client:delete(path, opts)`. `opts` as for request.
---@type humanitec.VerbWithoutBody
Client.delete = verb_without_body("DELETE", "delete")
--- POST a JSON body: `client:post(path, body, opts)`; the body may be nil, `opts` as for request.
---@type humanitec.VerbWithBody
Client.post = verb_with_body("POST", "post")
--- PUT a JSON body: `client:put(path, body, opts)`.
---@type humanitec.VerbWithBody
Client.put = verb_with_body("PUT", "put")
--- PATCH a JSON body: `client:patch(path, body, opts)`.
---@type humanitec.VerbWithBody
Client.patch = verb_with_body("PATCH", "patch")

-- client:start, batch, await, run and the adapters' hooks share the request pipeline above. humanitec.async
-- loads when one of them is first looked up (a blocking script never needs it).
local async_internal = {
  prepare = prepare, new_call = pipeline.new_call, attempt_timeout = pipeline.attempt_timeout,
  report_trace = pipeline.report_trace, next_wait = pipeline.next_wait, settle = pipeline.settle, calls = calls,
}
function install_async()
  if async_internal.abort_all then return false end
  require("humanitec.async").install(Client, async_internal)
  return true
end

--- Closes the client's connections. Requests still in flight end with an error of kind "aborted"; later
--- requests raise. Safe to call twice; also runs on `<close>`.
function Client:close()
  if not self._closed then
    self._closed = true
    if self._loop then self._loop.detach() end
    if async_internal.abort_all then async_internal.abort_all(self) end -- nothing to abort before async loads
    self._session:close()
  end
end
Client.__close = Client.close

function Client:__tostring()
  return ("humanitec.Client (%s, org %s%s)"):format(shown_url(self.url), self.org or "unset",
    self._closed and ", closed" or "")
end

local function default_headers(user_agent)
  local runtime = jit and jit.version or _VERSION
  local sdk = "lua-humanitec/" .. M.VERSION
  local ua = sdk .. " (" .. runtime .. ")"
  local hua = "sdk " .. sdk
  if user_agent then
    ua = ua .. " " .. user_agent
    hua = "app " .. user_agent .. "; " .. hua
  end
  -- Name/value pairs, as the core takes them; never changed once made.
  return {
    { "Accept", "application/json" },
    { "User-Agent", ua },
    { "Humanitec-User-Agent", hua },
  }
end

-- The options of humanitec.new (humanitec.config checks them; an unknown one raises). Unset ones come from the
-- environment and ~/.humctl, as the README says.
---@class humanitec.Options
---@field token? string|false the API token; false sends no Authorization header
---@field org? string the default organization
---@field url? string base URL of the API (https://api.humanitec.io)
---@field user_agent? string your application, sent before the SDK's own
---@field timeout? number seconds for each attempt as a whole
---@field connect_timeout? number seconds to connect
---@field ca_file? string CA bundle to verify the server with
---@field ca_path? string folder of CA certificates
---@field insecure? boolean skip TLS verification (tests only)
---@field max_body? number largest response body accepted, in bytes
---@field config_file? string humctl's config file (~/.humctl)
---@field transport? table a transport instead of libcurl, such as the simulator's
---@field on_trace? fun(text: string) receives libcurl's trace, the token masked
---@field retries? table|false the retry policy (attempts, base, cap, max_retry_after, deadline); false: none

--- Makes a client. See the README for the options and where each setting comes from.
---@param opts? humanitec.Options
---@return humanitec.Client
function M.new(opts)
  local settings = config.resolve(opts)
  local session_opts = {
    token = settings.token or nil,
    connect_timeout = settings.connect_timeout,
    ca_file = settings.ca_file,
    ca_path = settings.ca_path,
    insecure = settings.insecure or nil,
    max_body = settings.max_body,
    trace = settings.on_trace ~= nil or nil,
  }
  settings.token = nil -- from here on only the session holds it
  local session, message
  if settings.transport then
    session, message = settings.transport:open(session_opts)
  else
    -- The core decodes JSON responses itself, straight from libcurl's buffer, with the SDK's marks.
    session_opts.json = { array_mt = json.array_mt, null = json.null }
    session_opts.lazy_head = true
    session, message = require("humanitec.core").session(session_opts)
  end
  session_opts.token = nil
  if not session then
    error("cannot open a session: " .. tostring(message), 2)
  end
  local now, sleep = session_clock(session)
  return setmetatable({
    org = settings.org,
    url = settings.url,
    _session = session,
    _now = now,
    _sleep = sleep,
    _headers = default_headers(settings.user_agent),
    _timeout = settings.timeout,
    -- false rather than nil: a field the instance lacks is looked up in Client and then among the operations
    _on_trace = settings.on_trace or false,
    _config_error = settings.config_error or false,
    _retries = settings.retries,
    _budget = retry.budget(),
    _closed = false,
  }, Client)
end

M.Client = Client
M.Response = Response

return M

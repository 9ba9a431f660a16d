--- The request pipeline: options, URL and headers, JSON, the error contract.
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
local calls = require "humanitec.calls"
local config = require "humanitec.config"
local errors = require "humanitec.errors"
local json = require "humanitec.json"
local retry = require "humanitec.retry"
local url_codec = require "humanitec.url"
local vocabulary = require "humanitec.vocabulary"

local M = {}

M.VERSION = "0.2.0"

---@class humanitec.Response
---@field status integer
---@field headers table<string, string|string[]> lower-case names; a repeated header is a list
---@field body string the raw body
---@field timings table total, connect, tls, first_byte (seconds), http_version
---@field method string
---@field url string
-- The first value of a header in a table the core returned (a repeated header is a list).
local function first_value(headers, name)
  local v = headers[name]
  if type(v) == "table" then return v[1] end
  return v
end

local Response = {}
Response.__name = "humanitec.Response"

-- A JSON body the core decoded comes as its own userdata (`_raw_body`), not as a string: `response.body`
-- makes the string the first time it is read.
function Response:__index(key)
  if key == "body" then
    local raw = rawget(self, "_raw_body")
    if raw == nil then return nil end
    local text = tostring(raw)
    rawset(self, "body", text)
    return text
  end
  return Response[key]
end

--- The first value of a response header (names are case-insensitive).
---@param name string
---@return string?
function Response:header(name)
  return first_value(self.headers, name:lower())
end

-- tostring(response) is defined below, with the URL shown without its userinfo.

---@class humanitec.Client
---@field org? string the default organization
---@field url string base URL of the API
local Client = {}
Client.__name = "humanitec.Client"
Client.__index = Client

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

-- Client methods first (a plain table lookup); any other name that is an operation's becomes that operation's
-- method.
setmetatable(Client, { __index = function(_, key)
  if type(key) ~= "string" then return nil end
  local method = operation_methods[key]
  if method == nil then
    local op = calls.find(key)
    if op == nil or op.name ~= key then return nil end -- only snake names become methods
    method = operation_method(op)
    operation_methods[key] = method
  end
  return method
end })

local NO_OPTIONS = setmetatable({}, { __newindex = function() error("read-only", 2) end })

-- The usual methods as callers write them, to their upper-case names: no pattern check or upper() for these.
local KNOWN_METHODS = {}
for _, name in ipairs { "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS" } do
  KNOWN_METHODS[name], KNOWN_METHODS[name:lower()] = name, name
end

local REQUEST_OPTIONS = {
  query = true, body = true, raw_body = true, content_type = true, headers = true, timeout = true, retries = true,
}
local REQUEST_OPTION_NAMES = vocabulary.names(REQUEST_OPTIONS)

-- Header lines for one request with headers of its own: the client's defaults, then the caller's. Raises on a
-- bad name or value.
local function merged_header_lines(defaults, extra, content_type, level)
  if extra ~= nil and type(extra) ~= "table" then
    error("bad option 'headers' (table expected, got " .. type(extra) .. ")", level)
  end
  -- A header the caller gives replaces the default of that name (Accept, say), never joins it.
  local overridden = {}
  for name in pairs(extra or {}) do
    if type(name) == "string" then overridden[name:lower()] = true end
  end
  local lines = {}
  for i = 1, #defaults do
    local name = defaults[i]:match("^([^:]+)")
    if not overridden[name:lower()] then lines[#lines + 1] = defaults[i] end
  end
  if content_type then
    lines[#lines + 1] = "Content-Type: " .. content_type
  end
  if extra ~= nil then
    local names = {}
    for name in pairs(extra) do names[#names + 1] = name end
    table.sort(names, function(a, b) return tostring(a) < tostring(b) end)
    for _, name in ipairs(names) do
      local value = extra[name]
      if type(name) ~= "string" or not name:find("^[%w!#$%%&'*+%-.^_`|~]+$") then
        error("bad header name '" .. tostring(name) .. "'", level)
      end
      if name:lower() == "authorization" then
        error("bad header 'Authorization' (the client sends its token itself)", level)
      end
      if type(value) == "number" or type(value) == "boolean" then
        value = tostring(value)
      elseif type(value) ~= "string" then
        error(("bad header '%s' (string expected, got %s)"):format(name, type(value)), level)
      end
      if value:find("[\r\n%z]") then
        error(("bad header '%s' (must not contain CR, LF or NUL)"):format(name), level)
      end
      lines[#lines + 1] = name .. ": " .. value
    end
  end
  return lines
end

-- Header lines for one request. The common case, apart so that LuaJIT compiles it: the client's defaults as
-- they are (the list is never changed after the client is made).
local function header_lines(defaults, extra, content_type, level)
  if extra == nil and content_type == nil then return defaults end
  local lines = merged_header_lines(defaults, extra, content_type, level + 1) -- not a tail call
  return lines
end

local json_types, json_types_count = {}, 0 -- content type -> boolean; a server sends few distinct ones

local function is_json(content_type)
  if not content_type then return false end
  local known = json_types[content_type]
  if known ~= nil then return known end
  if json_types_count >= 64 then json_types, json_types_count = {}, 0 end
  local media = content_type:match("^%s*([^;%s]+)")
  media = media and media:lower() or ""
  local result = media == "application/json" or media:find("%+json$") ~= nil
  json_types[content_type] = result
  json_types_count = json_types_count + 1
  return result
end

-- Checks one request's arguments and builds what the session needs; raises at `level` on a programmer error.
local function prepare(self, method, path, opts, fname, level)
  if getmetatable(self) ~= Client then
    error(("bad self to '%s' (a humanitec client expected; call it as client:%s(...))"):format(fname, fname), level)
  end
  local known = KNOWN_METHODS[method]
  if known then
    method = known
  elseif type(method) ~= "string" or not method:find("^%a+$") then
    error(("bad argument #1 to '%s' (HTTP method expected, got %s)"):format(fname, tostring(method)), level)
  else
    method = method:upper()
  end
  if type(path) ~= "string" or path:byte(1) ~= 47 then -- "/"
    error(("bad argument #2 to '%s' (path starting with '/' expected, got %s)"):format(fname, tostring(path)), level)
  end
  if path:find("[%s%z#]") then
    error(("bad argument #2 to '%s' (path must not contain white space, NUL or '#')"):format(fname), level)
  end
  if opts == nil then
    opts = NO_OPTIONS
  elseif type(opts) ~= "table" then
    error(("bad argument #3 to '%s' (table expected, got %s)"):format(fname, type(opts)), level)
  else
    for k in pairs(opts) do
      if not REQUEST_OPTIONS[k] then
        error(("bad argument #3 to '%s' (unknown option '%s'%s)"):format(fname, tostring(k),
          vocabulary.hint(k, REQUEST_OPTION_NAMES)), level)
      end
    end
  end
  if self._closed then
    error("attempt to use a closed humanitec client", level)
  end

  local body, content_type
  if (method == "GET" or method == "HEAD") and (opts.body ~= nil or opts.raw_body ~= nil) then
    error(("bad argument #3 to '%s' (a %s request takes no body)"):format(fname, method), level)
  end
  if opts.raw_body ~= nil then
    if opts.body ~= nil then
      error(("bad argument #3 to '%s' (give body or raw_body, not both)"):format(fname), level)
    end
    if type(opts.raw_body) ~= "string" then
      error("bad option 'raw_body' (string expected, got " .. type(opts.raw_body) .. ")", level)
    end
    body = opts.raw_body
    content_type = opts.content_type or "application/octet-stream"
  elseif opts.body ~= nil then
    local ok, encoded = pcall(json.encode, opts.body, "body")
    if not ok then
      error(("bad argument to '%s' (%s)"):format(fname, tostring(encoded)), level)
    end
    body = encoded
    content_type = opts.content_type or "application/json"
  end
  if content_type ~= nil and (type(content_type) ~= "string" or content_type:find("[\r\n%z]")) then
    error("bad option 'content_type' (a string without CR, LF or NUL expected)", level)
  end
  local timeout = opts.timeout
  if timeout == nil then
    timeout = self._timeout
  elseif type(timeout) ~= "number" or timeout ~= timeout or timeout < 0 then
    error("bad option 'timeout' (non-negative number expected)", level)
  end
  local policy = self._retries
  if opts.retries ~= nil then
    policy = retry.policy(opts.retries, fname, level + 1)
  end
  local query = ""
  if opts.query ~= nil then
    local ok
    ok, query = pcall(url_codec.query, opts.query)
    if not ok then error(query, level) end
    -- A path that has a query of its own keeps it; the options' parameters follow it.
    if query ~= "" and path:find("?", 1, true) then
      query = (path:sub(-1) == "?" or path:sub(-1) == "&") and query:sub(2) or "&" .. query:sub(2)
    end
  end
  local has_key = false
  if opts.headers ~= nil and type(opts.headers) == "table" then
    for name in pairs(opts.headers) do
      if type(name) == "string" and name:lower() == "idempotency-key" then has_key = true end
    end
  end
  return {
    method = method,
    url = self.url .. path .. query,
    path = path:find("?", 1, true) and path:match("^[^?]*") or path,
    headers = header_lines(self._headers, opts.headers, content_type, level + 1),
    body = body,
    timeout = timeout,
    retries = policy,
    repeatable = retry.repeatable(method, has_key),
  }
end

-- `v` with the token masked in every string in it (keys too); tables are changed in place (they are the
-- decoded error body, which nothing else holds).
local function redact_value(self, v)
  if type(v) == "string" then return self:_redact(v) end
  if type(v) ~= "table" then return v end
  local renamed
  for k, item in pairs(v) do
    v[k] = redact_value(self, item)
    if type(k) == "string" and self:_redact(k) ~= k then
      renamed = renamed or {}
      renamed[#renamed + 1] = k
    end
  end
  for _, k in ipairs(renamed or {}) do
    v[self:_redact(k)], v[k] = v[k], nil
  end
  return v
end

-- A URL for display: any user name and password in it replaced by "***".
local function shown_url(url)
  local scheme, authority, rest = url:match("^([%a][%w+.-]*://)([^/?#]*)(.*)$")
  if not scheme or not authority:find("@", 1, true) then return url end
  return scheme .. "***@" .. authority:match("([^@]*)$") .. rest
end

function Response:__tostring()
  return ("humanitec.Response (%s %s: %d)"):format(self.method, shown_url(self.url), self.status)
end

-- Turns what the session answered into the call's result: data and response, or nil and an error. Both carry
-- `attempts`, how many were made.
local function finish(self, req, attempts, status, res_headers, res_body, info, data, decode_error)
  if not status then
    local message, kind = res_headers, res_body
    return nil, errors.new {
      kind = kind or "transport", message = self:_redact(message), method = req.method, path = req.path,
      attempts = attempts,
    }
  end

  -- The core's session decodes a JSON body itself and hands the body over as a userdata (data and
  -- decode_error then tell its outcome); other sessions (the simulator's transport) give text.
  local decoded = type(res_body) ~= "string"
  local response = setmetatable({
    status = status, headers = res_headers, body = not decoded and res_body or nil,
    _raw_body = decoded and res_body or nil, timings = info, method = req.method, url = req.url,
    attempts = attempts,
  }, Response)
  local res_type = first_value(res_headers, "content-type")

  if status >= 200 and status < 300 then
    if res_body == "" then
      return true, nil, response
    end
    if not decoded then
      if not is_json(res_type) then
        return res_body, nil, response
      end
      data, decode_error = json.decode(res_body)
    end
    if decode_error then
      return nil, errors.new {
        kind = "decode", status = status, message = "invalid JSON in the response: " .. decode_error,
        method = req.method, path = req.path, headers = res_headers, attempts = attempts,
      }
    end
    return data, nil, response
  end

  -- Outside 2xx: what the server said goes into the error, with the token masked in case it was echoed: in the
  -- text, and in every string of the decoded body, where a JSON escape (\u0074..., \/) no longer hides it.
  local raw = response.body
  local text = self:_redact(raw)
  data = nil
  if raw ~= "" and (is_json(res_type) or res_type == nil) then
    data = redact_value(self, json.decode(raw))
  end
  local fields = errors.from_body(status, data, text)
  fields.kind = "http"
  fields.status = status
  fields.method = req.method
  fields.path = req.path
  fields.headers = res_headers
  fields.attempts = attempts
  return nil, errors.new(fields)
end

-- One call across its attempts: the blocking path (send, below) and the concurrent one (humanitec.async) share
-- these, so both retry alike.
local function new_call(req, now)
  local policy = req.retries
  return {
    req = req, attempt = 0, spent = 0, out_of_budget = false,
    deadline = policy and policy.deadline and now() + policy.deadline or nil,
  }
end

-- The timeout of the next attempt: the request's, but never past what is left of the call's deadline.
local function attempt_timeout(call, now)
  local timeout = call.req.timeout
  if call.deadline then
    local left = math.max(call.deadline - now(), 0.001)
    if timeout == 0 or timeout > left then timeout = left end
  end
  return timeout
end

-- Hands an attempt's trace to on_trace. On failure the trace, if any, is the session's fourth value.
local function report_trace(self, status, info)
  if not self._on_trace then return end
  local trace = info
  if status then trace = info and info.trace end
  if type(trace) == "string" and trace ~= "" then
    self._on_trace(trace)
  end
end

-- After an attempt: the seconds to wait before the next one, or nil when this outcome is the call's result.
-- Takes the retry's cost from the client's budget.
local function next_wait(self, call, now, status, res_headers, res_body)
  local policy, req = call.req.retries, call.req
  local kind = not status and res_body or nil
  if not (policy and req.repeatable and call.attempt < policy.attempts and retry.retryable(status, kind)) then
    return nil
  end
  local wait = retry.delay(policy, call.attempt, status and first_value(res_headers, "retry-after") or nil)
  if call.deadline and now() + wait >= call.deadline then return nil end
  local cost = retry.spend(self._budget, kind)
  if not cost then
    call.out_of_budget = true
    return nil
  end
  call.spent = call.spent + cost
  return wait
end

-- The call's result from its last attempt's outcome.
local function settle(self, call, status, res_headers, res_body, info, data, decode_error)
  if status and status >= 200 and status < 300 then
    retry.refund(self._budget, call.spent)
  end
  local result, err, response =
    finish(self, call.req, call.attempt, status, res_headers, res_body, info, data, decode_error)
  if err and call.out_of_budget then err.retry_budget_exhausted = true end
  return result, err, response
end

-- Sends a prepared request, retrying as its policy allows, and finishes it.
local function send(self, req)
  local now, sleep = self:_clock()
  local call = new_call(req, now)
  local session = self._session
  while true do
    call.attempt = call.attempt + 1
    local status, res_headers, res_body, info, data, decode_error =
      session:request(req.method, req.url, req.headers, req.body, attempt_timeout(call, now), req.repeatable)
    report_trace(self, status, info)
    local wait = next_wait(self, call, now, status, res_headers, res_body)
    if not wait then
      return settle(self, call, status, res_headers, res_body, info, data, decode_error)
    end
    sleep(wait)
  end
end

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

--- Sends one request. `path` is relative to the client's URL and starts with "/"; a query in it is kept, and
--- `opts.query` is added to it. Failures worth another try are retried as the client's (or this call's)
--- `retries` policy says; `err.attempts` tells how many were made.
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
require("humanitec.paginate").install(Client)

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

-- The workflow helpers (deploy, promote, set_values, run_pipeline, ...) are client methods too.
for name, helper in pairs(require "humanitec.workflows") do
  Client[name] = helper
end

-- client:start, batch, await, run and the adapters' hooks share the request pipeline above.
local async_internal = {
  prepare = prepare, new_call = new_call, attempt_timeout = attempt_timeout, report_trace = report_trace,
  next_wait = next_wait, settle = settle, calls = calls,
}
require("humanitec.async").install(Client, async_internal)

--- Closes the client's connections. Requests still in flight end with an error of kind "aborted"; later
--- requests raise. Safe to call twice; also runs on `<close>`.
function Client:close()
  if not self._closed then
    self._closed = true
    if self._loop then self._loop.detach() end
    async_internal.abort_all(self)
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
  return {
    "Accept: application/json",
    "User-Agent: " .. ua,
    "Humanitec-User-Agent: " .. hua,
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

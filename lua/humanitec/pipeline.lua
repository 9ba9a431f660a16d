--- The request pipeline under every entry point of the client: checks a request's arguments and builds it
--- (URL, query, headers, JSON body), sends it through the client's session with retries on the client's clock,
--- and turns what came back into `data, nil, response` or `nil, err` (the token masked, the text bounded).
--- humanitec.client and humanitec.async call it with the client as `self`; callers meet only the Response
--- (`humanitec.Response`) a successful call returns third:
---
--- ```lua
--- local apps, err, response = client:list_applications()
--- if not err then print(response.status, response:header("content-type"), response.timings.total) end
--- ```
local errors = require "humanitec.errors"
local json = require "humanitec.json"
local retry = require "humanitec.retry"
local url_codec = require "humanitec.url"
local vocabulary = require "humanitec.vocabulary"

local M = {}

local Client -- the client class, for the check that `self` is a client (see M.bind)

--- Tells the pipeline the client class, once, when humanitec.client is loaded.
---@param class table
function M.bind(class)
  Client = class
end

---@class humanitec.Response
---@field status integer
---@field headers table<string, string|string[]> lower-case names; a repeated header is a list
---@field body string the raw body
---@field timings table total, connect, tls, first_byte (seconds), http_version; made when first read
---@field method string
---@field url string
-- The first value of a header in what the session returned: a table (a repeated header is a list), or the
-- core's head userdata (the lazy_head option), which finds it without making the table.
local function first_value(headers, name)
  if type(headers) == "userdata" then return headers:header(name) end
  local v = headers[name]
  if type(v) == "table" then return v[1] end
  return v
end

local Response = {}
Response.__name = "humanitec.Response"

-- A JSON body the core decoded comes as its own userdata (`_raw_body`), not as a string: `response.body`
-- makes the string the first time it is read. Headers and timings likewise come from the core as one userdata
-- (`_head`): `response.headers` and `response.timings` make their tables the first time they are read.
function Response:__index(key)
  if key == "body" then
    local raw = rawget(self, "_raw_body")
    if raw == nil then return nil end
    local text = tostring(raw)
    rawset(self, "body", text)
    return text
  elseif key == "headers" or key == "timings" then
    local head = rawget(self, "_head")
    if head == nil then return nil end
    local made = key == "headers" and head:headers() or head:timings()
    rawset(self, key, made)
    return made
  end
  return Response[key]
end

--- The first value of a response header (names are case-insensitive).
---@param name string
---@return string?
function Response:header(name)
  return first_value(rawget(self, "headers") or rawget(self, "_head") or self.headers, name:lower())
end

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

-- The headers of one request with headers of its own, as the session takes them ({ name, value } pairs): the
-- client's defaults, then the caller's. Raises on a bad name or value.
local function merged_headers(defaults, extra, content_type, level)
  if extra ~= nil and type(extra) ~= "table" then
    error("bad option 'headers' (table expected, got " .. type(extra) .. ")", level)
  end
  -- A header the caller gives replaces the default of that name (Accept, say), never joins it.
  local overridden = {}
  for name in pairs(extra or {}) do
    if type(name) == "string" then overridden[name:lower()] = true end
  end
  local list = {}
  for i = 1, #defaults do
    if not overridden[defaults[i][1]:lower()] then list[#list + 1] = defaults[i] end
  end
  if content_type then
    list[#list + 1] = { "Content-Type", content_type }
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
      list[#list + 1] = { name, value }
    end
  end
  return list
end

-- The headers of one request. The common case, apart so that LuaJIT compiles it: the client's defaults as they
-- are (the list is never changed after the client is made).
local function request_headers(defaults, extra, content_type, level)
  if extra == nil and content_type == nil then return defaults end
  local list = merged_headers(defaults, extra, content_type, level + 1) -- not a tail call
  return list
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
    -- A path that has a query of its own keeps it, less the parameters opts.query names (those it replaces,
    -- so no key is sent twice); the options' parameters follow it.
    if query ~= "" and path:find("?", 1, true) then
      local base, own = path:match("^([^?]*)%?(.*)$")
      local kept = {}
      for part in own:gmatch("[^&]+") do
        if opts.query[url_codec.unescape(part:match("^[^=]*"))] == nil then kept[#kept + 1] = part end
      end
      path = #kept > 0 and base .. "?" .. table.concat(kept, "&") or base
      if #kept > 0 then query = "&" .. query:sub(2) end
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
    headers = request_headers(self._headers, opts.headers, content_type, level + 1),
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
  local lazy = type(res_headers) == "userdata" -- the core's head: headers and timings made when first read
  local response = setmetatable({
    status = status, headers = not lazy and res_headers or nil, body = not decoded and res_body or nil,
    _raw_body = decoded and res_body or nil, timings = not lazy and info or nil, _head = lazy and res_headers or nil,
    method = req.method, url = req.url, attempts = attempts,
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
        method = req.method, path = req.path, headers = redact_value(self, response.headers), attempts = attempts,
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
  -- A server may echo the token in a header too (WWW-Authenticate, a debugging header): the error keeps them
  -- masked, as it keeps the body.
  fields.headers = redact_value(self, response.headers)
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

M.Response = Response
M.NO_OPTIONS = NO_OPTIONS
M.shown_url = shown_url
M.prepare, M.finish, M.send = prepare, finish, send
M.new_call, M.attempt_timeout, M.report_trace, M.next_wait, M.settle =
  new_call, attempt_timeout, report_trace, next_wait, settle

return M

--- Shared helpers for the simulator's handlers: failing a request, validating input, ids, time, query strings,
-- pagination and the canonical encoding behind content-derived ids.
--
-- Handlers stop a request by raising with `U.fail(status, message)`. The dispatcher in `humanitec.sim` turns
-- such a failure into an error response; any other error raised in a handler is a simulator bug and becomes a
-- 500. Raising keeps each validation step to one line instead of threading `nil, err` through every helper.
local basexx = require "basexx"
local dates = require "humanitec.dates"
local digest = require "openssl.digest"
local hex = require "humanitec.hex"
local json = require "humanitec.json"
local url = require "humanitec.url"

local M = {}

-- Error codes, one per status, in the "API-NNN" style the Humanitec API uses for its `error` field.
M.codes = {
  [400] = "API-001", [401] = "API-002", [403] = "API-003", [404] = "API-004", [405] = "API-005",
  [409] = "API-006", [412] = "API-007", [422] = "API-008", [429] = "API-009", [500] = "API-010",
  [503] = "API-011",
}

local Failure = {}
Failure.__index = Failure
Failure.__tostring = function(f) return "humanitec.sim failure " .. f.status .. ": " .. f.message end

--- Stops the current request with an error response.
---@param status integer
---@param message string
---@param body? table  a body to send instead of the standard error body (e.g. the spec's list of changes)
function M.fail(status, message, body)
  error(setmetatable({ status = status, message = message, body = body }, Failure), 0)
end

--- True when `e` was raised by `fail`.
---@param e any
---@return boolean
function M.is_failure(e)
  return getmetatable(e) == Failure
end

--- The standard error body.
---@param status integer
---@param message string
---@return table
function M.error_body(status, message)
  return { error = M.codes[status] or ("API-" .. status), message = message }
end

-- Validation ---------------------------------------------------------------------------------------------

--- True when `s` matches the spec's id pattern `^[a-z0-9](?:-?[a-z0-9]+)+$` (at most `max` characters).
---@param s any
---@param max? integer
---@return boolean
function M.is_slug(s, max)
  if type(s) ~= "string" or #s < 2 or (max and #s > max) then return false end
  return s:find("^[a-z0-9][a-z0-9%-]*[a-z0-9]$") ~= nil and not s:find("--", 1, true)
end

--- Fails with 400 unless `s` is a slug.
---@param s any
---@param what string  the field name for the message
---@param max? integer
function M.check_slug(s, what, max)
  if not M.is_slug(s, max) then
    M.fail(400, string.format("%s must match ^[a-z0-9](?:-?[a-z0-9]+)+$%s", what,
      max and (" and be at most " .. max .. " characters") or ""))
  end
end

local type_names = { string = "a string", boolean = "a boolean", number = "a number", table = "an object" }

--- Reads `body[name]`, failing with 400 when it is required and missing or has the wrong type. `json.null`
-- counts as missing.
---@param body table
---@param name string
---@param kind "string"|"boolean"|"number"|"table"|"array"
---@param required? boolean
---@return any
function M.field(body, name, kind, required)
  local v = body[name]
  if v == nil or v == json.null then
    if required then M.fail(400, "missing required field '" .. name .. "'") end
    return nil
  end
  if kind == "array" then
    -- `{}` passes as an empty array: Lua callers cannot tell the two apart without marking the table.
    if type(v) ~= "table" or not (M.is_list(v) or next(v) == nil) then
      M.fail(400, "field '" .. name .. "' must be an array")
    end
  elseif kind == "table" then
    if type(v) ~= "table" or (json.is_array(v) or (#v > 0)) then
      M.fail(400, "field '" .. name .. "' must be an object")
    end
  elseif type(v) ~= kind then
    M.fail(400, "field '" .. name .. "' must be " .. type_names[kind])
  end
  if kind == "string" and required and v == "" then
    M.fail(400, "field '" .. name .. "' must not be empty")
  end
  return v
end

--- True when `t` is a JSON array: marked, or a non-empty sequence (cjson leaves non-empty arrays unmarked).
---@param t any
---@return boolean
function M.is_list(t)
  if type(t) ~= "table" then return false end
  if json.is_array(t) then return true end
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  return n > 0 and n == #t
end

--- True when `t` is a JSON object (a table that is not an array).
---@param t any
---@return boolean
function M.is_object(t)
  return type(t) == "table" and not M.is_list(t) and t ~= json.null
end

--- Parses the request body as a JSON object (or, with `want == "any"`, any JSON value).
-- Unparsable JSON and a body of the wrong shape are both 400: the spec keeps 422 for well-formed nonsense.
---@param req table
---@param want? "object"|"array"|"any"
---@return any
function M.json_body(req, want)
  local text = req.body
  if text == nil or text:find("^%s*$") then
    M.fail(400, "a JSON request body is required")
  end
  local value, err = json.decode(text)
  if value == nil and err then
    M.fail(400, "request body is not valid JSON: " .. err)
  end
  want = want or "object"
  if want == "object" and not M.is_object(value) then
    M.fail(400, "request body must be a JSON object")
  elseif want == "array" and not (M.is_list(value) or M.is_object(value) and next(value) == nil) then
    M.fail(400, "request body must be a JSON array")
  end
  return value
end

-- Values -------------------------------------------------------------------------------------------------

--- Deep copy that keeps the JSON array mark.
---@param v any
---@return any
function M.copy(v)
  if type(v) ~= "table" or v == json.null then return v end
  local out = {}
  for k, item in pairs(v) do out[k] = M.copy(item) end
  return setmetatable(out, getmetatable(v))
end

--- Builds a JSON array from a Lua sequence, mapping each item through `fn` when given.
---@param list table
---@param fn? fun(item: any): any
---@return table
function M.array(list, fn)
  local out = json.array()
  for i, item in ipairs(list) do out[i] = fn and fn(item) or item end
  return out
end

--- The values of `map` as a list, in creation order (the `seq` field every record gets).
---@param map table
---@param keep? fun(item: table): boolean
---@return table
function M.ordered(map, keep)
  local out = {}
  for _, item in pairs(map) do
    if not keep or keep(item) then out[#out + 1] = item end
  end
  table.sort(out, function(a, b) return a.seq < b.seq end)
  return out
end

-- Canonical encoding: sorted object keys, no whitespace. Two equal values encode the same, so a hash of this
-- text identifies the content (Deployment Sets are named this way).
local function canonical(v, out)
  local t = type(v)
  if v == nil or v == json.null then
    out[#out + 1] = "null"
  elseif t == "table" then
    if M.is_list(v) then
      out[#out + 1] = "["
      for i, item in ipairs(v) do
        if i > 1 then out[#out + 1] = "," end
        canonical(item, out)
      end
      out[#out + 1] = "]"
    else
      local keys = {}
      for k in pairs(v) do keys[#keys + 1] = tostring(k) end
      table.sort(keys)
      out[#out + 1] = "{"
      for i, k in ipairs(keys) do
        if i > 1 then out[#out + 1] = "," end
        out[#out + 1] = json.encode(k)
        out[#out + 1] = ":"
        local item = v[k]
        if item == nil then item = v[tonumber(k)] end
        canonical(item, out)
      end
      out[#out + 1] = "}"
    end
  elseif t == "number" then
    if v == math.floor(v) and v > -2 ^ 53 and v < 2 ^ 53 then
      out[#out + 1] = string.format("%d", v)
    else
      out[#out + 1] = string.format("%.17g", v)
    end
  else
    out[#out + 1] = json.encode(v)
  end
end

--- The canonical JSON text of `v`.
---@param v any
---@return string
function M.canonical(v)
  local out = {}
  canonical(v, out)
  return table.concat(out)
end

--- True when `a` and `b` hold the same JSON value.
---@param a any
---@param b any
---@return boolean
function M.equal(a, b)
  return M.canonical(a) == M.canonical(b)
end

-- Time ---------------------------------------------------------------------------------------------------

--- Formats epoch seconds as the spec's timestamps, e.g. "2024-01-01T00:00:00.000Z" (humanitec.dates).
M.iso = dates.iso

--- Parses "YYYY-MM-DDTHH:MM:SS[.fff]Z" into epoch seconds; nil when it does not have that form.
M.parse_iso = dates.parse_iso

-- Ids ----------------------------------------------------------------------------------------------------

--- The SHA-256 digest of `msg` as 64 lowercase hex digits (luaossl).
---@param msg string
---@return string
function M.sha256_hex(msg)
  return hex.encode(digest.new("sha256"):final(msg))
end

--- The SHA-256 digest of `msg` in unpadded base64url (43 characters).
---@param msg string
---@return string
function M.sha256_url64(msg)
  return basexx.to_url64(digest.new("sha256"):final(msg))
end

--- A new deterministic id: `n` hex digits derived from the simulator's seed and a counter.
---@param sim table
---@param n integer
---@return string
function M.hex_id(sim, n)
  sim.counter = sim.counter + 1
  local out, i = "", 0
  while #out < n do
    out = out .. M.sha256_hex(sim.seed .. ":" .. sim.counter .. ":" .. i)
    i = i + 1
  end
  return out:sub(1, n)
end

--- A new deterministic version-4-shaped UUID.
---@param sim table
---@return string
function M.uuid(sim)
  local h = M.hex_id(sim, 32)
  return string.format("%s-%s-4%s-%s%s-%s", h:sub(1, 8), h:sub(9, 12), h:sub(14, 16),
    ("89ab"):sub(tonumber(h:sub(17, 17), 16) % 4 + 1, tonumber(h:sub(17, 17), 16) % 4 + 1), h:sub(18, 20),
    h:sub(21, 32))
end

--- True when `s` looks like a UUID.
---@param s any
---@return boolean
function M.is_uuid(s)
  return type(s) == "string"
    and s:find("^%x%x%x%x%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x$") ~= nil
end

-- Query strings ------------------------------------------------------------------------------------------

-- A query-string component: `+` is a space, then %XX.
local function unescape(s)
  return url.unescape((s:gsub("+", " ")))
end

--- Escapes a query-string component.
M.escape = url.percent

--- Parses a raw query string into an ordered list of { name, value } pairs.
---@param raw string?
---@return table
function M.parse_query(raw)
  local pairs_list = {}
  if raw and raw ~= "" then
    for part in raw:gmatch("[^&]+") do
      local k, v = part:match("^([^=]*)=(.*)$")
      if not k then k, v = part, "" end
      pairs_list[#pairs_list + 1] = { unescape(k), unescape(v) }
    end
  end
  return pairs_list
end

--- The first value of query parameter `name`, or nil.
---@param req table
---@param name string
---@return string?
function M.query(req, name)
  for _, p in ipairs(req.query) do
    if p[1] == name then return p[2] end
  end
  return nil
end

--- Every value of query parameter `name` (repeated `name=a&name=b`, or comma-separated).
---@param req table
---@param name string
---@return table?  nil when the parameter is absent
function M.query_all(req, name)
  local out
  for _, p in ipairs(req.query) do
    if p[1] == name then
      out = out or {}
      for v in p[2]:gmatch("[^,]+") do out[#out + 1] = v end
    end
  end
  return out
end

--- A boolean query parameter: nil when absent, 400 when not "true"/"false".
---@param req table
---@param name string
---@return boolean?
function M.query_bool(req, name)
  local v = M.query(req, name)
  if v == nil then return nil end
  if v == "true" then return true elseif v == "false" then return false end
  M.fail(400, "query parameter '" .. name .. "' must be true or false")
end

-- Pagination ---------------------------------------------------------------------------------------------

-- A page token is base64 of "offset:N"; anything else (bad characters or length too) reads as no token.
local function b64decode(s)
  if #s % 4 ~= 0 or s:find("[^%w%+/=]") then return nil end
  return basexx.from_base64(s)
end

--- Cuts `items` into the page the request asks for (`per_page`, 1 to 100, default 50; `page`, an opaque token
-- from a previous `Link` header). Returns the page as a JSON array and the response headers: a `Link` header
-- with `rel="next"` when more items follow.
---@param req table
---@param items table
---@param fn? fun(item: any): any  maps each item of the page to its response shape
---@return table page
---@return table headers
function M.paginate(req, items, fn)
  local per_page = 50
  local raw = M.query(req, "per_page")
  if raw ~= nil then
    -- Decimal digits only: tonumber would also take "0x10", "1e1" and " 5".
    per_page = raw:find("^%d+$") and tonumber(raw) or nil
    if not per_page or per_page < 1 or per_page > 100 then
      M.fail(400, "per_page must be an integer from 1 to 100")
    end
  end
  local offset = 0
  local token = M.query(req, "page")
  if token ~= nil and token ~= "" then
    local decoded = b64decode(token)
    offset = decoded and tonumber(decoded:match("^offset:(%d+)$"))
    if not offset then
      -- Where the spec declares no 400, a token the simulator never gave reads as past the end: an empty page.
      if req.declares and not req.declares(400) then return json.array(), {} end
      M.fail(400, "invalid page token")
    end
  end
  local page = json.array()
  for i = offset + 1, math.min(offset + per_page, #items) do
    page[#page + 1] = fn and fn(items[i]) or items[i]
  end
  local headers = {}
  if offset + per_page < #items then
    local parts = {}
    for _, p in ipairs(req.query) do
      if p[1] ~= "page" then parts[#parts + 1] = M.escape(p[1]) .. "=" .. M.escape(p[2]) end
    end
    parts[#parts + 1] = "page=" .. M.escape(basexx.to_base64("offset:" .. (offset + per_page)))
    -- Relative to the request (RFC 8288), unless the simulator was told the URL its clients reach it at: the
    -- Host header says nothing reliable behind a proxy that rewrites it.
    headers["link"] = string.format('<%s%s?%s>; rel="next"', req.public_url or "", req.path,
      table.concat(parts, "&"))
  end
  return page, headers
end

return M

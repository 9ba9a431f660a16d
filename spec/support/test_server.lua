-- A loopback HTTP server for the client's specs, on lua-http. Run by spec/support/helpers.lua in its own
-- process (the client blocks while it waits, so the server cannot share its thread). Prints its URL as the
-- first line of output, then serves until killed.
--
-- Routes:
--   /echo...           the request as JSON: method, path, query, headers (name -> value or list), body
--   /mirror            the request body back, with the request's Content-Type
--   /respond           ?status=&type=&body=&header=Name:value (repeatable): exactly that answer
--   /slow              ?ms=: answers after a delay
--   /bytes             ?n=&chunked=1: a body of n bytes, with or without Content-Length
--   /redirect          ?to=: a 302 to that location
--   /repeated          a response with repeated headers
--   /flaky             ?key=&fail=N&status=: fails the first N requests for a key, then answers 200
--   /count             ?path=: how many requests that path has received so far
local http_server = require "http.server"
local http_headers = require "http.headers"
local http_util = require "http.util"
local cqueues = require "cqueues"
local cjson = require("cjson").new()

local counts = {}

local function query_params(query)
  local params, multi = {}, {}
  if query then
    for name, value in http_util.query_args(query) do
      params[name] = value
      multi[name] = multi[name] or {}
      table.insert(multi[name], value)
    end
  end
  return params, multi
end

local function respond(stream, method, status, headers, body)
  local res = http_headers.new()
  res:append(":status", tostring(status))
  for _, pair in ipairs(headers) do
    res:append(pair[1], pair[2])
  end
  if body and status ~= 204 and status ~= 304 then
    res:append("content-length", tostring(#body))
  end
  local no_body = method == "HEAD" or body == nil or status == 204 or status == 304
  assert(stream:write_headers(res, no_body))
  if not no_body then
    assert(stream:write_chunk(body, true))
  end
end

local function handle(_, stream)
  local req = assert(stream:get_headers())
  local method = req:get(":method")
  local full_path = req:get(":path")
  local path, query = full_path:match("^([^?]*)%??(.*)$")
  local params, multi = query_params(query)
  local body = stream:get_body_as_string() or ""
  counts[path] = (counts[path] or 0) + 1

  if path:find("^/echo") then
    local headers = {}
    for name, value in req:each() do
      if name:sub(1, 1) ~= ":" then
        local old = headers[name]
        if old == nil then
          headers[name] = value
        elseif type(old) == "table" then
          table.insert(old, value)
        else
          headers[name] = { old, value }
        end
      end
    end
    local doc = cjson.encode {
      method = method, path = path, query = query, headers = headers, body = body,
    }
    return respond(stream, method, 200, { { "content-type", "application/json" } }, doc)
  elseif path == "/mirror" then
    return respond(stream, method, 200, { { "content-type", req:get("content-type") or "application/json" } }, body)
  elseif path == "/respond" then
    local headers = {}
    if params.type then
      headers[#headers + 1] = { "content-type", params.type }
    end
    for _, h in ipairs(multi.header or {}) do
      local name, value = h:match("^([^:]+):%s*(.*)$")
      headers[#headers + 1] = { name:lower(), value }
    end
    return respond(stream, method, tonumber(params.status) or 200, headers, params.body or "")
  elseif path == "/slow" then
    cqueues.sleep((tonumber(params.ms) or 1000) / 1000)
    return respond(stream, method, 200, { { "content-type", "application/json" } }, '{"slow":true}')
  elseif path == "/bytes" then
    local n = tonumber(params.n) or 0
    local chunk = string.rep("x", 65536)
    local res = http_headers.new()
    res:append(":status", "200")
    res:append("content-type", "application/octet-stream")
    if params.chunked ~= "1" then
      res:append("content-length", tostring(n))
    end
    assert(stream:write_headers(res, method == "HEAD"))
    if method == "HEAD" then return end
    local sent = 0
    while sent < n do
      local size = math.min(#chunk, n - sent)
      -- The client hangs up once it has had enough: stop quietly.
      if not stream:write_chunk(chunk:sub(1, size), false) then return end
      sent = sent + size
    end
    stream:write_chunk("", true)
    return
  elseif path == "/redirect" then
    return respond(stream, method, 302, { { "location", params.to or "/echo" } }, "")
  elseif path == "/repeated" then
    return respond(stream, method, 200, {
      { "content-type", "application/json" },
      { "x-multi", "one" }, { "x-multi", "two" }, { "x-multi", "three" },
      { "x-single", "only" },
    }, "{}")
  elseif path == "/flaky" then
    -- Fails the first `fail` requests for a `key` with `status`, then answers 200.
    local key = "flaky:" .. (params.key or "")
    if counts[key] == nil then counts[key] = 0 end
    counts[key] = counts[key] + 1
    if counts[key] <= (tonumber(params.fail) or 1) then
      return respond(stream, method, tonumber(params.status) or 503, { { "content-type", "application/json" } },
        '{"error":"FLAKY","message":"try again"}')
    end
    return respond(stream, method, 200, { { "content-type", "application/json" } },
      cjson.encode { key = params.key, tries = counts[key] })
  elseif path == "/count" then
    return respond(stream, method, 200, { { "content-type", "application/json" } },
      cjson.encode { count = counts[params.path] or 0 })
  end
  return respond(stream, method, 404, { { "content-type", "application/json" } },
    '{"error":"TEST-404","message":"no such test route"}')
end

local server = assert(http_server.listen {
  host = "127.0.0.1",
  port = 0,
  onstream = handle,
  onerror = function(_, context, op, err)
    io.stderr:write(("test server: %s on %s failed: %s\n"):format(op, tostring(context), tostring(err)))
  end,
})
assert(server:listen())
local _, host, port = server:localname()
io.stdout:write(("http://%s:%d\n"):format(host, port))
io.stdout:flush()
assert(server:loop())

--- lua-http (Debian lua-http, on cqueues) in the benchmark: one HTTP/1.1 connection from http.client.connect,
--- a stream per request on it (keep-alive), each body decoded with cjson; for the concurrent case, CONCURRENCY
--- cqueues coroutines, each with its own connection, taking requests from a shared counter.
---   lua5.4 bench/luahttp.lua get URL N [CA_FILE]
---   lua5.4 bench/luahttp.lua batch URL_PREFIX N CONCURRENCY
--- Debian installs lua-http for 5.1 to 5.3; bench/run adds those folders to LUA_PATH for lua5.4.
--- Prints "RESULT <milliseconds> <peak RSS in KiB> <bytes received>".
collectgarbage("incremental") -- the collector the "+ cjson" baseline embeds (see bench/sdk.lua)
local cqueues = require "cqueues"
local http_client = require "http.client"
local http_headers = require "http.headers"
local cjson = require "cjson"

local mode, url, n, extra = arg[1], arg[2], tonumber(arg[3]), arg[4]

local peak_rss_kb = dofile((arg[0]:match("^(.*)/") or ".") .. "/peak_rss.lua")

local scheme, host, port, path = url:match("^(https?)://([^:/]+):(%d+)(/.*)$")
port = tonumber(port)
local ctx
if scheme == "https" then
  local http_tls = require "http.tls"
  ctx = http_tls.new_client_context()
  ctx:getStore():add(extra) -- the test CA; new_client_context verifies the peer and its name
end

local function connect()
  return assert(http_client.connect { host = host, port = port, tls = scheme == "https", ctx = ctx,
    version = 1.1, sendname = host })
end

local function get(conn, target)
  local stream = assert(conn:new_stream())
  local req = http_headers.new()
  req:append(":method", "GET")
  req:append(":scheme", scheme)
  req:append(":authority", host .. ":" .. port)
  req:append(":path", target)
  req:append("accept", "application/json")
  req:append("authorization", "Bearer bench-token")
  assert(stream:write_headers(req, true))
  local res = assert(stream:get_headers())
  if res:get(":status") ~= "200" then error("GET " .. target .. ": " .. res:get(":status")) end
  local body = assert(stream:get_body_as_string())
  stream:shutdown()
  local data = cjson.decode(body)
  assert(type(data) == "table")
  return #body
end

local bytes = 0
local start = cqueues.monotime()
if mode == "get" then
  local conn = connect()
  for _ = 1, n do bytes = bytes + get(conn, path) end
  conn:close()
elseif mode == "batch" then
  local concurrency, next_index = tonumber(extra), 0
  local cq = cqueues.new()
  for _ = 1, concurrency do
    cq:wrap(function()
      local conn = connect()
      while next_index < n do
        next_index = next_index + 1
        bytes = bytes + get(conn, path .. next_index)
      end
      conn:close()
    end)
  end
  assert(cq:loop())
else
  error("unknown mode " .. tostring(mode))
end
local elapsed = (cqueues.monotime() - start) * 1000
io.write(("RESULT %.3f %d %d\n"):format(elapsed, peak_rss_kb(), bytes))

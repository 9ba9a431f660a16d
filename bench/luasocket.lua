--- LuaSocket (Debian lua-socket; LuaSec for https) in the benchmark, as its users call it: socket.http.request
--- with a table sink, then cjson.decode. socket.http sends "Connection: close" and has no connection reuse, so
--- every request opens a connection (and over https, a full TLS handshake: LuaSec keeps no session cache).
---   lua5.4 bench/luasocket.lua URL N [CA_FILE]
--- Prints "RESULT <milliseconds> <peak RSS in KiB> <bytes received>".
collectgarbage("incremental") -- the collector the "+ cjson" baseline embeds (see bench/sdk.lua)
local socket = require "socket"
local http = require "socket.http"
local ltn12 = require "ltn12"
local cjson = require "cjson"

local url, n, ca = arg[1], tonumber(arg[2]), arg[3]
if ca == "" then ca = nil end
local request = http.request
if url:find("^https:") then
  local https = require "ssl.https"
  request = function(t)
    t.verify, t.cafile, t.protocol = "peer", ca, "any"
    return https.request(t)
  end
end

local peak_rss_kb = dofile((arg[0]:match("^(.*)/") or ".") .. "/peak_rss.lua")

local bytes = 0
local start = socket.gettime()
for _ = 1, n do
  local parts = {}
  local ok, status = request {
    url = url, sink = ltn12.sink.table(parts),
    headers = { accept = "application/json", authorization = "Bearer bench-token" },
  }
  if ok ~= 1 or status ~= 200 then error("GET " .. url .. ": " .. tostring(status)) end
  local body = table.concat(parts)
  local data = cjson.decode(body)
  assert(type(data) == "table")
  bytes = bytes + #body
end
local elapsed = (socket.gettime() - start) * 1000
io.write(("RESULT %.3f %d %d\n"):format(elapsed, peak_rss_kb(), bytes))

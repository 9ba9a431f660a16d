-- A misbehaving HTTP/1.1 server for spec/13_faults_spec.lua, on raw cqueues sockets. It is a test double, not
-- the product: it parses just enough of a request (request line, header lines, a Content-Length body) to pick
-- a fault from the first segment of the path, then writes bytes on purpose, wrong ones included. Run by
-- spec/support/helpers.lua in its own process (the client blocks while it waits); prints its URL as the first
-- line of output, then serves on loopback until killed or until LIFETIME seconds have passed.
--
--   lua5.4 spec/support/fault_server.lua [--gzip FILE] [--record]
--
-- Every request is counted under "METHOD /path" (the path without its query). The rest of the path after the
-- first segment is free, so each spec can use its own counter: /storm/get, /storm/post.
--
-- Faults (the first path segment):
--   /close-before-headers   reads the request, then closes the connection (FIN) without a byte of answer
--   /short-body             Content-Length: 100, 40 bytes of body, then FIN
--   /no-headers             reads the request and never answers (until the client hangs up, at most 30 s)
--   /drip                   ?ms=1000&n=30: Content-Length n, then one byte every ms milliseconds
--   /bad-json               200, application/json, a body that is not JSON
--   /html-502               502 with an HTML page, as a proxy would send it
--   /empty-500              500 with an empty body
--   /retry-after-seconds    ?after=1: the first request (per counter) gets 429 with Retry-After in seconds,
--                           the next ones 200
--   /retry-after-date       ?after=2: the same with Retry-After as an HTTP date that many seconds ahead
--   /storm                  503, always
--   /huge                   ?size=104857600&chunked=1: a body of size bytes, streamed in 64 KiB writes, with a
--                           Content-Length (or chunked, without one); never held in memory
--   /big-header             ?kib=200: one response header line that long
--   /many-headers           ?n=80&kib=4: n header lines of kib KiB each
--   /redirect-other-port    ?to=URL&status=302: a redirect to URL
--   /redirect-scheme        ?to=file:///etc/passwd&status=302: a redirect to a scheme other than http(s)
--   /gzip-bomb              the --gzip FILE as a JSON body with Content-Encoding: gzip
--   /ok                     ?keep=1: 200 {"ok":true}; keep=1 keeps the connection open for the next request
--   /cut-head               a status line and half a header line, then FIN: the header block never ends
--   /two-lengths            200 with two Content-Length lines that disagree (5 and the true 11)
--   /trailers               ?wipe=1: a chunked JSON body whose trailers say Content-Type: text/plain (and,
--                           with wipe=1, hold a line starting "HTTP/")
--   /odd-type               200, a text body whose Content-Type is "text/plain" VT "+json" (white space to Lua's
--                           %s, which ends the media type there, so not JSON)
-- Control (not counted):
--   /counts                 every counter as a JSON object
--   /ports                  the raw listeners below, { reset_before_headers = port, reset_mid_body = port }
--
-- Raw listeners: a true TCP reset needs unread bytes in the kernel when the socket closes (cqueues has no
-- SO_LINGER), so these never read the request. They wait until it has arrived, count the connection under
-- "RST /reset-before-headers" or "RST /reset-mid-body", and close: at once, or after a status line, headers
-- promising 1000 bytes and 100 of them. Their counters tell connections, not methods: specs compare counts
-- before and after one call.
--
-- --record: a recorder instead: every request is kept (method, target, header lines, body) and answered 200;
-- GET /__records returns what was kept, as a JSON list, and is not itself kept.
local cqueues = require "cqueues"
local socket = require "cqueues.socket"
local cjson = require("cjson").new()

local LIFETIME = 600 -- seconds; an orphaned server ends itself
local MAX_CONNECTIONS = 20000 -- per listener
local MAX_REQUESTS = 100 -- per kept-alive connection
local MAX_HEADER_LINES = 200
local MAX_REQUEST_BODY = 1024 * 1024
local IO_TIMEOUT = 10 -- seconds for one read or write
local CHUNK = 64 * 1024

local gzip_file, record_mode
do
  local i = 1
  while i <= #arg do
    if arg[i] == "--gzip" then
      gzip_file = assert(arg[i + 1], "--gzip needs a file")
      i = i + 2
    elseif arg[i] == "--record" then
      record_mode = true
      i = i + 1
    else
      error("unknown argument " .. arg[i])
    end
  end
end

local counts = {}
local records = {}
local ports = {}

local function bump(key)
  counts[key] = (counts[key] or 0) + 1
  return counts[key]
end

local function unescape(s)
  return (s:gsub("+", " "):gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

local function query_params(query)
  local params = {}
  for pair in (query or ""):gmatch("[^&]+") do
    local k, v = pair:match("^([^=]*)=?(.*)$")
    params[unescape(k)] = unescape(v)
  end
  return params
end

local REASONS = { [200] = "OK", [301] = "Moved Permanently", [302] = "Found", [307] = "Temporary Redirect",
  [404] = "Not Found", [429] = "Too Many Requests", [500] = "Internal Server Error", [502] = "Bad Gateway",
  [503] = "Service Unavailable" }

local function send(sock, data)
  local ok, err = sock:write(data)
  if ok then ok, err = sock:flush() end
  return ok, err
end

-- A status line and header lines; `keep` leaves out "Connection: close".
local function head(status, headers, keep)
  local lines = { ("HTTP/1.1 %d %s"):format(status, REASONS[status] or "Whatever") }
  for _, h in ipairs(headers) do lines[#lines + 1] = h end
  if not keep then lines[#lines + 1] = "Connection: close" end
  return table.concat(lines, "\r\n") .. "\r\n\r\n"
end

local function respond(sock, status, headers, body, keep)
  local all = { "Content-Length: " .. #body }
  for _, h in ipairs(headers) do all[#all + 1] = h end
  return send(sock, head(status, all, keep) .. body)
end

local JSON = "Content-Type: application/json"

local function json_response(sock, status, value, extra)
  local headers = { JSON }
  for _, h in ipairs(extra or {}) do headers[#headers + 1] = h end
  return respond(sock, status, headers, cjson.encode(value))
end

-- One request: request line, header lines, and a Content-Length body. nil when the client hung up or sent
-- something this server does not care to parse.
local function read_request(sock)
  local line = sock:read("*l")
  if not line then return nil end
  local method, target = line:gsub("\r$", ""):match("^(%u+) (%S+) HTTP/1%.[01]$")
  if not method then return nil end
  local headers, lines = {}, {}
  local complete = false
  for _ = 1, MAX_HEADER_LINES do
    local h = sock:read("*l")
    if not h then return nil end
    h = h:gsub("\r$", "")
    if h == "" then
      complete = true
      break
    end
    lines[#lines + 1] = h
    local name, value = h:match("^([^:]+):%s*(.-)%s*$")
    if name then headers[name:lower()] = value end
  end
  if not complete then return nil end
  local body = ""
  local length = tonumber(headers["content-length"])
  if length and length > 0 then
    if length > MAX_REQUEST_BODY then return nil end
    body = sock:read(length)
    if not body or #body ~= length then return nil end
  end
  local path, query = target:match("^([^?]*)%??(.*)$")
  return { method = method, target = target, path = path, params = query_params(query), headers = headers,
    lines = lines, body = body }
end

-- An IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), spelt out so that no locale can change it.
local DAYS = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" }
local MONTHS = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" }
local function http_date(t)
  local d = os.date("!*t", t)
  return ("%s, %02d %s %04d %02d:%02d:%02d GMT"):format(DAYS[d.wday], d.day, MONTHS[d.month], d.year, d.hour,
    d.min, d.sec)
end

-- Streams `size` bytes of body, or stops early when the client hangs up.
local function stream_body(sock, size, chunked)
  local block = string.rep("x", CHUNK)
  local sent = 0
  for _ = 1, math.ceil(size / CHUNK) do
    local n = math.min(CHUNK, size - sent)
    local piece = n == CHUNK and block or block:sub(1, n)
    if chunked then piece = ("%x\r\n%s\r\n"):format(n, piece) end
    if not sock:write(piece) then return end
    sent = sent + n
  end
  if chunked then sock:write("0\r\n\r\n") end
  sock:flush()
end

-- The faults. Each answers one request; returning true keeps the connection open for another.
local faults = {}

faults["close-before-headers"] = function() end

faults["short-body"] = function(sock)
  send(sock, head(200, { JSON, "Content-Length: 100" }) .. '{"items": [' .. string.rep("1,", 14))
end

faults["no-headers"] = function(sock)
  -- Wait for the client to hang up (a read that ends), at most 30 s.
  sock:settimeout(30)
  sock:read(1)
end

faults["drip"] = function(sock, req)
  local n = math.min(tonumber(req.params.n) or 30, 600)
  local interval = (tonumber(req.params.ms) or 1000) / 1000
  if not send(sock, head(200, { "Content-Type: text/plain", "Content-Length: " .. n })) then return end
  for _ = 1, n do
    if not send(sock, ".") then return end
    cqueues.sleep(interval)
  end
end

faults["bad-json"] = function(sock)
  respond(sock, 200, { JSON }, '{"apps": [{"id": "web"}, {"id": ')
end

faults["html-502"] = function(sock)
  respond(sock, 502, { "Content-Type: text/html" }, "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n"
    .. "<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
end

faults["empty-500"] = function(sock)
  respond(sock, 500, {}, "")
end

local function retry_after(sock, req, value)
  if counts[req.method .. " " .. req.path] == 1 then
    json_response(sock, 429, { error = "RATE", message = "slow down" }, { "Retry-After: " .. value })
  else
    json_response(sock, 200, { ok = true, count = counts[req.method .. " " .. req.path] })
  end
end

faults["retry-after-seconds"] = function(sock, req)
  retry_after(sock, req, tostring(tonumber(req.params.after) or 1))
end

faults["retry-after-date"] = function(sock, req)
  retry_after(sock, req, http_date(os.time() + (tonumber(req.params.after) or 2)))
end

faults["storm"] = function(sock)
  json_response(sock, 503, { error = "STORM", message = "service unavailable" })
end

faults["huge"] = function(sock, req)
  local size = math.min(tonumber(req.params.size) or 100 * 1024 * 1024, 1024 * 1024 * 1024)
  local chunked = req.params.chunked == "1"
  local framing = chunked and "Transfer-Encoding: chunked" or "Content-Length: " .. size
  if not send(sock, head(200, { "Content-Type: application/octet-stream", framing })) then return end
  stream_body(sock, size, chunked)
end

faults["big-header"] = function(sock, req)
  local kib = math.min(tonumber(req.params.kib) or 200, 4096)
  respond(sock, 200, { JSON, "X-Big: " .. string.rep("a", kib * 1024) }, "{}")
end

faults["many-headers"] = function(sock, req)
  local n = math.min(tonumber(req.params.n) or 80, 1000)
  local value = string.rep("b", (math.min(tonumber(req.params.kib) or 4, 64)) * 1024)
  local headers = { JSON }
  for i = 1, n do headers[#headers + 1] = ("X-Many-%d: %s"):format(i, value) end
  respond(sock, 200, headers, "{}")
end

local function redirect(sock, req, default)
  local status = tonumber(req.params.status) or 302
  json_response(sock, status, { error = "MOVED", message = "moved" }, { "Location: " .. (req.params.to or default) })
end

faults["redirect-other-port"] = function(sock, req)
  redirect(sock, req, "http://localhost:1/")
end

faults["redirect-scheme"] = function(sock, req)
  redirect(sock, req, "file:///etc/passwd")
end

faults["gzip-bomb"] = function(sock)
  local f = gzip_file and io.open(gzip_file, "rb")
  if not f then return json_response(sock, 500, { error = "NO-GZIP", message = "started without --gzip" }) end
  local size = f:seek("end")
  f:seek("set", 0)
  local ok = send(sock, head(200, { JSON, "Content-Encoding: gzip", "Content-Length: " .. size }))
  for _ = 1, math.ceil(size / CHUNK) do
    if not ok then break end
    local piece = f:read(CHUNK)
    if not piece then break end
    ok = sock:write(piece)
  end
  f:close()
  sock:flush()
end

faults["cut-head"] = function(sock)
  send(sock, "HTTP/1.1 200 OK\r\nContent-Type: appl")
end

faults["two-lengths"] = function(sock)
  send(sock, head(200, { JSON, "Content-Length: 5", "Content-Length: 11" }) .. '{"ok":true}')
end

faults["trailers"] = function(sock, req)
  local trailers = "Content-Type: text/plain\r\nX-Trailer: yes\r\n"
  if req.params.wipe == "1" then trailers = "HTTP/1.1 500 Oops\r\n" .. trailers end
  send(sock, head(200, { JSON, "Transfer-Encoding: chunked", "Trailer: Content-Type, X-Trailer" })
    .. "b\r\n" .. '{"ok":true}' .. "\r\n0\r\n" .. trailers .. "\r\n")
end

faults["odd-type"] = function(sock)
  respond(sock, 200, { "Content-Type: text/plain\v+json" }, "plain, not JSON")
end

faults["ok"] = function(sock, req)
  local keep = req.params.keep == "1"
  respond(sock, 200, { JSON }, '{"ok":true}', keep)
  return keep
end

local function serve_request(sock, req)
  if req.method == "GET" and req.path == "/counts" then
    return json_response(sock, 200, counts)
  elseif req.method == "GET" and req.path == "/ports" then
    return json_response(sock, 200, ports)
  end
  bump(req.method .. " " .. req.path)
  if record_mode then
    if req.method == "GET" and req.path == "/__records" then
      counts[req.method .. " " .. req.path] = nil
      return json_response(sock, 200, records)
    end
    records[#records + 1] = { method = req.method, target = req.target, headers = req.lines, body = req.body }
    return json_response(sock, 200, { recorded = true })
  end
  local fault = faults[req.path:match("^/([^/]*)")]
  if not fault then
    return json_response(sock, 404, { error = "FAULT-404", message = "no such fault: " .. req.path })
  end
  return fault(sock, req)
end

-- A client that hangs up is what these faults are for: socket methods return its error instead of raising.
local function quiet(_, _, err)
  return err
end

local function serve_connection(sock)
  sock:onerror(quiet)
  sock:setmode("b", "bf")
  sock:settimeout(IO_TIMEOUT)
  for _ = 1, MAX_REQUESTS do
    local req = read_request(sock)
    if not req or not serve_request(sock, req) then break end
  end
  sock:close()
end

-- The raw listeners: never read, so that close() finds unread bytes and the kernel answers with RST.
local function serve_raw(sock, which)
  sock:onerror(quiet)
  sock:setmode("b", "bf")
  sock:settimeout(IO_TIMEOUT)
  -- Readable means the request (or some of it) is waiting in the kernel; nothing here reads it.
  cqueues.poll({ pollfd = sock:pollfd(), events = "r" }, IO_TIMEOUT)
  bump("RST /" .. which)
  if which == "reset-mid-body" then
    send(sock, head(200, { "Content-Type: text/plain", "Content-Length: 1000" }) .. string.rep("y", 100))
    cqueues.sleep(0.2) -- let the client take in what was sent before the reset
  end
  sock:close()
end

local cq = cqueues.new()

local function guarded(fn, ...)
  local ok, err = pcall(fn, ...)
  if not ok then io.stderr:write("fault server: ", tostring(err), "\n") end
end

local function accept_loop(listener, handler, ...)
  local extra = table.pack(...)
  for _ = 1, MAX_CONNECTIONS do
    local sock = listener:accept(LIFETIME)
    if not sock then break end
    cq:wrap(guarded, handler, sock, table.unpack(extra, 1, extra.n))
  end
  listener:close()
end

local function listen()
  local listener = assert(socket.listen { host = "127.0.0.1", port = 0, reuseaddr = true })
  assert(listener:listen())
  local _, host, port = listener:localname()
  return listener, host, port
end

local main, host, port = listen()
cq:wrap(accept_loop, main, serve_connection)
if not record_mode then
  for _, which in ipairs { "reset-before-headers", "reset-mid-body" } do
    local raw, _, raw_port = listen()
    ports[(which:gsub("%-", "_"))] = raw_port
    cq:wrap(accept_loop, raw, serve_raw, which)
  end
end
cq:wrap(function()
  cqueues.sleep(LIFETIME)
  os.exit(0)
end)

io.stdout:write(("http://%s:%d\n"):format(host, port))
io.stdout:flush()
for _ = 1, LIFETIME * 1000 do -- bounded like the rest; cq:loop returns only on an error or when all is done
  local ok, err = cq:loop()
  if ok then break end
  io.stderr:write("fault server: ", tostring(err), "\n")
end

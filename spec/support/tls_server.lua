-- A loopback HTTPS server for the TLS specs, on lua-http and luaossl. Run by spec/support/helpers.lua in its own
-- process as `tls_server.lua CERT_FILE KEY_FILE [http/1.1]`: it presents that certificate (PEM) with that key
-- (PEM), offers HTTP/2 and HTTP/1.1 through ALPN (only HTTP/1.1 with the third argument), prints its URL
-- (https://127.0.0.1:PORT) as the first line of output, then serves until killed.
--
-- Routes:
--   /echo...   the request as JSON: method, path, the Authorization header it got (or null), the HTTP version
--              the connection speaks ("2" or "1.1") and a number that tells the connection apart from others;
--              with ?close=1 over HTTP/1.1, the server then ends the connection (Connection: close)
--   anything else: 404
local http_server = require "http.server"
local http_headers = require "http.headers"
local http_tls = require "http.tls"
local openssl_ssl = require "openssl.ssl"
local openssl_pkey = require "openssl.pkey"
local openssl_x509 = require "openssl.x509"
local cjson = require("cjson").new()

local cert_file, key_file, only = arg[1], arg[2], arg[3]
if not (cert_file and key_file) or (only and only ~= "http/1.1") then
  io.stderr:write("usage: tls_server.lua CERT_FILE KEY_FILE [http/1.1]\n")
  os.exit(2)
end

local function read(path)
  local f = assert(io.open(path, "rb"))
  local text = f:read("*a")
  f:close()
  return text
end

-- lua-http's own choice of protocol (http.server's alpn_select, which is local to it): the first of the client's
-- offers that the server speaks, h2 only over TLS 1.2 or later (and not at all when told to speak only HTTP/1.1).
local function alpn_select(ssl, protos)
  for _, proto in ipairs(protos) do
    if proto == "h2" and not only and ssl:getVersion() >= openssl_ssl.TLS1_2_VERSION then return proto end
    if proto == "http/1.1" then return proto end
  end
  return nil
end

local ctx = http_tls.new_server_context()
assert(ctx:setCertificate(openssl_x509.new(read(cert_file))))
assert(ctx:setPrivateKey(openssl_pkey.new(read(key_file))))
if http_tls.has_alpn then
  ctx:setAlpnSelect(alpn_select)
end

-- Connections get a number when their first stream arrives, so a spec can tell a reused one from a new one.
local connection_ids = setmetatable({}, { __mode = "k" })
local next_connection = 0

local function respond(stream, status, body, close)
  local res = http_headers.new()
  res:append(":status", tostring(status))
  res:append("content-type", "application/json")
  if close and stream.connection.version < 2 then
    res:append("connection", "close")
  end
  res:append("content-length", tostring(#body))
  assert(stream:write_headers(res, false))
  assert(stream:write_chunk(body, true))
end

local function handle(_, stream)
  local req = assert(stream:get_headers())
  local path, query = req:get(":path"):match("^([^?]*)%??(.*)$")
  local close = query == "close=1"
  stream:get_body_as_string()
  local conn = stream.connection
  if not connection_ids[conn] then
    next_connection = next_connection + 1
    connection_ids[conn] = next_connection
  end
  if path:find("^/echo") then
    return respond(stream, 200, cjson.encode {
      method = req:get(":method"),
      path = path,
      authorization = req:get("authorization") or cjson.null,
      http_version = conn.version == 2 and "2" or "1.1",
      connection = connection_ids[conn],
    }, close)
  end
  return respond(stream, 404, '{"error":"TEST-404","message":"no such test route"}')
end

local server = assert(http_server.listen {
  host = "127.0.0.1",
  port = 0,
  tls = true,
  ctx = ctx,
  onstream = handle,
  onerror = function(_, context, op, err)
    -- A client that rejects the certificate hangs up in the handshake ("wrap"): that is what the specs expect.
    if op ~= "wrap" then
      io.stderr:write(("tls server: %s on %s failed: %s\n"):format(op, tostring(context), tostring(err)))
    end
  end,
})
assert(server:listen())
local _, host, port = server:localname()
io.stdout:write(("https://%s:%d\n"):format(host, port))
io.stdout:flush()
assert(server:loop())

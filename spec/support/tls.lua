-- Test certificates for the TLS specs, made at spec time with the `openssl` command (Debian's openssl, 3.0 or
-- later) in a new temporary directory: a test CA, and certificates it signed for a loopback server.
--
--   ca_file   the test CA's certificate (PEM)
--   ca_path   a directory holding only that certificate under its hash name (`openssl rehash`), for CAPATH
--   key       the servers' private key (EC P-256, so that making it takes milliseconds)
--   good      valid now, for IP 127.0.0.1 and DNS localhost (subjectAltName)
--   wrong     valid now, for DNS wrong.invalid only
--   expired   for 127.0.0.1 and localhost, valid only from 2020-01-01 to 2020-01-02
--
-- `openssl x509 -req` cannot date a certificate in the past before OpenSSL 3.4 (-not_before), so the server
-- certificates are issued by `openssl ca`, whose -startdate and -enddate can, from a minimal CA configuration
-- written next to them.
local M = {}

local CONFIG = [[
[ req ]
distinguished_name = req_dn
prompt = no
[ req_dn ]
CN = unused
[ v3_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ ca ]
default_ca = test_ca
[ test_ca ]
database = ./index.txt
new_certs_dir = ./issued
serial = ./serial
certificate = ./ca.pem
private_key = ./ca.key
default_md = sha256
default_days = 2
policy = policy_any
unique_subject = no
email_in_dn = no
[ policy_any ]
commonName = supplied
[ server_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = IP:127.0.0.1, DNS:localhost
[ wrong_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:wrong.invalid
]]

local helpers = require "support.helpers"
local quote = helpers.shell_quote

-- Runs a shell command; returns its output, or raises with the output when it fails.
local function run(command)
  local text, status = helpers.capture(command)
  if status ~= 0 then
    error("command failed: " .. command .. "\n" .. tostring(text), 2)
  end
  return text
end

local function write(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end

--- Makes the CA and the certificates in a new temporary directory. Returns their paths (see above) and
--- `remove()`, which deletes the directory. Raises when openssl is missing or fails.
---@return table
function M.create()
  run("command -v openssl >/dev/null || { echo 'the openssl command is missing (tools/deps test installs it)'; "
    .. "exit 1; }")
  local dir = run("mktemp -d \"${TMPDIR:-/tmp}/lua-humanitec-tls.XXXXXX\""):match("^%s*(.-)%s*$")
  local certs = {
    dir = dir,
    ca_file = dir .. "/ca.pem",
    ca_path = dir .. "/ca-dir",
    key = dir .. "/server.key",
    good = dir .. "/good.pem",
    wrong = dir .. "/wrong.pem",
    expired = dir .. "/expired.pem",
  }
  function certs.remove()
    if certs.dir then
      run("rm -rf " .. quote(certs.dir))
      certs.dir = nil
    end
  end

  local ok, err = pcall(function()
    write(dir .. "/openssl.cnf", CONFIG)
    write(dir .. "/index.txt", "")
    write(dir .. "/serial", "1000\n")
    local ec_key = "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "
    local issue = "openssl ca -config openssl.cnf -batch -notext -in server.csr "
    run(table.concat({
      "cd " .. quote(dir),
      "mkdir issued ca-dir",
      ec_key .. "ca.key",
      "openssl req -config openssl.cnf -new -x509 -key ca.key -subj '/CN=lua-humanitec test CA' -days 2 "
        .. "-extensions v3_ca -out ca.pem",
      ec_key .. "server.key",
      -- One key and one request serve every server certificate; the extensions come from the CA's side.
      "openssl req -config openssl.cnf -new -key server.key -subj '/CN=lua-humanitec test server' -out server.csr",
      issue .. "-extensions server_ext -out good.pem",
      issue .. "-extensions wrong_ext -out wrong.pem",
      issue .. "-extensions server_ext -startdate 20200101000000Z -enddate 20200102000000Z -out expired.pem",
      "cp ca.pem ca-dir/ca.pem",
      "openssl rehash ca-dir",
    }, " && "))
  end)
  if not ok then
    certs.remove()
    error(err, 2)
  end
  return certs
end

return M

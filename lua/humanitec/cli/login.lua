--- `humanitec login` and `logout`: the device log-in flow of Humanitec's tools, and ~/.humctl's token.
--
-- login: POST /auth/device with a random 40-hex device_id; show the verification URL and security code (and
-- open a browser where there is one); poll POST /auth/device-poll every second (202 pending, 200 with an
-- access_token once approved, 200 without one when refused, 404 once the request has expired); write the token
-- to the configuration file, mode 0600, keeping its other keys.
local args_ = require "humanitec.cli.args"
local context = require "humanitec.cli.context"
local fail = require "humanitec.cli.fail"
local hex = require "humanitec.hex"
local humanitec = require "humanitec"
local output = require "humanitec.cli.output"

local M = {}

M.POLL_SECONDS = 1
M.DEFAULT_TIMEOUT = 600

--- Declares the commands on `parser`.
function M.declare(parser, state)
  local login = args_.command(parser, state, "login", "Log in through the browser and keep the session token.", {
    "login --url http://127.0.0.1:8080 --timeout 120", "login",
  }, "Prints a URL and a security code on stderr (and opens the URL where a browser is at hand); once the log-in "
    .. "is confirmed there, the session token goes to ~/.humctl (mode 0600). Session tokens expire: log in again "
    .. "when a command says so.")
  login:option("--timeout", "Seconds to wait for the confirmation (default 600)."):argname("<seconds>")
    :convert(function(v)
      local n = tonumber(v)
      if not n or n <= 0 then return nil, "--timeout needs a number of seconds" end
      return n
    end)
  args_.command(parser, state, "logout", "Remove the session token from ~/.humctl.", { "logout && humanitec login" })
end

-- 40 hex digits from the kernel's random source.
local function device_id()
  local id = hex.random(20)
  if not id then fail.config("login: cannot read /dev/urandom for a device id") end
  return id
end

local function login(ctx)
  local path = ctx.settings.file
  if not path then fail.config("login: no configuration file to keep the token in: set HOME or HUMCTL_CONFIG") end
  local url = ctx.settings.url or "https://api.humanitec.io"
  if not url:find("^https?://[^/]") then fail.config("the API URL must start with http:// or https://") end
  local client = humanitec.new { token = false, url = url, transport = ctx.opts.transport,
    config_file = ctx.opts.config_file or "/dev/null", user_agent = "humanitec-cli/" .. humanitec.VERSION }
  ctx.client = client -- closed by main
  local started = fail.check(client:post("/auth/device", { device_id = device_id() }))
  if type(started) ~= "table" or type(started.security_code) ~= "string" then
    error(fail.new(fail.FAILURE, "humanitec: login: the API did not start a device log-in"), 0)
  end
  local err_ = ctx.io.stderr
  -- the server's text, scrubbed: a control character in it must not reach the terminal, nor the browser
  output.line(err_, output.scrub("Open " .. tostring(started.verification_url) .. " and confirm the security code "
    .. started.security_code))
  local link = type(started.verification_url) == "string" and started.verification_url:match("^https?://[^%c%s]+$")
  local opened = link and ctx.opts.open_url and ctx.opts.open_url(link, output.scrub(started.security_code))
  if not opened then output.line(err_, "(no browser here: open the URL on any device)") end
  local now, sleep = client:_clock()
  local deadline = now() + (ctx.args.timeout or M.DEFAULT_TIMEOUT)
  local polls = math.ceil((ctx.args.timeout or M.DEFAULT_TIMEOUT) / M.POLL_SECONDS) + 1
  for _ = 1, polls do
    local data, err, response = client:post("/auth/device-poll", { security_code = started.security_code })
    if err then
      if err.status == 404 then
        fail.config("login: the log-in request expired before it was confirmed; run 'humanitec login' again")
      end
      fail.check(nil, err)
    end
    if response.status == 200 then
      if type(data) == "table" and data.accepted == true and type(data.access_token) == "string" then
        local ok, werr = context.write_file(path, { token = data.access_token })
        if not ok then fail.config(werr) end
        output.line(err_, "Logged in; the session token is in " .. path)
        return fail.OK
      end
      fail.config("login: the log-in was refused")
    end
    if now() >= deadline then break end
    sleep(M.POLL_SECONDS)
  end
  fail.config("login: not confirmed within " .. tostring(ctx.args.timeout or M.DEFAULT_TIMEOUT) .. " s")
end

local function logout(ctx)
  local path = ctx.settings.file
  if not path then fail.config("logout: no configuration file: set HOME or HUMCTL_CONFIG") end
  if context.read_file(path).token == nil then
    output.line(ctx.io.stderr, "Not logged in: " .. path .. " holds no token")
    return fail.OK
  end
  local ok, err = context.write_file(path, { token = false })
  if not ok then fail.config(err) end
  output.line(ctx.io.stderr, "Logged out: the token is gone from " .. path)
  return fail.OK
end

M.handlers = {
  login = { client = false, run = login },
  logout = { client = false, run = logout },
}

return M

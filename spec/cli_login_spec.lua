-- `humanitec login` and `logout` through the simulator's device log-in flow, in process: the "browser" the CLI
-- opens is a function that approves or refuses the request as a person would, on the simulator's clock.
local cli_helper = require "support.cli_helper"
local helpers = require "support.helpers"
local sim_mod = require "humanitec.sim"

describe("humanitec login", function()
  local sim, run, file

  before_each(function()
    sim = sim_mod.new { orgs = { "acme" } }
    run = cli_helper.runner(sim)
    file = os.tmpname()
    local f = assert(io.open(file, "w"))
    f:write("org: acme\ncolor: blue\n")
    f:close()
  end)

  after_each(function() os.remove(file) end)

  local function login(browser, extra, transport)
    local seen = {}
    local opts = { bare = true, config_file = file, env = { HUMANITEC_API_PREFIX = "http://sim.invalid" },
      transport = transport,
      open_url = function(url, code)
        seen.url, seen.code = url, code
        local pending = sim:device_requests()
        seen.device_id = pending[1] and pending[1].device_id
        if browser then browser(code) end
        return true
      end }
    local argv = { "login" }
    for _, a in ipairs(extra or {}) do argv[#argv + 1] = a end
    local code, out, err = run(argv, opts)
    return code, out, err, seen
  end

  it("writes the approved session token to the file, mode 0600, keeping its other keys", function()
    local token
    local code, out, err, seen = login(function(c)
      sim:advance(3) -- the person takes a few seconds: the CLI polls meanwhile
      token = sim:approve_device(c)
    end)
    assert.equals(0, code, err)
    assert.equals("", out)
    assert.matches("^[0-9a-f]+$", seen.device_id)
    assert.equals(40, #seen.device_id)
    assert.is_truthy(err:find("Open " .. seen.url .. " and confirm the security code " .. seen.code .. "\n", 1, true))
    assert.is_nil(err:find(token, 1, true))
    assert.equals("org: acme\ncolor: blue\ntoken: " .. token .. "\n", helpers.read_file(file))
    assert.equals("600\n", helpers.capture("stat -c %a " .. file))
    -- the token works for the next command, read from the file
    local c2, out2, err2 = run("get orgs", { bare = true, config_file = file,
      env = { HUMANITEC_API_PREFIX = "http://sim.invalid" } })
    assert.equals(0, c2, err2)
    assert.matches("acme", out2)

    local _
    code, _, err = run("logout", { bare = true, config_file = file })
    assert.equals(0, code)
    assert.equals("org: acme\ncolor: blue\n", helpers.read_file(file))
    assert.matches("Logged out", err)
    assert.equals(3, (run("get orgs", { bare = true, config_file = file,
      env = { HUMANITEC_API_PREFIX = "http://sim.invalid" } })))
  end)

  it("scrubs control characters from the server's URL and code before stderr, and opens no such URL", function()
    local json = require "humanitec.json"
    local inner = sim:transport()
    local hostile = { open = function(_, o)
      local session = inner:open(o)
      return setmetatable({ request = function(_, method, url, headers, body, timeout)
        local status, h, b, x = session:request(method, url, headers, body, timeout)
        if method == "POST" and url:find("/auth/device$") and status == 200 then
          local data = json.decode(b)
          data.verification_url = "https://app.example/\27]0;owned\7x\r\27[2K"
          b = json.encode(data)
        end
        return status, h, b, x
      end }, { __index = function(_, k)
        local v = session[k]
        if type(v) == "function" then return function(_, ...) return v(session, ...) end end
        return v
      end })
    end }
    local code, _, err, seen = login(function(c) sim:refuse_device(c) end, nil, hostile)
    assert.equals(3, code)
    assert.is_nil(err:gsub("\n", ""):find("%c"), "a control character reached stderr")
    assert.matches("Open https://app.example/ ]0;owned x", err, 1, true)
    assert.is_nil(seen.url, "a URL with control characters was opened")
  end)

  it("exits 3 when the log-in is refused, writing nothing", function()
    local code, out, err = login(function(c) sim:refuse_device(c) end)
    assert.equals(3, code)
    assert.equals("", out)
    assert.matches("humanitec: login: the log%-in was refused\n$", err)
    assert.equals("org: acme\ncolor: blue\n", helpers.read_file(file))
  end)

  it("exits 3 when nobody confirms before the request expires", function()
    local code, _, err = login(nil, { "--timeout", "900" })
    assert.equals(3, code)
    assert.matches("expired before it was confirmed; run 'humanitec login' again\n$", err)
    code, _, err = login(nil, { "--timeout", "5" })
    assert.equals(3, code)
    assert.matches("not confirmed within 5 s\n$", err)
  end)

  it("says to log in again when the session token has expired", function()
    local code = login(function(c) sim:approve_device(c, { expires_in = 60 }) end)
    assert.equals(0, code)
    sim:advance(120)
    local c2, out, err = run("get orgs", { bare = true, config_file = file,
      env = { HUMANITEC_API_PREFIX = "http://sim.invalid" } })
    assert.equals(3, c2)
    assert.equals("", out)
    assert.matches("401 .*the session has expired: log in again with 'humanitec login'", err)
  end)
end)

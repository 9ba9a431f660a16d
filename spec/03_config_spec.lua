-- Configuration: option checks, and precedence of options, the environment, ~/.humctl and the defaults.
local helpers = require "support.helpers"
local config = require "humanitec.config"
local humanitec = require "humanitec"

describe("configuration", function()
  describe("options", function()
    it("raises on an unknown option, naming it", function()
      assert.has_error(function() humanitec.new { tokn = "x" } end,
        "unknown option 'tokn' to 'humanitec.new' (did you mean 'token'?)")
    end)

    it("raises on an option of the wrong type, naming it", function()
      assert.has_error(function() humanitec.new { timeout = "5" } end,
        "bad option 'timeout' to 'humanitec.new' (number expected, got string)")
      assert.has_error(function() humanitec.new { insecure = "yes" } end,
        "bad option 'insecure' to 'humanitec.new' (boolean expected, got string)")
      assert.has_error(function() humanitec.new { connect_timeout = -1 } end,
        "bad option 'connect_timeout' to 'humanitec.new' (must not be negative)")
      assert.has_error(function() humanitec.new { user_agent = "bot\r\nX: 1" } end,
        "bad option 'user_agent' to 'humanitec.new' (must not contain CR, LF or NUL)")
      assert.has_error(function() humanitec.new "token" end)
    end)

    it("points the error at the caller's line", function()
      local ok, err = pcall(function() humanitec.new { nope = 1 } end)
      assert.is_false(ok)
      assert.matches("03_config_spec%.lua:%d+: unknown option 'nope'", err)
    end)
  end)

  describe("precedence", function()
    local file = helpers.temp_file("apiPrefix: http://from-file.invalid\norg: file-org\ntoken: 'file-token'\n")
    local env = helpers.env {
      HUMANITEC_TOKEN = "env-token", HUMANITEC_ORG = "env-org", HUMANITEC_API_PREFIX = "http://from-env.invalid/",
    }

    it("takes options over the environment over the file", function()
      local s = config.resolve({ token = "opt-token", org = "opt-org", url = "http://opt.invalid", config_file = file }, env)
      assert.equals("opt-token", s.token)
      assert.equals("opt-org", s.org)
      assert.equals("http://opt.invalid", s.url)
      s = config.resolve({ config_file = file }, env)
      assert.equals("env-token", s.token)
      assert.equals("env-org", s.org)
      assert.equals("http://from-env.invalid", s.url) -- trailing slash trimmed
      s = config.resolve({ config_file = file }, helpers.env {})
      assert.equals("file-token", s.token)
      assert.equals("file-org", s.org)
      assert.equals("http://from-file.invalid", s.url)
      assert.is_nil(s.config_error)
    end)

    it("says where each setting came from, without its value", function()
      local s = config.resolve({ token = "opt-token", config_file = file }, env)
      assert.same({ token = "option token", org = "environment variable HUMANITEC_ORG",
        url = "environment variable HUMANITEC_API_PREFIX" }, s.sources)
      s = config.resolve({ config_file = file }, helpers.env {})
      assert.equals("humctl configuration file " .. file, s.sources.token)
      assert.equals("humctl configuration file " .. file, s.sources.org)
      s = config.resolve({}, helpers.env { HOME = "/nonexistent", HUMANITEC_TOKEN = "t" })
      assert.same({ token = "environment variable HUMANITEC_TOKEN" }, s.sources) -- the url is the default
    end)

    it("defaults to api.humanitec.io and reads ~/.humctl or HUMCTL_CONFIG", function()
      local s = config.resolve({}, helpers.env { HOME = "/nonexistent", HUMANITEC_TOKEN = "t" })
      assert.equals("https://api.humanitec.io", s.url)
      assert.is_nil(s.org)
      local home = os.tmpname()
      os.remove(home)
      assert(os.execute("mkdir -p " .. home))
      local f = assert(io.open(home .. "/.humctl", "w"))
      f:write("org: home-org\ntoken: home-token\n")
      f:close()
      s = config.resolve({}, helpers.env { HOME = home })
      assert.equals("home-org", s.org)
      assert.equals("home-token", s.token)
      s = config.resolve({}, helpers.env { HOME = home, HUMCTL_CONFIG = file })
      assert.equals("file-org", s.org)
      os.remove(home .. "/.humctl")
      os.remove(home)
    end)

    it("reads the file's flat YAML: quotes, comments, nested blocks skipped", function()
      local v = config.parse_humctl(table.concat({
        "# humctl",
        'token: "a\\"b"',
        "org: acme # the org",
        "apiPrefix: 'https://x.invalid'",
        "nested:",
        "  token: not-this",
        "empty:",
      }, "\n"))
      assert.same({ token = 'a"b', org = "acme", apiPrefix = "https://x.invalid" }, v)
    end)

    it("uses the real environment and HOME", function()
      local home = os.tmpname()
      os.remove(home)
      assert(os.execute("mkdir -p " .. home))
      local f = assert(io.open(home .. "/.humctl", "w"))
      f:write("org: humctl-org\ntoken: humctl-token\napiPrefix: http://file.invalid\n")
      f:close()
      local code = [[
        local c = require("humanitec").new {}
        io.write(tostring(c.org), " ", c.url)
      ]]
      local out, ok = helpers.run_lua(code, { HOME = home, HUMANITEC_ORG = "env-org" })
      assert.is_true(ok, out)
      assert.equals("env-org http://file.invalid", out)
      os.remove(home .. "/.humctl")
      os.remove(home)
    end)
  end)

  describe("errors in the configuration", function()
    it("answers a missing token with a config error before anything is sent", function()
      local c = humanitec.new { url = "http://127.0.0.1:1", config_file = "/dev/null" }
      local data, err = c:get("/orgs")
      assert.is_nil(data)
      assert.equals("config", err.kind) -- a connect error would show that a request was tried
      assert.matches("no API token", err.message)
      assert.matches("HUMANITEC_TOKEN", tostring(err))
      c:close()
    end)

    it("sends no token at all when token = false", function()
      local c = humanitec.new { token = false, url = "http://127.0.0.1:1", config_file = "/dev/null" }
      local _, err = c:get("/orgs")
      assert.equals("connect", err.kind)
      c:close()
    end)

    it("answers a named config file that cannot be read with a config error", function()
      local c = humanitec.new { config_file = "/nonexistent/humctl", token = "t" }
      local _, err = c:get("/orgs")
      assert.equals("config", err.kind)
      assert.matches("/nonexistent/humctl", err.message)
      c:close()
    end)

    it("raises in new on a token with a line break, naming where it came from and never showing it", function()
      local function raised(opts, env)
        local ok, message = pcall(config.resolve, opts, helpers.env(env))
        assert.is_false(ok)
        assert.is_nil(message:find("secret-part", 1, true))
        return message
      end
      local bad = "secret-part\nX-Injected: 1"
      assert.matches("bad HUMANITEC_TOKEN in the environment %(the token must not contain CR, LF or NUL%)",
        raised({}, { HUMANITEC_TOKEN = bad, HOME = "/nonexistent" }))
      assert.matches("bad option 'token' to 'humanitec.new'", raised({ token = bad }, { HOME = "/nonexistent" }))
      local file = helpers.temp_file('token: "secret-part\\n"\n')
      assert.matches("bad 'token' in " .. file:gsub("%p", "%%%0"), raised({ config_file = file }, {}))
      os.remove(file)
    end)

    it("raises in new on a URL without an http or https scheme and a host, naming its source", function()
      local function raised(opts)
        local ok, message = pcall(function()
          local c = humanitec.new(opts) -- not a tail call: the error names this line
          return c
        end)
        assert.is_false(ok)
        return message
      end
      assert.matches("^spec/03_config_spec.lua:%d+: bad option 'url' to 'humanitec.new' %(an http:// or https:// URL "
        .. "with a host expected, got \"api.humanitec.io\"%)", raised { url = "api.humanitec.io", token = "t" })
      for _, url in ipairs { "https://", "http:///x", "https://host/a b", "https://h/#x", "ftp://x", "https://:80" } do
        assert.matches("bad option 'url'", raised { url = url, token = "t", config_file = "/dev/null" })
      end
      local ok, message = pcall(config.resolve, { token = "t" },
        helpers.env { HUMANITEC_API_PREFIX = "ftp://x", HOME = "/nonexistent" })
      assert.is_false(ok)
      assert.matches("bad HUMANITEC_API_PREFIX in the environment %(an http:// or https:// URL", message)
      -- White space would make every call raise from the core: refused here, naming where it came from.
      ok, message = pcall(config.resolve, { token = "t" },
        helpers.env { HUMANITEC_API_PREFIX = "https://api.example.invalid/v 1", HOME = "/nonexistent" })
      assert.is_false(ok)
      assert.matches("bad HUMANITEC_API_PREFIX in the environment", message)
      local file = helpers.temp_file("apiPrefix: api.example.invalid\n")
      ok, message = pcall(config.resolve, { token = "t", config_file = file }, helpers.env {})
      assert.is_false(ok)
      assert.matches("bad 'apiPrefix' in " .. file:gsub("%p", "%%%0"), message)
      os.remove(file)
      assert.equals("https://u:p@h.invalid:8443/api", config.resolve({ token = "t", url = "https://u:p@h.invalid:8443/api/",
        config_file = "/dev/null" }, helpers.env {}).url)
    end)

    it("raises on an unknown option with a hint, and on an org that cannot be one", function()
      assert.has_error(function() humanitec.new { tokn = "t" } end,
        "unknown option 'tokn' to 'humanitec.new' (did you mean 'token'?)")
      assert.has_error(function() humanitec.new { retires = false, token = "t" } end,
        "unknown option 'retires' to 'humanitec.new' (did you mean 'retries'?)")
      local ok, message = pcall(config.resolve, { token = "t" }, helpers.env { HUMANITEC_ORG = "a/b", HOME = "/x" })
      assert.is_false(ok)
      assert.matches("bad HUMANITEC_ORG in the environment", message)
    end)
  end)
end)

--- Client options: validation, and where each setting comes from.
--
-- Precedence, highest first: the options given to `humanitec.new`, the environment (`HUMANITEC_TOKEN`,
-- `HUMANITEC_ORG`, `HUMANITEC_API_PREFIX`), the humctl configuration file (`~/.humctl`, or the path in
-- `config_file` or `HUMCTL_CONFIG`; keys `token`, `org`, `apiPrefix`), then the defaults.
local retry = require "humanitec.retry"
local vocabulary = require "humanitec.vocabulary"

local M = {}

M.DEFAULT_URL = "https://api.humanitec.io"
M.DEFAULT_TIMEOUT = 60
M.DEFAULT_CONNECT_TIMEOUT = 10

-- Every option `humanitec.new` accepts, with the Lua type it must have. A key not here is a mistake.
local OPTION_TYPES = {
  token = "string", -- or false: send no Authorization header at all
  org = "string",
  url = "string",
  user_agent = "string",
  timeout = "number",
  connect_timeout = "number",
  ca_file = "string",
  ca_path = "string",
  insecure = "boolean",
  max_body = "number",
  config_file = "string",
  transport = "table",
  on_trace = "function",
  retries = "table", -- or false: no retries
}
local OPTION_NAMES = vocabulary.names(OPTION_TYPES)

--- Reads the top-level `key: value` pairs of a humctl configuration file. humctl writes a flat YAML mapping of
--- scalars; nested blocks, lists and comments are skipped.
---@param text string
---@return table<string, string>
function M.parse_humctl(text)
  local values = {}
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    local key, raw = line:match("^([%w_%-]+)%s*:%s*(.-)%s*$")
    if key and raw ~= "" then
      local quote = raw:sub(1, 1)
      local value
      if quote == '"' or quote == "'" then
        value = raw:match("^" .. quote .. "(.*)" .. quote)
        if value and quote == '"' then
          value = value:gsub('\\(.)', { n = "\n", t = "\t", ['"'] = '"', ["\\"] = "\\" })
        elseif value then
          value = value:gsub("''", "'")
        end
      else
        value = raw:gsub("%s+#.*$", "")
      end
      if value and value ~= "" then
        values[key] = value
      end
    end
  end
  return values
end

-- The humctl file's settings, or nil and a message when a file that was asked for by name cannot be read;
-- third, the file's path.
local function read_humctl(explicit_path, getenv)
  local path = explicit_path or getenv("HUMCTL_CONFIG")
  local named = path ~= nil
  if not path then
    local home = getenv("HOME")
    if not home then
      return {}
    end
    path = home .. "/.humctl"
  end
  local file = io.open(path, "r")
  if not file then
    if named then
      return nil, "cannot read the humctl configuration file " .. path, path
    end
    return {}, nil, path
  end
  local text = file:read("*a") or ""
  file:close()
  return M.parse_humctl(text), nil, path
end

local function check_option(opts, key, want)
  local v = opts[key]
  if v == nil then return end
  if (key == "token" or key == "retries") and v == false then return end
  if type(v) ~= want then
    error(("bad option '%s' to 'humanitec.new' (%s expected, got %s)"):format(key, want, type(v)), 4)
  end
  if want == "number" and (v ~= v or v < 0) then
    error(("bad option '%s' to 'humanitec.new' (must not be negative)"):format(key), 4)
  end
  if want == "string" and key ~= "token" and v:find("[\r\n%z]") then
    error(("bad option '%s' to 'humanitec.new' (must not contain CR, LF or NUL)"):format(key), 4)
  end
end

--- Validates `opts` (raising on a mistake, naming the option) and resolves every setting.
--- The result holds the token only until the client has handed it to its session. `sources` says where the
--- token, org and url came from ("option token", "environment variable HUMANITEC_TOKEN", ...).
---@param opts? table
---@param getenv? fun(name: string): string?  for tests; os.getenv by default
---@return table settings
function M.resolve(opts, getenv)
  getenv = getenv or os.getenv
  if opts == nil then
    opts = {}
  elseif type(opts) ~= "table" then
    error("bad argument #1 to 'humanitec.new' (table expected, got " .. type(opts) .. ")", 3)
  end
  for key in pairs(opts) do
    if OPTION_TYPES[key] == nil then
      error(("unknown option '%s' to 'humanitec.new'%s"):format(tostring(key),
        vocabulary.suggest(key, OPTION_NAMES)), 3)
    end
  end
  for key, want in pairs(OPTION_TYPES) do
    check_option(opts, key, want)
  end

  local file, file_error, file_path = read_humctl(opts.config_file, getenv)
  file = file or {}
  -- Where each picked setting came from, for reports that must not show the value (the token's), and the
  -- prefix of the message when a value is wrong.
  local sources, blame = {}, {}
  local function pick(option, env_name, file_key)
    local v = opts[option]
    if v ~= nil then
      sources[option], blame[option] = "option " .. option, ("bad option '%s' to 'humanitec.new'"):format(option)
      return v
    end
    v = getenv(env_name)
    if v == "" then v = nil end
    if v ~= nil then
      sources[option] = "environment variable " .. env_name
      blame[option] = ("bad %s in the environment"):format(env_name)
      return v
    end
    v = file[file_key]
    if v ~= nil then
      sources[option] = "humctl configuration file " .. tostring(file_path)
      blame[option] = ("bad '%s' in %s"):format(file_key, tostring(file_path))
    end
    return v
  end
  local token = pick("token", "HUMANITEC_TOKEN", "token")
  local org = pick("org", "HUMANITEC_ORG", "org")
  local url = pick("url", "HUMANITEC_API_PREFIX", "apiPrefix")

  -- What can be checked before any request is checked here, raising at the caller of new and naming where the
  -- value came from. The token itself is never shown.
  if type(token) == "string" and token:find("[\r\n%z]") then
    error(blame.token .. " (the token must not contain CR, LF or NUL)", 3)
  end
  if type(org) == "string" and (org == "" or org:find("[%c%s/]")) then
    error(("%s (an organization id without white space, control characters or '/' expected, got %q)")
      :format(blame.org, org), 3)
  end
  if url ~= nil then
    local host = url:match("^[hH][tT][tT][pP][sS]?://([^/?#]*)")
    local authority = host and host:match("([^@]*)$")
    if not host or authority == "" or authority:find("^:") or url:find("[%c%s?#]") then
      error(("%s (an http:// or https:// URL with a host expected, got %q)"):format(blame.url,
        url:sub(1, 200)), 3)
    end
  end

  local settings = {
    token = token,
    org = org,
    url = url or M.DEFAULT_URL,
    sources = sources,
    user_agent = opts.user_agent,
    timeout = opts.timeout or M.DEFAULT_TIMEOUT,
    connect_timeout = opts.connect_timeout or M.DEFAULT_CONNECT_TIMEOUT,
    ca_file = opts.ca_file,
    ca_path = opts.ca_path,
    insecure = opts.insecure == true,
    max_body = opts.max_body,
    transport = opts.transport,
    on_trace = opts.on_trace,
    retries = retry.policy(opts.retries, "humanitec.new", 4),
    config_error = file_error,
  }
  settings.url = settings.url:gsub("/+$", "")
  if settings.token == nil and not settings.config_error then
    settings.config_error = "no API token: pass token = ..., set HUMANITEC_TOKEN, or log in with humctl"
  end
  if settings.transport ~= nil and type(settings.transport.open) ~= "function" then
    error("bad option 'transport' to 'humanitec.new' (expected an object with an open method)", 3)
  end
  return settings
end

return M

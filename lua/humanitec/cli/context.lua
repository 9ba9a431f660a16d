--- Where the command line's settings come from, and humctl's configuration file, read and written.
--
-- Each of org, app and env comes from its flag, then its variable (HUMANITEC_ORG, HUMANITEC_APP,
-- HUMANITEC_ENV), then HUMANITEC_CONTEXT (`/orgs/x/apps/y/envs/z`, any prefix of it), then the file. The token
-- comes from --token, HUMANITEC_TOKEN, then the file; the URL from --url, HUMANITEC_API_PREFIX, then the file's
-- apiPrefix. The file is ~/.humctl (or HUMCTL_CONFIG): a flat YAML mapping with humctl's keys.
local config = require "humanitec.config"
local format = require "humanitec.cli.format"

local M = {}

--- The keys `config set` takes, and the file's key for each.
M.FILE_KEYS = { org = "org", app = "app", env = "env", ["api-prefix"] = "apiPrefix", token = "token" }

--- The configuration file's path.
---@param explicit? string
---@param getenv fun(name: string): string?
---@return string? path
function M.file_path(explicit, getenv)
  if explicit then return explicit end
  local named = getenv("HUMCTL_CONFIG")
  if named and named ~= "" then return named end
  local home = getenv("HOME")
  return home and (home .. "/.humctl") or nil
end

--- The file's keys, or an empty table when it does not exist.
---@param path? string
---@return table<string, string>
function M.read_file(path)
  if not path then return {} end
  local f = io.open(path, "r")
  if not f then return {} end
  local text = f:read("*a") or ""
  f:close()
  return config.parse_humctl(text)
end

--- Writes `changes` into the file (a key set to false is removed), keeping its other lines, with mode 0600.
--- Returns true, or nil and a message.
---@param path string
---@param changes table<string, string|false>
---@return true|nil ok
---@return string? err
function M.write_file(path, changes)
  local kept, seen = {}, {}
  local f = io.open(path, "r")
  if f then
    for line in f:lines() do
      local key = line:match("^([%w_%-]+)%s*:")
      if key and changes[key] ~= nil then
        seen[key] = true
        if changes[key] ~= false then kept[#kept + 1] = key .. ": " .. format.yaml(changes[key]):gsub("\n$", "") end
      else
        kept[#kept + 1] = line
      end
    end
    f:close()
  end
  local keys = {}
  for k, v in pairs(changes) do
    if not seen[k] and v ~= false then keys[#keys + 1] = k end
  end
  table.sort(keys)
  for _, k in ipairs(keys) do kept[#kept + 1] = k .. ": " .. format.yaml(changes[k]):gsub("\n$", "") end
  -- Create (or truncate) it private before the token goes in: umask 077 for the shell's redirection.
  local quoted = "'" .. path:gsub("'", "'\\''") .. "'"
  local made = os.execute("umask 077 && : >> " .. quoted .. " && chmod 600 " .. quoted)
  if made ~= true and made ~= 0 then return nil, "cannot write the configuration file " .. path end
  f = io.open(path, "w")
  if not f then return nil, "cannot write the configuration file " .. path end
  f:write(table.concat(kept, "\n"), #kept > 0 and "\n" or "")
  f:close()
  return true
end

local function nonempty(v)
  if v == "" then return nil end
  return v
end

--- The org, app and env of HUMANITEC_CONTEXT, or nil and a message when it is not of that form.
---@param text string
function M.parse_context(text)
  local parts = {}
  for segment in text:gmatch("[^/]+") do parts[#parts + 1] = segment end
  local names = { orgs = "org", apps = "app", envs = "env" }
  local order = { "orgs", "apps", "envs" }
  local out = {}
  for i = 1, #parts, 2 do
    local want = order[(i + 1) / 2]
    if parts[i] ~= want or parts[i + 1] == nil then
      return nil, "HUMANITEC_CONTEXT must look like /orgs/ORG/apps/APP/envs/ENV, got '" .. text .. "'"
    end
    out[names[want]] = parts[i + 1]
  end
  return out
end

--- Resolves the settings. `flags` holds org, app, env, token, url as given on the command line.
--- Returns the settings (with `source[name]` saying where each came from), or nil and a message.
---@param flags table
---@param getenv fun(name: string): string?
---@param config_file? string
function M.resolve(flags, getenv, config_file)
  local path = M.file_path(config_file, getenv)
  local file = M.read_file(path)
  local from_context = {}
  local context_text = nonempty(getenv("HUMANITEC_CONTEXT"))
  if context_text then
    local parsed, err = M.parse_context(context_text)
    if not parsed then return nil, err end
    from_context = parsed
  end
  local settings = { source = {}, file = path }
  local function pick(name, var, file_key, from_ctx)
    local candidates = {
      { flags[name], "flag" }, { nonempty(getenv(var)), var },
      { from_ctx and from_context[name], "HUMANITEC_CONTEXT" }, { file[file_key], path },
    }
    for _, c in ipairs(candidates) do
      if c[1] ~= nil then
        settings[name], settings.source[name] = c[1], c[2]
        return
      end
    end
  end
  pick("org", "HUMANITEC_ORG", "org", true)
  pick("app", "HUMANITEC_APP", "app", true)
  pick("env", "HUMANITEC_ENV", "env", true)
  pick("token", "HUMANITEC_TOKEN", "token")
  pick("url", "HUMANITEC_API_PREFIX", "apiPrefix")
  return settings
end

return M

--- `:checkhealth humanitec`: the core and libcurl, the JSON codec, where the settings come from (never the
--- token itself), and a timed `GET /orgs` against the API.
local M = {}

-- vim.health's reporters: start/ok/warn/error/info from Neovim 0.10, report_* before (0.7 has them in the
-- "health" module).
local function reporter()
  local h = vim.health
  if not (h and (h.start or h.report_start)) then h = require "health" end
  return {
    start = h.start or h.report_start, ok = h.ok or h.report_ok, warn = h.warn or h.report_warn,
    error = h.error or h.report_error, info = h.info or h.report_info,
  }
end

-- The entries of a search path that name modules for a Lua other than 5.1 (which LuaJIT is).
local function foreign_entries(path)
  local found = {}
  for entry in (path or ""):gmatch("[^;]+") do
    if entry:find("5%.[234]") then found[#found + 1] = entry end
  end
  return found
end

function M.check()
  local report = reporter()
  local hnvim = require "humanitec.nvim"
  report.start("humanitec: the core")
  report.info("Lua: " .. (jit and jit.version or _VERSION))
  local core, core_err = hnvim.load_core()
  if not core then
    report.error(core_err)
    return
  end
  report.ok("core: " .. tostring(hnvim.core_path() or "loaded"))
  local v = core.version()
  report.ok(("libcurl %s, TLS: %s, HTTP/2: %s, zlib: %s"):format(v.libcurl, v.ssl ~= "" and v.ssl or "none",
    v.http2 and "yes" or "no", v.zlib and "yes" or "no"))
  if not v.tls then report.error("libcurl has no TLS: it cannot reach https:// URLs") end
  if not v.http2 then report.info("libcurl speaks HTTP/1.1 only: requests work, without HTTP/2 multiplexing") end
  local json = require "humanitec.json"
  local vim_json = vim.json and vim.json.new and true or false
  report.ok("JSON: " .. (vim_json and "vim.json (Neovim's lua-cjson)" or "lua-cjson") .. ", checked: "
    .. json.encode(json.decode('{"a":[],"b":null}')))
  for _, var in ipairs { "LUA_CPATH", "LUA_PATH" } do
    local foreign = foreign_entries(os.getenv(var))
    if #foreign > 0 then
      report.warn(("%s names modules for another Lua (%s); Neovim runs LuaJIT, so none of them is loaded"):format(
        var, table.concat(foreign, ";")))
    end
  end

  report.start("humanitec: settings")
  local config = require "humanitec.config"
  local ok, settings = pcall(config.resolve, hnvim.options().client)
  if not ok then
    report.error("setup{ client = ... }: " .. tostring(settings))
    return
  end
  settings.token = nil -- only where it came from is ever shown
  local sources = settings.sources or {}
  if hnvim.has_setup_token() then
    report.ok("token: from setup{ client = { token = ... } }")
  elseif sources.token then
    report.ok("token: from the " .. sources.token)
  else
    report.error("no token", { "set HUMANITEC_TOKEN, or log in with humctl (~/.humctl)" })
  end
  report.info("API: " .. settings.url .. (sources.url and (" (from the " .. sources.url .. ")") or " (default)"))
  local org = hnvim.state.org or settings.org
  if org then
    report.ok("organization: " .. org .. (hnvim.state.org and " (picked)" or (" (from the " .. tostring(sources.org)
      .. ")")))
  else
    report.warn("no organization", { "set HUMANITEC_ORG, or pick one with :Humanitec org" })
  end
  if settings.config_error then
    report.error(settings.config_error)
    return
  end

  report.start("humanitec: the API")
  local client, client_err = hnvim.client()
  if not client then
    report.error(client_err)
    return
  end
  -- :checkhealth runs synchronously; the wait is the editor's own (vim.wait), bounded, with the loop running.
  local done, data, err, response
  local started = (vim.uv or vim.loop).hrtime()
  client:start("GET", "/orgs", function(d, e, r)
    done, data, err, response = true, d, e, r
  end)
  local timeout = (hnvim.options().client.timeout or 30) * 1000
  if not vim.wait(timeout + 1000, function() return done end, 10) then
    report.error("GET /orgs: no answer within " .. timeout .. " ms")
    return
  end
  local ms = ((vim.uv or vim.loop).hrtime() - started) / 1e6
  if data == nil then
    report.error(("GET /orgs failed after %.0f ms: %s"):format(ms, tostring(err)))
    return
  end
  local http = response and response.timings and response.timings.http_version
  report.ok(("GET /orgs: %d organization(s) in %.0f ms%s"):format(type(data) == "table" and #data or 0, ms,
    http and (" over HTTP/" .. tostring(http)) or ""))
end

return M

-- Runs the command line in process against a simulator, with captured streams and an environment of its own.
local cli = require "humanitec.cli"

local M = {}

M.TOKEN = "cli-secret-token-4711" -- must never appear in anything the CLI prints

--- A stream that keeps what is written to it; `text` is all of it. The pieces are joined when read, not
--- appended one by one (20,000 lines took 90 s under luajit that way).
function M.buffer()
  local parts = {}
  local b = setmetatable({}, { __index = function(_, k)
    if k == "text" then return table.concat(parts) end
  end })
  function b:write(...)
    for i = 1, select("#", ...) do parts[#parts + 1] = tostring((select(i, ...))) end
    return self
  end
  return b
end

--- The lines of a text.
function M.lines(text)
  local out = {}
  for l in text:gmatch("[^\n]+") do out[#out + 1] = l end
  return out
end

--- The words of a command line, split on spaces.
function M.words(s)
  local out = {}
  for w in s:gmatch("%S+") do out[#out + 1] = w end
  return out
end

--- A transport for `sim` that appends "METHOD /path" to `log` for every request.
function M.logging_transport(sim, log)
  local inner = sim:transport()
  return {
    open = function(_, opts)
      local session = inner:open(opts)
      return setmetatable({
        request = function(_, method, url, ...)
          log[#log + 1] = method .. " " .. url:gsub("^https?://[^/]+", ""):gsub("%?.*$", "")
          return session:request(method, url, ...)
        end,
      }, { __index = function(_, k)
        local v = session[k]
        if type(v) == "function" then return function(_, ...) return v(session, ...) end end
        return v
      end })
    end,
  }
end

--- A runner for `sim`: run(argv [, opts]) -> exit status, stdout, stderr. opts.env is the environment (a
--- table), opts.bare leaves out the token, org and URL flags; other opts go to cli.main.
function M.runner(sim, printed)
  return function(argv, extra)
    if type(argv) == "string" then argv = M.words(argv) end
    extra = extra or {}
    local full = {}
    if not extra.bare then full = { "--token", M.TOKEN, "--org", "acme", "--url", "http://sim.invalid" } end
    for _, a in ipairs(argv) do full[#full + 1] = a end
    local out, err = M.buffer(), M.buffer()
    local env = extra.env or {}
    local opts = { transport = sim:transport(), stdout = out, stderr = err, config_file = "/dev/null",
      getenv = function(name) return env[name] end }
    for k, v in pairs(extra) do
      if k ~= "env" and k ~= "bare" then opts[k] = v end
    end
    local code = cli.main(full, opts)
    if printed then printed[#printed + 1] = out.text .. err.text end
    return code, out.text, err.text
  end
end

return M

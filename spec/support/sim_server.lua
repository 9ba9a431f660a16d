--- Starts bin/humanitec-sim as a subprocess on a free loopback port and talks to it with curl.
--
--   local server = require("support.sim_server").start{ "--org", "acme", "--token", "tok" }
--   local status, body, headers = server:curl("GET", "/orgs", { token = "tok" })
--   server:stop()
--
-- The subprocess runs under `timeout`, so a spec that dies without calling stop() still leaves nothing behind
-- for long.
local helpers = require "support.helpers"

local read_file, shell_quote = helpers.read_file, helpers.shell_quote

local M = {}

local Server = {}
Server.__index = Server

--- Starts the simulator with the given command-line arguments (a free port is always asked for).
---@param args string[]
---@return table server
function M.start(args)
  local parts = {}
  for _, a in ipairs(args or {}) do parts[#parts + 1] = shell_quote(a) end
  -- `echo $$` then `exec`: the first line is the pid we will signal, the second the URL the server prints.
  local inner = "echo $$; exec timeout 120 bin/humanitec-sim --port 0 " .. table.concat(parts, " ")
  local cmd = "exec sh -c " .. shell_quote(inner)
  local pipe = assert(io.popen(cmd, "r"))
  local pid = pipe:read("*l")
  local url = pipe:read("*l")
  assert(pid and pid:match("^%d+$"), "no pid from the simulator wrapper")
  if not url then
    pipe:close()
    error("bin/humanitec-sim did not print its URL")
  end
  return setmetatable({ pipe = pipe, pid = pid, url = url }, Server)
end

--- True while the server process (its `timeout` wrapper, which exits with it) is running.
---@return boolean
function Server:alive()
  if not self.pipe then return false end
  local ok = os.execute("kill -0 " .. self.pid .. " 2>/dev/null")
  return ok == true or ok == 0
end

--- Stops the server and waits for it to exit.
function Server:stop()
  if self.pipe then
    os.execute("kill " .. self.pid .. " 2>/dev/null")
    self.pipe:close()
    self.pipe = nil
  end
end

--- Sends a request with curl. Returns the status (nil when curl could not connect), the body, the response
-- headers (lowercase names; the last value of a repeated header) and curl's total time in seconds.
---@param base string  the server's URL
---@param method string
---@param target string  a path (joined to `base`) or an absolute URL
---@param opts? {token?: string, body?: string, content_type?: string, headers?: string[],
---  max_time?: number}
---@return integer|nil status
---@return string body
---@return table headers
---@return number time_total
function M.curl(base, method, target, opts)
  opts = opts or {}
  local url = target:find("^http") and target or (base .. target)
  local body_file, header_file, data_file = os.tmpname(), os.tmpname(), os.tmpname()
  local args = { "curl", "-s", "-g", "--max-time", tostring(opts.max_time or 10), "-X", method,
    "-o", body_file, "-D", header_file, "-w", "'%{http_code} %{time_total}'" }
  if opts.token then args[#args + 1] = "-H " .. shell_quote("Authorization: Bearer " .. opts.token) end
  if opts.content_type then args[#args + 1] = "-H " .. shell_quote("Content-Type: " .. opts.content_type) end
  for _, h in ipairs(opts.headers or {}) do args[#args + 1] = "-H " .. shell_quote(h) end
  if opts.body then
    local f = assert(io.open(data_file, "wb"))
    f:write(opts.body)
    f:close()
    args[#args + 1] = "--data-binary @" .. data_file
  end
  args[#args + 1] = shell_quote(url)
  local p = assert(io.popen(table.concat(args, " "), "r"))
  local out = p:read("*a")
  p:close()
  local code, total = out:match("(%d+) ([%d%.]+)")
  local headers = {}
  for line in read_file(header_file):gmatch("[^\r\n]+") do
    local name, value = line:match("^([^:]+):%s*(.-)%s*$")
    if name then headers[name:lower()] = value end
  end
  local body = read_file(body_file)
  os.remove(body_file)
  os.remove(header_file)
  os.remove(data_file)
  local status = tonumber(code)
  if status == 0 then status = nil end
  return status, body, headers, tonumber(total) or 0
end

--- `M.curl` against this server.
function Server:curl(method, target, opts)
  return M.curl(self.url, method, target, opts)
end

return M

-- Starts Prism (@stoplight/prism-cli, installed by `tools/deps test` into build/npm) as a mock server for an
-- OpenAPI document on loopback, and stops it again. Prism runs in a session of its own, so stopping it ends
-- the whole process group it may have grown (node and anything it forks), and nothing else.
local helpers = require "support.helpers"
local json = require "humanitec.json"
local cases_mod = require "support.contract.cases"

local read_all, shell_quote = helpers.read_file, helpers.shell_quote

local M = {}

--- Where `tools/deps test` installs Prism, relative to the repository root.
M.BIN = "build/npm/node_modules/.bin/prism"

local function exists(path)
  local f = io.open(path, "r")
  if f then
    f:close()
    return true
  end
  return false
end

--- True when the Prism binary is installed.
---@param bin? string
---@return boolean
function M.installed(bin)
  return exists(bin or M.BIN)
end

--- Writes `document` (a decoded OpenAPI document, which it changes: see cases.mockable) to a temporary file
--- Prism starts quickly on: the facts copy lacks info.title, response descriptions and parameter examples,
--- and without them Prism takes minutes to start instead of seconds. Returns the file's path; the caller
--- removes it.
---@param document table
---@return string path
function M.prepare(document)
  cases_mod.mockable(document)
  local path = os.tmpname()
  local f = assert(io.open(path, "wb"))
  f:write(json.encode(document))
  f:close()
  return path
end

--- Starts `prism mock` for `document` (or, with `upstream`, `prism proxy` in front of that URL, which checks
--- every request and response against the document and reports in the `sl-violations` header) on 127.0.0.1
--- with a port the system picks, and waits (at most `wait_seconds`, default 60) for the line that says where
--- it listens.
--- Returns { url = "http://127.0.0.1:PORT", pid = <process group id>, log = <path>, stop = function },
--- or nil and a message with the end of Prism's output.
---@param document string path of the OpenAPI document (M.prepare makes one Prism starts on quickly)
---@param opts? {bin?: string, wait_seconds?: number, upstream?: string}
function M.start(document, opts)
  opts = opts or {}
  local bin = opts.bin or M.BIN
  local wait_tenths = math.floor((opts.wait_seconds or 60) * 10)
  local log = os.tmpname()
  local pidfile = os.tmpname()
  -- The inner shell writes its own pid (setsid makes it the leader of a new process group) and becomes Prism.
  -- The outer shell polls Prism's log, bounded, and prints the URL: the read below returns when it exits.
  -- With `upstream`, a validating proxy in front of that server instead of a mock.
  local mode = opts.upstream and (" proxy -h 127.0.0.1 -p 0 " .. shell_quote(document) .. " "
    .. shell_quote(opts.upstream)) or (" mock -h 127.0.0.1 -p 0 " .. shell_quote(document))
  local inner = "echo $$ > " .. shell_quote(pidfile) .. "; exec " .. shell_quote(bin) .. mode
  local script = table.concat({
    "setsid sh -c " .. shell_quote(inner) .. " > " .. shell_quote(log) .. " 2>&1 < /dev/null &",
    "child=$!",
    "i=0",
    "while [ $i -lt " .. wait_tenths .. " ]; do",
    "  grep -q 'Prism is listening on' " .. shell_quote(log) .. " && break",
    "  kill -0 $child 2>/dev/null || break",
    "  sleep 0.1; i=$((i+1))",
    "done",
    -- A watchdog in a session of its own (a signal to the test run's process group does not reach it) stops
    -- Prism once the Lua process that started it is gone, should that process die before calling stop().
    "group=$(cat " .. shell_quote(pidfile) .. " 2>/dev/null)",
    "if [ -n \"$group\" ]; then",
    "  setsid sh -c " .. shell_quote("while kill -0 \"$1\" 2>/dev/null && kill -0 -\"$2\" 2>/dev/null; do sleep 1; "
      .. "done; kill -0 \"$1\" 2>/dev/null || kill -TERM -\"$2\" 2>/dev/null") .. " watchdog $PPID \"$group\" "
      .. "> /dev/null 2>&1 < /dev/null &",
    "fi",
    "grep -o 'Prism is listening on http://[0-9.:]*' " .. shell_quote(log) .. " | head -n 1",
  }, "\n")
  local pipe = assert(io.popen(script, "r"))
  local line = pipe:read("*a") or ""
  pipe:close()
  local pid = read_all(pidfile):match("^%s*(%d+)")
  os.remove(pidfile)
  local url = line:match("(http://127%.0%.0%.1:%d+)")

  local server = { url = url, pid = pid, log = log }
  function server.stop()
    if server.pid then
      -- The negative pid names the process group: Prism and whatever it started, nothing of ours.
      -- (sh's own kill: a negative pid after the signal is a group; dash has no `--`.)
      local group = "-" .. server.pid
      os.execute("kill -TERM " .. group .. " 2>/dev/null; i=0; while kill -0 " .. group .. " 2>/dev/null && "
        .. "[ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; kill -KILL " .. group .. " 2>/dev/null")
      server.pid = nil
    end
    if server.log then
      os.remove(server.log)
      server.log = nil
    end
  end

  if not url then
    local output = read_all(log)
    server.stop()
    return nil, "Prism did not start within " .. (wait_tenths / 10) .. " s; its output ended with:\n"
      .. output:sub(-2000)
  end
  return server
end

return M

-- Helpers shared by the specs: starting loopback servers in their own processes, temporary files.
local M = {}

-- Debian installs lua-http for Lua 5.1 to 5.3 only; under lua5.4 it works from those folders. They come after
-- the interpreter's own path (the ";;"), so nothing that lua5.4 has itself is shadowed.
M.SERVER_LUA_PATH = "./lua/?.lua;./lua/?/init.lua;./spec/?.lua;;"
  .. "/usr/share/lua/5.3/?.lua;/usr/share/lua/5.3/?/init.lua;/usr/share/lua/5.1/?.lua;/usr/share/lua/5.1/?/init.lua"

local function shell_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end
M.shell_quote = shell_quote

--- Starts `lua5.4 <script> [args...]` in the background and waits for the URL it prints first.
--- Returns { url = ..., pid = ..., stop = function }; raises when the server does not come up.
function M.start_server(script, args)
  local words = { "exec", "env", "LUA_PATH=" .. shell_quote(M.SERVER_LUA_PATH), "lua5.4", shell_quote(script) }
  for _, a in ipairs(args or {}) do words[#words + 1] = shell_quote(a) end
  -- The shell prints its pid, then becomes the server (exec keeps the pid), so we can stop it later.
  local pipe = assert(io.popen("echo $$; " .. table.concat(words, " "), "r"))
  local pid = pipe:read("*l")
  local url = pipe:read("*l")
  if not (pid and url and url:find("^https?://")) then
    pipe:close()
    error("server " .. script .. " did not start (got " .. tostring(url) .. ")")
  end
  local server = { url = url, pid = pid }
  function server.stop()
    if server.pid then
      os.execute("kill " .. server.pid .. " 2>/dev/null")
      pipe:close()
      server.pid = nil
    end
  end
  return server
end

--- The interpreter running the specs, as a command ("lua5.4", "luajit", ...), and where its build of the core is.
M.LUA = jit and "luajit" or ("lua" .. _VERSION:match("%d+%.%d+"))
M.CPATH = "./build/" .. M.LUA .. "/?.so"
--- The command that starts such an interpreter for a child process that loads the core. Under make asan (the
--- sanitizer runtimes preloaded into the spec run; spec/support/sanitizer.lua takes them out of every other
--- command) the child runs the sanitizer build with the same runtimes and options, so a crash, a memory error
--- or a leak in the core at its exit changes its exit status and shows in its output.
M.LUA_RUN = M.LUA
do
  local preload = os.getenv("LD_PRELOAD")
  if preload and preload:find("libasan", 1, true) then
    M.CPATH = "./build/asan/?.so"
    local words = { "env" }
    for _, name in ipairs { "LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS" } do
      local value = os.getenv(name)
      if value then words[#words + 1] = shell_quote(name .. "=" .. value) end
    end
    words[#words + 1] = M.LUA
    M.LUA_RUN = table.concat(words, " ")
  end
end

--- Runs a Lua snippet in a new process of the same interpreter, with `env` (a table) added to its environment,
--- and returns its standard output and whether it exited 0.
function M.run_lua(code, env)
  local words = { "env" }
  for k, v in pairs(env or {}) do
    words[#words + 1] = shell_quote(k .. "=" .. v)
  end
  words[#words + 1] = "LUA_PATH=" .. shell_quote("./lua/?.lua;./lua/?/init.lua;./spec/?.lua;;")
  words[#words + 1] = "LUA_CPATH=" .. shell_quote(M.CPATH .. ";;")
  words[#words + 1] = M.LUA_RUN
  words[#words + 1] = "-e"
  words[#words + 1] = shell_quote(code)
  local out, status = M.capture(table.concat(words, " "))
  return out, status == 0
end

--- Runs a shell command; returns its output (standard output and error together) and its exit status.
function M.capture(command)
  -- LuaJIT's close() of a pipe does not report the exit status, so the shell prints it last.
  local pipe = assert(io.popen("(" .. command .. ") 2>&1; echo \"exit=$?\"", "r"))
  local out = pipe:read("*a")
  pipe:close()
  local body, status = out:match("^(.-)exit=(%d+)%s*$")
  return body or out, tonumber(status)
end

--- True when `command` is on the PATH.
function M.have(command)
  local _, status = M.capture("command -v " .. command .. " >/dev/null")
  return status == 0
end

--- The contents of a file, or "" when it cannot be read (yet).
function M.read_file(path)
  local f = io.open(path, "rb")
  if not f then return "" end
  local text = f:read("*a")
  f:close()
  return text
end

--- Writes `text` to a new temporary file and returns its path.
function M.temp_file(text)
  local path = os.tmpname()
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
  return path
end

--- An environment lookup built from a table, for config.resolve's getenv.
function M.env(vars)
  return function(name) return vars[name] end
end

return M

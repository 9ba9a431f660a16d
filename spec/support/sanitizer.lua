-- Loaded by busted before the specs (see .busted). Under `make asan` the sanitizer runtimes are preloaded into
-- lua5.4 through LD_PRELOAD; the programs the specs start (servers, shells, curl, nvim) are not ours and must
-- not inherit them, or their own exits are reported as leaks. So, only then, every command the specs run
-- starts with LD_PRELOAD and ASAN_OPTIONS taken out of its environment; a child interpreter that loads the core
-- gets them back from helpers.LUA_RUN (spec/support/helpers.lua).

-- Under make valgrind (tools/valgrind-specs) memcheck runs the interpreter HUMANITEC_SPEC_SLOWDOWN times slower, so
-- the CPU seconds the specs' loose time bounds read from os.clock are divided by that factor: a bound still fails
-- on work that grows faster than the input, which is slowed by the same factor.
local slowdown = tonumber(os.getenv("HUMANITEC_SPEC_SLOWDOWN") or "")
if slowdown and slowdown > 1 then
  local clock = os.clock
  os.clock = function() return clock() / slowdown end -- luacheck: ignore 122
end

local preload = os.getenv("LD_PRELOAD")
if not (preload and preload:find("libasan", 1, true)) then return end

-- `exec`: the command keeps the shell's pid, so a script that watches its $PPID (spec/support/contract/prism.lua's
-- watchdog) still sees the Lua process, not a shell that has already gone.
local function clean(command)
  return "exec env -u LD_PRELOAD -u ASAN_OPTIONS -u UBSAN_OPTIONS -u LSAN_OPTIONS sh -c '"
    .. command:gsub("'", "'\\''") .. "'"
end

local popen, execute = io.popen, os.execute
io.popen = function(command, mode) return popen(clean(command), mode) end -- luacheck: ignore 122
os.execute = function(command) -- luacheck: ignore 122
  if command == nil then return execute() end
  return execute(clean(command))
end

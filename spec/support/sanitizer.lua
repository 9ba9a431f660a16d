-- Loaded by busted before the specs (see .busted). Under `make asan` the sanitizer runtimes are preloaded into
-- lua5.4 through LD_PRELOAD; the programs the specs start (servers, shells, curl, nvim) are not ours and must
-- not inherit them, or their own exits are reported as leaks. So, only then, every command the specs run
-- starts with LD_PRELOAD and ASAN_OPTIONS taken out of its environment.
local preload = os.getenv("LD_PRELOAD")
if not (preload and preload:find("libasan", 1, true)) then return end

local function clean(command)
  return "env -u LD_PRELOAD -u ASAN_OPTIONS -u UBSAN_OPTIONS sh -c '" .. command:gsub("'", "'\\''") .. "'"
end

local popen, execute = io.popen, os.execute
io.popen = function(command, mode) return popen(clean(command), mode) end -- luacheck: ignore 122
os.execute = function(command) -- luacheck: ignore 122
  if command == nil then return execute() end
  return execute(clean(command))
end

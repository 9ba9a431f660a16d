--- Cold start: the CPU time of `require "humanitec"` in this fresh process, the Lua part only (the operation
--- table and the C core are loaded on first use, not here). Prints "RESULT <milliseconds>".
---   lua5.4 bench/cold.lua
local start = os.clock()
require "humanitec"
io.write(("RESULT %.3f\n"):format((os.clock() - start) * 1000))

--- lua-cjson's decode alone, for bench/run's note on Lua 5.4's collectors: decodes FILE N times, under the
--- collector MODE ("generational", lua5.4's own, or "incremental") when given.
---   lua5.4 bench/cjson_decode.lua FILE N [MODE]      prints "RESULT <milliseconds per decode>"
if arg[3] then collectgarbage(arg[3]) end
local cjson = require "cjson"
local f = assert(io.open(arg[1], "rb"))
local text = f:read("a")
f:close()
local n = tonumber(arg[2])
local start = os.clock()
for _ = 1, n do
  cjson.decode(text) -- the value is dropped at once, as the C baseline drops it
end
io.write(("RESULT %.1f\n"):format((os.clock() - start) * 1000 / n))

--- Decode alone, in one process: the SDK's decoder (humanitec.json.decode) against lua-cjson's decode of the
--- same text. Each round times N decodes with each, the order alternating between rounds; the ratio of a round
--- is cjson's time over ours (above 1: ours is faster). Prints a markdown table row: median ratio, its spread
--- (min-max) over the rounds, the median times, and how many rounds ran while the 1-minute load average was
--- above the number of cores (flagged: their times are less trustworthy, the ratio less so, since both ran
--- under the same load).
---   lua5.4 bench/decode.lua FILE N ROUNDS LABEL [MODE]     MODE: "incremental" or "generational" (lua5.4)
local file, n, rounds, label, mode = arg[1], tonumber(arg[2]), tonumber(arg[3]), arg[4], arg[5]
if mode then collectgarbage(mode) end
local json = require "humanitec.json"
local cjson = require "cjson"

local f = assert(io.open(file, "rb"))
local text = f:read("*a")
f:close()

local function cores()
  local p = io.popen("nproc")
  local c = tonumber(p and p:read("*l") or "") or 1
  if p then p:close() end
  return c
end
local function load1()
  local lf = io.open("/proc/loadavg")
  if not lf then return 0 end
  local l = tonumber(lf:read("*l"):match("^(%S+)"))
  lf:close()
  return l or 0
end

local function time(decode)
  collectgarbage()
  local start = os.clock()
  for _ = 1, n do decode(text) end -- each value dropped at once, as a caller that only reads it would
  return (os.clock() - start) * 1000 / n
end

local function median(list)
  table.sort(list)
  local k = #list
  return k % 2 == 1 and list[(k + 1) / 2] or (list[k / 2] + list[k / 2 + 1]) / 2
end

assert(select(2, json.decode(text)) == nil, "the SDK's decoder refuses " .. file)
local ncores, flagged = cores(), 0
local ratios, ours_ms, cjson_ms = {}, {}, {}
for r = 1, rounds do
  if load1() > ncores then flagged = flagged + 1 end
  local a, b
  if r % 2 == 1 then
    a = time(json.decode)
    b = time(cjson.decode)
  else
    b = time(cjson.decode)
    a = time(json.decode)
  end
  ours_ms[r], cjson_ms[r], ratios[r] = a, b, b / a
end
local spread = {}
for r, v in ipairs(ratios) do spread[r] = v end
table.sort(spread)
local function fmt(ms)
  return ms >= 10 and ("%.0f"):format(ms) or ms >= 0.1 and ("%.2f"):format(ms) or ("%.4f"):format(ms)
end
io.write(("| %s | %s ms | %s ms | %.2f x (%.2f-%.2f) | %d of %d |\n"):format(label, fmt(median(ours_ms)),
  fmt(median(cjson_ms)), median(ratios), spread[1], spread[#spread], flagged, rounds))

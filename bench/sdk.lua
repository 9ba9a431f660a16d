--- This SDK in the benchmark: one client, client:get for each request, client:batch for the concurrent case.
---   lua5.4 bench/sdk.lua SCENARIO BASE_URL PATH N [CONCURRENCY] [CA_FILE]
--- SCENARIO is "get" (N sequential GETs of PATH, each decoded) or "batch" (N GETs of PATH<i>, CONCURRENCY at a
--- time). bench/run puts lua/ and build/<interpreter>/ on the search paths. Prints
--- "RESULT <milliseconds> <peak RSS in KiB> <bytes received>".
-- Lua 5.4's collector as the "+ cjson" baseline has it: the library's default, incremental. (lua5.4's own
-- interpreter starts generational, in which lua-cjson's decode of a large list costs 15-30% more; bench/run
-- measures both.)
if _VERSION == "Lua 5.4" then collectgarbage("incremental") end
local humanitec = require "humanitec"
local core = require "humanitec.core"

local scenario, base, path, n, concurrency, ca = arg[1], arg[2], arg[3], tonumber(arg[4]), tonumber(arg[5]), arg[6]
if ca == "" then ca = nil end

local peak_rss_kb = dofile((arg[0]:match("^(.*)/") or ".") .. "/peak_rss.lua")

local client = humanitec.new { url = base, token = "bench-token", org = "bench", ca_file = ca }
local bytes = 0
-- The length the server declared: reading response.body would make the string the SDK avoids making.
local function length(response)
  return tonumber(response:header("content-length")) or #response.body
end

local start = core.now()
if scenario == "get" then
  for _ = 1, n do
    local data, err, response = client:get(path)
    if type(data) ~= "table" then error("GET " .. path .. ": " .. tostring(err)) end
    bytes = bytes + length(response)
  end
elseif scenario == "batch" then
  local list = {}
  for i = 1, n do list[i] = { "GET", path .. i } end
  local results = client:batch(list, { concurrency = concurrency })
  for i = 1, n do
    local r = results[i]
    if not (r and type(r.data) == "table") then error("GET " .. path .. i .. ": " .. tostring(r and r.err)) end
    bytes = bytes + length(r.response)
  end
else
  error("unknown scenario " .. tostring(scenario))
end
local elapsed = (core.now() - start) * 1000
client:close()
io.write(("RESULT %.3f %d %d\n"):format(elapsed, peak_rss_kb(), bytes))

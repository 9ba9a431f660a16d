--- Turns bench/run's raw results into the markdown report: medians, min, max and ratios per scenario and tool,
--- the targets met or missed, the machine and the versions.
---   lua5.4 bench/report.lua RESULTS.tsv META.tsv N_A N_B N_C CONCURRENCY N_D
--- RESULTS.tsv rows: scenario, tool, round, milliseconds (or "n/a" / "fail"), peak RSS KiB, requests made, note.
local results_file, meta_file = arg[1], arg[2]
local N = { a = tonumber(arg[3]), b = tonumber(arg[4]), c = tonumber(arg[5]), d = tonumber(arg[7]) }
local concurrency = tonumber(arg[6])
local IDEAL_C = 20 * math.ceil(N.c / concurrency) -- ms: 20 ms per wave of `concurrency` requests

local TOOLS = { "libcurl", "libcurl+cjson", "libcurl+cjson-luajit", "sdk-lua5.4", "sdk-luajit", "luasocket", "lua-http",
  "python-requests", "node-fetch", "ts-autogen" }
local PEERS = { "luasocket", "lua-http", "python-requests", "node-fetch", "ts-autogen" }
local SDKS = { "sdk-lua5.4", "sdk-luajit" }

local runs, notes = {}, {} -- runs[scenario][tool] = { {ms =, rss =}, ... }
for line in io.lines(results_file) do
  local field = "([^\t]*)\t"
  local scenario, tool, round, ms, rss, count, note = line:match("^" .. field:rep(6) .. "(.*)$")
  if scenario then
    runs[scenario] = runs[scenario] or {}
    runs[scenario][tool] = runs[scenario][tool] or {}
    if tonumber(ms) then
      table.insert(runs[scenario][tool],
        { round = tonumber(round), ms = tonumber(ms), rss = tonumber(rss), n = tonumber(count) })
    elseif note ~= "" then
      notes[scenario .. "/" .. tool] = (ms == "fail" and "failed: " or "") .. note
    end
  end
end

local function stats(list, field)
  local values = {}
  for i, r in ipairs(list or {}) do values[i] = r[field] end
  if #values == 0 then return nil end
  table.sort(values)
  local n = #values
  local median = n % 2 == 1 and values[(n + 1) / 2] or (values[n / 2] + values[n / 2 + 1]) / 2
  return { median = median, min = values[1], max = values[n], requests = list[1].n }
end

local function median_of(scenario, tool, field)
  local s = stats(runs[scenario] and runs[scenario][tool], field or "ms")
  return s and s.median
end

-- A tool against a baseline: the median, over the rounds, of the tool's result divided by the baseline's in
-- the same round (per request, so runs of different lengths compare; the baseline may be another scenario's).
-- A round's runs are minutes apart at most, so this pairing cancels most of the drift of a shared machine
-- between rounds, which a ratio of two medians would keep.
local function paired_ratio(scenario, tool, base, field, base_scenario)
  field, base_scenario = field or "ms", base_scenario or scenario
  local per_request = field == "ms"
  local by_round = {}
  for _, r in ipairs(runs[base_scenario] and runs[base_scenario][base] or {}) do
    by_round[r.round] = per_request and r[field] / (r.n or N[base_scenario]) or r[field]
  end
  local ratios = {}
  for _, r in ipairs(runs[scenario] and runs[scenario][tool] or {}) do
    local b = by_round[r.round]
    local v = per_request and r[field] / (r.n or N[scenario]) or r[field]
    if b and b > 0 then ratios[#ratios + 1] = { value = v / b } end
  end
  local s = stats(ratios, "value")
  return s and s.median
end

local function fmt(v, digits)
  if v == nil then return "" end
  return (("%." .. (digits or 1) .. "f"):format(v))
end

local out = {}
local function emit(s) out[#out + 1] = s end

-- The reference each scenario's ratio is taken against. In (b) and (e) that is lua-cjson's decode on the
-- tool's own interpreter: LuaJIT's builds against the LuaJIT baseline, everything else against Lua 5.4's.
local function cjson_base(tool)
  return (tool == "sdk-luajit" or tool == "libcurl+cjson-luajit") and "libcurl+cjson-luajit" or "libcurl+cjson"
end
local function ratio(scenario, tool, s)
  if scenario == "a" then return paired_ratio("a", tool, "libcurl"), "x libcurl" end
  if scenario == "b" or scenario == "e" then
    return paired_ratio("b", tool, cjson_base(tool), scenario == "e" and "rss" or "ms"), "x " .. cjson_base(tool)
  end
  if scenario == "c" then return s.median / IDEAL_C, ("x ideal %d ms"):format(IDEAL_C) end
  if scenario == "d" then return paired_ratio("d", tool, tool, "ms", "a"), "x own (a) per request" end
end

local TITLES = {
  a = ("(a) %d GETs, 1 KB JSON, one connection"):format(N.a),
  b = ("(b) %d GETs, ~10 MB JSON list"):format(N.b),
  c = ("(c) %d GETs of a 20 ms answer, %d at a time"):format(N.c, concurrency),
  d = ("(d) %d HTTPS GETs, 1 KB JSON"):format(N.d),
  e = "(e) peak RSS during (b)",
}

emit("# lua-humanitec benchmark")
emit("")
emit("Produced by `make bench` (bench/run). Times are the whole run of each tool's loop, after start-up; median,")
emit("min and max over the rounds. A ratio is the median over the rounds of the tool's time (or memory) against")
emit("the reference's in the same round. Everything on loopback against nginx; see bench/run for what each tool")
emit("does.")
emit("")
emit("| scenario | tool | median | min | max | per request | ratio |")
emit("| --- | --- | ---: | ---: | ---: | ---: | --- |")
for _, scenario in ipairs { "a", "b", "c", "d", "e" } do
  local source = scenario == "e" and "b" or scenario
  local field = scenario == "e" and "rss" or "ms"
  for _, tool in ipairs(TOOLS) do
    local s = stats(runs[source] and runs[source][tool], field)
    local note = notes[source .. "/" .. tool]
    if s then
      local r, of = ratio(scenario, tool, s)
      if scenario == "e" then
        emit(("| %s | %s | %s MB | %s MB | %s MB | | %s |"):format(TITLES[scenario], tool, fmt(s.median / 1024),
          fmt(s.min / 1024), fmt(s.max / 1024), r and (fmt(r, 2) .. " " .. of) or ""))
      else
        local per = s.median / (s.requests or N[scenario]) * 1000
        emit(("| %s | %s | %s ms | %s ms | %s ms | %s µs | %s |"):format(TITLES[scenario], tool, fmt(s.median),
          fmt(s.min), fmt(s.max), fmt(per, per < 100 and 1 or 0), r and (fmt(r, 2) .. " " .. of) or ""))
      end
    elseif note and scenario ~= "e" then
      emit(("| %s | %s | n/a | | | | %s |"):format(TITLES[scenario], tool, note))
    end
  end
end

-- The targets of issues 8 and 13, for each build of the SDK.
emit("")
emit("## Targets")
emit("")
emit("| target | " .. table.concat(SDKS, " | ") .. " |")
emit("| --- |" .. (" --- |"):rep(#SDKS))
local function verdict(ok, text)
  if ok == nil then return "not measured" end
  return (ok and "met" or "**missed**") .. " (" .. text .. ")"
end
local targets = {
  { "(a) at most 1.15 x libcurl, faster than every peer", function(tool)
    local m, r = median_of("a", tool), paired_ratio("a", tool, "libcurl")
    if not (m and r) then return verdict(nil) end
    local slower = {}
    for _, peer in ipairs(PEERS) do
      local p = median_of("a", peer)
      if p and p <= m then slower[#slower + 1] = peer end
    end
    return verdict(r <= 1.15 and #slower == 0,
      fmt(r, 2) .. "x" .. (#slower > 0 and ("; not faster than " .. table.concat(slower, ", ")) or "; fastest"))
  end },
  { "(b) at most 0.80 x libcurl + lua-cjson (on the same interpreter), faster than Node fetch", function(tool)
    local r = paired_ratio("b", tool, cjson_base(tool))
    if not r then return verdict(nil) end
    local m, node = median_of("b", tool), median_of("b", "node-fetch")
    local faster = node == nil or m < node
    local vs_node = node and ("; " .. fmt(m / node, 2) .. "x Node fetch") or ""
    return verdict(r <= 0.80 and faster, fmt(r, 2) .. "x" .. vs_node)
  end },
  { "(e) peak memory of (b) no higher than libcurl + lua-cjson's", function(tool)
    local r = paired_ratio("b", tool, cjson_base(tool), "rss")
    if not r then return verdict(nil) end
    return verdict(r <= 1.0, fmt(r, 2) .. "x")
  end },
  { ("(c) at most 1.2 x the ideal %d ms"):format(IDEAL_C), function(tool)
    local m = median_of("c", tool)
    if not m then return verdict(nil) end
    return verdict(m / IDEAL_C <= 1.2, fmt(m / IDEAL_C, 2) .. "x")
  end },
  { "(d) per request at most 1.3 x (a)", function(tool)
    local r = paired_ratio("d", tool, tool, "ms", "a")
    if not r then return verdict(nil) end
    return verdict(r <= 1.3, fmt(r, 2) .. "x")
  end },
}
for _, t in ipairs(targets) do
  local cells = {}
  for i, tool in ipairs(SDKS) do cells[i] = t[2](tool) end
  emit("| " .. t[1] .. " | " .. table.concat(cells, " | ") .. " |")
end

emit("")
emit("## Machine and versions")
emit("")
for line in io.lines(meta_file) do
  local key, value = line:match("^([^\t]*)\t(.*)$")
  if key then emit("- " .. key .. ": " .. value) end
end
io.write(table.concat(out, "\n"), "\n")

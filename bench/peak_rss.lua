--- The benchmark scripts' memory figure: this process's peak resident set, in KiB (VmHWM from /proc).
---   local peak_rss_kb = dofile(script_dir .. "/peak_rss.lua")
return function()
  local f = assert(io.open("/proc/self/status"))
  local kb = f:read("a"):match("VmHWM:%s*(%d+)")
  f:close()
  return tonumber(kb)
end

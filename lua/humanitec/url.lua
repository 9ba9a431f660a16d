--- Percent-encoding of path segments and query strings, and its decoding: one place for the rule the client,
--- the operation builder and the simulator share.
local M = {}

--- Percent-encodes a string: everything but RFC 3986's unreserved characters as %XX.
---@param s string
---@return string
function M.percent(s)
  return (s:gsub("[^%w%-%._~]", function(c)
    return ("%%%02X"):format(c:byte())
  end))
end
local percent = M.percent

--- Decodes every %XX in `s` (nothing else: a `+` stays a `+`).
---@param s string
---@return string
function M.unescape(s)
  return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

--- Percent-encodes one path segment: everything but RFC 3986's unreserved characters. The segments "." and
--- ".." are encoded whole, so no id can walk the path. CR, LF and NUL, which no id holds, raise.
---@param segment string|number
---@return string
function M.escape(segment)
  local kind = type(segment)
  if kind == "number" then
    segment = tostring(segment)
  elseif kind ~= "string" then
    error("bad argument #1 to 'escape' (string expected, got " .. kind .. ")", 2)
  end
  if segment:find("[\r\n%z]") then
    error("bad argument #1 to 'escape' (an id must not contain CR, LF or NUL)", 2)
  end
  if segment == "." then return "%2E" end
  if segment == ".." then return "%2E%2E" end
  return percent(segment)
end

local function query_value(name, v)
  local kind = type(v)
  if kind == "string" then return v end
  if kind == "number" then
    if v == math.floor(v) and v >= -2^53 and v <= 2^53 then return ("%d"):format(v) end
    return tostring(v)
  end
  if kind == "boolean" then return tostring(v) end
  error(("bad query parameter '%s' (string, number or boolean expected, got %s)"):format(name, kind), 0)
end

--- Encodes a query table as "?a=1&b=x&b=y", or "" when there is nothing to encode. Keys are sorted, so the same
--- call always makes the same URL; a list value repeats its key. Raises (level 0: the caller adds where) on a
--- value that is not a string, number or boolean.
---@param query? table<string, string|number|boolean|(string|number|boolean)[]>
---@return string
function M.query(query)
  if query == nil then return "" end
  if type(query) ~= "table" then
    error("bad option 'query' (table expected, got " .. type(query) .. ")", 0)
  end
  local keys = {}
  for k in pairs(query) do
    if type(k) ~= "string" then
      error("bad option 'query' (string keys expected, got " .. type(k) .. ")", 0)
    end
    keys[#keys + 1] = k
  end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do
    local v = query[k]
    if type(v) == "table" then
      for _, item in ipairs(v) do
        parts[#parts + 1] = percent(k) .. "=" .. percent(query_value(k, item))
      end
    else
      parts[#parts + 1] = percent(k) .. "=" .. percent(query_value(k, v))
    end
  end
  if #parts == 0 then return "" end
  return "?" .. table.concat(parts, "&")
end

return M

--- Timestamps in UTC, with no help from the local time zone (os.time reads it): the API's ISO 8601 form and
--- HTTP's IMF-fixdate. Shared by the client's retry policy and the simulator.
local M = {}

local MONTHS = { Jan = 1, Feb = 2, Mar = 3, Apr = 4, May = 5, Jun = 6, Jul = 7, Aug = 8, Sep = 9, Oct = 10,
  Nov = 11, Dec = 12 }

-- Days from 1970-01-01 to a civil date (proleptic Gregorian).
local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = math.floor((153 * mp + 2) / 5) + d - 1
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end

--- Seconds since the epoch of a UTC date and time.
---@param y integer
---@param mo integer 1 to 12
---@param d integer
---@param h integer
---@param mi integer
---@param s number
---@return number
function M.epoch(y, mo, d, h, mi, s)
  return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s
end

--- Formats epoch seconds as the API's timestamps, e.g. "2024-01-01T00:00:00.000Z".
---@param t number
---@return string
function M.iso(t)
  local whole = math.floor(t)
  local ms = math.floor((t - whole) * 1000 + 0.5)
  if ms >= 1000 then whole, ms = whole + 1, 0 end
  return os.date("!%Y-%m-%dT%H:%M:%S", whole) .. string.format(".%03dZ", ms)
end

--- Parses "YYYY-MM-DDTHH:MM:SS[.fff]Z" into epoch seconds; nil when it does not have that form.
---@param s any
---@return number?
function M.parse_iso(s)
  if type(s) ~= "string" then return nil end
  local y, mo, d, h, mi, sec, frac = s:match("^(%d%d%d%d)-(%d%d)-(%d%d)T(%d%d):(%d%d):(%d%d)(%.?%d*)Z$")
  if not y then return nil end
  local t = M.epoch(tonumber(y), tonumber(mo), tonumber(d), tonumber(h), tonumber(mi), tonumber(sec))
  if frac ~= "" and frac ~= "." then t = t + tonumber("0" .. frac) end
  return t
end

--- Parses an HTTP date in IMF-fixdate, the form HTTP requires senders to use ("Sun, 06 Nov 1994 08:49:37 GMT"),
--- into epoch seconds; nil when it does not have that form.
---@param s any
---@return number?
function M.parse_http(s)
  if type(s) ~= "string" then return nil end
  local d, mon, y, h, mi, sec = s:match("^%s*%a+,%s*(%d%d?)%s+(%a%a%a)%s+(%d%d%d%d)%s+(%d%d):(%d%d):(%d%d)%s+GMT")
  if not (d and MONTHS[mon]) then return nil end
  return M.epoch(tonumber(y), MONTHS[mon], tonumber(d), tonumber(h), tonumber(mi), tonumber(sec))
end

return M

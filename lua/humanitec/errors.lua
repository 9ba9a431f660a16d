--- The error object every failed call returns as its second value.
--
-- Fields: `kind` ("http", "transport", "decode", "config", or a transport kind such as "timeout"),
-- `status`, `code` and `message` (from Humanitec's `{ error, message, details }` body when there is one),
-- `details`, `method`, `path`, `attempts`. `tostring(err)` gives one readable line (with "(3 attempts)" when the
-- call was retried).
--
-- ```lua
-- local app, err = client:get_application { appId = "shop" }
-- if err and err.status == 404 then print("no such app") elseif err then error(tostring(err)) end
-- ```
local M = {}

---@class humanitec.Error
---@field kind string what went wrong: "http", "decode", "config", or the transport's kind ("timeout", "connect", ...)
---@field status? integer HTTP status, when a response arrived
---@field code? string Humanitec's error code (the `error` field of its error body)
---@field message string what the server or the transport said
---@field details? any the `details` field of the error body, or the whole body when it was not an object
---@field method? string
---@field path? string path of the request, without the query
---@field headers? table response headers, when a response arrived
local Error = {}
Error.__index = Error
Error.__name = "humanitec.Error"

-- Reason phrases for the statuses the API uses, for error bodies that say nothing (HTTP/2 has no phrase).
local REASONS = {
  [300] = "Multiple Choices", [301] = "Moved Permanently", [302] = "Found", [303] = "See Other",
  [304] = "Not Modified", [307] = "Temporary Redirect", [308] = "Permanent Redirect",
  [400] = "Bad Request", [401] = "Unauthorized", [403] = "Forbidden", [404] = "Not Found",
  [405] = "Method Not Allowed", [406] = "Not Acceptable", [408] = "Request Timeout", [409] = "Conflict",
  [410] = "Gone", [412] = "Precondition Failed", [413] = "Payload Too Large", [415] = "Unsupported Media Type",
  [422] = "Unprocessable Entity", [423] = "Locked", [428] = "Precondition Required", [429] = "Too Many Requests",
  [500] = "Internal Server Error", [501] = "Not Implemented", [502] = "Bad Gateway",
  [503] = "Service Unavailable", [504] = "Gateway Timeout",
}

--- The reason phrase of an HTTP status, or "HTTP <status>".
---@param status integer
---@return string
function M.reason(status)
  return REASONS[status] or ("HTTP " .. tostring(status))
end

-- How much of a message tostring shows, and how much of a server's text an error keeps.
local SHOWN = 1000
local KEPT = 8192

-- One line of at most SHOWN bytes: every run of white space that holds a line break becomes one space. Linear:
-- each run is matched once, and looked into once.
---@param text string
---@return string
local function one_line(text)
  if #text > SHOWN then text = text:sub(1, SHOWN) .. "..." end
  return (text:gsub("%s+", function(run)
    if run:find("[\r\n]") then return " " end
  end))
end

M.one_line = one_line

function Error:__tostring()
  local parts = { "humanitec:" }
  if self.method and self.path then
    parts[#parts + 1] = self.method .. " " .. self.path .. ":"
  end
  if self.status then
    parts[#parts + 1] = tostring(self.status)
    if self.code and self.code ~= "" then
      parts[#parts + 1] = "(" .. tostring(self.code) .. ")"
    end
  else
    parts[#parts + 1] = tostring(self.kind) .. ":"
  end
  -- One line, whatever the server sent.
  parts[#parts + 1] = one_line(tostring(self.message))
  if type(self.attempts) == "number" and self.attempts > 1 then
    parts[#parts + 1] = ("(%d attempts)"):format(self.attempts)
  end
  return table.concat(parts, " ")
end

--- Text for any value raised as an error, even one whose __tostring raises or gives no string: what the
--- drivers and the event-loop adapters report when a callback raised it.
---@param err any
---@return string
function M.describe(err)
  local ok, text = pcall(tostring, err)
  if ok and type(text) == "string" then return text end
  return "(a " .. type(err) .. " error value that cannot be shown)"
end

--- Makes an error object from its fields.
---@param fields table
---@return humanitec.Error
function M.new(fields)
  return setmetatable(fields, Error)
end

--- True when `v` is an error object made by this module.
---@param v any
---@return boolean
function M.is_error(v)
  return getmetatable(v) == Error
end

--- A configuration error: nothing was sent.
---@param message string
---@return humanitec.Error
function M.config(message)
  return M.new { kind = "config", message = message }
end

-- Shortens a body that is not a Humanitec error object (an HTML page from a proxy, say) to one useful line of at
-- most 200 bytes: tags dropped, white space collapsed. One pass over at most the first 64 KiB: each '<' is
-- matched with the next '>' once, and an unclosed '<' ends the markup (the rest is text).
local function summarize(text)
  if #text > 65536 then text = text:sub(1, 65536) end
  local out, kept, pos = {}, 0, 1
  while pos <= #text and kept < 1024 do
    local open = text:find("<", pos, true)
    local close = open and text:find(">", open + 1, true)
    local chunk = text:sub(pos, close and open - 1 or -1)
    out[#out + 1] = chunk
    kept = kept + #chunk
    if not close then break end
    out[#out + 1] = " "
    pos = close + 1
  end
  text = table.concat(out):sub(1, 2048):gsub("%s+", " "):gsub("^ ", ""):gsub(" $", "")
  if #text > 200 then
    text = text:sub(1, 197) .. "..."
  end
  return text
end

--- The error for a response outside 2xx. `data` is the decoded JSON body (nil when the body was not JSON),
--- `text` the raw body.
---@param status integer
---@param data any
---@param text string
---@return table fields: code, message, details
function M.from_body(status, data, text)
  local code, message, details
  if type(data) == "table" and not data[1] and (data.error ~= nil or data.message ~= nil) then
    code = data.error
    message = data.message
    details = data.details
  elseif type(data) == "string" then
    message = data
  elseif data ~= nil then
    details = data -- an array or some other shape: keep all of it
  elseif text ~= "" then
    message = summarize(text)
  end
  if type(code) == "number" then
    code = tostring(code)
  elseif type(code) ~= "string" then
    code = nil -- absent, or JSON null
  end
  if type(details) == "userdata" then
    details = nil -- JSON null
  end
  if type(message) ~= "string" or message == "" then
    message = M.reason(status)
  elseif #message > KEPT then
    message = message:sub(1, KEPT) .. "..." -- a server's message is kept, but not without bound
  end
  return { code = code, message = message, details = details }
end

return M

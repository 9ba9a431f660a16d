--- The error object every failed call returns as its second value.
--
-- Fields: `kind` ("http", "transport", "decode", "config", or a transport kind such as "timeout"),
-- `status`, `code` and `message` (from Humanitec's `{ error, message, details }` body when there is one),
-- `details`, `method`, `path`. `tostring(err)` gives one readable line.
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
    parts[#parts + 1] = self.kind .. ":"
  end
  -- One line, whatever the server sent.
  parts[#parts + 1] = (tostring(self.message):gsub("%s*[\r\n]+%s*", " "))
  return table.concat(parts, " ")
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

-- Shortens a body that is not a Humanitec error object (an HTML page from a proxy, say) to one useful line.
local function summarize(text)
  text = text:gsub("<[^>]*>", " "):gsub("%s+", " "):gsub("^ ", ""):gsub(" $", "")
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
  end
  return { code = code, message = message, details = details }
end

return M

--- How the command line writes: the streams it writes to, one-line errors, aligned tables, JSON.
local humanitec = require "humanitec"
local json = require "humanitec.json"

local M = {}

--- The streams a command uses: anything with `write` (and `read` for stdin).
---@param opts table
---@return table
function M.streams(opts)
  return {
    stdout = opts.stdout or io.stdout,
    stderr = opts.stderr or io.stderr,
    stdin = opts.stdin or io.stdin,
  }
end

--- Writes `text` and a newline.
function M.line(stream, text)
  stream:write(text, "\n")
end

--- The first line of a message, without the "file:line:" position that error() adds.
---@param text any
---@return string
function M.strip_position(text)
  return (tostring(text):match("^[^\n]*"):gsub("^[^%s:]+:%d+: ", ""))
end

--- One line of text for any error value: an SDK error's own line, otherwise the first line of the message.
---@param err any
---@return string
function M.one_line(err)
  if humanitec.is_error(err) then return tostring(err) end
  local text = type(err) == "string" and err or tostring(err)
  text = text:match("^[^\n]*")
  return "humanitec: " .. text
end

-- A cell of a table: one line of text, "-" for nothing.
local function cell(v)
  if v == nil or v == json.null or v == "" then return "-" end
  return (tostring(v):gsub("%c+", " "))
end

-- Display width of UTF-8 text: its code points.
local function width(s)
  local _, n = s:gsub("[^\128-\191]", "")
  return n
end

--- Writes rows under a header in columns two spaces apart; the last column is not padded.
---@param stream table
---@param header string[]
---@param rows any[][]
function M.table(stream, header, rows)
  local widths = {}
  for i, h in ipairs(header) do widths[i] = width(h) end
  for _, row in ipairs(rows) do
    for i = 1, #header do
      row[i] = cell(row[i])
      widths[i] = math.max(widths[i], width(row[i]))
    end
  end
  local function emit(row)
    local parts = {}
    for i = 1, #header do
      local text = row[i]
      if i < #header then text = text .. (" "):rep(widths[i] - width(text)) end
      parts[i] = text
    end
    M.line(stream, (table.concat(parts, "  "):gsub("%s+$", "")))
  end
  emit(header)
  for _, row in ipairs(rows) do emit(row) end
end

--- Writes a value as JSON.
function M.json(stream, value)
  M.line(stream, json.encode(value))
end

return M

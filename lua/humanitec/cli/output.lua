--- How the command line writes: its streams, one-line errors, and data in the format -o asks for.
--
-- Machine output goes to stdout only; progress and errors go to stderr.
local humanitec = require "humanitec"
local json = require "humanitec.json"
local format = require "humanitec.cli.format"

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
  if humanitec.is_error(err) then return M.scrub(tostring(err)) end
  local text = type(err) == "string" and err or tostring(err)
  text = text:match("^[^\n]*")
  return "humanitec: " .. M.scrub(text)
end

--- `text` with every run of control characters (escape sequences, carriage returns, bells) made one space, so
--- text from a server cannot move the cursor or rewrite a terminal's lines. Linear.
---@param text string
---@return string
function M.scrub(text)
  return (text:gsub("%c+", " "))
end

--- The value at a dotted path of `item` ("last_deploy.status"), or the result of a function column.
local function pick(item, key)
  if type(key) == "function" then return key(item) end
  local v = item
  for part in key:gmatch("[^%.]+") do
    if type(v) ~= "table" then return nil end
    v = v[part]
  end
  return v
end

-- Columns for items no view describes: the scalar fields the first items have, id-like ones first.
local PREFERRED = { "id", "key", "name", "type", "status", "value", "driver_type", "env_id", "created_at" }

local function guess_columns(items, wide)
  local seen, columns = {}, {}
  for i = 1, math.min(#items, 20) do
    if type(items[i]) == "table" then
      for k, v in pairs(items[i]) do
        if type(k) == "string" and (type(v) ~= "table" or v == json.null) then seen[k] = true end
      end
    end
  end
  for _, k in ipairs(PREFERRED) do
    if seen[k] then
      columns[#columns + 1] = { k:upper():gsub("_", "-"), k }
      seen[k] = nil
    end
  end
  if wide or #columns == 0 then
    local rest = {}
    for k in pairs(seen) do rest[#rest + 1] = k end
    table.sort(rest)
    for _, k in ipairs(rest) do columns[#columns + 1] = { k:upper():gsub("_", "-"), k } end
  end
  return columns
end

--- Writes `data` as -o asks: json, yaml, or a table (wide adds the view's wide columns). `view` is
--- `{ columns = { {TITLE, key-or-function}, ... }, wide = { ... } }`; a list is one row per item, an object
--- one row. Without a view the columns come from the data.
---@param ctx table the command's context (io, format, pretty, width)
---@param data any
---@param view? table
function M.emit(ctx, data, view)
  local out = ctx.io.stdout
  local fmt = ctx.format or "table"
  if fmt == "dot" then
    error(require("humanitec.cli.fail").new(2, "humanitec: " .. tostring(ctx.command)
      .. ": -o dot is for 'resources graph'; use table, wide, json or yaml"), 0)
  end
  if fmt == "json" then
    out:write(format.json(data, ctx.pretty), "\n")
    return
  elseif fmt == "yaml" then
    out:write(format.yaml(data))
    return
  end
  if type(data) ~= "table" then
    M.line(out, tostring(data))
    return
  end
  local items = data
  if next(data) ~= nil and data[1] == nil then items = { data } end
  local wide = fmt == "wide"
  local columns
  if view and view.columns then
    columns = {}
    for _, c in ipairs(view.columns) do columns[#columns + 1] = c end
    if wide then
      for _, c in ipairs(view.wide or {}) do columns[#columns + 1] = c end
    end
  else
    columns = guess_columns(items, wide)
  end
  local header, rows = {}, {}
  for i, c in ipairs(columns) do header[i] = c[1] end
  for r, item in ipairs(items) do
    local row = {}
    for i, c in ipairs(columns) do row[i] = type(item) == "table" and pick(item, c[2]) or (i == 1 and item or nil) end
    rows[r] = row
  end
  if #header == 0 then
    -- nothing to make columns of: an empty list without a view says so where a person reads
    M.line(ctx.io.stderr, "(none)")
    return
  end
  out:write(format.table(header, rows, not wide and ctx.width or nil))
end

return M

--- Turns data into text for the command line: aligned tables, JSON (pretty or compact) and YAML.
--
-- YAML is written here rather than by lyaml.dump: lyaml orders a mapping's keys as `pairs` does (so output
-- would change from run to run) and cannot tell an empty object from an empty array. Every scalar that is not
-- plainly safe is written as a JSON string, which YAML reads as a double-quoted scalar.
local json = require "humanitec.json"

local M = {}

local sorted_keys = json.sorted_keys

-- True when `t` is written as a sequence: marked as a JSON array, or with keys 1..n and n > 0.
local function is_sequence(t)
  if json.is_array(t) then return true end
  local n = #t
  if n == 0 then return false end
  local count = 0
  for _ in pairs(t) do count = count + 1 end
  return count == n
end

-- JSON for a scalar; "/" stays as it is (cjson writes "\/", which YAML 1.1 parsers do not all read).
local function scalar_json(v)
  if v == json.null then return "null" end
  return (json.encode(v):gsub("\\/", "/"))
end

--- JSON text for `value`, keys sorted so the same data always reads the same: compact, or indented by two
--- spaces.
---@param value any
---@param pretty boolean
---@return string
function M.json(value, pretty)
  local out = {}
  local nl, colon = pretty and "\n" or "", pretty and ": " or ":"
  local function put(v, indent)
    if type(v) ~= "table" or v == json.null then
      out[#out + 1] = scalar_json(v)
      return
    end
    local inner = pretty and (indent .. "  ") or ""
    if is_sequence(v) then
      if #v == 0 then out[#out + 1] = "[]" return end
      out[#out + 1] = "[" .. nl
      for i = 1, #v do
        out[#out + 1] = inner
        put(v[i], inner)
        out[#out + 1] = (i < #v and "," or "") .. nl
      end
      out[#out + 1] = indent .. "]"
      return
    end
    local keys = sorted_keys(v)
    if #keys == 0 then out[#out + 1] = "{}" return end
    out[#out + 1] = "{" .. nl
    for i, k in ipairs(keys) do
      out[#out + 1] = inner .. scalar_json(tostring(k)) .. colon
      put(v[k], inner)
      out[#out + 1] = (i < #keys and "," or "") .. nl
    end
    out[#out + 1] = indent .. "}"
  end
  put(value, "")
  return table.concat(out)
end

-- Words YAML 1.1 or 1.2 reads as something other than a string.
local YAML_WORDS = {}
for w in ("y n yes no on off true false null ~"):gmatch("%S+") do YAML_WORDS[w] = true end

local function yaml_scalar(v)
  if v == json.null then return "null" end
  local t = type(v)
  if t == "boolean" then return tostring(v) end
  if t == "number" then return scalar_json(v) end
  if v:find("^[%w_/][%w_%.%-/]*$") and not YAML_WORDS[v:lower()] and not tonumber(v) then return v end
  -- a URL stays plain: ':' inside a word is no mapping, and a letter first keeps YAML 1.1 from a base-60 number
  if v:find(":", 1, true) and v:find("^%a[%w_%.%-/:]*[%w/]$") then return v end
  return scalar_json(v)
end

--- YAML text for `value`, a block style document with the keys sorted; ends with a newline.
---@param value any
---@return string
function M.yaml(value)
  local out = {}
  -- Called with the cursor after "key:" or "-": writes the value and its line end. A mapping in a sequence
  -- starts on the dash's line ("- key: value").
  local function put(v, indent, after_dash)
    if type(v) ~= "table" or v == json.null then
      out[#out + 1] = " " .. yaml_scalar(v) .. "\n"
    elseif is_sequence(v) then
      if #v == 0 then out[#out + 1] = " []\n" return end
      out[#out + 1] = "\n"
      for i = 1, #v do
        out[#out + 1] = indent .. "-"
        put(v[i], indent .. "  ", true)
      end
    else
      local keys = sorted_keys(v)
      if #keys == 0 then out[#out + 1] = " {}\n" return end
      out[#out + 1] = after_dash and " " or "\n"
      for i, k in ipairs(keys) do
        out[#out + 1] = (after_dash and i == 1 and "" or indent) .. yaml_scalar(tostring(k)) .. ":"
        put(v[k], indent .. "  ")
      end
    end
  end
  put(value, "")
  local text = table.concat(out)
  -- the top level has no key before it: drop the first line's leading space or newline
  return (text:gsub("^[ \n]", ""))
end

-- A cell of a table: one line of text, "-" for nothing.
local function cell(v)
  if v == nil or v == json.null or v == "" then return "-" end
  if type(v) == "table" then return json.encode(v) end
  return (tostring(v):gsub("%c+", " "))
end

-- Display width of UTF-8 text: its code points.
local function width(s)
  local _, n = s:gsub("[^\128-\191]", "")
  return n
end

-- The first n code points of s.
local function prefix(s, n)
  local count, stop = 0, #s
  for pos in s:gmatch("()[^\128-\191]") do
    count = count + 1
    if count > n then stop = pos - 1 break end
  end
  return s:sub(1, stop)
end

local MIN_COLUMN = 6

-- s without trailing white space, from one backward scan (a pattern such as "%s+$" retries at every space of a
-- wide padded column: quadratic in the column's width).
local function rtrim(s)
  local n = #s
  while n > 0 do
    local b = s:byte(n)
    if b == 32 or (b >= 9 and b <= 13) then n = n - 1 else break end
  end
  return s:sub(1, n)
end

--- Rows under a header in columns two spaces apart; the last column is not padded. With `max_width`, the
--- widest columns are cut (ending in "…") until a line fits, none below a few characters.
---@param header string[]
---@param rows any[][]
---@param max_width? integer
---@return string
function M.table(header, rows, max_width)
  local widths = {}
  local cells = {}
  for i, h in ipairs(header) do widths[i] = width(h) end
  for r, row in ipairs(rows) do
    local line = {}
    for i = 1, #header do
      line[i] = cell(row[i])
      widths[i] = math.max(widths[i], width(line[i]))
    end
    cells[r] = line
  end
  if max_width then
    local total = 2 * (#header - 1)
    for i = 1, #header do total = total + widths[i] end
    while total > max_width do
      local widest = 1
      for i = 2, #header do
        if widths[i] > widths[widest] then widest = i end
      end
      if widths[widest] <= MIN_COLUMN then break end
      local cut = math.min(total - max_width, widths[widest] - MIN_COLUMN)
      widths[widest] = widths[widest] - cut
      total = total - cut
    end
  end
  local lines = {}
  local function emit(row)
    local parts = {}
    for i = 1, #header do
      local text = row[i]
      local w = width(text)
      if w > widths[i] then
        text = prefix(text, widths[i] - 1) .. "…"
        w = widths[i]
      end
      if i < #header then text = text .. (" "):rep(widths[i] - w) end
      parts[i] = text
    end
    lines[#lines + 1] = rtrim(table.concat(parts, "  "))
  end
  emit(header)
  for _, row in ipairs(cells) do emit(row) end
  return table.concat(lines, "\n") .. "\n"
end

return M

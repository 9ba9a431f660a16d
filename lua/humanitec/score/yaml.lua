--- Reads one YAML (or JSON) document into Lua values, keeping the line of every node, for messages that point
--- into the user's file. libyaml (lyaml's `yaml` binding) parses; this module builds the values from its
--- events with an explicit stack, so the work is linear in the text and deep nesting cannot overflow anything.
---
--- Values come out as humanitec.json makes them: mappings are tables with string keys, sequences are tables
--- marked with `json.array_mt`, null is `json.null`. Plain scalars resolve by YAML 1.2's core schema, as
--- Go's yaml.v3 reads into untyped values: `null ~` and empty are null, `true false` (and their capitalised
--- forms) booleans, decimal, `0o` octal and `0x` hex integers, decimals with exponents and `.inf .nan`
--- numbers; everything else, `yes`, `on` and `0600` included, is a string when quoted and as YAML 1.2 says
--- when not. Anchors, aliases and `<<` merge keys work; duplicate keys and complex keys are errors; aliases
--- may expand the document to at most MAX_NODES nodes (the "billion laughs" document is refused).
local yaml = require "yaml"
local json = require "humanitec.json"

local M = {}

local MAX_NODES = 100000 -- values in the document once aliases are expanded
local MAX_DEPTH = 256 -- nesting of mappings and sequences

local TAG = "tag:yaml.org,2002:"

local function escape_token(key)
  return (key:gsub("~", "~0"):gsub("/", "~1"))
end
M.escape_token = escape_token

-- Whether s is a core-schema float: [-+]? (digits [. digits*] | . digits) ([eE] [-+]? digits)?.
-- One forward pass over the bytes (Lua patterns with two adjacent optional digit runs backtrack
-- quadratically on a long digit run that ends in something else).
local function is_decimal(s)
  local i, n = 1, #s
  local c = s:byte(i)
  if c == 43 or c == 45 then i = i + 1 end
  local int_digits, frac_digits = 0, 0
  c = s:byte(i)
  while c and c >= 48 and c <= 57 do int_digits, i = int_digits + 1, i + 1; c = s:byte(i) end
  if c == 46 then
    i = i + 1
    c = s:byte(i)
    while c and c >= 48 and c <= 57 do frac_digits, i = frac_digits + 1, i + 1; c = s:byte(i) end
  end
  if int_digits == 0 and frac_digits == 0 then return false end
  if c == 69 or c == 101 then
    i = i + 1
    c = s:byte(i)
    if c == 43 or c == 45 then i = i + 1; c = s:byte(i) end
    local exp_digits = 0
    while c and c >= 48 and c <= 57 do exp_digits, i = exp_digits + 1, i + 1; c = s:byte(i) end
    if exp_digits == 0 then return false end
  end
  return i > n
end

-- The value of a plain (unquoted, untagged) scalar under the core schema.
local function resolve_plain(s)
  if s == "" or s == "~" or s == "null" or s == "Null" or s == "NULL" then return json.null end
  if s == "true" or s == "True" or s == "TRUE" then return true end
  if s == "false" or s == "False" or s == "FALSE" then return false end
  local c = s:byte(1)
  -- only strings that start like a number can be one
  if not (c == 43 or c == 45 or c == 46 or (c >= 48 and c <= 57)) then return s end
  if s:match("^[-+]?%d+$") then return tonumber(s) end
  if s:match("^0o[0-7]+$") then return tonumber(s:sub(3), 8) end
  if s:match("^0x%x+$") then return tonumber(s:sub(3), 16) end
  if is_decimal(s) then return tonumber(s) + 0.0 end
  if s == ".inf" or s == ".Inf" or s == ".INF" or s == "+.inf" or s == "+.Inf" or s == "+.INF" then
    return math.huge
  end
  if s == "-.inf" or s == "-.Inf" or s == "-.INF" then return -math.huge end
  if s == ".nan" or s == ".NaN" or s == ".NAN" then return 0 / 0 end
  return s
end

local function scalar_value(ev, fail)
  local tag, s = ev.tag, ev.value
  if tag == nil or tag == "!" then
    if ev.style == "PLAIN" and tag == nil then return resolve_plain(s) end
    return s
  end
  if tag == TAG .. "str" then return s end
  if tag == TAG .. "null" then return json.null end
  if tag == TAG .. "bool" then
    local v = resolve_plain(s)
    if type(v) ~= "boolean" then fail(ev, "!!bool value expected, got '" .. s .. "'") end
    return v
  end
  if tag == TAG .. "int" or tag == TAG .. "float" then
    local v = resolve_plain(s)
    if type(v) ~= "number" then fail(ev, "number expected, got '" .. s .. "'") end
    return tag == TAG .. "float" and v + 0.0 or v
  end
  return s -- other tags (!!binary, local tags) keep the text
end

--- Decodes YAML or JSON text holding one document.
--- Returns the value, or nil and an error { message, line, source }; and third, on success, where the nodes
--- are: { lines = { [json pointer] = line of the value }, key_lines = { [pointer] = line of its key } }.
---@param text string
---@param source? string the name to give in messages (a file name)
---@return any value
---@return table? err
---@return table? where
function M.decode(text, source)
  if type(text) ~= "string" then
    error("bad argument #1 to 'decode' (string expected, got " .. type(text) .. ")", 2)
  end
  source = source or "<string>"
  local lines, key_lines = {}, {}
  local anchors, sizes = {}, {} -- anchor -> value; table -> node count of its subtree
  local total = 0

  local Failure = {}
  local function fail(ev, msg)
    error(setmetatable({ message = msg, line = ev and ev.start_mark and ev.start_mark.line + 1 or nil }, Failure), 0)
  end

  local function build()
    local parser = yaml.parser(text)
    -- Frames: { kind = "map"|"seq", value, pointer, key (pending key of a map), key_line, merges, size }
    local stack, depth = {}, 0
    local root, have_root, documents = nil, false, 0

    local function place(v, ev, size)
      total = total + size
      if total > MAX_NODES then fail(ev, "the document expands to more than " .. MAX_NODES .. " values") end
      local top = stack[depth]
      if not top then
        root, have_root = v, true
        return ""
      end
      if top.kind == "seq" then
        local n = #top.value + 1
        top.value[n] = v
        top.size = top.size + size
        local ptr = top.pointer .. "/" .. (n - 1)
        return ptr
      end
      if top.key == nil then
        -- v is a key
        if type(v) == "table" then fail(ev, "complex mapping keys are not supported") end
        local key
        if v == json.null then key = ev.value or ""
        elseif type(v) == "string" then key = v
        else key = ev.value or tostring(v) end
        top.key, top.key_line = key, ev.start_mark.line + 1
        top.key_is_merge = ev.value == "<<" and ev.style == "PLAIN"
        return nil
      end
      local key = top.key
      top.key = nil
      if top.key_is_merge then
        top.merges[#top.merges + 1] = { v, ev }
        return nil
      end
      if top.value[key] ~= nil or top.seen[key] then
        fail(ev, "duplicate key '" .. key .. "' (first at line " .. tostring(top.seen[key]) .. ")")
      end
      top.seen[key] = top.key_line
      top.value[key] = v
      top.size = top.size + size
      local ptr = top.pointer .. "/" .. escape_token(key)
      key_lines[ptr] = top.key_line
      return ptr
    end

    local function open(ev, kind_)
      if depth >= MAX_DEPTH then fail(ev, "nesting deeper than " .. MAX_DEPTH .. " levels") end
      local value = kind_ == "seq" and json.array() or {}
      local parent = stack[depth]
      local frame = { kind = kind_, value = value, size = 1, merges = {}, seen = {}, anchor = ev.anchor,
        line = ev.start_mark.line + 1 }
      -- the pointer of a collection is known once it is placed, which happens when it closes; compute now
      if not parent then
        frame.pointer = ""
      elseif parent.kind == "seq" then
        frame.pointer = parent.pointer .. "/" .. #parent.value
      else
        if parent.key == nil then fail(ev, "complex mapping keys are not supported") end
        frame.pointer = parent.key_is_merge and (parent.pointer .. "/<<") or
          (parent.pointer .. "/" .. escape_token(parent.key))
      end
      depth = depth + 1
      stack[depth] = frame
    end

    local function close(ev)
      local frame = stack[depth]
      stack[depth] = nil
      depth = depth - 1
      if frame.kind == "map" then
        if frame.key ~= nil then fail(ev, "a mapping key without a value") end
        -- merge keys: explicit keys win, then earlier merged mappings over later ones
        for _, m in ipairs(frame.merges) do
          local src, mev = m[1], m[2]
          local list = json.is_array(src) and src or { src }
          for _, one in ipairs(list) do
            if type(one) ~= "table" or json.is_array(one) then fail(mev, "'<<' merges mappings only") end
            for k2, v2 in pairs(one) do
              if frame.value[k2] == nil then
                frame.value[k2] = v2
                frame.size = frame.size + (sizes[v2] or 1)
                total = total + (sizes[v2] or 1)
              end
            end
          end
        end
      end
      sizes[frame.value] = frame.size
      if frame.anchor then anchors[frame.anchor] = frame.value end
      total = total - frame.size + 1 -- its children were counted as they were placed
      local ptr = place(frame.value, { start_mark = { line = frame.line - 1 } }, frame.size)
      if ptr then lines[ptr] = frame.line end
    end

    while true do
      local ev = parser()
      if not ev then break end
      local t = ev.type
      if t == "SCALAR" then
        local v = scalar_value(ev, fail)
        if ev.anchor then anchors[ev.anchor] = v end
        local ptr = place(v, ev, 1)
        if ptr then lines[ptr] = ev.start_mark.line + 1 end
      elseif t == "MAPPING_START" then
        open(ev, "map")
      elseif t == "SEQUENCE_START" then
        open(ev, "seq")
      elseif t == "MAPPING_END" or t == "SEQUENCE_END" then
        close(ev)
      elseif t == "ALIAS" then
        local v = anchors[ev.anchor]
        if v == nil then fail(ev, "unknown alias '*" .. tostring(ev.anchor) .. "'") end
        local ptr = place(v, ev, sizes[v] or 1)
        if ptr then lines[ptr] = ev.start_mark.line + 1 end
      elseif t == "DOCUMENT_START" then
        documents = documents + 1
        if documents > 1 then fail(ev, "more than one YAML document; a Score file holds one") end
      end
    end
    if not have_root then return json.null end
    return root
  end

  local ok, result = pcall(build)
  if ok then
    lines[""] = lines[""] or 1
    return result, nil, { lines = lines, key_lines = key_lines }
  end
  if getmetatable(result) == Failure then
    return nil, { message = result.message, line = result.line, source = source }
  end
  if type(result) == "string" then
    -- libyaml's own messages: "... at document: 1, line: 2, column: 2 ..."
    local line = result:match("line: (%d+)")
    local msg = result:gsub("%s+$", ""):gsub("\n", "; ")
    return nil, { message = msg, line = line and tonumber(line) or nil, source = source }
  end
  error(result, 0)
end

return M

-- ldoc-prep.lua: copies the public modules for LDoc (`make docs`), turning their LuaLS annotations into
-- LDoc's tags. The sources carry LuaLS annotations because editors read them; LDoc reads another dialect.
--
--   lua5.4 tools/ldoc-prep.lua OUTDIR MODULE=FILE...
--
-- In each file's doc comments (lines starting with `---`):
--   ---@param name[?] type desc   ->  -- @tparam[opt] type name desc
--   ---@return type [name] [desc] ->  -- @treturn type desc
--   other ---@ annotations (class, field, alias, type, ...) are dropped: LDoc has no place for them.
-- The file's first doc comment gets `@module MODULE`. A doc comment followed by `M.name = <expression>` that
-- is not a function definition becomes `@function name` when it has @tparam or @treturn, else `@table name`
-- (a value such as VERSION), because LDoc documents only what it sees defined.
-- A doc comment above a name starting with `_` (`function Client:_clock`, `M._x = ...`) becomes a plain comment:
-- such names are private and stay out of the reference.
-- Types lose their spaces (LDoc reads a type as one word). Nothing else changes.

local function fail(fmt, ...)
  io.stderr:write("ldoc-prep: ", string.format(fmt, ...), "\n")
  os.exit(1)
end

-- Splits "type rest" where the type may hold brackets with spaces inside: "{a?: integer, b: string} rest".
local function split_type(s)
  local depth, i = 0, 1
  while i <= #s do
    local c = s:sub(i, i)
    if c == "(" or c == "{" or c == "[" or c == "<" then
      depth = depth + 1
    elseif c == ")" or c == "}" or c == "]" or c == ">" then
      depth = depth - 1
    elseif depth == 0 and c:match("%s") then
      -- "fun(x): R" and "a | b" continue after a colon or a bar
      local before, after = s:sub(1, i - 1), s:sub(i):match("^%s*(.)")
      if not (before:match("[:|,]$") or after == "|" or after == ":") then break end
    end
    i = i + 1
  end
  return (s:sub(1, i - 1):gsub("%s+", "")), s:sub(i):match("^%s*(.-)%s*$")
end

-- A LuaLS type in LDoc's words: `T?` is `?T` (T or nil), `T[]` a table, `fun(...)` a function, a table type or
-- literal (`{...}`, `table<K, V>`) a table; unions stay unions.
local function ldoc_type(ty)
  local parts = {}
  local depth, start = 0, 1
  for i = 1, #ty + 1 do
    local c = ty:sub(i, i)
    if c == "(" or c == "{" or c == "[" or c == "<" then depth = depth + 1
    elseif c == ")" or c == "}" or c == "]" or c == ">" then depth = depth - 1
    elseif (c == "|" and depth == 0) or c == "" then
      parts[#parts + 1] = ty:sub(start, i - 1)
      start = i + 1
    end
  end
  local optional = false
  for i, p in ipairs(parts) do
    if p:sub(-1) == "?" then optional, p = true, p:sub(1, -2) end
    if p == "nil" then optional = true end
    if p:match("^fun%(") then p = "function"
    elseif p:match("^{") or p:match("^table<") or p:match("%[%]$") then p = "table"
    elseif p:match("^[\"']") then p = "string" end
    parts[i] = p
  end
  local seen, out = {}, {}
  for _, p in ipairs(parts) do
    if p ~= "nil" and not seen[p] then seen[p] = true; out[#out + 1] = p end
  end
  if #out == 0 then out[1] = "nil" end
  return (optional and "?" or "") .. table.concat(out, "|")
end

local function convert(text, module)
  local out = {}
  local lines = {}
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do lines[#lines + 1] = line end
  if lines[#lines] == "" then lines[#lines] = nil end
  local named_module = false
  local block = nil -- indexes in `out` of the current doc comment's lines
  local fence = false
  for _, line in ipairs(lines) do
    local indent, tag, rest = line:match("^(%s*)%-%-%-@(%w+)%s*(.*)$")
    local fence_indent = line:match("^(%s*)%-%-%-?%s*```")
    if block and fence_indent then
      -- A fenced example becomes an indented code block: LDoc's markdown knows only those.
      fence = not fence
      out[#out + 1] = fence_indent .. "---"
      block[#block + 1] = #out
    elseif fence and line:match("^%s*%-%-") then
      out[#out + 1] = line:gsub("^(%s*)%-%-%-? ?", "%1---     ")
      block[#block + 1] = #out
    elseif tag then
      block = block or {}
      if tag == "param" then
        local name, opt, spec = rest:match("^([%w_%.]+)(%??)%s+(.*)$")
        if not name then fail("%s: cannot read ---@param %s", module, rest) end
        local ty, desc = split_type(spec)
        line = ("%s-- @tparam%s %s %s %s"):format(indent, opt == "?" and "[opt]" or "", ldoc_type(ty), name, desc)
      elseif tag == "return" then
        local ty, desc = split_type(rest)
        -- "---@return T name desc": the name reads as the start of the description
        line = ("%s-- @treturn %s %s"):format(indent, ldoc_type(ty), desc)
      else
        line = indent .. "--"
      end
      out[#out + 1] = line
      block[#block + 1] = #out
    elseif line:match("^%s*%-%-%-") or (block and line:match("^%s*%-%-")) then
      block = block or {}
      out[#out + 1] = line
      block[#block + 1] = #out
    else
      local private = line:match("^%s*function%s+[%w_]+[.:]_") or line:match("^%s*M%._[%w_]*%s*=")
      if block and private and named_module then
        -- A name starting with `_` is private: its comment stays a plain comment, which LDoc skips.
        for _, i in ipairs(block) do out[i] = out[i]:gsub("^(%s*)%-%-%-", "%1--") end
      elseif block then
        local last = block[#block]
        if not named_module then
          named_module = true
          out[last] = out[last] .. "\n-- @module " .. module
        else
          local name, rhs = line:match("^M%.([%w_]+)%s*=%s*(.-)%s*$")
          if name and not rhs:match("^function") then
            local is_function = false
            for _, i in ipairs(block) do
              if out[i]:match("@tparam") or out[i]:match("@treturn") then is_function = true end
            end
            out[last] = out[last] .. "\n-- @" .. (is_function and "function " or "table ") .. name
          end
        end
      end
      block = nil
      out[#out + 1] = line
    end
  end
  return table.concat(out, "\n") .. "\n"
end

local function main(argv)
  local outdir = argv[1]
  if not outdir or not argv[2] then
    io.stderr:write("usage: lua5.4 tools/ldoc-prep.lua OUTDIR MODULE=FILE...\n")
    os.exit(2)
  end
  for i = 2, #argv do
    local module, file = argv[i]:match("^([%w_%.]+)=(.+)$")
    if not module then fail("expected MODULE=FILE, got %s", argv[i]) end
    local f = io.open(file, "rb") or fail("cannot read %s", file)
    local text = f:read("a")
    f:close()
    local target = outdir .. "/" .. module:gsub("%.", "/") .. ".lua"
    os.execute("mkdir -p '" .. target:match("^(.*)/") .. "'")
    local w = io.open(target, "wb") or fail("cannot write %s", target)
    w:write(convert(text, module))
    w:close()
  end
end

main(arg)

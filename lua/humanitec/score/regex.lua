--- ECMAScript regular expressions, as JSON Schema's `pattern` and `patternProperties` write them, matched in
--- time linear in the subject: the pattern compiles to a Thompson NFA that is run over the subject's code
--- points with a set of states (no backtracking), so no pattern and no input can make a match take long.
---
--- Lua patterns are not ECMA regexes (no alternation, no groups to repeat, `%` escapes), so nothing here
--- translates one into the other. Supported, with ECMA's meaning and Ajv's `u` flag (code points, not UTF-16
--- units): literals; `.`; classes `[...]`, `[^...]` with ranges; the escapes `\d \D \w \W \s \S`, `\t \n \r
--- \v \f \0`, `\xHH`, `\uHHHH`, `\u{H...}` and escaped syntax characters; groups `(...)`, `(?:...)` and
--- `(?<name>...)`; alternation `|`; the quantifiers `* + ? {n} {n,} {n,m}`, greedy or lazy (the same thing to
--- a yes/no match); the assertions `^ $ \b \B`. Refused with an error naming the construct: lookaround and
--- backreferences (neither can be matched in linear time by an automaton), and a pattern whose counted
--- repetitions expand beyond `MAX_PROGRAM` instructions. check() tells ECMA syntax only (JSON Schema's
--- `format: regex`), and accepts those.
local M = {}

local MAX_PROGRAM = 50000 -- instructions: `{0,61}` costs about 2 x 61 x its operand

-- ---- code points ----------------------------------------------------------------------------------------

-- The one UTF-8 decoder of humanitec.score (regex subjects, `minLength`/`maxLength`, a file's binaryContent).
-- Well-formed sequences are Unicode's (table 3-7): no overlong forms, no surrogates, nothing above U+10FFFF.
-- A byte that does not start a well-formed sequence stands for itself, one code point, and the scan goes on
-- at the next byte: every string has a decoding, and the scan stays linear.

-- The length of the well-formed sequence at i (1 to 4), or nil; and its code point.
local function sequence_at(s, i)
  local c = s:byte(i)
  if c < 0x80 then return 1, c end
  local need, lo, hi, v
  if c >= 0xC2 and c <= 0xDF then need, lo, hi, v = 1, 0x80, 0xBF, c - 0xC0
  elseif c == 0xE0 then need, lo, hi, v = 2, 0xA0, 0xBF, 0
  elseif c == 0xED then need, lo, hi, v = 2, 0x80, 0x9F, 0xD
  elseif c >= 0xE1 and c <= 0xEF then need, lo, hi, v = 2, 0x80, 0xBF, c - 0xE0
  elseif c == 0xF0 then need, lo, hi, v = 3, 0x90, 0xBF, 0
  elseif c == 0xF4 then need, lo, hi, v = 3, 0x80, 0x8F, 4
  elseif c >= 0xF1 and c <= 0xF3 then need, lo, hi, v = 3, 0x80, 0xBF, c - 0xF0
  else return nil end
  for k = 1, need do
    local b = s:byte(i + k)
    if not b or b < (k == 1 and lo or 0x80) or b > (k == 1 and hi or 0xBF) then return nil end
    v = v * 64 + b % 64
  end
  return need + 1, v
end

--- Decodes UTF-8 into an array of code points; returns it, its length, and whether all of `s` was
--- well-formed (a malformed byte stands for itself).
---@param s string
---@return integer[] cps
---@return integer n
---@return boolean well_formed
local function code_points(s)
  local out, n, i, len, ok = {}, 0, 1, #s, true
  while i <= len do
    local size, cp = sequence_at(s, i)
    if not size then size, cp, ok = 1, s:byte(i), false end
    n = n + 1
    out[n] = cp
    i = i + size
  end
  return out, n, ok
end
M.code_points = code_points

--- The number of code points in `s`, as code_points() decodes it (JSON Schema's string length).
---@param s string
---@return integer
function M.utf8_len(s)
  local n, i, len = 0, 1, #s
  while i <= len do
    i = i + (sequence_at(s, i) or 1)
    n = n + 1
  end
  return n
end

--- Whether `s` is well-formed UTF-8.
---@param s string
---@return boolean
function M.is_utf8(s)
  local i, len = 1, #s
  while i <= len do
    local size = sequence_at(s, i)
    if not size then return false end
    i = i + size
  end
  return true
end

-- ---- character sets: sorted lists of inclusive ranges {lo, hi, lo, hi, ...} ------------------------------

local DIGIT = { 48, 57 }
local WORD = { 48, 57, 65, 90, 95, 95, 97, 122 }
-- ECMA's WhiteSpace and LineTerminator
local SPACE = { 9, 13, 32, 32, 160, 160, 5760, 5760, 8192, 8202, 8232, 8233, 8239, 8239, 8287, 8287, 12288,
  12288, 65279, 65279 }
local LINE_TERMINATORS = { 10, 10, 13, 13, 8232, 8233 }

local function in_ranges(ranges, cp)
  for i = 1, #ranges, 2 do
    if cp >= ranges[i] and cp <= ranges[i + 1] then return true end
  end
  return false
end

-- A set is { ranges = {...}, negated = bool }; `.` is the negation of the line terminators.
local function set_matches(set, cp)
  return in_ranges(set.ranges, cp) ~= set.negated
end

local function append_ranges(dst, src)
  for i = 1, #src do dst[#dst + 1] = src[i] end
end

-- Ranges of everything outside `ranges` (which must be sorted and disjoint).
local function complement(ranges)
  local out, from = {}, 0
  for i = 1, #ranges, 2 do
    if ranges[i] > from then
      out[#out + 1] = from
      out[#out + 1] = ranges[i] - 1
    end
    from = ranges[i + 1] + 1
  end
  if from <= 0x10FFFF then
    out[#out + 1] = from
    out[#out + 1] = 0x10FFFF
  end
  return out
end

-- ---- the parser: pattern text -> syntax tree -------------------------------------------------------------
-- Nodes: {"set", set} {"empty"} {"cat", a, b, ...} {"alt", a, b, ...} {"rep", node, min, max|nil}
-- {"assert", "^"|"$"|"b"|"B"}

local SYNTAX = "^$\\.*+?()[]{}|/"

-- A group name (an ECMA identifier: ASCII letters, `$`, `_`, digits after the first, or any non-ASCII code
-- point) as a key; raises through `fail` when it is not one.
local function group_name(cps, from, to, fail)
  local key = {}
  for i = from, to do
    local c = cps[i]
    local ok = c >= 128 or c == 36 or c == 95 or (c >= 65 and c <= 90) or (c >= 97 and c <= 122)
      or (i > from and c >= 48 and c <= 57)
    if not ok then fail("a group name must be an identifier") end
    key[#key + 1] = c
  end
  return table.concat(key, ",")
end

-- With `syntax_only`, also accepts what ECMA's syntax allows but the matcher cannot run (lookaround,
-- backreferences): the tree is then only good for telling valid from invalid. `legacy` (with syntax_only)
-- reads the grammar without the u flag, with Annex B's extensions, as `new RegExp(s)` does: identity
-- escapes, a `{` `}` or `]` that is no quantifier or class as a literal, `\N` beyond the groups as an octal
-- escape, a repeated lookahead; `\k` is an identity escape unless the pattern names a group.
local function parse(pattern, syntax_only, legacy)
  local cps, n = code_points(pattern)
  local pos = 1
  local groups, names, refs, named_refs = 0, {}, {}, {} -- capturing groups, and references to check at the end
  local has_names = false
  for i = 1, n - 2 do
    if cps[i] == 40 and cps[i + 1] == 63 and cps[i + 2] == 60 and cps[i + 3] ~= 61 and cps[i + 3] ~= 33 then
      has_names = true
    end
  end
  -- Whether a braced quantifier ({n}, {n,}, {n,m}) starts at p.
  local function brace_quantifier_at(p)
    if cps[p] ~= 123 then return false end
    p = p + 1
    local from = p
    while cps[p] and cps[p] >= 48 and cps[p] <= 57 do p = p + 1 end
    if p == from then return false end
    if cps[p] == 44 then
      p = p + 1
      while cps[p] and cps[p] >= 48 and cps[p] <= 57 do p = p + 1 end
    end
    return cps[p] == 125
  end

  local function fail(msg)
    error(("invalid or unsupported regular expression /%s/ at offset %d: %s"):format(pattern, pos - 1, msg), 0)
  end
  local function peek(k) return cps[pos + (k or 0)] end
  local function ch(c) return c and string.char(c) or "" end -- for ASCII comparisons only

  local function hex_digits(count)
    local v = 0
    for _ = 1, count do
      local c = peek()
      local d = c and tonumber(ch(c < 128 and c or 0), 16)
      if not d then fail("expected a hexadecimal digit") end
      v = v * 16 + d
      pos = pos + 1
    end
    return v
  end

  -- After a backslash: returns ranges for a class escape, or a single code point.
  local function escape(in_class)
    local c = peek()
    if not c then fail("a pattern may not end with '\\'") end
    pos = pos + 1
    local e = ch(c < 128 and c or 0)
    if e == "d" then return DIGIT end
    if e == "D" then return complement(DIGIT) end
    if e == "w" then return WORD end
    if e == "W" then return complement(WORD) end
    if e == "s" then return SPACE end
    if e == "S" then return complement(SPACE) end
    if e == "t" then return nil, 9 end
    if e == "n" then return nil, 10 end
    if e == "v" then return nil, 11 end
    if e == "f" then return nil, 12 end
    if e == "r" then return nil, 13 end
    if e == "0" and not (peek() and peek() >= 48 and peek() <= 57) then return nil, 0 end
    if legacy then
      local function hex_follow(count)
        for k = 0, count - 1 do
          local h = peek(k)
          if not (h and h < 128 and ch(h):match("%x")) then return false end
        end
        return true
      end
      if e == "x" and not hex_follow(2) then return nil, c end
      if e == "u" then return nil, hex_follow(4) and hex_digits(4) or c end
      if e == "c" and not (peek() and peek() < 128 and ch(peek()):match("%a")) then
        if in_class and peek() and (ch(peek() < 128 and peek() or 0):match("[%d_]")) then
          pos = pos + 1
          return nil, peek(-1) % 32
        end
        pos = pos - 1 -- a literal backslash; the `c` is read next
        return nil, 92
      end
      if e:match("%d") then -- a backreference, or an octal escape when it names no group: valid either way
        while peek() and peek() >= 48 and peek() <= 57 do pos = pos + 1 end
        return nil, 0
      end
      if e == "k" and not has_names then return nil, c end
      if e == "p" or e == "P" then return nil, c end
    end
    if e == "x" then return nil, hex_digits(2) end
    if e == "u" then
      if peek() == 123 then -- \u{...}
        pos = pos + 1
        local v, digits = 0, 0
        while peek() and peek() ~= 125 do
          local d = tonumber(ch(peek() < 128 and peek() or 0), 16)
          if not d then fail("expected a hexadecimal digit in \\u{...}") end
          v = v * 16 + d
          digits = digits + 1
          if digits > 6 then fail("\\u{...} too long") end
          pos = pos + 1
        end
        if peek() ~= 125 or digits == 0 or v > 0x10FFFF then fail("bad \\u{...} escape") end
        pos = pos + 1
        return nil, v
      end
      return nil, hex_digits(4)
    end
    if e == "c" then
      local l = peek()
      if not l or not ch(l < 128 and l or 0):match("%a") then fail("bad control escape") end
      pos = pos + 1
      return nil, l % 32
    end
    if e:match("%d") then
      if not syntax_only then fail("backreferences are not supported") end
      if in_class then fail("a backreference cannot be in a class (and the u flag forbids octal escapes)") end
      local v = c - 48
      while peek() and peek() >= 48 and peek() <= 57 do
        v = v * 10 + (peek() - 48)
        pos = pos + 1
      end
      refs[#refs + 1] = { v, pos }
      return {}, nil -- matches nothing that a syntax check cares about
    end
    if e == "b" and in_class then return nil, 8 end
    if e == "-" and in_class then return nil, 45 end
    if e == "k" then
      if not syntax_only then fail("named backreferences are not supported") end
      if in_class or peek() ~= 60 then fail("expected \\k<name>") end
      local from = pos + 1
      pos = from
      while peek() and peek() ~= 62 do pos = pos + 1 end
      if not peek() or pos == from then fail("unterminated backreference name") end
      named_refs[#named_refs + 1] = { group_name(cps, from, pos - 1, fail), pos }
      pos = pos + 1
      return {}, nil
    end
    if e == "p" or e == "P" then fail("Unicode property escapes are not supported") end
    if c < 128 and SYNTAX:find(e, 1, true) then return nil, c end
    if legacy and e ~= "k" then return nil, c end -- an identity escape
    fail("unknown escape '\\" .. e .. "' (the u flag forbids identity escapes)")
  end

  local function class()
    -- pos is just after '['
    local negated = false
    if peek() == 94 then negated = true; pos = pos + 1 end
    local ranges = {}
    local function atom()
      local c = peek()
      if c == 92 then
        pos = pos + 1
        local r, cp = escape(true)
        return r, cp
      end
      pos = pos + 1
      return nil, c
    end
    while true do
      local c = peek()
      if not c then fail("unterminated character class") end
      if c == 93 then pos = pos + 1; break end
      local r, lo = atom()
      if r then
        append_ranges(ranges, r)
        if not legacy and peek() == 45 and peek(1) and peek(1) ~= 93 then
          fail("a class escape cannot start a range")
        end
      elseif peek() == 45 and peek(1) and peek(1) ~= 93 then
        pos = pos + 1
        local r2, hi = atom()
        if r2 and not legacy then fail("a class escape cannot end a range") end
        if r2 then hi = lo end -- Annex B: no range, the '-' a literal
        if hi < lo then fail("range out of order in character class") end
        ranges[#ranges + 1] = lo
        ranges[#ranges + 1] = hi
      else
        ranges[#ranges + 1] = lo
        ranges[#ranges + 1] = lo
      end
    end
    -- sort and merge the ranges, so that complement() and the matcher may rely on order
    local pairs_ = {}
    for i = 1, #ranges, 2 do pairs_[#pairs_ + 1] = { ranges[i], ranges[i + 1] } end
    table.sort(pairs_, function(a, b) return a[1] < b[1] end)
    local merged = {}
    for _, p in ipairs(pairs_) do
      local last = #merged
      if last > 0 and p[1] <= merged[last] + 1 then
        if p[2] > merged[last] then merged[last] = p[2] end
      else
        merged[last + 1] = p[1]
        merged[last + 2] = p[2]
      end
    end
    return { "set", { ranges = merged, negated = negated } }
  end

  local function number()
    local v, digits = 0, 0
    while peek() and peek() >= 48 and peek() <= 57 do
      v = v * 10 + (peek() - 48)
      digits = digits + 1
      pos = pos + 1
    end
    return digits > 0 and v or nil
  end

  local alternation

  local function atom()
    local c = peek()
    if c == 40 then -- (
      pos = pos + 1
      if peek() == 63 then -- (?
        local k = peek(1)
        if k == 58 then
          pos = pos + 2
        elseif k == 60 and peek(2) ~= 61 and peek(2) ~= 33 then -- (?<name>
          pos = pos + 2
          local from = pos
          while peek() and peek() ~= 62 do pos = pos + 1 end
          if not peek() or pos == from then fail("unterminated group name") end
          local name = group_name(cps, from, pos - 1, fail)
          if names[name] then fail("duplicate group name") end
          names[name] = true
          groups = groups + 1
          pos = pos + 1
        elseif syntax_only and (k == 61 or k == 33 or (k == 60 and (peek(2) == 61 or peek(2) == 33))) then
          pos = pos + (k == 60 and 3 or 2) -- (?= (?! (?<= (?<!
          alternation()
          if peek() ~= 41 then fail("missing ')'") end
          pos = pos + 1
          -- the u flag forbids repeating one, as any assertion; Annex B allows a repeated lookahead
          return { "assert", k == 60 and "behind" or "ahead" }
        else
          fail("lookaround assertions are not supported")
        end
      else
        groups = groups + 1
      end
      local node = alternation()
      if peek() ~= 41 then fail("missing ')'") end
      pos = pos + 1
      return node
    end
    if c == 91 then pos = pos + 1; return class() end
    if c == 46 then pos = pos + 1; return { "set", { ranges = LINE_TERMINATORS, negated = true } } end
    if c == 94 then pos = pos + 1; return { "assert", "^" } end
    if c == 36 then pos = pos + 1; return { "assert", "$" } end
    if c == 92 then
      pos = pos + 1
      if peek() == 98 then pos = pos + 1; return { "assert", "b" } end
      if peek() == 66 then pos = pos + 1; return { "assert", "B" } end
      local r, cp = escape(false)
      if r then return { "set", { ranges = r, negated = false } } end
      return { "set", { ranges = { cp, cp }, negated = false } }
    end
    if c == 42 or c == 43 or c == 63 then fail("nothing to repeat") end
    if c == 123 and (not legacy or brace_quantifier_at(pos)) then
      fail("nothing to repeat (a literal '{' must be escaped under the u flag)")
    end
    if c == 41 or (not legacy and (c == 93 or c == 125)) then fail("unmatched '" .. ch(c) .. "'") end
    pos = pos + 1
    return { "set", { ranges = { c, c }, negated = false } }
  end

  local function quantified()
    local node = atom()
    local c = peek()
    local min, max
    if c == 42 then min, max = 0, nil
    elseif c == 43 then min, max = 1, nil
    elseif c == 63 then min, max = 0, 1
    elseif c == 123 and legacy and not brace_quantifier_at(pos) then
      return node -- Annex B: a literal '{', read as the next atom
    elseif c == 123 then
      pos = pos + 1
      min = number()
      if not min then fail("expected a number after '{'") end
      if peek() == 44 then
        pos = pos + 1
        max = number()
        if max and max < min then fail("numbers out of order in {} quantifier") end
      else
        max = min
      end
      if peek() ~= 125 then fail("expected '}'") end
    else
      return node
    end
    pos = pos + 1
    if peek() == 63 then pos = pos + 1 end -- lazy: the same language
    if node[1] == "assert" and not (legacy and node[2] == "ahead") then fail("an assertion cannot be repeated") end
    return { "rep", node, min, max }
  end

  local function sequence()
    local items = { "cat" }
    while peek() and peek() ~= 124 and peek() ~= 41 do
      items[#items + 1] = quantified()
    end
    if #items == 1 then return { "empty" } end
    return items
  end

  function alternation()
    local first = sequence()
    if peek() ~= 124 then return first end
    local node = { "alt", first }
    while peek() == 124 do
      pos = pos + 1
      node[#node + 1] = sequence()
    end
    return node
  end

  local tree = alternation()
  if pos <= n then fail("unmatched ')'") end
  for _, ref in ipairs(refs) do
    if ref[1] > groups then pos = ref[2]; fail("backreference \\" .. ref[1] .. " names no group") end
  end
  for _, ref in ipairs(named_refs) do
    if not names[ref[1]] then pos = ref[2]; fail("a named backreference names no group") end
  end
  return tree
end

-- ---- the compiler: syntax tree -> program ---------------------------------------------------------------
-- Instructions: {op = "set", set = ..., next = i} {op = "split", a, b} {op = "jmp", to}
-- {op = "assert", kind, next} {op = "match"}. `next` fields are filled as the program grows.

local function compile(tree, pattern)
  local prog = {}
  local function emit(ins)
    prog[#prog + 1] = ins
    if #prog > MAX_PROGRAM then
      error(("regular expression /%s/ is too large once its repetitions are expanded"):format(pattern), 0)
    end
    return #prog
  end

  -- Emits code for `node`; returns the index of its first instruction and a list of holes (instructions whose
  -- continuation is still open) to patch with the next instruction.
  local gen
  local function patch(holes, to)
    for _, h in ipairs(holes) do
      local ins, field = h[1], h[2]
      prog[ins][field] = to
    end
  end

  local function gen_empty()
    local i = emit({ op = "jmp" })
    return i, { { i, "to" } }
  end

  local function gen_star(node)
    -- L: split body, out; body; jmp L
    local s = emit({ op = "split" })
    local b, holes = gen(node)
    prog[s].a = b
    local j = emit({ op = "jmp", to = s })
    patch(holes, j)
    return s, { { s, "b" } }
  end

  function gen(node)
    local kind = node[1]
    if kind == "set" then
      local i = emit({ op = "set", set = node[2] })
      return i, { { i, "next" } }
    elseif kind == "empty" then
      return gen_empty()
    elseif kind == "assert" then
      local i = emit({ op = "assert", kind = node[2] })
      return i, { { i, "next" } }
    elseif kind == "cat" then
      local start, holes
      for k = 2, #node do
        local s, h = gen(node[k])
        if holes then patch(holes, s) else start = s end
        holes = h
      end
      return start, holes
    elseif kind == "alt" then
      -- a chain of splits: split(a1, split(a2, ... an))
      local start, out = nil, {}
      local prev_split
      for k = 2, #node do
        local s
        if k < #node then s = emit({ op = "split" }) end
        local b, h = gen(node[k])
        for _, x in ipairs(h) do out[#out + 1] = x end
        if s then prog[s].a = b end
        if prev_split then prog[prev_split].b = s or b else start = s or b end
        prev_split = s
      end
      return start, out
    elseif kind == "rep" then
      local body, min, max = node[2], node[3], node[4]
      local start, holes
      local function chain(s, h)
        if holes then patch(holes, s) else start = s end
        holes = h
      end
      for _ = 1, min do chain(gen(body)) end
      if max == nil then
        chain(gen_star(body))
      else
        -- (body (body (...)?)?)?: each optional copy may stop, and so end the whole repetition
        local stops = {}
        for _ = min + 1, max do
          local s = emit({ op = "split" })
          if holes then patch(holes, s) else start = s end
          stops[#stops + 1] = { s, "b" }
          local b, h = gen(body)
          prog[s].a = b
          holes = h
        end
        if holes then
          for _, x in ipairs(stops) do holes[#holes + 1] = x end
        else
          holes = stops
        end
      end
      if not start then return gen_empty() end
      return start, holes
    end
    error("regex compiler: unknown node " .. tostring(kind))
  end

  local start, holes = gen(tree)
  local m = emit({ op = "match" })
  patch(holes, m)
  return prog, start
end

-- ---- the matcher ----------------------------------------------------------------------------------------

local function is_word(cp)
  return cp ~= nil and in_ranges(WORD, cp)
end

-- Adds instruction `pc` and everything reachable from it without consuming input to `list`, checking
-- assertions at position `i` of `cps` (1-based; i = n + 1 is the end). `mark[pc] == gen` means already added.
-- An explicit stack keeps deep programs off the C stack.
local function add_closure(prog, list, mark, gen, pc, cps, i, n)
  local stack, top = { pc }, 1
  local found = false
  while top > 0 do
    local p = stack[top]
    top = top - 1
    if mark[p] ~= gen then
      mark[p] = gen
      local ins = prog[p]
      local op = ins.op
      if op == "set" then
        list[#list + 1] = p
      elseif op == "match" then
        found = true
      elseif op == "jmp" then
        top = top + 1; stack[top] = ins.to
      elseif op == "split" then
        top = top + 1; stack[top] = ins.b
        top = top + 1; stack[top] = ins.a
      else -- assert
        local k = ins.kind
        local ok
        if k == "^" then
          ok = i == 1
        elseif k == "$" then
          ok = i == n + 1
        else
          ok = (k == "b") == (is_word(cps[i - 1]) ~= is_word(cps[i]))
        end
        if ok then top = top + 1; stack[top] = ins.next end
      end
    end
  end
  return found
end

local Regex = {}
Regex.__index = Regex

--- True when the pattern matches somewhere in `s` (JSON Schema's `pattern`: a search, not anchored unless the
--- pattern says `^` or `$`). Time O(#s x program size).
---@param s string
---@return boolean
function Regex:test(s)
  local prog, start = self.prog, self.start
  local cps, n = code_points(s)
  local mark, gen = {}, 1
  local current = {}
  if add_closure(prog, current, mark, gen, start, cps, 1, n) then return true end
  for i = 1, n do
    local cp = cps[i]
    local nextlist = {}
    gen = gen + 1
    for _, p in ipairs(current) do
      local ins = prog[p]
      if set_matches(ins.set, cp) and add_closure(prog, nextlist, mark, gen, ins.next, cps, i + 1, n) then
        return true
      end
    end
    -- a new attempt may start at every position, beside the threads already running
    if add_closure(prog, nextlist, mark, gen, start, cps, i + 1, n) then return true end
    current = nextlist
  end
  return false
end

--- Whether `pattern` is an ECMAScript regular expression: as `new RegExp(pattern)` (Annex B's grammar, what
--- Ajv's `format: regex` asks), or with `unicode` as `new RegExp(pattern, "u")`. Syntax only, so lookaround,
--- backreferences and large counted repetitions, which compile() refuses, are accepted. Linear in the pattern.
---@param pattern string
---@param unicode? boolean
---@return boolean ok
---@return string? err why not
function M.check(pattern, unicode)
  if type(pattern) ~= "string" then
    error("bad argument #1 to 'check' (string expected, got " .. type(pattern) .. ")", 2)
  end
  local ok, err = pcall(parse, pattern, true, not unicode)
  if ok then return true end
  return false, err
end

--- Compiles an ECMAScript pattern. Raises with a message naming the construct when it is not supported.
---@param pattern string
---@return table regex with :test(s)
function M.compile(pattern)
  if type(pattern) ~= "string" then
    error("bad argument #1 to 'compile' (string expected, got " .. type(pattern) .. ")", 2)
  end
  local tree = parse(pattern)
  local prog, start = compile(tree, pattern)
  return setmetatable({ source = pattern, prog = prog, start = start }, Regex)
end

return M

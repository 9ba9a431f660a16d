-- Judges one call of the contract spec: what Prism said about the request (the `sl-violations` header, or the
-- violations in Prism's own error body) and whether the response decoded; and, since Prism ignores what it does
-- not know, what the SDK put on the wire, checked against the spec here: the request line (path segments and
-- the query OpenAPI's serialization rules give), each header parameter once and as given, and a body that is
-- not JSON read back. A body violation on a YAML or multipart body is put down to Prism (which does not parse
-- YAML, and decodes multipart fields only for top-level properties) only when that read-back finds it valid.
local calls = require "humanitec.calls"
local json = require "humanitec.json"

local M = {}

--- The entries of a response's `sl-violations` header (a JSON array; the header may repeat), or {}.
---@param headers? table lower-case names
---@return table[] violations { location = {...}, severity, code, message }
function M.violations(headers)
  local out = {}
  local raw = headers and headers["sl-violations"]
  if raw == nil then return out end
  if type(raw) == "string" then raw = { raw } end
  for _, text in ipairs(raw) do
    local list = json.decode(text)
    if type(list) == "table" then
      for _, v in ipairs(list) do out[#out + 1] = v end
    else
      out[#out + 1] = { location = { "request" }, code = "unreadable", message = "sl-violations: " .. text }
    end
  end
  return out
end

local function location(v)
  return type(v.location) == "table" and table.concat(v.location, ".") or tostring(v.location)
end

--- Prism's own error (an application/problem+json body, `type` ".../prism/errors#CODE") behind an error
--- object, or nil: { code = "UNPROCESSABLE_ENTITY", title, detail, validation = violations }.
function M.problem(err)
  local body = type(err) == "table" and err.details
  if type(body) ~= "table" or type(body.type) ~= "string" then return nil end
  local code = body.type:match("stoplight%.io/prism/errors#([%w_]+)$")
  if not code then return nil end
  local validation = type(body.validation) == "table" and body.validation or {}
  return { code = code, title = body.title, detail = body.detail, validation = validation }
end

--- Splits violations into those about the request and those about Prism's own response.
function M.split(violations)
  local request, response = {}, {}
  for _, v in ipairs(violations) do
    local first = type(v.location) == "table" and v.location[1] or v.location
    if first == "request" then
      request[#request + 1] = v
    else
      response[#response + 1] = v
    end
  end
  return request, response
end

--- One line per violation: "request.body.id: must match pattern ..." (`code`).
function M.describe(violations)
  local lines = {}
  for _, v in ipairs(violations) do
    lines[#lines + 1] = location(v) .. ": " .. tostring(v.message) .. " (" .. tostring(v.code) .. ")"
  end
  return table.concat(lines, "; ")
end

-- The fields of a multipart/form-data body, by name: { content, filename?, content_type? }, or nil and why.
local function parse_multipart(body, content_type)
  local boundary = content_type:match("boundary=([^;%s]+)")
  if not boundary then return nil, "no boundary in " .. content_type end
  local delimiter = "--" .. boundary
  if body:sub(1, #delimiter + 2) ~= delimiter .. "\r\n" then return nil, "the body does not open with the boundary" end
  local fields = {}
  local pos = #delimiter + 3
  while true do
    local head_end = body:find("\r\n\r\n", pos, true)
    if not head_end then return nil, "a part has no end of headers" end
    local head = body:sub(pos, head_end - 1)
    local next_at = body:find("\r\n" .. delimiter, head_end + 4, true)
    if not next_at then return nil, "a part has no closing boundary" end
    local name = head:match('[Cc]ontent%-[Dd]isposition:%s*form%-data;%s*name="([^"]*)"')
    if not name then return nil, "a part has no form-data name: " .. head end
    fields[name] = {
      content = body:sub(head_end + 4, next_at - 1),
      filename = head:match('filename="([^"]*)"'),
      content_type = head:match("\r\n[Cc]ontent%-[Tt]ype:%s*([^\r]+)"),
    }
    pos = next_at + 2 + #delimiter
    local tail = body:sub(pos, pos + 1)
    if tail == "--" then
      if body:sub(pos) ~= "--\r\n" then return nil, "bytes after the closing boundary" end
      return fields
    elseif tail ~= "\r\n" then
      return nil, "a boundary is followed by neither CRLF nor --"
    end
    pos = pos + 2
  end
end
M.parse_multipart = parse_multipart

-- Reads back the body the SDK builds for `params` (calls.build; the method sends it as it is) and checks it
-- against the spec. Returns true and a note, or false and why not.
local function body_reads_back(case, call, gen, org)
  local media = call.label
  local content = case.spec_op.operation.requestBody and gen:resolve(case.spec_op.operation.requestBody).content
  local schema = content and content[media] and content[media].schema
  if not schema then return false, "no schema for " .. tostring(media) end
  local _, _, opts = calls.build(case.op, call.params, { org = org })
  if not opts.raw_body then return false, "the SDK did not send a raw body" end
  local ct = opts.content_type or ""
  if media:find("^multipart/form%-data") then
    local fields, why = parse_multipart(opts.raw_body, ct)
    if not fields then return false, "the SDK's multipart body does not parse: " .. why end
    local value, names = {}, {}
    for name, given in pairs(call.params.body) do
      local got = fields[name]
      if not got then return false, "the SDK's multipart body lacks the field " .. name end
      local want = type(given) == "table" and given.content or tostring(given)
      if got.content ~= want then return false, "multipart field " .. name .. " changed on the way" end
      if type(given) == "table" and (got.filename ~= given.filename or got.content_type ~= given.content_type) then
        return false, "multipart file " .. name .. " lost its filename or content type"
      end
      value[name] = got.content
      names[#names + 1] = name
    end
    for name in pairs(fields) do
      if call.params.body[name] == nil then return false, "the SDK's multipart body has an extra field " .. name end
    end
    local ok, why2 = gen:check(schema, value)
    if not ok then return false, "the multipart fields are not valid for the spec: " .. why2 end
    table.sort(names)
    return true, "the SDK's multipart body, parsed back, has the fields " .. table.concat(names, ", ")
      .. " and is valid for the spec"
  end
  if ct ~= media then return false, "the SDK sent Content-Type " .. ct .. " for " .. media end
  if opts.raw_body ~= call.params.body then return false, "the SDK changed the " .. media .. " text" end
  if call.value == nil then return false, "no value behind the text" end
  local ok, why = gen:check(schema, call.value)
  if not ok then return false, "the " .. media .. " text is not valid for the spec: " .. why end
  return true, "the SDK sent the " .. media .. " text unchanged, with that Content-Type"
end

-- Prism reads JSON, form and multipart bodies; anything else reaches its validator as text. Multipart fields
-- it decodes only for properties the schema declares at its top level. Called only when body_reads_back has
-- found the body valid for the spec: then violations that are all about such a body are Prism's.
local function prism_limitation(call, request_violations)
  if call.label == "no body" or call.label == "application/json" or call.label:find("%+json$") then return nil end
  for _, v in ipairs(request_violations) do
    if type(v.location) ~= "table" or v.location[2] ~= "body" then return nil end
  end
  if call.label:find("^multipart/form%-data") then
    return "Prism decodes multipart fields only for properties declared at the top level of the body schema "
      .. "(not those from oneOf/allOf), and reports " .. M.describe(request_violations) .. "; the SDK's "
      .. "multipart body, parsed back, is valid for the spec"
  end
  return "Prism does not parse " .. call.label .. " request bodies and validates the raw text against the "
    .. "schema (" .. M.describe(request_violations) .. "); the SDK sent the text unchanged, with that "
    .. "Content-Type, and the value behind it is valid for the spec"
end

-- Request header lines of a libcurl trace ("> Name: value"), for the header parameters of a call.
local function header_counts(trace, names)
  local counts, lines = {}, {}
  for line in trace:gmatch("[^\r\n]+") do
    local name, value = line:match("^> ([%w%-]+):%s*(.*)$")
    if name then
      local key = name:lower()
      if names[key] then
        counts[key] = (counts[key] or 0) + 1
        lines[key] = lines[key] or {}
        lines[key][#lines[key] + 1] = name .. ": " .. value
      end
    end
  end
  return counts, lines
end

local function text_of(v)
  if type(v) == "number" then
    if v % 1 == 0 then return ("%d"):format(v) end
    return ("%.17g"):format(v)
  end
  return tostring(v)
end

local function unescape(s)
  return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

-- The query pairs ("name=value", decoded) that OpenAPI's serialization rules give for the call's parameters:
-- form style repeats an exploded array's name and joins an unexploded one with commas; deepObject gives
-- name[key]; an exploded form object gives its own keys. Worked out from the spec, not from the SDK's tables.
local function expected_query(spec_params, params)
  local out = {}
  local function add(k, v) out[#out + 1] = k .. "=" .. v end
  for _, p in ipairs(spec_params) do
    local v = params[p.name]
    if p["in"] == "query" and v ~= nil then
      local style = p.style or "form"
      local explode = p.explode
      if explode == nil then explode = style == "form" end
      if type(v) == "table" and (json.is_array(v) or v[1] ~= nil) then
        local items = {}
        for i, item in ipairs(v) do items[i] = text_of(item) end
        if explode then
          for _, item in ipairs(items) do add(p.name, item) end
        elseif #items > 0 then
          add(p.name, table.concat(items, ","))
        end
      elseif type(v) == "table" then
        local keys = {}
        for k in pairs(v) do keys[#keys + 1] = k end
        table.sort(keys)
        local flat = {}
        for _, k in ipairs(keys) do
          if style == "deepObject" then
            add(p.name .. "[" .. k .. "]", text_of(v[k]))
          elseif explode then
            add(k, text_of(v[k]))
          else
            flat[#flat + 1] = k
            flat[#flat + 1] = text_of(v[k])
          end
        end
        if #flat > 0 then add(p.name, table.concat(flat, ",")) end
      else
        add(p.name, text_of(v))
      end
    end
  end
  table.sort(out)
  return out
end

--- Checks the request line in a libcurl trace against the spec: each path segment is the template's literal or
--- the parameter's value (percent-decoded), and the query is exactly what the spec's serialization rules give.
--- Prism cannot see a misnamed optional parameter (it ignores what it does not know), so this is checked here.
---@return boolean ok
---@return string? why
function M.wire_check(case, call, trace, org)
  local target = trace:match("\n> %u+ (%S+) HTTP/") or trace:match("^> %u+ (%S+) HTTP/")
  if not target then return false, "no request line in the trace" end
  local path, query = target:match("^([^?]*)%??(.*)$")
  local want_segments, got_segments = {}, {}
  for seg in case.spec_op.path:gmatch("[^/]+") do want_segments[#want_segments + 1] = seg end
  for seg in path:gmatch("[^/]+") do got_segments[#got_segments + 1] = seg end
  if #want_segments ~= #got_segments then
    return false, "the path " .. path .. " does not have the segments of " .. case.spec_op.path
  end
  for i, seg in ipairs(want_segments) do
    local name = seg:match("^{(.+)}$")
    local want = seg
    if name then
      local v = call.params[name]
      if v == nil and name == "orgId" then v = org end
      want = text_of(v)
    end
    if unescape(got_segments[i]) ~= want then
      return false, ("path segment %d is %s, where the spec gives %s"):format(i, got_segments[i], want)
    end
  end
  local got = {}
  for pair in query:gmatch("[^&]+") do
    local k, v = pair:match("^([^=]*)=?(.*)$")
    got[#got + 1] = unescape(k) .. "=" .. unescape(v)
  end
  table.sort(got)
  local want = expected_query(case.spec_params or {}, call.params)
  if table.concat(got, "&") ~= table.concat(want, "&") then
    return false, "the query is " .. (query == "" and "empty" or query) .. ", where the spec's serialization gives "
      .. (#want == 0 and "none" or table.concat(want, "&"))
  end
  return true
end

-- What the SDK put on the wire, checked against the spec without Prism: the request line (path and query) and
-- each header parameter once and as given. Returns true, or false and why.
local function wire_and_headers(case, call, trace, org)
  local ok, why = M.wire_check(case, call, trace, org)
  if not ok then return false, why end
  local names = {}
  for _, p in ipairs(case.spec_params or {}) do
    if p["in"] == "header" and call.params[p.name] ~= nil then names[p.name:lower()] = p.name end
  end
  local counts, lines = header_counts(trace, names)
  for key, name in pairs(names) do
    local n = counts[key] or 0
    if n ~= 1 then
      return false, ("the header parameter %s went out %d times (%s), where it must go out once, with the "
        .. "caller's value"):format(name, n, table.concat(lines[key] or {}, " | "))
    end
    local want = name .. ": " .. text_of(call.params[name])
    if lines[key][1] ~= want then
      return false, ("the header parameter went out as %q, not %q"):format(lines[key][1], want)
    end
  end
  return true
end

--- The verdict on one call: "ok", "prism" (Prism cannot check it; `reason` says why) or "fail" (`reason`).
--- Prism judges the request (its `sl-violations`, or the violations in its own error body) and answers; the
--- response must decode; and what the SDK sent is checked against the spec here too, since Prism does not
--- notice a misnamed optional parameter or a body it cannot read: the request line and header parameters
--- (from libcurl's trace), and a body that is not JSON, read back. `outcome` is { raised = message } or
--- { data, response (a response or an error object), trace }; `org` is the client's org.
---@return "ok"|"prism"|"fail" verdict
---@return string? reason
---@return table[] response_violations
function M.judge(case, call, outcome, gen, org)
  if outcome.raised then
    return "fail", "the method raised on input valid for the spec: " .. tostring(outcome.raised), {}
  end
  local data, res = outcome.data, outcome.response
  if res == nil then return "fail", "no response", {} end
  local problems, limitation = {}, nil
  local body_ok = true
  if call.label ~= "no body" and call.label ~= "application/json" and not call.label:find("%+json$") then
    local why
    body_ok, why = body_reads_back(case, call, gen, org)
    if not body_ok then problems[#problems + 1] = why end
  end
  local wire_ok, wire_why = wire_and_headers(case, call, outcome.trace or "", org)
  if not wire_ok then problems[#problems + 1] = wire_why end

  local all = M.violations(res.headers)
  local problem = data == nil and M.problem(res)
  if problem then -- without a response of its own for the case, Prism puts the violations in its error body
    for _, v in ipairs(problem.validation) do -- locations here are within the request: ["path", "orgid"]
      local where = { "request" }
      for i, part in ipairs(type(v.location) == "table" and v.location or {}) do where[i + 1] = part end
      all[#all + 1] = { location = where, severity = v.severity, code = v.code, message = v.message }
    end
  end
  local request_violations, response_violations = M.split(all)
  if #request_violations > 0 then
    limitation = body_ok and prism_limitation(call, request_violations)
    if not limitation then
      problems[#problems + 1] = "Prism reports request violations: " .. M.describe(request_violations)
    end
  elseif data == nil then
    local status = res.status
    local said = problem and (problem.code .. ": " .. tostring(problem.title)
      .. ((problem.detail and problem.detail ~= "") and (" (" .. tostring(problem.detail) .. ")") or ""))
    if res.kind == "http" and status and status >= 500 then
      limitation = ("Prism answered %d without flagging the request: %s"):format(status,
        said or tostring(res.message))
    elseif said then
      problems[#problems + 1] = ("Prism answered %d: %s"):format(status, said)
    else
      problems[#problems + 1] = "no decoded response: " .. tostring(res)
    end
  end
  if #problems > 0 then
    if limitation then problems[#problems + 1] = "(and " .. limitation .. ")" end
    return "fail", table.concat(problems, "; "), response_violations
  end
  if limitation then return "prism", limitation, response_violations end
  return "ok", nil, response_violations
end

return M

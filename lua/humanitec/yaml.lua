--- YAML documents read as JSON-shaped values, through lyaml (Debian's lua-yaml), with the input checked first.
--
-- Refused before lyaml builds anything: text over a size cap, nesting deeper than MAX_DEPTH, and aliases. An
-- alias (*name) shares its anchor's node, so a few hundred bytes of anchors that each repeat the previous one
-- stand for gigabytes once copied into plain values ("billion laughs"); no API document needs them.
local json = require "humanitec.json"

local has_lyaml, lyaml = pcall(require, "lyaml")
-- lyaml's C part: `yaml.parser(text)` iterates libYAML's events without building anything.
local has_events, yaml_events = pcall(require, "yaml")

local M = {}

--- True when a YAML parser is installed.
M.available = has_lyaml

M.MAX_BYTES = 4 * 1024 * 1024
M.MAX_DEPTH = 64

-- lyaml's null becomes json.null, sequences become arrays, the YAML 1.1 boolean key `on` goes back to "on".
local function to_json(v)
  if v == lyaml.null then return json.null end
  if type(v) ~= "table" then return v end
  local n, count = #v, 0
  for _ in pairs(v) do count = count + 1 end
  if n > 0 and n == count then
    local out = json.array()
    for i = 1, n do out[i] = to_json(v[i]) end
    return out
  end
  local out = {}
  for k, item in pairs(v) do
    if k == true then k = "on" end
    out[tostring(k)] = to_json(item)
  end
  return out
end

local function check(text, max_bytes)
  if #text > max_bytes then return nil, "the YAML text is larger than " .. max_bytes .. " bytes" end
  if not has_events then return true end
  local next_event = yaml_events.parser(text)
  local depth = 0
  for _ = 1, 4 * #text + 64 do -- libYAML makes at most a few events per byte; it always ends with STREAM_END
    local ok, event = pcall(next_event)
    if not ok then return nil, "not valid YAML: " .. tostring(event):match("^[^\n]*") end
    local kind = event and event.type
    if kind == nil or kind == "STREAM_END" then return true end
    if kind == "ALIAS" then
      return nil, "YAML aliases (*" .. tostring(event.anchor) .. ") are not supported"
    elseif kind == "MAPPING_START" or kind == "SEQUENCE_START" then
      depth = depth + 1
      if depth > M.MAX_DEPTH then return nil, "the YAML nests deeper than " .. M.MAX_DEPTH .. " levels" end
    elseif kind == "MAPPING_END" or kind == "SEQUENCE_END" then
      depth = depth - 1
    end
  end
  return nil, "not valid YAML"
end

--- Every document in `text` ("---" separates them), as JSON-shaped values; empty documents are skipped.
--- Returns nil and a message when the text is not YAML, is refused, or no parser is installed.
---@param text string
---@param opts? {max_bytes?: integer} the largest text accepted (MAX_BYTES by default)
---@return table? documents
---@return string? err
function M.load_all(text, opts)
  if not has_lyaml then return nil, "no YAML parser: install lua-yaml (lyaml), or give JSON" end
  local ok, err = check(text, opts and opts.max_bytes or M.MAX_BYTES)
  if not ok then return nil, err end
  local loaded, docs = pcall(lyaml.load, text, { all = true })
  if not loaded then return nil, "not valid YAML: " .. tostring(docs):match("^[^\n]*") end
  local out = {}
  for i = 1, #(docs or {}) do
    if docs[i] ~= nil and docs[i] ~= lyaml.null then out[#out + 1] = to_json(docs[i]) end
  end
  return out
end

return M

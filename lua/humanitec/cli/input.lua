--- What the command line reads: `-d BODY|@FILE|-` values, files and directories of YAML or JSON documents.
local fail = require "humanitec.cli.fail"
local json = require "humanitec.json"
local yaml = require "humanitec.yaml"

local M = {}

--- The text of a file ('-': standard input); a usage error names the file when it cannot be read.
function M.read(ctx, path)
  if path == "-" then return ctx.io.stdin:read("*a") or "" end
  local f = io.open(path, "rb")
  local text = f and f:read("*a")
  if f then f:close() end
  if text == nil then fail.usage(ctx.command .. ": cannot read " .. path) end
  return text
end

--- The documents in `text`: one JSON value, or YAML documents separated by "---".
---@return table documents
function M.documents(ctx, text, where)
  local value = json.decode(text)
  if value ~= nil then return { value } end
  local docs, err = yaml.load_all(text)
  if not docs then fail.usage(("%s: %s holds neither JSON nor YAML: %s"):format(ctx.command, where, err)) end
  return docs
end

--- The value of `-d`: inline JSON (or YAML), '@FILE', or '-' for standard input.
function M.body(ctx, spec)
  local text, where = spec, "the body"
  if spec == "-" or spec:sub(1, 1) == "@" then
    where = spec == "-" and "standard input" or spec:sub(2)
    text = M.read(ctx, spec == "-" and "-" or spec:sub(2))
  end
  local docs = M.documents(ctx, text, where)
  if #docs ~= 1 then fail.usage(("%s: %s holds %d documents, not one"):format(ctx.command, where, #docs)) end
  return docs[1]
end

-- The files of a directory with a YAML or JSON name, sorted; nil when `path` is not a directory.
local function directory_files(path)
  local quoted = "'" .. path:gsub("'", "'\\''") .. "'"
  local probe = io.popen("test -d " .. quoted .. " && find " .. quoted
    .. " -maxdepth 1 -type f \\( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \\) 2>/dev/null")
  if not probe then return nil end
  local files = {}
  for line in probe:lines() do files[#files + 1] = line end
  probe:close()
  if #files == 0 then
    local f = io.open(path .. "/.", "r")
    if not f then return nil end
    f:close()
  end
  table.sort(files)
  return files
end

--- Every document in FILE, every YAML or JSON file of DIR, or standard input ('-'); each as
--- `{ doc = value, where = "file#n" }`.
function M.documents_from(ctx, path)
  local files = path ~= "-" and directory_files(path) or { path }
  local out = {}
  for _, file in ipairs(files) do
    local docs = M.documents(ctx, M.read(ctx, file), file == "-" and "standard input" or file)
    for i, doc in ipairs(docs) do
      out[#out + 1] = { doc = doc, where = (file == "-" and "stdin" or file) .. (#docs > 1 and ("#" .. i) or "") }
    end
  end
  return out
end

return M

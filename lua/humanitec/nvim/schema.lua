--- The Score schema for yaml-language-server: score.yaml buffers get completion and checks from it wherever
--- yaml-language-server runs. The schema is written once, as JSON, from humanitec.score's own copy (so it
--- works offline and says what `:Humanitec deploy` checks), and added to the settings of each
--- yaml-language-server client that attaches, which is then told its settings changed.
local M = {}

--- The file names the schema is for, as yaml-language-server globs.
M.GLOBS = { "**/score.yaml", "**/score.yml", "**/score-*.yaml", "**/score-*.yml" }

local NAMES = { yamlls = true, ["yaml-language-server"] = true }

local written -- the schema file's path once this session has checked it

--- The path of the schema file, under Neovim's cache folder; written (again) when it is missing or differs
--- from humanitec.score's schema.
---@return string? path
---@return string? err
function M.path()
  if written then return written end
  local dir = vim.fn.stdpath("cache") .. "/humanitec"
  local path = dir .. "/score-v1b1.schema.json"
  local json = require "humanitec.json"
  local ok, text = pcall(json.encode, require "humanitec.score.schema")
  if not ok then return nil, text end
  local f = io.open(path, "rb")
  local old = f and f:read("*a")
  if f then f:close() end
  if old ~= text then
    vim.fn.mkdir(dir, "p")
    local tmp = path .. ".tmp"
    local out, err = io.open(tmp, "wb")
    if not out then return nil, err end
    out:write(text)
    out:close()
    os.rename(tmp, path)
  end
  written = path
  return path
end

--- `{ [schema path] = globs }`, to merge into yaml-language-server's `settings.yaml.schemas` by hand (with
--- nvim-lspconfig, say) where the automatic association is not wanted.
---@return table<string, string[]>?
function M.schemas()
  local path = M.path()
  return path and { [path] = M.GLOBS } or nil
end

--- Adds the schema to a yaml-language-server client's settings, once, and tells the server. Returns whether
--- it did.
---@param client table a vim.lsp client
---@return boolean
function M.associate(client)
  if not (client and NAMES[client.name]) then return false end
  local path = M.path()
  if not path then return false end
  local settings = client.config.settings or {}
  client.config.settings = settings
  settings.yaml = settings.yaml or {}
  settings.yaml.schemas = settings.yaml.schemas or {}
  if settings.yaml.schemas[path] then return false end
  settings.yaml.schemas[path] = M.GLOBS
  client.notify("workspace/didChangeConfiguration", { settings = settings })
  return true
end

local function clients_of(buf)
  local get = vim.lsp.get_clients or vim.lsp.get_active_clients
  local ok, list = pcall(get, { bufnr = buf })
  if ok and type(list) == "table" then return list end
  return vim.tbl_values(vim.lsp.buf_get_clients(buf))
end

--- Watches for yaml-language-server clients: on LspAttach where Neovim has it (0.8 and later), and for a
--- while after a YAML buffer opens on Neovim 0.7, which has not.
function M.watch()
  local group = vim.api.nvim_create_augroup("humanitec_score_schema", { clear = true })
  if vim.fn.exists("##LspAttach") == 1 then
    vim.api.nvim_create_autocmd("LspAttach", {
      group = group,
      callback = function(args)
        M.associate(vim.lsp.get_client_by_id(args.data.client_id))
      end,
    })
    return
  end
  vim.api.nvim_create_autocmd("FileType", {
    group = group,
    pattern = "yaml",
    callback = function(args)
      local buf = args.buf
      local tries = 0
      local function check()
        if not vim.api.nvim_buf_is_valid(buf) then return end
        local found = false
        for _, client in ipairs(clients_of(buf)) do
          if NAMES[client.name] then
            found = true
            M.associate(client)
          end
        end
        tries = tries + 1
        if not found and tries < 20 then vim.defer_fn(check, 250) end -- servers start within 5 s or not at all
      end
      check()
    end,
  })
end

return M

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
  local params = { settings = settings }
  -- Neovim 0.11 made notify a method (client.notify(method, params) is deprecated there); before, a function.
  if vim.fn.has("nvim-0.11") == 1 then
    client:notify("workspace/didChangeConfiguration", params)
  else
    client.notify("workspace/didChangeConfiguration", params)
  end
  return true
end

local hooked = false -- vim.lsp.start_client wrapped (Neovim 0.7)

--- Watches for yaml-language-server clients: on LspAttach where Neovim has it (0.8 and later). Neovim 0.7 has
--- no such event: there every client started from now on gets the association chained to its on_init (however
--- long the server takes to start), and clients already running get it now.
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
  for _, client in ipairs(vim.lsp.get_active_clients()) do
    M.associate(client)
  end
  if hooked then return end
  hooked = true
  local start_client = vim.lsp.start_client
  vim.lsp.start_client = function(config, ...)
    if type(config) == "table" and NAMES[config.name] then
      local on_init = config.on_init
      config = vim.tbl_extend("force", {}, config, {
        on_init = function(client, result)
          -- setup{schema = false} after the wrap deletes the group: then nothing is associated.
          if pcall(vim.api.nvim_get_autocmds, { group = "humanitec_score_schema" }) then M.associate(client) end
          if on_init then return on_init(client, result) end
        end,
      })
    end
    return start_client(config, ...)
  end
end

return M

--- humanitec.nvim: the SDK inside Neovim. One client per organization, shared by every plugin that asks for it,
--- each attached to the editor's loop (humanitec.loop.nvim), so no request ever blocks the editor.
---
--- ```lua
--- local client = assert(require("humanitec.nvim").client("acme"))
--- client:start("list_applications", {}, function(apps, err) ... end)
--- ```
---
--- Inside Neovim only LuaJIT code is loaded: the core comes from this plugin's own folder (built by
--- `make nvim`), never from LUA_CPATH, and JSON goes through Neovim's own lua-cjson (`vim.json`).
local M = {}

-- What setup() was given: client options for humanitec.new (url, token, timeout, ...), and the plugin's own.
-- A token given as setup{ client = { token = ... } } is not among them: it is held here only, handed to
-- humanitec.new for each client and never returned by M.options().
local options = { client = {}, poll_interval = 2, schema = true }
local setup_token = nil

--- What is picked: the organization, application and environment the commands act on.
M.state = { org = nil, app = nil, env = nil }

local clients = {} -- org (or "" for the configured default) -> client
local tasks = {} -- live tasks, by id
local watched = {} -- buffers whose deletion cancels their tasks
local next_task_id = 0

--- The path of the LuaJIT build of the core on the runtimepath, or nil.
---@return string?
function M.core_path()
  return vim.api.nvim_get_runtime_file("lua/humanitec/core.so", false)[1]
end

--- Loads the core this plugin built, by its path, so that a humanitec.core on LUA_CPATH (perhaps built for
--- another Lua) is never tried. Returns the module, or nil and what to do about it.
---@return table? core
---@return string? err
function M.load_core()
  local loaded = package.loaded["humanitec.core"]
  if type(loaded) == "table" then return loaded end -- (inside require, it holds a sentinel until we return)
  local path = M.core_path()
  if not path then
    return nil, "the core is not built: run `make nvim` in the plugin's folder (lazy.nvim: build = \"make nvim\")"
  end
  local open, err = package.loadlib(path, "luaopen_humanitec_core")
  if not open then
    return nil, ("cannot load %s (built for another Lua? run `make nvim` again): %s"):format(path, tostring(err))
  end
  local ok, core = pcall(open, "humanitec.core")
  if not ok then return nil, ("%s: %s"):format(path, tostring(core)) end
  package.loaded["humanitec.core"] = core
  return core
end

-- Where LuaJIT finds C modules: package.cpath without the entries for other Lua versions (a LUA_CPATH for 5.4
-- replaces LuaJIT's defaults), then the usual Lua 5.1 folders.
local function luajit_cpath()
  local entries = {}
  for entry in package.cpath:gmatch("[^;]+") do
    if not entry:find("5%.[234]") then entries[#entries + 1] = entry end
  end
  local dirs = { "/usr/local/lib/lua/5.1", "/usr/lib/lua/5.1", "/opt/homebrew/lib/lua/5.1" }
  for _, dir in ipairs(vim.fn.glob("/usr/lib/*/lua/5.1", false, true)) do dirs[#dirs + 1] = dir end
  for _, dir in ipairs(dirs) do entries[#entries + 1] = dir .. "/?.so" end
  return table.concat(entries, ";")
end

--- Loads a C module the SDK needs besides its core (lyaml's `yaml`, for Score) from LuaJIT's folders only,
--- never from a LUA_CPATH entry for another Lua. Returns the module, or nil and a message.
---@param name string
---@return any module
---@return string? err
function M.require_native(name)
  if package.loaded[name] ~= nil then return package.loaded[name] end
  local path = package.searchpath(name, luajit_cpath())
  if not path then return nil, ("no %s module for LuaJIT (Lua 5.1) is installed"):format(name) end
  local open, err = package.loadlib(path, "luaopen_" .. name:gsub("%.", "_"))
  if not open then return nil, ("cannot load %s: %s"):format(path, tostring(err)) end
  local ok, mod = pcall(open, name)
  if not ok then return nil, ("%s: %s"):format(path, tostring(mod)) end
  package.loaded[name] = mod
  return mod
end

--- Configures the plugin. `opts.client` is passed to humanitec.new (url, token, timeout, ca_file, ...; the
--- token is better left to HUMANITEC_TOKEN or humctl's ~/.humctl); `opts.org`, `opts.app`, `opts.env` preselect;
--- `opts.poll_interval` is the seconds between deployment status checks (2); `opts.schema = false` leaves
--- yaml-language-server's settings alone.
---@param opts? {client?: table, org?: string, app?: string, env?: string, poll_interval?: number, schema?: boolean}
function M.setup(opts)
  if opts ~= nil and type(opts) ~= "table" then
    error("bad argument #1 to 'setup' (table expected, got " .. type(opts) .. ")", 2)
  end
  opts = opts or {}
  if opts.client ~= nil and type(opts.client) ~= "table" then
    error("bad option 'client' to 'setup' (table expected, got " .. type(opts.client) .. ")", 2)
  end
  if opts.poll_interval ~= nil and (type(opts.poll_interval) ~= "number" or opts.poll_interval <= 0) then
    error("bad option 'poll_interval' to 'setup' (positive number expected)", 2)
  end
  for _, c in pairs(clients) do c:close() end
  clients = {}
  local client_opts = {}
  for k, v in pairs(opts.client or {}) do
    if k ~= "token" then client_opts[k] = v end
  end
  setup_token = opts.client and opts.client.token
  options = {
    client = client_opts, poll_interval = opts.poll_interval or 2, schema = opts.schema ~= false,
  }
  M.state.org, M.state.app, M.state.env = opts.org, opts.app, opts.env
  if options.schema then
    require("humanitec.nvim.schema").watch()
  else
    pcall(vim.api.nvim_del_augroup_by_name, "humanitec_score_schema")
  end
end

--- The plugin's options, as setup() left them, without the token.
function M.options()
  return options
end

--- Whether setup() was given a token (which is never shown or returned).
---@return boolean
function M.has_setup_token()
  return type(setup_token) == "string"
end

--- The shared client for `org` (by default the picked one, else the configured one), made on first use and
--- attached to the editor's loop. Returns nil and a message when the core cannot be loaded.
---@param org? string
---@return humanitec.Client? client
---@return string? err
function M.client(org)
  if org ~= nil and type(org) ~= "string" then
    error("bad argument #1 to 'client' (string expected, got " .. type(org) .. ")", 2)
  end
  org = org or M.state.org
  local key = org or ""
  local c = clients[key]
  if c then return c end
  local _, core_err = M.load_core()
  if core_err then return nil, core_err end
  local client_opts = {}
  for k, v in pairs(options.client) do client_opts[k] = v end
  client_opts.token = setup_token
  client_opts.org = org or client_opts.org
  local ok, made = pcall(require("humanitec").new, client_opts)
  if not ok then return nil, tostring(made) end
  -- Asked for no org, it is the configured one's (HUMANITEC_ORG, ~/.humctl): that org's client, if made before.
  if made.org and clients[made.org] then
    made:close()
    clients[key] = clients[made.org]
    return clients[key]
  end
  require("humanitec.loop").nvim(made)
  clients[key] = made
  if made.org then clients[made.org] = made end
  return made
end

--- The organization requests go to: the picked one, else the one the configuration names.
---@return string?
function M.org()
  if M.state.org then return M.state.org end
  local c = M.client()
  return c and c.org
end

---@class humanitec.nvim.Task
---@field id integer
---@field buf? integer the buffer the task works for: deleting it cancels the task
---@field cancelled boolean
local Task = {}
Task.__index = Task

--- Inside a task: sends a request (client:start's forms, without the callback) and waits for it without
--- blocking the editor. Returns data, err, response.
function Task:request(client, a, b, c)
  local co = self.co
  local function resume(data, request_err, response)
    self.handle = nil
    if self.cancelled then return end
    local ok, err = coroutine.resume(co, data, request_err, response)
    if not ok then self:fail(err) end
  end
  if c ~= nil then
    self.handle = client:start(a, b, c, resume)
  else
    self.handle = client:start(a, b, resume)
  end
  return coroutine.yield()
end

--- Inside a task: waits `seconds` on the editor's loop.
function Task:sleep(seconds)
  local co = self.co
  local uv = vim.uv or vim.loop
  local timer = uv.new_timer()
  self.timer = timer
  timer:start(math.floor(seconds * 1000), 0, function()
    timer:close()
    self.timer = nil
    vim.schedule(function()
      if self.cancelled then return end
      local ok, err = coroutine.resume(co)
      if not ok then self:fail(err) end
    end)
  end)
  coroutine.yield()
end

function Task:fail(err)
  tasks[self.id] = nil
  vim.notify("humanitec: " .. tostring(err), vim.log.levels.ERROR)
end

--- Cancels the task: its request in flight is cancelled and it never resumes. Returns whether it was live.
function Task:cancel()
  if self.cancelled or not tasks[self.id] then return false end
  self.cancelled = true
  tasks[self.id] = nil
  if self.handle then self.handle.cancel() end
  if self.timer and not self.timer:is_closing() then self.timer:close() end
  if self.on_cancel then pcall(self.on_cancel) end
  return true
end

--- Runs `fn(task)` in a coroutine on the editor's loop. `opts.buf` ties it to a buffer (deleting or wiping out
--- the buffer cancels it); `opts.on_cancel` runs when it is cancelled.
---@param fn fun(task: humanitec.nvim.Task)
---@param opts? {buf?: integer, on_cancel?: function}
---@return humanitec.nvim.Task
function M.spawn(fn, opts)
  opts = opts or {}
  next_task_id = next_task_id + 1
  local task = setmetatable({ id = next_task_id, buf = opts.buf, on_cancel = opts.on_cancel, cancelled = false },
    Task)
  tasks[task.id] = task
  if opts.buf and not watched[opts.buf] then
    watched[opts.buf] = true
    vim.api.nvim_create_autocmd({ "BufDelete", "BufWipeout" }, {
      buffer = opts.buf,
      once = true,
      callback = function()
        watched[opts.buf] = nil
        M.cancel(opts.buf)
      end,
    })
  end
  task.co = coroutine.create(function()
    fn(task)
    tasks[task.id] = nil
  end)
  local ok, err = coroutine.resume(task.co)
  if not ok then task:fail(err) end
  return task
end

--- Cancels every task (or only those working for buffer `buf`). Returns how many were cancelled.
---@param buf? integer
---@return integer
function M.cancel(buf)
  local n = 0
  local list = {}
  for _, task in pairs(tasks) do
    if buf == nil or task.buf == buf then list[#list + 1] = task end
  end
  for _, task in ipairs(list) do
    if task:cancel() then n = n + 1 end
  end
  return n
end

--- How many tasks are live.
---@return integer
function M.pending()
  local n = 0
  for _ in pairs(tasks) do n = n + 1 end
  return n
end

return M

--- The :Humanitec command: pick an organization, application and environment (vim.ui.select), show an
--- environment, list deployments and open one, deploy the current buffer, cancel what is in flight. Every
--- request runs as a task of humanitec.nvim on the editor's loop; a scratch buffer's tasks end when it is wiped.
local hnvim = require "humanitec.nvim"
local view = require "humanitec.nvim.view"

local M = {}

local INFO, WARN, ERROR = vim.log.levels.INFO, vim.log.levels.WARN, vim.log.levels.ERROR

-- What the last listings returned, for completion: orgs, apps[org], envs[org/app], deployments[org/app/env].
local cache = { orgs = nil, apps = {}, envs = {}, deployments = {} }

local function notify(msg, level, opts)
  return vim.notify("Humanitec: " .. msg, level or INFO, opts or { title = "Humanitec" })
end

-- A progress line that replaces the previous one where the notifier supports it (nvim-notify returns a
-- record to pass back as `replace`; the built-in vim.notify returns nothing and simply prints).
local function progress(state, msg, level)
  local ok, record = pcall(notify, msg, level, { title = "Humanitec", replace = state.record })
  if ok and record ~= nil then state.record = record end
end

-- The client for the picked org, or nil after telling the user why not.
local function client()
  local c, err = hnvim.client()
  if not c then notify(err, ERROR) end
  return c
end

-- org, app, env as picked (app and env only when `need` says); nil after telling the user what is missing.
local function where(need_app, need_env)
  local org = hnvim.org()
  if not org then
    notify("no organization: pick one with :Humanitec org, or set HUMANITEC_ORG", WARN)
    return nil
  end
  local s = hnvim.state
  if need_app and not s.app then
    notify("no application: pick one with :Humanitec app", WARN)
    return nil
  end
  if need_env and not s.env then
    notify("no environment: pick one with :Humanitec env", WARN)
    return nil
  end
  return { org = org, app = s.app, env = s.env }
end

-- A scratch buffer named `name` (the one there is, or a new one) shown in a split; closing its window wipes it
-- out, which cancels its tasks (humanitec.nvim.spawn).
local function scratch(name, lines)
  local buf = vim.fn.bufnr(name)
  if buf == -1 or not vim.api.nvim_buf_is_valid(buf) then
    buf = vim.api.nvim_create_buf(false, true)
    vim.api.nvim_buf_set_name(buf, name)
    vim.bo[buf].bufhidden = "wipe"
    vim.bo[buf].filetype = "humanitec"
  end
  local win = vim.fn.bufwinid(buf)
  if win == -1 then
    vim.cmd("botright sbuffer " .. buf)
  else
    vim.api.nvim_set_current_win(win)
  end
  M.set_lines(buf, lines)
  return buf
end

--- Replaces a scratch buffer's text (it stays unmodifiable for the user).
function M.set_lines(buf, lines)
  if not vim.api.nvim_buf_is_valid(buf) then return end
  vim.bo[buf].modifiable = true
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.bo[buf].modifiable = false
  vim.bo[buf].modified = false
end

-- Lists with `op` and lets the user pick one item (vim.ui.select, which Telescope or fzf-lua take over), or
-- takes `given` as it is. `done(id)` gets the choice.
local function pick(kind, op, params, given, store, done)
  if given then return done(given) end
  local c = client()
  if not c then return end
  hnvim.spawn(function(task)
    local list, err = task:request(c, op, params)
    if not list then return notify(("cannot list %ss: %s"):format(kind, view.clean(tostring(err))), ERROR) end
    -- Only items with a string id can be picked (the API's answer is not trusted to have one).
    local ids, items = {}, {}
    for _, item in ipairs(type(list) == "table" and list or {}) do
      if type(item) == "table" and type(item.id) == "string" then
        ids[#ids + 1], items[#items + 1] = item.id, item
      end
    end
    store(ids)
    if #ids == 0 then return notify("no " .. kind .. " to pick", WARN) end
    vim.ui.select(items, {
      prompt = "Humanitec " .. kind,
      format_item = function(item)
        local name = type(item.name) == "string" and item.name ~= item.id and (" (" .. item.name .. ")") or ""
        return view.clean(item.id .. name)
      end,
    }, function(choice)
      if choice then done(choice.id) end
    end)
  end)
end

local subcommands = {}

function subcommands.org(args)
  pick("organization", "list_organizations", nil, args[1], function(ids) cache.orgs = ids end, function(id)
    if id ~= hnvim.state.org then hnvim.state.app, hnvim.state.env = nil, nil end
    hnvim.state.org = id
    notify("organization " .. id)
  end)
end

function subcommands.app(args)
  local w = where(false, false)
  if not w then return end
  pick("application", "list_applications", { orgId = w.org }, args[1], function(ids) cache.apps[w.org] = ids end,
    function(id)
      if id ~= hnvim.state.app then hnvim.state.env = nil end
      hnvim.state.org, hnvim.state.app = w.org, id
      notify("application " .. w.org .. "/" .. id)
    end)
end

function subcommands.env(args)
  local w = where(true, false)
  if not w then return end
  pick("environment", "list_environments", { orgId = w.org, appId = w.app }, args[1],
    function(ids) cache.envs[w.org .. "/" .. w.app] = ids end,
    function(id)
      hnvim.state.org, hnvim.state.env = w.org, id
      notify("environment " .. w.org .. "/" .. w.app .. "/" .. id)
    end)
end

-- The picked environment, its client, and a scratch buffer for what `suffix` names in it (the environment
-- itself for ""); nothing after telling the user what is missing.
local function env_buffer(suffix)
  local w = where(true, true)
  local c = w and client()
  if not c then return nil end
  return w, c, scratch(("humanitec://%s/%s/%s%s"):format(w.org, w.app, w.env, suffix), { "Loading ..." })
end

function subcommands.show()
  local w, c, buf = env_buffer("")
  if not w then return end
  hnvim.spawn(function(task)
    local p = { orgId = w.org, appId = w.app, envId = w.env }
    local env, err = task:request(c, "get_environment", p)
    if not env then
      return M.set_lines(buf, { "Cannot read environment " .. w.env .. ": " .. view.clean(tostring(err)) })
    end
    local set, values
    local last = type(env.last_deploy) == "table" and env.last_deploy or nil
    if last and type(last.set_id) == "string" then
      set = task:request(c, "get_set", { orgId = w.org, appId = w.app, setId = last.set_id })
    end
    values, err = task:request(c, "list_env_values", p)
    M.set_lines(buf, view.environment(w, env, set, values))
    if not values then notify("cannot read the values: " .. view.clean(tostring(err)), WARN) end
  end, { buf = buf })
end

-- Opens deployment `id` of the picked environment, with its errors.
local function open_deployment(w, c, id)
  local buf = scratch(("humanitec://%s/%s/%s/deployments/%s"):format(w.org, w.app, w.env, id), { "Loading ..." })
  hnvim.spawn(function(task)
    local p = { orgId = w.org, appId = w.app, envId = w.env, deployId = id }
    local d, err = task:request(c, "get_deployment", p)
    if not d then
      return M.set_lines(buf, { "Cannot read deployment " .. view.clean(id) .. ": " .. view.clean(tostring(err)) })
    end
    local errs = task:request(c, "list_deployment_errors", p)
    M.set_lines(buf, view.deployment(w, d, errs))
  end, { buf = buf })
end

function subcommands.deployments()
  local w, c, buf = env_buffer("/deployments")
  if not w then return end
  hnvim.spawn(function(task)
    local list, err = task:request(c, "list_deployments", { orgId = w.org, appId = w.app, envId = w.env })
    if not list then
      return M.set_lines(buf, { "Cannot list deployments: " .. view.clean(tostring(err)) })
    end
    local lines, ids = view.deployments(w, list)
    local all = {}
    for _, id in pairs(ids) do all[#all + 1] = id end
    cache.deployments[w.org .. "/" .. w.app .. "/" .. w.env] = all
    M.set_lines(buf, lines)
    vim.api.nvim_buf_set_keymap(buf, "n", "<CR>", "", {
      noremap = true, nowait = true, desc = "Humanitec: open this deployment",
      callback = function()
        local id = ids[vim.api.nvim_win_get_cursor(0)[1]]
        if id then open_deployment(w, c, id) end
      end,
    })
  end, { buf = buf })
end

function subcommands.deployment(args)
  local w = where(true, true)
  local c = w and client()
  if not c then return end
  if not args[1] then return notify("which deployment? :Humanitec deployment <id>", WARN) end
  open_deployment(w, c, args[1])
end

-- Running or about to: a deployment in one of these is watched on.
local RUNNING = { pending = true, ["in progress"] = true, in_progress = true, running = true }

-- Puts what humanitec.score found wrong in buffer `buf` into the quickfix list, each at its line.
local function score_quickfix(buf, err)
  local items = {}
  for _, p in ipairs(type(err) == "table" and (err.details or { err }) or {}) do
    if p.line then
      local text = p.yaml_path and p.message and (p.yaml_path .. ": " .. p.message) or p.message
      items[#items + 1] = { bufnr = buf, lnum = p.line, text = view.clean(text or tostring(err)) }
    end
  end
  if #items > 0 then vim.fn.setqflist({}, " ", { title = "Humanitec: Score", items = items }) end
end

-- The delta a buffer holds: its JSON, or for a Score file (score.yaml, score-*.yaml) the delta humanitec.score
-- translates it into. Returns the delta or nil and a message.
local function buffer_delta(buf, env)
  local name = vim.api.nvim_buf_get_name(buf)
  local text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n")
  if vim.fn.fnamemodify(name, ":t"):find("^score.*%.ya?ml$") then
    local _, yaml_err = hnvim.require_native("yaml")
    if yaml_err then
      return nil, "reading score.yaml needs lyaml built for LuaJIT (Debian: lua-yaml; LuaRocks: "
        .. "luarocks --lua-version 5.1 install lyaml): " .. yaml_err
    end
    local score = require "humanitec.score"
    local doc, err = score.decode(text, name)
    if not doc then
      score_quickfix(buf, err)
      return nil, tostring(err)
    end
    -- Humanitec's extensions to Score, where score-humanitec looks for them: humanitec.score.yaml beside it.
    local extensions = vim.fn.fnamemodify(name, ":h") .. "/humanitec.score.yaml"
    local delta, terr = score.to_delta(doc, { envId = env, message = "Deployed from Neovim",
      extensions = vim.fn.filereadable(extensions) == 1 and extensions or nil })
    if not delta then
      score_quickfix(buf, terr)
      return nil, terr.details and score.format_problems(terr) or tostring(terr.message or terr)
    end
    return delta
  end
  local json = require "humanitec.json"
  local ok, delta, err = pcall(json.decode, text)
  if not ok or delta == nil then return nil, "the buffer is not a JSON delta: " .. tostring(err or delta) end
  if type(delta) ~= "table" then return nil, "the buffer is not a JSON delta: not an object" end
  return delta
end

function subcommands.deploy(args)
  local w = where(true, true)
  local c = w and client()
  if not c then return end
  local source = vim.api.nvim_get_current_buf()
  local delta, err = buffer_delta(source, w.env)
  if not delta then return notify(err, ERROR) end
  local metadata = {}
  for k, v in pairs(type(delta.metadata) == "table" and delta.metadata or {}) do metadata[k] = v end
  metadata.env_id = metadata.env_id or w.env
  delta.metadata = metadata
  local comment = #args > 0 and table.concat(args, " ") or ("from Neovim: " .. vim.fn.fnamemodify(
    vim.api.nvim_buf_get_name(source), ":t"))
  local target = w.app .. "/" .. w.env
  local state = {}
  local deployment_id
  hnvim.spawn(function(task)
    progress(state, "deploying to " .. target .. ": creating the delta")
    local created, cerr = task:request(c, "create_delta", { orgId = w.org, appId = w.app, body = delta })
    if not created then
      return progress(state, "deploy to " .. target .. " failed: " .. view.clean(tostring(cerr)), ERROR)
    end
    local delta_id = type(created) == "string" and created or created.id
    local d, derr = task:request(c, "create_deployment", {
      orgId = w.org, appId = w.app, envId = w.env, body = { delta_id = delta_id, comment = comment },
    })
    if not d then return progress(state, "deploy to " .. target .. " failed: " .. view.clean(tostring(derr)), ERROR) end
    if type(d.id) ~= "string" then
      return progress(state, "deploy to " .. target .. " failed: the API's answer has no deployment id", ERROR)
    end
    deployment_id = d.id
    local shown_id = view.clean(d.id)
    local status = d.status
    progress(state, ("deployment %s to %s: %s"):format(shown_id, target, view.clean(tostring(status))))
    local p = { orgId = w.org, appId = w.app, envId = w.env, deployId = d.id }
    while RUNNING[status] do
      task:sleep(hnvim.options().poll_interval)
      local now, gerr = task:request(c, "get_deployment", p)
      if not now then
        return progress(state, ("deployment %s: cannot read its status: %s"):format(shown_id,
          view.clean(tostring(gerr))), ERROR)
      end
      if now.status ~= status then
        status = now.status
        progress(state, ("deployment %s to %s: %s"):format(shown_id, target, view.clean(tostring(status))))
      end
    end
    if status == "succeeded" then
      return progress(state, ("deployment %s to %s succeeded"):format(shown_id, target))
    end
    local errs = task:request(c, "list_deployment_errors", p)
    local first = type(errs) == "table" and errs[1] or nil
    local why = first and (first.summary or first.message) or "no details from the API"
    progress(state, ("deployment %s to %s %s: %s (:Humanitec deployment %s)"):format(shown_id, target,
      view.clean(tostring(status)), view.clean(tostring(why)), shown_id), ERROR)
  end, {
    buf = source,
    on_cancel = function()
      progress(state, deployment_id and ("stopped watching deployment %s to %s; it goes on in Humanitec")
        :format(view.clean(deployment_id), target) or ("deploy to " .. target .. " cancelled"), WARN)
    end,
  })
end

function subcommands.cancel()
  local n = hnvim.cancel()
  notify(n == 0 and "nothing in flight" or ("cancelled " .. n .. " task" .. (n == 1 and "" or "s")))
end

M.SUBCOMMANDS = { "org", "app", "env", "show", "deployments", "deployment", "deploy", "cancel" }

--- Runs `:Humanitec <args>`.
---@param args string[]
function M.run(args)
  local name = args[1]
  local fn = name and subcommands[name]
  if not fn then
    notify(("usage: :Humanitec %s"):format(table.concat(M.SUBCOMMANDS, "|")), name and ERROR or INFO)
    return
  end
  fn({ unpack(args, 2) })
end

local listing = {} -- completion listings in flight, by operation and parent

local function matching(list, lead)
  local out = {}
  for _, item in ipairs(list or {}) do
    if item:sub(1, #lead) == lead then out[#out + 1] = item end
  end
  table.sort(out)
  return out
end

--- Completion for `:Humanitec`: the subcommands, then ids from the last listings (an org, app or env listing
--- is started in the background when there is none yet, for the next <Tab>).
---@param lead string the word being completed
---@param line string the command line so far
---@return string[]
function M.complete(lead, line)
  local words = {}
  for w in line:gmatch("%S+") do words[#words + 1] = w end
  local n = #words - (lead == "" and 0 or 1) -- words before the one being completed
  if n <= 1 then return matching(M.SUBCOMMANDS, lead) end
  if n > 2 then return {} end
  local sub, s = words[2], hnvim.state
  local org = s.org or (hnvim.client() and hnvim.client().org)
  local list, params, op, store
  if sub == "org" then
    list, op, store = cache.orgs, "list_organizations", function(ids) cache.orgs = ids end
  elseif sub == "app" and org then
    list, op, params = cache.apps[org], "list_applications", { orgId = org }
    store = function(ids) cache.apps[org] = ids end
  elseif sub == "env" and org and s.app then
    local key = org .. "/" .. s.app
    list, op, params = cache.envs[key], "list_environments", { orgId = org, appId = s.app }
    store = function(ids) cache.envs[key] = ids end
  elseif sub == "deployment" and org and s.app and s.env then
    return matching(cache.deployments[org .. "/" .. s.app .. "/" .. s.env], lead)
  else
    return {}
  end
  -- One listing at a time per list: every <Tab> while it is in flight would otherwise start another.
  local key = op .. "\0" .. (params and (tostring(params.orgId) .. "/" .. tostring(params.appId)) or "")
  if list == nil and not listing[key] then
    local c = hnvim.client()
    if c then
      listing[key] = true
      hnvim.spawn(function(task)
        local got = task:request(c, op, params)
        listing[key] = nil
        if type(got) == "table" then
          local ids = {}
          for _, item in ipairs(got) do
            if type(item) == "table" and type(item.id) == "string" then ids[#ids + 1] = item.id end
          end
          store(ids)
        end
      end, { on_cancel = function() listing[key] = nil end })
    end
  end
  return matching(list, lead)
end

return M

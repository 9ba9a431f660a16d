-- Sourced from the runtimepath at startup (or by the plugin manager): the :Humanitec command, the Score schema
-- for yaml-language-server, and the rule that the core comes from this plugin's own folder, never from
-- LUA_CPATH. Everything else loads on first use.
if vim.g.loaded_humanitec then return end
vim.g.loaded_humanitec = true

-- Neovim runs LuaJIT: Lua modules for 5.2 to 5.4 that a LUA_PATH (a `luarocks path` for 5.4, say) put on
-- package.path are dropped from it, as LUA_CPATH's are never used for C modules (see luajit_cpath in
-- humanitec/nvim/init.lua).
do
  local entries = {}
  for entry in package.path:gmatch("[^;]+") do
    if not entry:find("5%.[234]") then entries[#entries + 1] = entry end
  end
  package.path = table.concat(entries, ";")
end

-- Before any other loader: a humanitec.core on LUA_CPATH may be built for another Lua.
package.preload["humanitec.core"] = function()
  local core, err = require("humanitec.nvim").load_core()
  if not core then error("humanitec: " .. err, 0) end
  return core
end

vim.api.nvim_create_user_command("Humanitec", function(cmd)
  require("humanitec.nvim.commands").run(cmd.fargs)
end, {
  nargs = "*",
  desc = "Humanitec: org, app, env, show, deployments, deployment <id>, deploy [comment], cancel",
  complete = function(lead, line)
    return require("humanitec.nvim.commands").complete(lead, line)
  end,
})

-- score.yaml buffers get the Score schema from yaml-language-server, where it runs (setup{ schema = false }
-- turns this off).
require("humanitec.nvim.schema").watch()

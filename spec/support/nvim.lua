-- Headless Neovim for the plugin's specs: a copy of this repository installed as a plugin manager installs it
-- (its build step run, its folder put on the runtimepath, nothing else), and scripts run inside it whose
-- findings come back as JSON.
local helpers = require "support.helpers"

local M = {}

local q = helpers.shell_quote

-- Lua 5.4 modules, the ones a `luarocks path` for 5.4 puts in the environment: Neovim must load none of them.
M.FOREIGN_LUA_PATH = "/usr/share/lua/5.4/?.lua;/usr/share/lua/5.4/?/init.lua"
M.FOREIGN_LUA_CPATH = "/usr/lib/x86_64-linux-gnu/lua/5.4/?.so;/usr/local/lib/lua/5.4/?.so;"
  .. helpers.capture("pwd"):gsub("%s+$", "") .. "/build/lua5.4/?.so"

--- A new temporary directory.
function M.temp_dir()
  local out = helpers.capture("mktemp -d")
  return (out:gsub("%s+$", ""))
end

--- Copies the repository (without build/) to `<root>/lazy/humanitec.nvim`, as a plugin manager clones it, and
--- runs `build` there (a shell command, "make nvim" by default; false for none). Returns the plugin's folder
--- and the build's output, or raises when the build fails.
function M.install(root, build)
  local dir = root .. "/lazy/humanitec.nvim"
  local out, status = helpers.capture(("mkdir -p %s && tar -cf - --exclude=./build --exclude=./.git "
    .. "--exclude=./lua/humanitec/core.so --exclude=node_modules . | tar -C %s -xf -"):format(q(dir), q(dir)))
  assert(status == 0, out)
  if build ~= false then
    out, status = helpers.capture(("cd %s && %s"):format(q(dir), build or "make nvim"))
    assert(status == 0, out)
  end
  return dir, out
end

-- Writes the init file a plugin manager amounts to, and returns the shell words that start Neovim with it,
-- isolated from the user's configuration, with LUA_PATH and LUA_CPATH naming Lua 5.4 modules and `env` added;
-- `launcher` (words) runs Neovim.
local function command(root, plugin, env, launcher)
  local init = root .. "/init.lua"
  local f = assert(io.open(init, "w"))
  -- What lazy.nvim does for a plugin once built: its folder goes on the runtimepath; Neovim sources plugin/.
  f:write(("vim.opt.rtp:prepend(%q)\n"):format(plugin))
  f:close()
  local words = {
    "cd", q(root), "&&", "env", "HOME=" .. q(root), "XDG_CONFIG_HOME=" .. q(root .. "/config"),
    "XDG_DATA_HOME=" .. q(root .. "/data"), "XDG_STATE_HOME=" .. q(root .. "/state"),
    "XDG_CACHE_HOME=" .. q(root .. "/cache"), "LUA_PATH=" .. q(M.FOREIGN_LUA_PATH),
    "LUA_CPATH=" .. q(M.FOREIGN_LUA_CPATH),
  }
  for k, v in pairs(env or {}) do words[#words + 1] = q(k .. "=" .. v) end
  for _, w in ipairs(launcher or {}) do words[#words + 1] = w end
  for _, w in ipairs { "nvim", "-u", q(init), "-i", "NONE", "-n" } do words[#words + 1] = w end
  return words
end

--- The shell command that starts Neovim (in a terminal) with `plugin` installed, as M.run does headless.
function M.command(root, plugin, env)
  return table.concat(command(root, plugin, env), " ")
end

--- A script for M.run: `prelude` (Lua source that makes the table `r` and a function `finish()` writing it to
--- RESULT), then `body` under pcall, its error kept as r.error, then finish().
function M.script(prelude, body)
  return prelude .. "local ok, err = pcall(function()\n" .. body .. "\nend)\n"
    .. "r.error = not ok and tostring(err) or nil\nfinish()\n"
end

--- Runs `script` (Lua source) in headless Neovim with `plugin` on its runtimepath, isolated from the user's
--- configuration, with LUA_PATH and LUA_CPATH naming Lua 5.4 modules and `env` added. The script gets
--- RESULT (a file path) in its environment and writes JSON there; returns the decoded value (nil when the
--- script wrote nothing), Neovim's output and its exit status.
function M.run(root, plugin, script, env)
  local file = root .. "/script.lua"
  local f = assert(io.open(file, "w"))
  f:write(script)
  f:close()
  local result = root .. "/result.json"
  os.remove(result)
  local vars = { RESULT = result }
  for k, v in pairs(env or {}) do vars[k] = v end
  local words = command(root, plugin, vars, { "timeout", "120" })
  for _, w in ipairs { "--headless", "-c", q("luafile " .. file), "-c", "'qa!'", "</dev/null" } do
    words[#words + 1] = w
  end
  local out, status = helpers.capture(table.concat(words, " "))
  local text = helpers.read_file(result)
  if text == "" then return nil, out, status end
  local json = require "humanitec.json"
  local value = json.decode(text)
  return value, out, status
end

return M

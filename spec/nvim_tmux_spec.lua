-- :Humanitec driven as a person drives it: Neovim in a terminal (a tmux pane), keys typed with send-keys, the
-- screen read back with capture-pane. The plugin is installed as a plugin manager installs it; the pickers are
-- Neovim's own vim.ui.select (a numbered list), answered by typing a number.
local helpers = require "support.helpers"
local nvim = require "support.nvim"
local humanitec = require "humanitec"

local q = helpers.shell_quote

describe(":Humanitec in a terminal", function()
  local root, plugin, sim, tmux

  setup(function()
    if not (helpers.have("nvim") and helpers.have("tmux")) then return end
    root = nvim.temp_dir()
    plugin = nvim.install(root)
    sim = helpers.start_server("bin/humanitec-sim", { "--port", "0", "--org", "acme", "--token", "tok" })
    local client = humanitec.new { url = sim.url, token = "tok", config_file = "/dev/null" }
    assert(client:post("/orgs/acme/apps", { id = "web", name = "Web" }))
    assert(client:post("/orgs/acme/apps/web/envs", { id = "production", name = "Production", type = "development" }))
    client:close()
    -- A tmux server of its own (its socket in the temporary folder), with no configuration file.
    tmux = "env -u TMUX tmux -S " .. q(root .. "/tmux.sock") .. " -f /dev/null "
  end)

  teardown(function()
    if tmux then os.execute(tmux .. "kill-server 2>/dev/null") end
    if sim then sim.stop() end
    if root then os.execute("rm -rf " .. q(root)) end
  end)

  local function screen()
    return (helpers.capture(tmux .. "capture-pane -p -t hum"))
  end

  -- Waits (up to 20 s) until the screen shows `text` (plain); returns the screen, or raises with what it shows.
  local function wait_for(text)
    local shown
    for _ = 1, 200 do
      shown = screen()
      if shown:find(text, 1, true) then return shown end
      os.execute("sleep 0.1")
    end
    error(("the screen never showed %q; it shows:\n%s"):format(text, shown), 2)
  end

  local function keys(...)
    local words = {}
    for i = 1, select("#", ...) do words[i] = q(select(i, ...)) end
    assert(helpers.capture(tmux .. "send-keys -t hum " .. table.concat(words, " ")))
  end

  it("picks an org, an app and an environment from the numbered lists, completes, and shows the environment",
    function()
      if not (helpers.have("nvim") and helpers.have("tmux")) then
        pending("nvim or tmux is not installed")
        return
      end
      local command = nvim.command(root, plugin, { HUMANITEC_TOKEN = "tok", HUMANITEC_API_PREFIX = sim.url })
      local _, status = helpers.capture(tmux .. "new-session -d -s hum -x 120 -y 30 " .. q(command))
      assert.equals(0, status)
      wait_for("~") -- Neovim is up

      keys(":Humanitec org", "Enter")
      wait_for("Humanitec organization")
      wait_for("1: acme")
      keys("1", "Enter")
      wait_for("Humanitec: organization acme")
      keys("Enter")

      keys(":Humanitec app", "Enter")
      wait_for("1: web (Web)")
      keys("1", "Enter")
      wait_for("Humanitec: application acme/web")
      keys("Enter")

      keys(":Humanitec env", "Enter")
      local list = wait_for("2: production (Production)")
      assert.truthy(list:find("1: development (Development)", 1, true))
      keys("2", "Enter")
      wait_for("Humanitec: environment acme/web/production")
      keys("Enter")

      -- Tab completes the subcommand on the command line.
      keys(":Humanitec deploym", "Tab")
      wait_for(":Humanitec deployment")
      keys("Escape")

      keys(":Humanitec show", "Enter")
      local shown = wait_for("Environment production (app web, org acme)")
      assert.truthy(shown:find("humanitec://acme/web/production", 1, true), shown)
      wait_for("Last deployment: none")
      keys(":qa!", "Enter")
    end)
end)

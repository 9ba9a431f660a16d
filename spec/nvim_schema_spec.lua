-- score.yaml buffers get the Score schema from yaml-language-server: a real server (from build/npm) attached to a
-- score.yaml in headless Neovim, with the plugin installed as a plugin manager installs it, reports a mistake
-- that only the schema knows about.
local helpers = require "support.helpers"
local nvim = require "support.nvim"

local YAMLLS = "build/npm/node_modules/.bin/yaml-language-server"
local q = helpers.shell_quote

-- Opens a score.yaml with a mistake only the schema knows about, starts yaml-language-server for it after
-- `delay` seconds of the server's own start-up (0: none), and checks the schema is associated and the mistake
-- reported.
local function check(delay)
  if not helpers.have("nvim") then
    pending("nvim is not installed")
    return
  end
  if not (helpers.have("node") and helpers.read_file(YAMLLS) ~= "") then
    pending("yaml-language-server is not installed (tools/deps test puts it in build/npm)")
    return
  end
  local root = nvim.temp_dir()
  local plugin = nvim.install(root)
  local yamlls = helpers.capture("pwd"):gsub("%s+$", "") .. "/" .. YAMLLS
  local result, out = nvim.run(root, plugin, [[
    local r = {}
    vim.cmd("edit score.yaml")
    vim.api.nvim_buf_set_lines(0, 0, -1, false, { "apiVersion: score.dev/v1b1", "metadata:", "  name: web",
      "containers:", "  main:", "    image: 42" })
    vim.cmd("write")
    local buf = vim.api.nvim_get_current_buf()
    -- A client as nvim-lspconfig would start it; SchemaStore off: nothing is fetched from the network.
    local id = vim.lsp.start_client {
      name = "yamlls", root_dir = vim.fn.getcwd(),
      cmd = { "sh", "-c", "sleep $1; exec \"$0\" --stdio", os.getenv("YAMLLS"), os.getenv("DELAY") },
      settings = { yaml = { schemaStore = { enable = false }, validate = true } },
    }
    vim.lsp.buf_attach_client(buf, id)
    vim.wait(30000, function() return #vim.diagnostic.get(buf) > 0 end, 50)
    r.diagnostics = {}
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      r.diagnostics[#r.diagnostics + 1] = { line = d.lnum + 1, message = d.message }
    end
    r.schemas = vim.lsp.get_client_by_id(id).config.settings.yaml.schemas
    r.path = require("humanitec.nvim.schema").path()
    vim.lsp.stop_client(id, true)
    local f = assert(io.open(os.getenv("RESULT"), "w")); f:write(vim.json.encode(r)); f:close()
  ]], { YAMLLS = yamlls, DELAY = tostring(delay) })
  os.execute("rm -rf " .. q(root))
  assert.is_table(result, out)
  assert.is_truthy(result.path:find("/humanitec/score%-v1b1%.schema%.json$"), result.path)
  assert.same({ "**/score.yaml", "**/score.yml", "**/score-*.yaml", "**/score-*.yml" }, result.schemas[result.path])
  assert.equals(1, #result.diagnostics, out)
  assert.equals(6, result.diagnostics[1].line)
  assert.matches("[Ee]xpected.*string", result.diagnostics[1].message)
end

describe("Score schema for yaml-language-server", function()
  it("is associated with score.yaml when yaml-language-server attaches", function()
    check(0)
  end)

  it("is associated however long yaml-language-server takes to start", function()
    -- Longer than any fixed watch after the buffer opens would last.
    check(7)
  end)
end)

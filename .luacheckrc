-- luacheck configuration: `make lint`.
std = "max"
max_line_length = 120
files["spec/**/*_spec.lua"] = { std = "+busted", max_line_length = 130 }
files["lua/humanitec/types.lua"] = { ignore = { "212", "631" } } -- a ---@meta file of method stubs
exclude_files = { "build/**" }
files["spec/support/nvim_*.lua"] = { read_globals = { "vim" } } -- runs inside Neovim
files["lua/humanitec/score/schema.lua"] = { max_line_length = false } -- generated: patterns stay on one line
-- The Neovim plugin: these run inside Neovim only.
files["lua/humanitec/nvim/**/*.lua"] = { globals = { "vim" } } -- sets buffer options through vim.bo
files["lua/humanitec/health.lua"] = { read_globals = { "vim" } }
files["plugin/*.lua"] = { globals = { "vim" } } -- sets vim.g and package.preload

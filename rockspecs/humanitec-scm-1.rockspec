-- The SDK: the C core on libcurl, the client, the generated operations, workflows, Score, the CLI.
--   luarocks --lua-version 5.4 make --deps-mode none CURL_INCDIR=/usr/include/x86_64-linux-gnu rockspecs/humanitec-scm-1.rockspec
-- (Debian keeps libcurl's headers in the multiarch folder; elsewhere the defaults find them.) The core is built
-- by the Makefile's `rock` target into build/rock/, so nothing lands beside the sources: humanitec.core (on
-- libcurl) and humanitec.jsonc (the JSON decoder alone).
rockspec_format = "3.0"
package = "humanitec"
version = "scm-1"
source = {
  url = "git+https://github.com/lua-humanitec/lua-humanitec.git",
}
description = {
  summary = "Lua SDK for the Humanitec Platform Orchestrator API, on libcurl",
  detailed = [[
Every operation of the Humanitec API by name, JSON as Lua tables, structured errors, retries, concurrent
requests, workflow helpers (deploy and wait, promote, values, pipelines), Score workloads, and the `humanitec`
command line. A small C core on libcurl keeps the bearer token out of Lua strings. The simulator of the API
for tests is the separate rock humanitec-sim.]],
  homepage = "https://github.com/lua-humanitec/lua-humanitec",
  license = "MIT",
  labels = { "humanitec", "http", "api", "libcurl" },
}
dependencies = {
  "lua >= 5.1",
  "lua-cjson",
  "argparse", -- bin/humanitec
  "lyaml", -- YAML documents (humanitec.yaml, humanitec.score)
  "basexx", -- Score files with binaryContent
}
external_dependencies = {
  CURL = { header = "curl/curl.h", library = "curl" },
}
build = {
  type = "make",
  makefile = "Makefile",
  build_target = "rock",
  build_variables = {
    CFLAGS = "$(CFLAGS)",
    LIBFLAG = "$(LIBFLAG)",
    LUA_INCDIR = "$(LUA_INCDIR)",
    CURL_INCDIR = "$(CURL_INCDIR)",
    CURL_LIBDIR = "$(CURL_LIBDIR)",
  },
  install_pass = false,
  install = {
    lib = {
      ["humanitec.core"] = "build/rock/humanitec/core.so",
      ["humanitec.jsonc"] = "build/rock/humanitec/jsonc.so",
    },
    lua = {
      ["humanitec.async"] = "lua/humanitec/async.lua",
      ["humanitec.calls"] = "lua/humanitec/calls.lua",
      ["humanitec.cli.api"] = "lua/humanitec/cli/api.lua",
      ["humanitec.cli.apply"] = "lua/humanitec/cli/apply.lua",
      ["humanitec.cli.args"] = "lua/humanitec/cli/args.lua",
      ["humanitec.cli.completion"] = "lua/humanitec/cli/completion.lua",
      ["humanitec.cli.configure"] = "lua/humanitec/cli/configure.lua",
      ["humanitec.cli.context"] = "lua/humanitec/cli/context.lua",
      ["humanitec.cli.deploy"] = "lua/humanitec/cli/deploy.lua",
      ["humanitec.cli.diff"] = "lua/humanitec/cli/diff.lua",
      ["humanitec.cli.fail"] = "lua/humanitec/cli/fail.lua",
      ["humanitec.cli.format"] = "lua/humanitec/cli/format.lua",
      ["humanitec.cli.get"] = "lua/humanitec/cli/get.lua",
      ["humanitec.cli"] = "lua/humanitec/cli/init.lua",
      ["humanitec.cli.input"] = "lua/humanitec/cli/input.lua",
      ["humanitec.cli.kinds"] = "lua/humanitec/cli/kinds.lua",
      ["humanitec.cli.login"] = "lua/humanitec/cli/login.lua",
      ["humanitec.cli.mutate"] = "lua/humanitec/cli/mutate.lua",
      ["humanitec.cli.output"] = "lua/humanitec/cli/output.lua",
      ["humanitec.cli.params"] = "lua/humanitec/cli/params.lua",
      ["humanitec.cli.resources"] = "lua/humanitec/cli/resources.lua",
      ["humanitec.cli.run"] = "lua/humanitec/cli/run.lua",
      ["humanitec.cli.score"] = "lua/humanitec/cli/score.lua",
      ["humanitec.cli.version"] = "lua/humanitec/cli/version.lua",
      ["humanitec.client"] = "lua/humanitec/client.lua",
      ["humanitec.config"] = "lua/humanitec/config.lua",
      ["humanitec.dates"] = "lua/humanitec/dates.lua",
      ["humanitec.errors"] = "lua/humanitec/errors.lua",
      ["humanitec.health"] = "lua/humanitec/health.lua",
      ["humanitec.hex"] = "lua/humanitec/hex.lua",
      ["humanitec"] = "lua/humanitec/init.lua",
      ["humanitec.json"] = "lua/humanitec/json.lua",
      ["humanitec.loop"] = "lua/humanitec/loop/init.lua",
      ["humanitec.nvim.commands"] = "lua/humanitec/nvim/commands.lua",
      ["humanitec.nvim"] = "lua/humanitec/nvim/init.lua",
      ["humanitec.nvim.schema"] = "lua/humanitec/nvim/schema.lua",
      ["humanitec.nvim.view"] = "lua/humanitec/nvim/view.lua",
      ["humanitec.operations"] = "lua/humanitec/operations.lua",
      ["humanitec.pipeline"] = "lua/humanitec/pipeline.lua",
      ["humanitec.paginate"] = "lua/humanitec/paginate.lua",
      ["humanitec.retry"] = "lua/humanitec/retry.lua",
      ["humanitec.score.commands"] = "lua/humanitec/score/commands.lua",
      ["humanitec.score.delta"] = "lua/humanitec/score/delta.lua",
      ["humanitec.score.deploy"] = "lua/humanitec/score/deploy.lua",
      ["humanitec.score"] = "lua/humanitec/score/init.lua",
      ["humanitec.score.jsonschema"] = "lua/humanitec/score/jsonschema.lua",
      ["humanitec.score.regex"] = "lua/humanitec/score/regex.lua",
      ["humanitec.score.schema"] = "lua/humanitec/score/schema.lua",
      ["humanitec.score.shape"] = "lua/humanitec/score/shape.lua",
      ["humanitec.score.yaml"] = "lua/humanitec/score/yaml.lua",
      ["humanitec.types"] = "lua/humanitec/types.lua",
      ["humanitec.url"] = "lua/humanitec/url.lua",
      ["humanitec.vocabulary"] = "lua/humanitec/vocabulary.lua",
      ["humanitec.workflows"] = "lua/humanitec/workflows/init.lua",
      ["humanitec.workflows.apps"] = "lua/humanitec/workflows/apps.lua",
      ["humanitec.workflows.deploy"] = "lua/humanitec/workflows/deploy.lua",
      ["humanitec.workflows.pipelines"] = "lua/humanitec/workflows/pipelines.lua",
      ["humanitec.workflows.resources"] = "lua/humanitec/workflows/resources.lua",
      ["humanitec.workflows.shared"] = "lua/humanitec/workflows/shared.lua",
      ["humanitec.workflows.tokens"] = "lua/humanitec/workflows/tokens.lua",
      ["humanitec.workflows.values"] = "lua/humanitec/workflows/values.lua",
      ["humanitec.yaml"] = "lua/humanitec/yaml.lua",
    },
    bin = { ["humanitec"] = "bin/humanitec" },
  },
}
test = {
  type = "busted",
}

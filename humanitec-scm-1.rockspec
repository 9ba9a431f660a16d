-- luarocks --lua-version 5.4 make --deps-mode none CURL_INCDIR=/usr/include/x86_64-linux-gnu
-- (Debian keeps libcurl's headers in the multiarch folder; elsewhere the defaults find them.)
rockspec_format = "3.0"
package = "humanitec"
version = "scm-1"
source = {
  url = "git+https://github.com/lua-humanitec/lua-humanitec.git",
}
description = {
  summary = "Lua SDK for the Humanitec Platform Orchestrator API, on libcurl",
  detailed = [[
Every operation of the Humanitec API by name, JSON as Lua tables, structured errors, workflow helpers, and a
local simulator of the API for tests. A small C core on libcurl keeps the bearer token out of Lua strings.]],
  license = "MIT",
  labels = { "humanitec", "http", "api", "libcurl" },
}
dependencies = {
  "lua >= 5.1",
  "lua-cjson",
  "argparse", -- for bin/humanitec
  "lyaml", -- humanitec.score reads Score files
  "basexx", -- humanitec.score decodes a Score file's binaryContent
}
external_dependencies = {
  CURL = { header = "curl/curl.h", library = "curl" },
}
build = {
  type = "builtin",
  modules = {
    ["humanitec.core"] = {
      sources = { "csrc/buffer.c", "csrc/core.c", "csrc/headers.c", "csrc/jdecode.c", "csrc/multi.c", "csrc/session.c",
        "csrc/transfer.c" },
      libraries = { "curl" },
      incdirs = { "$(CURL_INCDIR)" },
      libdirs = { "$(CURL_LIBDIR)" },
    },
    ["humanitec.jsonc"] = { sources = { "csrc/jdecode.c", "csrc/jsonc.c" } },
    ["humanitec"] = "lua/humanitec/init.lua",
    ["humanitec.async"] = "lua/humanitec/async.lua",
    ["humanitec.calls"] = "lua/humanitec/calls.lua",
    ["humanitec.cli"] = "lua/humanitec/cli/init.lua",
    ["humanitec.cli.api"] = "lua/humanitec/cli/api.lua",
    ["humanitec.cli.apply"] = "lua/humanitec/cli/apply.lua",
    ["humanitec.cli.args"] = "lua/humanitec/cli/args.lua",
    ["humanitec.cli.completion"] = "lua/humanitec/cli/completion.lua",
    ["humanitec.cli.configure"] = "lua/humanitec/cli/configure.lua",
    ["humanitec.cli.context"] = "lua/humanitec/cli/context.lua",
    ["humanitec.cli.deploy"] = "lua/humanitec/cli/deploy.lua",
    ["humanitec.cli.fail"] = "lua/humanitec/cli/fail.lua",
    ["humanitec.cli.format"] = "lua/humanitec/cli/format.lua",
    ["humanitec.cli.get"] = "lua/humanitec/cli/get.lua",
    ["humanitec.cli.input"] = "lua/humanitec/cli/input.lua",
    ["humanitec.cli.kinds"] = "lua/humanitec/cli/kinds.lua",
    ["humanitec.cli.login"] = "lua/humanitec/cli/login.lua",
    ["humanitec.cli.mutate"] = "lua/humanitec/cli/mutate.lua",
    ["humanitec.cli.output"] = "lua/humanitec/cli/output.lua",
    ["humanitec.cli.params"] = "lua/humanitec/cli/params.lua",
    ["humanitec.cli.run"] = "lua/humanitec/cli/run.lua",
    ["humanitec.cli.score"] = "lua/humanitec/cli/score.lua",
    ["humanitec.cli.version"] = "lua/humanitec/cli/version.lua",
    ["humanitec.client"] = "lua/humanitec/client.lua",
    ["humanitec.config"] = "lua/humanitec/config.lua",
    ["humanitec.errors"] = "lua/humanitec/errors.lua",
    ["humanitec.health"] = "lua/humanitec/health.lua",
    ["humanitec.json"] = "lua/humanitec/json.lua",
    ["humanitec.loop"] = "lua/humanitec/loop/init.lua",
    ["humanitec.nvim"] = "lua/humanitec/nvim/init.lua",
    ["humanitec.nvim.commands"] = "lua/humanitec/nvim/commands.lua",
    ["humanitec.nvim.schema"] = "lua/humanitec/nvim/schema.lua",
    ["humanitec.nvim.view"] = "lua/humanitec/nvim/view.lua",
    ["humanitec.operations"] = "lua/humanitec/operations.lua",
    ["humanitec.paginate"] = "lua/humanitec/paginate.lua",
    ["humanitec.retry"] = "lua/humanitec/retry.lua",
    ["humanitec.score"] = "lua/humanitec/score/init.lua",
    ["humanitec.score.commands"] = "lua/humanitec/score/commands.lua",
    ["humanitec.score.delta"] = "lua/humanitec/score/delta.lua",
    ["humanitec.score.deploy"] = "lua/humanitec/score/deploy.lua",
    ["humanitec.score.jsonschema"] = "lua/humanitec/score/jsonschema.lua",
    ["humanitec.score.regex"] = "lua/humanitec/score/regex.lua",
    ["humanitec.score.schema"] = "lua/humanitec/score/schema.lua",
    ["humanitec.score.shape"] = "lua/humanitec/score/shape.lua",
    ["humanitec.score.yaml"] = "lua/humanitec/score/yaml.lua",
    ["humanitec.types"] = "lua/humanitec/types.lua",
    ["humanitec.url"] = "lua/humanitec/url.lua",
    ["humanitec.vocabulary"] = "lua/humanitec/vocabulary.lua",
    ["humanitec.workflows"] = "lua/humanitec/workflows.lua",
    ["humanitec.yaml"] = "lua/humanitec/yaml.lua",
    ["humanitec.sim"] = "lua/humanitec/sim/init.lua",
    ["humanitec.sim.apps"] = "lua/humanitec/sim/apps.lua",
    ["humanitec.sim.artefacts"] = "lua/humanitec/sim/artefacts.lua",
    ["humanitec.sim.collections"] = "lua/humanitec/sim/collections.lua",
    ["humanitec.sim.deltas"] = "lua/humanitec/sim/deltas.lua",
    ["humanitec.sim.deploys"] = "lua/humanitec/sim/deploys.lua",
    ["humanitec.sim.devices"] = "lua/humanitec/sim/devices.lua",
    ["humanitec.sim.find"] = "lua/humanitec/sim/find.lua",
    ["humanitec.sim.orgs"] = "lua/humanitec/sim/orgs.lua",
    ["humanitec.sim.patch"] = "lua/humanitec/sim/patch.lua",
    ["humanitec.sim.pipelines"] = "lua/humanitec/sim/pipelines.lua",
    ["humanitec.sim.resources"] = "lua/humanitec/sim/resources.lua",
    ["humanitec.sim.router"] = "lua/humanitec/sim/router.lua",
    ["humanitec.sim.schemas"] = "lua/humanitec/sim/schemas.lua",
    ["humanitec.sim.score"] = "lua/humanitec/sim/score.lua",
    ["humanitec.sim.server"] = "lua/humanitec/sim/server.lua",
    ["humanitec.sim.sha256"] = "lua/humanitec/sim/sha256.lua",
    ["humanitec.sim.shape"] = "lua/humanitec/sim/shape.lua",
    ["humanitec.sim.store"] = "lua/humanitec/sim/store.lua",
    ["humanitec.sim.transport"] = "lua/humanitec/sim/transport.lua",
    ["humanitec.sim.users"] = "lua/humanitec/sim/users.lua",
    ["humanitec.sim.util"] = "lua/humanitec/sim/util.lua",
    ["humanitec.sim.values"] = "lua/humanitec/sim/values.lua",
  },
  install = {
    bin = { ["humanitec"] = "bin/humanitec", ["humanitec-sim"] = "bin/humanitec-sim" },
  },
}
test = {
  type = "busted",
}

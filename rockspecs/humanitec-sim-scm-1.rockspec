-- The simulator of the Humanitec API: in process (humanitec.sim) and over HTTP (bin/humanitec-sim).
--   luarocks --lua-version 5.4 make --deps-mode none rockspecs/humanitec-sim-scm-1.rockspec
rockspec_format = "3.0"
package = "humanitec-sim"
version = "scm-1"
source = {
  url = "git+https://github.com/lua-humanitec/lua-humanitec.git",
}
description = {
  summary = "A stateful, in-memory simulator of the Humanitec API, for tests",
  detailed = [[
Apps, environments, deltas, sets, deployments, values, pipelines, resources and users, answering the
humanitec SDK in process or any client over HTTP on loopback (bin/humanitec-sim), with a clock and faults
that tests drive.]],
  homepage = "https://github.com/lua-humanitec/lua-humanitec",
  license = "MIT",
  labels = { "humanitec", "simulator", "testing" },
}
dependencies = {
  "lua >= 5.1",
  "humanitec",
  "http", -- bin/humanitec-sim serves over lua-http
  "cqueues",
  "luaossl", -- SHA-256 for content-derived ids (openssl.digest)
  "basexx", -- base64 of ids and page tokens
}
build = {
  -- Not "builtin": that type also copies the whole lua/ folder, the SDK's modules included, into this rock.
  type = "none",
  install = {
    lua = {
      ["humanitec.sim.access"] = "lua/humanitec/sim/access.lua",
      ["humanitec.sim.apps"] = "lua/humanitec/sim/apps.lua",
      ["humanitec.sim.artefacts"] = "lua/humanitec/sim/artefacts.lua",
      ["humanitec.sim.collections"] = "lua/humanitec/sim/collections.lua",
      ["humanitec.sim.deltas"] = "lua/humanitec/sim/deltas.lua",
      ["humanitec.sim.deploys"] = "lua/humanitec/sim/deploys.lua",
      ["humanitec.sim.devices"] = "lua/humanitec/sim/devices.lua",
      ["humanitec.sim.find"] = "lua/humanitec/sim/find.lua",
      ["humanitec.sim"] = "lua/humanitec/sim/init.lua",
      ["humanitec.sim.orgs"] = "lua/humanitec/sim/orgs.lua",
      ["humanitec.sim.patch"] = "lua/humanitec/sim/patch.lua",
      ["humanitec.sim.pipelines"] = "lua/humanitec/sim/pipelines.lua",
      ["humanitec.sim.resources"] = "lua/humanitec/sim/resources.lua",
      ["humanitec.sim.router"] = "lua/humanitec/sim/router.lua",
      ["humanitec.sim.runtime"] = "lua/humanitec/sim/runtime.lua",
      ["humanitec.sim.schemas"] = "lua/humanitec/sim/schemas.lua",
      ["humanitec.sim.score"] = "lua/humanitec/sim/score.lua",
      ["humanitec.sim.server"] = "lua/humanitec/sim/server.lua",
      ["humanitec.sim.shape"] = "lua/humanitec/sim/shape.lua",
      ["humanitec.sim.store"] = "lua/humanitec/sim/store.lua",
      ["humanitec.sim.transport"] = "lua/humanitec/sim/transport.lua",
      ["humanitec.sim.users"] = "lua/humanitec/sim/users.lua",
      ["humanitec.sim.util"] = "lua/humanitec/sim/util.lua",
      ["humanitec.sim.values"] = "lua/humanitec/sim/values.lua",
    },
    bin = { ["humanitec-sim"] = "bin/humanitec-sim" },
  },
}

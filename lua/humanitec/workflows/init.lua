--- Workflow helpers: the few-line versions of what release scripts do with Humanitec. Each is a client method
--- composed of the generated operations, and keeps their contract: the result, or nil and an error object.
---
--- Waiting polls every `interval` seconds (2 by default), backing off by half again each time up to 10 s, on
--- the session's clock: real time over HTTP, the simulator's own clock in process, so specs never sleep.
---
--- ```lua
--- assert(client:ensure_app { appId = "shop", envs = { "development", "production" } })
--- local d, err = client:deploy { appId = "shop", envId = "development", delta = { modules = {} } }
--- assert(client:promote { appId = "shop", from = "development", to = "production" })
--- ```
---
--- Each area has its own module under humanitec.workflows; this one gathers their helpers into one table, and
--- refuses a name two areas both define.
local W = {}

for _, area in ipairs { "deploy", "values", "pipelines", "resources", "apps", "tokens" } do
  for name, helper in pairs(require("humanitec.workflows." .. area)) do
    if W[name] then error("humanitec.workflows: two areas define the helper '" .. name .. "'") end
    W[name] = helper
  end
end

return W

--- Looks up the application, environment or deployment a request's path names, failing with 404 when it is
-- not there. Shared by the area modules so each lookup and its message is written once.
local U = require "humanitec.sim.util"

local M = {}

--- The application named by `req.params.appId`.
---@param req table
---@return table
function M.app(req)
  local app = req.org.apps[req.params.appId]
  if not app then U.fail(404, "application '" .. req.params.appId .. "' not found") end
  return app
end

--- The application and environment named by the path.
---@param req table
---@return table app
---@return table env
function M.env(req)
  local app = M.app(req)
  local env = app.envs[req.params.envId]
  if not env then U.fail(404, "environment '" .. req.params.envId .. "' not found in '" .. app.id .. "'") end
  return app, env
end

--- The deployment `id` in any environment of `app`, or nil.
---@param app table
---@param id string
---@return table?
function M.deploy_in_app(app, id)
  for _, env in pairs(app.envs) do
    if env.deploys[id] then return env.deploys[id] end
  end
  return nil
end

return M

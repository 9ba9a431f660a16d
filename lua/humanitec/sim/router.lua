--- A small router: method + path template ("/orgs/{orgId}/apps") -> handler, with the template's
-- parameters captured by name.
local url = require "humanitec.url"

local M = {}

local Router = {}
Router.__index = Router

--- A new, empty router.
---@return table
function M.new()
  return setmetatable({ routes = {} }, Router)
end

local function split(path)
  local segs = {}
  for seg in path:gmatch("[^/]+") do segs[#segs + 1] = seg end
  return segs
end

local unescape = url.unescape -- path segments: %XX only, a `+` stays

--- Adds a route.
---@param method string  "GET", "POST", ...
---@param template string  path with {name} placeholders, each a whole segment
---@param handler function
function Router:add(method, template, handler)
  if type(handler) ~= "function" then
    error("bad argument #3 to 'add' (function expected for " .. method .. " " .. template .. ")", 2)
  end
  self.routes[#self.routes + 1] = { method = method, template = template, segs = split(template), handler = handler }
end

-- Literal segments must match; placeholders take any non-empty segment. Returns the captures or nil.
local function match(segs, path_segs)
  if #segs ~= #path_segs then return nil end
  local params = {}
  for i, seg in ipairs(segs) do
    local name = seg:match("^{(.+)}$")
    if name then
      params[name] = unescape(path_segs[i])
    elseif seg ~= path_segs[i] then
      return nil
    end
  end
  return params
end

--- Finds the route for a request. Returns the handler, the captured parameters and the template; or nil and
-- the list of methods the path does allow (empty when no route has that path at all).
---@param method string
---@param path string
---@return function|nil handler
---@return table params_or_allowed
---@return string? template
function Router:find(method, path)
  local path_segs = split(path)
  local allowed = {}
  -- A literal segment beats a placeholder ("/versions/latest" over "/versions/{id}"): routes are tried with
  -- the most literal segments first.
  local best, best_params, best_score
  for _, route in ipairs(self.routes) do
    local params = match(route.segs, path_segs)
    if params then
      if route.method == method then
        local score = 0
        for _, seg in ipairs(route.segs) do
          if not seg:find("^{") then score = score + 1 end
        end
        if not best or score > best_score then best, best_params, best_score = route, params, score end
      else
        allowed[#allowed + 1] = route.method
      end
    end
  end
  if best then return best.handler, best_params, best.template end
  table.sort(allowed)
  return nil, allowed
end

return M

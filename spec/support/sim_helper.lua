--- Helpers for the simulator specs: a simulator with one organization and token, a tiny JSON client that
-- calls `sim:handle`, and the two modes the route specs run in:
--
--   for mode in H.modes() do
--     describe(mode.name, function()
--       setup(mode.start)       -- over HTTP: starts bin/humanitec-sim for the whole file
--       teardown(mode.stop)
--       local sim, api
--       before_each(function() sim, api = mode.new{ deploy_seconds = 4 } end)
--       ...
--
-- In process `sim` is a simulator; over HTTP it is a stand-in (support.sim_remote) whose `handle` goes over
-- HTTP and whose `advance`, `inject`, `fail_next_deployment`, `clear_faults`, `now` and `add_token` call the
-- control API. `mode.new` starts a fresh simulator either way, so tests stay independent.
local json = require "humanitec.json"
local sim_mod = require "humanitec.sim"

local M = {}

--- A client bound to `sim` and `token`: `api.get(path)`, `api.post(path, body)`, ... return the status, the
-- decoded JSON body (nil when empty or not JSON), the headers and the raw body. `path` may carry a query string.
---@param sim table
---@param token? string
---@return table
function M.client(sim, token)
  local api = {}
  function api.call(method, path, body, extra)
    extra = extra or {}
    local headers = {}
    if token then headers.authorization = "Bearer " .. token end
    local text = body
    if body ~= nil and type(body) ~= "string" then
      text = json.encode(body)
      headers["content-type"] = "application/json"
    end
    for k, v in pairs(extra.headers or {}) do headers[k] = v end
    local p, query = path:match("^([^?]*)%??(.*)$")
    local status, h, b = sim:handle{
      method = method, path = p, query = query ~= "" and query or nil, headers = headers, body = text,
    }
    local decoded
    if b ~= "" and (h["content-type"] or ""):find("json", 1, true) then decoded = assert(json.decode(b)) end
    return status, decoded, h, b
  end
  for _, m in ipairs({ "get", "post", "put", "patch", "delete" }) do
    api[m] = function(path, body, extra) return api.call(m:upper(), path, body, extra) end
  end
  return api
end

--- A simulator (options merged over one org "acme" and one token "tok" for it) and a client for "tok".
---@param opts? table
---@return table sim
---@return table api
function M.new(opts)
  opts = opts or {}
  opts.orgs = opts.orgs or { "acme" }
  opts.tokens = opts.tokens or { tok = { "acme" } }
  local sim = sim_mod.new(opts)
  return sim, M.client(sim, "tok")
end

--- Iterates over the modes the route specs run in: "in process" (`mode.in_process`) and "over HTTP"
-- (`mode.http`). Each has `name`, `start` and `stop` (for setup and teardown) and `new(opts)`, which does
-- what `M.new` does.
---@return fun(): table?
function M.modes()
  local in_process = { name = "in process", in_process = true, new = M.new }
  function in_process.start() end
  function in_process.stop() end

  local http = { name = "over HTTP", http = true }
  local remote
  function http.start() remote = require("support.sim_remote").start() end
  function http.stop()
    if remote then remote:stop() end
    remote = nil
  end
  function http.new(opts)
    assert(remote, "over HTTP, mode.new needs setup(mode.start) first")
    opts = opts or {}
    opts.orgs = opts.orgs or { "acme" }
    opts.tokens = opts.tokens or { tok = { "acme" } }
    remote:reset(opts)
    return remote, M.client(remote, "tok")
  end
  local modes, i = { in_process, http }, 0
  return function()
    i = i + 1
    return modes[i]
  end
end

--- Creates application `id` (with its "development" environment) and returns its body.
---@param api table
---@param id string
---@return table
function M.app(api, id)
  local status, body = api.post("/orgs/acme/apps", { id = id, name = id })
  assert(status == 201, "creating app " .. id .. " gave " .. tostring(status))
  return body
end

--- Creates a delta in `app` adding `modules` and returns its id.
---@param api table
---@param app string
---@param modules table
---@return string
function M.delta(api, app, modules)
  local status, body = api.post("/orgs/acme/apps/" .. app .. "/deltas", { modules = { add = modules } })
  assert(status == 200, "creating a delta gave " .. tostring(status))
  return body.id
end

--- Finds the value of `name` in a lowercase header table (a repeated header gives its first value).
---@param headers table
---@param name string
---@return string?
function M.header(headers, name)
  local v = headers[name:lower()]
  if type(v) == "table" then return v[1] end
  return v
end

--- A simulator (options merged over org "acme" and token "tok"), a humanitec client on it in process, and a
--- table that counts the client's requests by method (`counts.POST`, ...), for specs that check what was sent.
---@param sim_opts? table
---@return table client
---@return table sim
---@return table counts
function M.counting_client(sim_opts)
  sim_opts = sim_opts or {}
  sim_opts.orgs = sim_opts.orgs or { "acme" }
  sim_opts.tokens = sim_opts.tokens or { tok = { "acme" } }
  local sim = sim_mod.new(sim_opts)
  local inner = sim:transport()
  local counts = {}
  local transport = {
    open = function(_, opts)
      local session = inner:open(opts)
      return setmetatable({
        request = function(_, method, ...)
          counts[method] = (counts[method] or 0) + 1
          return session:request(method, ...)
        end,
      }, { __index = session })
    end,
  }
  local client = require("humanitec").new { transport = transport, token = "tok", org = "acme",
    url = "http://sim.invalid", config_file = "/dev/null" }
  return client, sim, counts
end

return M

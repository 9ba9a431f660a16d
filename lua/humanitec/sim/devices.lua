--- The device log-in flow that Humanitec's own tools use (not part of the OpenAPI spec).
--
--   POST /auth/device       {"device_id": "..."}       -> 200 {"security_code", "verification_url"}
--   POST /auth/device-poll  {"security_code": "..."}   -> 202 {"accepted": false} while nobody has answered,
--                                                         200 {"accepted": true, "access_token"} once approved,
--                                                         200 {"accepted": false} once refused,
--                                                         404 for a code it does not know (or one that expired)
--
-- Neither needs a token. Nobody opens the verification URL of a simulator: a test approves or refuses the
-- request through `sim:approve_device` / `sim:refuse_device` (over HTTP, the control API). An approved request
-- yields a session token that expires (a day by default), as the real log-in does.
local U = require "humanitec.sim.util"

local M = {}

--- Seconds a device request stays answerable.
M.REQUEST_SECONDS = 600

--- Seconds a session token from an approved request lasts unless the approval says otherwise.
M.SESSION_SECONDS = 86400

---@param sim table
function M.init(sim)
  sim.devices = {} -- security code -> { device_id, security_code, state, created_at, seq, token? }
end

-- Forgets requests older than REQUEST_SECONDS.
---@param sim table
---@param now number
function M.settle(sim, now)
  for code, d in pairs(sim.devices) do
    if now - d.created_at >= M.REQUEST_SECONDS then sim.devices[code] = nil end
  end
end

local function start(sim, req)
  local body = U.json_body(req)
  local device_id = U.field(body, "device_id", "string", true)
  local hex = U.hex_id(sim, 8):upper()
  local code = hex:sub(1, 4) .. "-" .. hex:sub(5, 8)
  sim.devices[code] = {
    device_id = device_id, security_code = code, state = "pending", created_at = sim:now(), seq = sim:next_seq(),
  }
  return 200, {
    security_code = code,
    verification_url = (sim.public_url or "http://humanitec-sim.invalid") .. "/auth/device/verify?code=" .. code,
  }
end

local function poll(sim, req)
  local body = U.json_body(req)
  local code = U.field(body, "security_code", "string", true)
  local d = sim.devices[code]
  if not d then U.fail(404, "no device request with security code '" .. code .. "' (it may have expired)") end
  if d.state == "pending" then return 202, { accepted = false } end
  sim.devices[code] = nil -- answered once: the token is handed out a single time
  if d.state == "refused" then return 200, { accepted = false } end
  return 200, { accepted = true, access_token = d.token }
end

---@param r table router
function M.routes(r)
  r:add("POST", "/auth/device", start)
  r:add("POST", "/auth/device-poll", poll)
end

--- The pending device requests, oldest first: { security_code, device_id, created_at (ISO 8601) }.
---@param sim table
---@return table[]
function M.pending(sim)
  local out = {}
  for _, d in ipairs(U.ordered(sim.devices, function(d) return d.state == "pending" end)) do
    out[#out + 1] = { security_code = d.security_code, device_id = d.device_id, created_at = U.iso(d.created_at) }
  end
  return out
end

--- Finds the pending request `code`, or nil and why not.
---@param sim table
---@param code any
---@return table|nil
---@return string? err
function M.find_pending(sim, code)
  local d = type(code) == "string" and sim.devices[code]
  if not d then return nil, "no device request with security code '" .. tostring(code) .. "'" end
  if d.state ~= "pending" then return nil, "the device request '" .. code .. "' was already answered" end
  return d
end

return M

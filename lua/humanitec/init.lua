--- lua-humanitec: a Lua SDK for the Humanitec Platform Orchestrator API.
---
--- ```lua
--- local humanitec = require "humanitec"
--- local client = humanitec.new { user_agent = "release-bot/1.2" }
--- local orgs = assert(client:get("/orgs"))
--- ```
local client = require "humanitec.client"
local errors = require "humanitec.errors"
local json = require "humanitec.json"
local url = require "humanitec.url"

local M = {}

--- The SDK's version.
M.VERSION = client.VERSION

--- The value JSON `null` decodes to; put it in a body to send `null`.
M.null = json.null

--- Makes a client. Options: token, org, url, user_agent, timeout, connect_timeout, ca_file, ca_path,
--- insecure, max_body, config_file, transport, on_trace, retries (see the README).
---@param opts? humanitec.Options
---@return humanitec.Client
M.new = client.new -- not wrapped: option errors point at the caller's line

--- Percent-encodes one path segment, so an id cannot change the path: `"/orgs/" .. humanitec.escape(id)`.
---@param segment string|number
---@return string
M.escape = url.escape

--- Marks a table as a JSON array, so that it is sent as `[]` even when empty.
---@param t? table
---@return table
M.array = json.array

--- True when `v` is an error object returned by the SDK.
---@param v any
---@return boolean
M.is_error = errors.is_error

return M

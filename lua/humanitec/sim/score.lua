--- Converts a Score workload into Deployment Set content, as `convertScoreToSet` and workload artefact versions
-- do, with the SDK's own translation (humanitec.score, documented field by field in docs/score.md): what the
-- simulator answers and what `score.to_delta` builds are the same module by construction, so
-- spec/score_convert_spec.lua checks its answers against the reviewed golden deltas instead.
--
--   { modules = { <metadata.name> = { profile, spec, externals?, deploy? } },
--     shared = { <id> = { type, class, params? } } }
--
-- The body's `image`, `overrides`, `property_overrides` (path -> value), `resource_type_aliases` and
-- `extensions` apply as they do for `to_delta`. An invalid Score spec, a placeholder that names nothing and a
-- file given by `source` (the server cannot read the user's disk) are answered 400 with the reason.
local json = require "humanitec.json"
local U = require "humanitec.sim.util"

local M = {}

---@class humanitec.sim.ScoreOptions
---@field image? string  the image of containers whose image is "."
---@field extensions? table  the Humanitec extensions (apiVersion, profile, spec, deploy)
---@field overrides? table  a Score fragment merged over the spec
---@field property_overrides? table<string, any>  path -> value
---@field resource_type_aliases? table<string, string>

--- The Deployment Set content (`{ modules, shared }`) for a Score workload. Fails the request with 400 when
--- the workload cannot be converted.
---@param spec table  the Score workload
---@param opts? humanitec.sim.ScoreOptions
---@return table content
function M.to_set(spec, opts)
  opts = opts or {}
  if not U.is_object(spec) then U.fail(400, "the Score spec must be an object") end
  if spec.apiVersion == nil and spec.metadata == nil and spec.containers == nil then
    U.fail(400, "the Score spec needs apiVersion, metadata and containers")
  end
  local properties = {}
  if U.is_object(opts.property_overrides) then
    local paths = {}
    for path in pairs(opts.property_overrides) do paths[#paths + 1] = path end
    table.sort(paths)
    for _, path in ipairs(paths) do properties[#properties + 1] = { path, opts.property_overrides[path] } end
  end
  local delta, err = require("humanitec.score").to_delta(spec, {
    image = opts.image, extensions = opts.extensions, overrides = opts.overrides, properties = properties,
    resource_type_aliases = opts.resource_type_aliases, base_dir = false,
  })
  if not delta then U.fail(400, (tostring(err.message):gsub("^<document>: ", ""))) end
  local shared = {}
  for _, action in ipairs(delta.shared or json.array()) do shared[action.path:sub(2)] = action.value end
  return { modules = delta.modules.add, shared = shared }
end

return M

--- Workflow helper for resource definitions as code: apply_resource_definition.
---
--- ```lua
--- local changes = assert(client:apply_resource_definition { id = "main-db", type = "postgres",
---   driver_type = "humanitec/echo", driver_inputs = { values = { host = "db.internal" } } })
--- ```
local S = require "humanitec.workflows.shared"
local vocabulary = require "humanitec.vocabulary"

local W = {}

local check_opts, is_null = S.check_opts, S.is_null

-- ---- resource definitions ------------------------------------------------------------------------------------

local DEFINITION_FIELDS = { "name", "type", "driver_type", "driver_account", "driver_inputs", "provision" }
local CRITERIA_FIELDS = { "app_id", "env_id", "env_type", "res_id", "class" }

-- Order-independent comparison of decoded JSON values (null and absent are the same).
local function same(a, b)
  if is_null(a) and is_null(b) then return true end
  if type(a) ~= "table" or type(b) ~= "table" then return a == b end
  for k, v in pairs(a) do
    if not same(v, b[k]) then return false end
  end
  for k, v in pairs(b) do
    if a[k] == nil and not is_null(v) then return false end
  end
  return true
end

-- What identifies a matching criteria rule: its fields, with the class the API fills in when none is given.
local function criteria_key(c)
  local parts = {}
  for i, name in ipairs(CRITERIA_FIELDS) do
    local v = c[name]
    if name == "class" and is_null(v) then v = "default" end
    parts[i] = is_null(v) and "" or tostring(v)
  end
  return table.concat(parts, "\0")
end

-- Checks `def.criteria`: a list of tables holding only CRITERIA_FIELDS (a misspelt key would otherwise widen the
-- rule silently). Raises at the helper's caller.
local function check_criteria(criteria)
  if criteria == nil then return end
  if type(criteria) ~= "table" then
    error(("bad option 'criteria' to 'apply_resource_definition' (list of tables expected, got %s)")
      :format(type(criteria)), 3)
  end
  local known = {}
  for _, name in ipairs(CRITERIA_FIELDS) do known[name] = true end
  for i, c in ipairs(criteria) do
    if type(c) ~= "table" then
      error(("bad option 'criteria[%d]' to 'apply_resource_definition' (table expected, got %s)"):format(i, type(c)),
        3)
    end
    for k in pairs(c) do
      if not known[k] then
        error(("bad option 'criteria[%d]' to 'apply_resource_definition' (unknown field '%s'%s)"):format(i,
          tostring(k), vocabulary.hint(k, CRITERIA_FIELDS)), 3)
      end
    end
  end
end

--- Makes a resource definition what `def` says: creates it when missing; otherwise updates the fields that
--- differ and adds or removes matching criteria, and sends nothing that changes anything when nothing
--- differs. `def` takes the API's fields (`id`, `name`, `type`, `driver_type`, `driver_inputs`, `provision`,
--- `driver_account`, `criteria`). Secrets in `driver_inputs.secrets` cannot be read back, so they are written
--- only when the definition is created or something else changed. Returns what changed:
--- `{ created = bool, updated = {fields}, criteria_added = n, criteria_removed = n }`.
---@param def table
---@return table? changes
---@return humanitec.Error? err
function W:apply_resource_definition(def)
  check_opts(self, "apply_resource_definition", def)
  check_criteria(def.criteria)
  S.check_json("apply_resource_definition", "driver_inputs", def.driver_inputs)
  S.check_json("apply_resource_definition", "provision", def.provision)
  local id = def.id
  local changes = { created = false, updated = {}, criteria_added = 0, criteria_removed = 0 }

  local current, err = self:get_resource_definition { defId = id }
  if not current then
    if err.status ~= 404 then return nil, err end
    local body = {}
    for k, v in pairs(def) do body[k] = v end
    body.name = body.name or id
    local created, create_err = self:create_resource_definition { body = body }
    if not created then return nil, create_err end
    changes.created = true
    changes.criteria_added = def.criteria and #def.criteria or 0
    return changes
  end

  local patch = {}
  for _, name in ipairs(DEFINITION_FIELDS) do
    local want = def[name]
    if want ~= nil then
      local have = current[name]
      if name == "driver_inputs" and type(want) == "table" then
        -- Compare what can be read back: the values (secrets come back without their content).
        have = type(have) == "table" and have.values or nil
        want = want.values
      end
      if not same(want, have) then
        patch[name] = def[name]
        changes.updated[#changes.updated + 1] = name
      end
    end
  end
  if next(patch) then
    patch.name = patch.name or def.name or current.name -- the API requires it in every update
    local updated, patch_err = self:patch_resource_definition { defId = id, body = patch }
    if not updated then return nil, patch_err end
  end

  if def.criteria then
    local wanted, have = {}, {}
    for _, c in ipairs(def.criteria) do wanted[criteria_key(c)] = c end
    for _, c in ipairs(is_null(current.criteria) and {} or current.criteria) do have[criteria_key(c)] = c end
    local add, remove = {}, {}
    for key, c in pairs(wanted) do if not have[key] then add[#add + 1] = { key, c } end end
    for key, c in pairs(have) do if not wanted[key] then remove[#remove + 1] = { key, c } end end
    table.sort(add, function(a, b) return a[1] < b[1] end)
    table.sort(remove, function(a, b) return a[1] < b[1] end)
    for _, item in ipairs(add) do
      local body = {}
      for _, name in ipairs(CRITERIA_FIELDS) do body[name] = item[2][name] end
      local ok, add_err = self:create_resource_definition_criteria { defId = id, body = body }
      if not ok then return nil, add_err end
      changes.criteria_added = changes.criteria_added + 1
    end
    for _, item in ipairs(remove) do
      local ok, remove_err = self:delete_resource_definition_criteria { defId = id, criteriaId = item[2].id }
      if not ok then return nil, remove_err end
      changes.criteria_removed = changes.criteria_removed + 1
    end
  end
  return changes
end

return W

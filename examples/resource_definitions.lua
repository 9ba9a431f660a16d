-- Resource definitions as code, with apply_resource_definition: create a definition, apply it again and see
-- that nothing changes, change it and show what changed, and clean up.
--
--   HUMANITEC_TOKEN=... HUMANITEC_ORG=... lua5.4 examples/resource_definitions.lua
--
-- `tools/run-example resource_definitions` runs it against the local simulator. Exits non-zero, with the error
-- on one line, when a step fails.
local humanitec = require "humanitec"
local json = require "humanitec.json"

local client = humanitec.new { user_agent = "lua-humanitec-example/1.0" }
local ID = "example-db-" .. os.time()
local CLASS = "lua-example" -- its own resource class, so the criteria cannot clash with the org's definitions

-- Every step goes through here: on failure, one line to stderr, best-effort clean-up, exit 1.
local created = false
local function step(what, ...)
  local _, err = ...
  if err then
    io.stderr:write("resource_definitions.lua: ", what, " failed: ", tostring(err), "\n")
    if created then client:delete_resource_definition { defId = ID } end
    os.exit(1)
  end
  return ...
end

local function definition(name, port, env_types)
  local criteria = {}
  for i, env_type in ipairs(env_types) do criteria[i] = { env_type = env_type, class = CLASS } end
  return {
    id = ID, name = name, type = "postgres", driver_type = "humanitec/echo",
    driver_inputs = { values = { host = "db.internal", port = port, name = "shop" } },
    criteria = criteria,
  }
end

-- What apply_resource_definition reported, in one line.
local function summary(changes)
  if changes.created then return "created" end
  if #changes.updated == 0 and changes.criteria_added == 0 and changes.criteria_removed == 0 then
    return "no changes"
  end
  local parts = {}
  if #changes.updated > 0 then parts[#parts + 1] = "updated " .. table.concat(changes.updated, ", ") end
  if changes.criteria_added > 0 then parts[#parts + 1] = changes.criteria_added .. " criteria added" end
  if changes.criteria_removed > 0 then parts[#parts + 1] = changes.criteria_removed .. " criteria removed" end
  return table.concat(parts, "; ")
end

-- The matching criteria of a definition, one line each, sorted, and as a set (line -> true) in the same table.
local function criteria_lines(def)
  local lines = {}
  for _, c in ipairs(def.criteria ~= humanitec.null and def.criteria or {}) do
    lines[#lines + 1] = ("env_type=%s class=%s"):format(tostring(c.env_type), tostring(c.class))
  end
  table.sort(lines)
  for _, text in ipairs(lines) do lines[text] = true end
  return lines
end

print(("Applying resource definition %s in org %s"):format(ID, client.org))
local first = definition("Database", 5432, { "development" })
print("  " .. summary(step("creating it", client:apply_resource_definition(first))))
created = true

print("Applying the same definition again")
print("  " .. summary(step("applying it again", client:apply_resource_definition(first))))

print("Applying a changed definition: a new name and port, for production rather than development")
local before = step("reading it", client:get_resource_definition { defId = ID })
local changes = step("applying the change", client:apply_resource_definition(
  definition("Primary database", 6432, { "production" })))
print("  " .. summary(changes))
local after = step("reading it back", client:get_resource_definition { defId = ID })

print("Diff")
for _, name in ipairs(changes.updated) do
  local old, new = before[name], after[name]
  if name == "driver_inputs" then old, new = old.values, new.values end -- what can be read back
  print(("  - %s: %s"):format(name, json.encode(old)))
  print(("  + %s: %s"):format(name, json.encode(new)))
end
local old_criteria, new_criteria = criteria_lines(before), criteria_lines(after)
for _, c in ipairs(old_criteria) do
  if not new_criteria[c] then print("  - criteria: " .. c) end
end
for _, c in ipairs(new_criteria) do
  if not old_criteria[c] then print("  + criteria: " .. c) end
end

step("deleting the definition", client:delete_resource_definition { defId = ID })
created = false
print("Cleaned up " .. ID)
client:close()

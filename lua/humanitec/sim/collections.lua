--- The API's plain collections, as data for the generic store (humanitec.sim.store): where each lives, what
-- names its records, and what a new record starts with. What the spec's response schema requires and nobody
-- gave is filled by the store's shaping; behaviour beyond storing lives in the area modules.
local json = require "humanitec.json"
local U = require "humanitec.sim.util"
local store = require "humanitec.sim.store"

local M = {}

local function org_env_type(_, req)
  local id = req.params.envType
  if not req.org.env_types[id] then U.fail(404, "environment type '" .. id .. "' not found") end
end

local function app_pipeline(_, req)
  local app = req.org.apps[req.params.appId]
  if not (app and app.pipelines and app.pipelines[req.params.pipelineId]) then
    U.fail(404, "pipeline '" .. req.params.pipelineId .. "' not found")
  end
end

-- A member of the organization given a role on an application or environment type: its profile comes from
-- the simulator's users.
local function role_view(sim, _, record)
  local user = sim.users[record.id] or {}
  return {
    id = record.id, role = record.role, name = user.name or record.id, email = user.email,
    type = user.type or "user", created_at = record.created_at,
  }
end

local function role_on_create(sim, req, record)
  U.field(record, "role", "string", true)
  if not sim.users[record.id] or not req.org.members[record.id] then
    U.fail(404, "user '" .. record.id .. "' is not a member of the organization")
  end
end

-- Keeps each state of a workload profile as a version (newest last).
local function profile_version(sim, record)
  record._versions = record._versions or {}
  local v = { id = U.uuid(sim), workload_profile_id = record.id, org_id = record.org_id,
    version = record.version, description = record.description, deprecation_message = record.deprecation_message,
    spec_definition = U.copy(record.spec_definition), spec_schema = U.copy(record.spec_schema),
    workload_profile_chart = U.copy(record.workload_profile_chart), created_at = U.iso(sim:now()),
    created_by = record.updated_by }
  record._versions[#record._versions + 1] = v
end

local BUILTIN_TYPES = {
  { "base-env", "direct" }, { "config", "direct" }, { "dns", "direct" }, { "environment", "implicit" },
  { "k8s-cluster", "implicit" }, { "k8s-namespace", "implicit" }, { "mysql", "direct" }, { "postgres", "direct" },
  { "redis", "direct" }, { "s3", "direct" }, { "volume", "direct" }, { "workload", "implicit" },
}

local BUILTIN_DRIVERS = { "echo", "template", "terraform", "k8s-cluster-git", "volume-pvc" }

M.LIST = {
  {
    name = "registries", label = "registry", path = "/orgs/{orgId}/registries", item = "regId",
    defaults = function() return { enable_ci = false } end,
  },
  {
    name = "secret_stores", label = "secret store", path = "/orgs/{orgId}/secretstores", item = "storeId",
  },
  {
    name = "resource_types", label = "resource type", path = "/orgs/{orgId}/resources/types", item = "typeId",
    id = "type", id_field = "type",
    defaults = function(_, _, body)
      return { name = body.type, category = "", inputs_schema = {}, outputs_schema = {} }
    end,
    seed = function(_, org_id)
      local out = {}
      for _, t in ipairs(BUILTIN_TYPES) do
        out[#out + 1] = { type = t[1], use = t[2], name = t[1], category = "", org_id = org_id,
          inputs_schema = {}, outputs_schema = {} }
      end
      return out
    end,
  },
  {
    name = "resource_classes", label = "resource class", path = "/orgs/{orgId}/resources/types/{typeId}/classes",
    item = "classId", parent = "resource_types",
    defaults = function(_, req) return { resource_type = req.params.typeId } end,
  },
  {
    name = "resource_drivers", label = "driver", path = "/orgs/{orgId}/resources/drivers", item = "driverId",
    defaults = function() return { account_types = json.array(), inputs_schema = {} } end,
    seed = function(sim)
      local out = {}
      for _, id in ipairs(BUILTIN_DRIVERS) do
        out[#out + 1] = { id = id, org_id = "humanitec", type = id, target = "", account_types = json.array(),
          inputs_schema = {}, created_at = U.iso(sim:now()) }
      end
      return out
    end,
  },
  {
    name = "resource_accounts", label = "resource account", path = "/orgs/{orgId}/resources/accounts",
    item = "accId", defaults = function() return { is_used = false } end,
  },
  {
    name = "workload_profiles", label = "workload profile", path = "/orgs/{orgId}/workload-profiles",
    item = "profileQid",
    defaults = function(_, _, body)
      return { description = "", version = body.version or "1.0.0", spec_schema = {} }
    end,
    on_create = function(sim, _, record) profile_version(sim, record) end,
    on_update = function(sim, _, record) profile_version(sim, record) end,
  },
  {
    name = "public_keys", label = "public key", path = "/orgs/{orgId}/keys", item = "keyId", id = "uuid",
    read_body = function(req)
      local key = U.json_body(req, "any")
      if type(key) ~= "string" or key == "" then U.fail(400, "the body must be the public key, as a JSON string") end
      return { key = key }
    end,
    defaults = function(sim)
      return { fingerprint = U.hex_id(sim, 64), expired_at = U.iso(sim:now() + 365 * 86400) }
    end,
  },
  {
    name = "workload_profile_chart_versions", label = "chart version",
    path = "/orgs/{orgId}/workload-profile-chart-versions", id = "hex",
    defaults = function() return { version = "1.0.0" } end,
  },
  {
    name = "agents", label = "agent", path = "/orgs/{orgId}/agents", item = "agentId",
  },
  {
    name = "agent_keys", label = "key", path = "/orgs/{orgId}/agents/{agentId}/keys", item = "fingerprint",
    parent = "agents", id = "hex", id_field = "fingerprint",
    defaults = function(sim) return { is_authorized = true, expired_at = U.iso(sim:now() + 365 * 86400) } end,
  },
  {
    name = "automation_rules", label = "automation rule", path = "/orgs/{orgId}/apps/{appId}/envs/{envId}/rules",
    item = "ruleId", id = "uuid",
    defaults = function()
      return { active = true, images_filter = json.array(), artefacts_filter = json.array(),
        exclude_images_filter = false, exclude_artefacts_filter = false, update_to = "branch", match = "",
        match_ref = "" }
    end,
  },
  {
    name = "webhooks", label = "webhook", path = "/orgs/{orgId}/apps/{appId}/webhooks", item = "jobId",
    id = "optional",
    defaults = function()
      return { disabled = false, triggers = json.array(), url = "", headers = {}, payload = {} }
    end,
  },
  {
    name = "app_roles", label = "user role", path = "/orgs/{orgId}/apps/{appId}/users", item = "userId",
    view = role_view, on_create = role_on_create,
  },
  {
    name = "env_type_roles", label = "user role", path = "/orgs/{orgId}/env-types/{envType}/users",
    item = "userId", check = org_env_type, view = role_view, on_create = role_on_create,
  },
  {
    name = "pipeline_criteria", label = "pipeline criteria",
    path = "/orgs/{orgId}/apps/{appId}/pipelines/{pipelineId}/criteria", item = "criteriaId", id = "uuid",
    check = app_pipeline,
    defaults = function(_, req)
      return { pipeline_id = req.params.pipelineId, pipeline_name = req.params.pipelineId }
    end,
  },
  {
    name = "workload_profile_features", label = "workload profile feature",
    path = "/orgs/{orgId}/workload-profile-features",
    seed = function(_, org_id)
      local out = {}
      for _, id in ipairs({ "humanitec/annotations", "humanitec/container", "humanitec/ingress",
        "humanitec/labels", "humanitec/schedules", "humanitec/service", "humanitec/service-account" }) do
        out[#out + 1] = { id = id, org_id = org_id, schema = {}, version = "1.0.0" }
      end
      return out
    end,
  },
  {
    name = "account_types", label = "account type", path = "/orgs/{orgId}/resources/account-types",
    id_field = "type",
    seed = function()
      local out = {}
      for _, t in ipairs({ { "aws", "Amazon Web Services" }, { "azure", "Microsoft Azure" },
        { "gcp", "Google Cloud Platform" }, { "k8s-cluster", "Kubernetes cluster" } }) do
        out[#out + 1] = { type = t[1], name = t[2], inputs_schema = {}, outputs_schema = {} }
      end
      return out
    end,
  },
  {
    name = "humanitec_keys", label = "Humanitec public key", path = "/orgs/{orgId}/humanitec-keys",
    id_field = "pub_key",
    seed = function(sim)
      return { { pub_key = "-----BEGIN PUBLIC KEY-----\nhumanitec-sim\n-----END PUBLIC KEY-----\n", active = true,
        created_at = U.iso(sim:now()) } }
    end,
  },
}

-- Behaviour beside the collections ----------------------------------------------------------------------

local function by_name(name) return store.COLLECTIONS[name] end

-- A registry's credentials, as a cluster would pull with them: the registry's own `creds` when it has some.
local function registry_creds(sim, req)
  local reg = store.find_record(sim, by_name("registries"), req)
  local creds = U.is_object(reg.creds) and reg.creds or {}
  return 200, { registry = reg.registry, username = creds.username or "", password = creds.password or "",
    expires = U.iso(sim:now() + 3600), secrets = U.copy(reg.secrets) }
end

-- Checking an account tells who its credentials belong to; the simulator reports the account itself.
local function check_account(sim, req)
  local acc = store.find_record(sim, by_name("resource_accounts"), req)
  return 200, { identity_fields = { { id = "account_id", description = "The account", value = acc.id },
    { id = "type", description = "The account type", value = acc.type } }, warnings = json.array() }
end

local function list_classes(sim, req)
  local out = {}
  local prefix = req.org.id .. "/"
  for scope, records in pairs(sim.store and sim.store.resource_classes or {}) do
    if scope:sub(1, #prefix) == prefix then
      for _, c in pairs(records) do out[#out + 1] = c end
    end
  end
  table.sort(out, function(a, b) return a.seq < b.seq end)
  local kind = U.query(req, "resource_type")
  local list = json.array()
  for _, c in ipairs(out) do
    if not kind or c.resource_type == kind then
      list[#list + 1] = { id = c.id, resource_type = c.resource_type, description = c.description or "",
        created_at = c.created_at, created_by = c.created_by }
    end
  end
  return 200, list
end

-- There is no cluster to reach: the check succeeds when the application and environment exist.
local function check_connectivity(_, req)
  local body = U.json_body(req)
  local app_id = U.field(body, "app_id", "string", true)
  local env_id = U.field(body, "env_id", "string", true)
  U.field(body, "env_type", "string", true)
  local app = req.org.apps[app_id]
  local ok = app ~= nil and app.envs[env_id] ~= nil
  return 200, { success = ok, resource_summaries = json.array(), conditions = { {
    type = "EnvironmentFound", status = ok and "True" or "False",
    message = ok and "the environment exists" or ("no environment '" .. env_id .. "' in '" .. app_id .. "'") } } }
end

local function profile_versions(sim, req)
  local p = store.find_record(sim, by_name("workload_profiles"), req)
  local out = json.array()
  for i = #(p._versions or {}), 1, -1 do out[#out + 1] = U.copy(p._versions[i]) end -- newest first
  local page, headers = U.paginate(req, out)
  return 200, page, headers
end

local function latest_profile_version(sim, req)
  local p = store.find_record(sim, by_name("workload_profiles"), req)
  return 200, U.copy(p._versions[#p._versions])
end

-- "Jobs" of an application are its webhooks: deleting them all.
local function delete_app_jobs(sim, req)
  require("humanitec.sim.find").app(req)
  local records = store.records(sim, by_name("webhooks"), req)
  for id in pairs(records) do records[id] = nil end
  return 204
end

---@param r table router
function M.routes(r)
  store.routes(r, M.LIST)
  r:add("GET", "/orgs/{orgId}/registries/{regId}/creds", registry_creds)
  r:add("POST", "/orgs/{orgId}/resources/accounts/{accId}/actions/check", check_account)
  r:add("GET", "/orgs/{orgId}/resources/classes", list_classes)
  r:add("POST", "/orgs/{orgId}/runtime/actions/check-connectivity", check_connectivity)
  r:add("GET", "/orgs/{orgId}/workload-profiles/{profileQid}/versions", profile_versions)
  r:add("GET", "/orgs/{orgId}/workload-profiles/{profileQid}/versions/latest", latest_profile_version)
  r:add("DELETE", "/orgs/{orgId}/apps/{appId}/jobs", delete_app_jobs)
end

return M

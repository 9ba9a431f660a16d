--- The names callers write, in one table: the options of every workflow helper (ids under the operations' own
--- parameter names: `appId`, `envId`, `deployId`, `pipelineId`, `runId`, ...), the check that rejects a key no
--- entry point takes, and the "did you mean" hint that goes with it.
local M = {}

-- Case and the separators '-' and '_' do not tell names apart for a hint.
local function squash(name)
  return (name:lower():gsub("[%-_]", ""))
end

-- Edit distance between two short strings, or nil when it is more than `limit` (checked per row, so the work
-- is bounded by the shorter name's length times the longer's, both short).
local function distance(a, b, limit)
  if math.abs(#a - #b) > limit then return nil end
  local prev = {}
  for j = 0, #b do prev[j] = j end
  for i = 1, #a do
    local cur = { [0] = i }
    local best = i
    local ca = a:byte(i)
    for j = 1, #b do
      local cost = (ca == b:byte(j)) and 0 or 1
      local v = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
      cur[j] = v
      if v < best then best = v end
    end
    if best > limit then return nil end
    prev = cur
  end
  return prev[#b] <= limit and prev[#b] or nil
end

--- The name in `names` closest to `key`, or nil when none is close. Close means the same name but for case, '-'
--- and '_'; the same with "Id" added (`app` for `appId`); or at most two edits away. Ties go to the name that
--- sorts first.
---@param key any the key given
---@param names string[] the names the entry point takes
---@return string?
function M.closest(key, names)
  if type(key) ~= "string" or #key > 64 then return nil end
  local want = squash(key)
  local best, best_score
  for _, name in ipairs(names) do
    local have = squash(name)
    local score
    if have == want then
      score = 0
    elseif have == want .. "id" then
      score = 1
    else
      local d = distance(want, have, 2)
      score = d and d + 1
    end
    if score and (best_score == nil or score < best_score or (score == best_score and name < best)) then
      best, best_score = name, score
    end
  end
  return best
end

--- The hint for an unknown key: `" (did you mean 'appId'?)"`, or "" when no name is close (see `closest`).
---@param key any the key given
---@param names string[] the names the entry point takes
---@return string
function M.suggest(key, names)
  local best = M.closest(key, names)
  if best then return " (did you mean '" .. best .. "'?)" end
  return ""
end

--- The hint as it goes inside a parenthesis that already holds the complaint: "; did you mean 'appId'?" or "".
---@param key any
---@param names string[]
---@return string
function M.hint(key, names)
  local s = M.suggest(key, names)
  if s == "" then return s end
  return "; " .. s:sub(3, -2)
end

--- The keys of a set-like table, sorted.
---@param set table<string, any>
---@return string[]
function M.names(set)
  local names = {}
  for name in pairs(set) do names[#names + 1] = name end
  table.sort(names)
  return names
end

-- The options of the waits that poll (and of the helpers that wait after acting).
local WAITING = { timeout = "number", interval = "number", on_progress = "function" }

local function with(base, extra)
  local t = {}
  for k, v in pairs(base) do t[k] = v end
  for k, v in pairs(extra) do t[k] = v end
  return t
end

--- Every workflow helper's options: name -> Lua type ("table|string" for either). Required ones are listed in
--- `REQUIRED`. Ids carry the operations' parameter names.
M.HELPERS = {
  wait_deployment = with(WAITING, { appId = "string", envId = "string", deployId = "string" }),
  deploy = with(WAITING, {
    appId = "string", envId = "string", delta = "table|string", set_id = "string", comment = "string",
    value_set_version_id = "string", wait = "boolean", wait_for_running = "boolean",
  }),
  promote = with(WAITING, {
    appId = "string", from = "string", to = "string", comment = "string", wait = "boolean",
    wait_for_running = "boolean",
  }),
  rollback = with(WAITING, {
    appId = "string", envId = "string", to = "string|number", comment = "string", wait = "boolean",
  }),
  clone_env = { appId = "string", from = "string", envId = "string", name = "string", type = "string" },
  set_values = { appId = "string", envId = "string", values = "table" },
  get_values = { appId = "string", envId = "string" },
  wait_pipeline_run = with(WAITING, { appId = "string", pipelineId = "string", runId = "string" }),
  run_pipeline = with(WAITING, {
    appId = "string", pipelineId = "string", inputs = "table", wait = "boolean", idempotency_key = "string",
  }),
  approve = { appId = "string", pipelineId = "string", runId = "string", approvalId = "string" },
  deny = { appId = "string", pipelineId = "string", runId = "string", approvalId = "string" },
  apply_resource_definition = {
    id = "string", name = "string", type = "string", driver_type = "string", driver_account = "string",
    driver_inputs = "table", provision = "table", criteria = "table",
  },
  ensure_env = { appId = "string", envId = "string", name = "string", type = "string" },
  ensure_app = { appId = "string", name = "string", envs = "table" },
  create_api_token = {
    service_user = "string", tokenId = "string", role = "string", description = "string", expires_at = "string",
  },
  list_api_tokens = { userId = "string" },
  revoke_api_token = { userId = "string", tokenId = "string" },
}

--- The options each helper cannot do without.
M.REQUIRED = {
  wait_deployment = { "appId", "envId", "deployId" },
  deploy = { "appId", "envId" },
  promote = { "appId", "from", "to" },
  rollback = { "appId", "envId", "to" },
  clone_env = { "appId", "from", "envId" },
  set_values = { "appId", "values" },
  get_values = { "appId" },
  wait_pipeline_run = { "appId", "pipelineId", "runId" },
  run_pipeline = { "appId", "pipelineId" },
  approve = { "appId", "pipelineId", "runId" },
  deny = { "appId", "pipelineId", "runId" },
  apply_resource_definition = { "id", "type", "driver_type" },
  ensure_env = { "appId", "envId" },
  ensure_app = { "appId" },
  create_api_token = { "service_user", "tokenId" },
  list_api_tokens = { "userId" },
  revoke_api_token = { "userId", "tokenId" },
}

--- Names the helpers took before they spoke the operations' vocabulary, per helper, for the hint.
M.RENAMED = {
  wait_deployment = { id = "deployId" },
  clone_env = { id = "envId" },
  ensure_env = { id = "envId" },
  ensure_app = { id = "appId" },
  create_api_token = { id = "tokenId" },
  list_api_tokens = { user = "userId" },
  revoke_api_token = { id = "tokenId", user = "userId" },
  approve = { approval = "approvalId" },
  deny = { approval = "approvalId" },
}

local function type_ok(want, v)
  local kind = type(v)
  if kind == want then return true end
  for alt in want:gmatch("[^|]+") do
    if alt == kind then return true end
  end
  return false
end

--- Checks the keys of an options table against `fields` (name -> Lua type, "a|b" for either): no unknown key
--- (with a hint; `renamed` maps old names to new ones), each of the right type, numbers not negative. Raises at
--- `level` (counted from the caller of check_fields) naming `fname` and the options' argument number `argn` (1).
---@param fname string the entry point
---@param opts table
---@param fields table<string, string>
---@param level integer
---@param renamed? table<string, string>
---@param argn? integer
---@return table opts
function M.check_fields(fname, opts, fields, level, renamed, argn)
  level = level + 1
  local names = M.names(fields)
  for key in pairs(opts) do
    if fields[key] == nil then
      local new = renamed and renamed[key]
      error(("bad argument #%d to '%s' (unknown option '%s'%s)"):format(argn or 1, fname, tostring(key),
        new and ("; did you mean '" .. new .. "'?") or M.hint(key, names)), level)
    end
  end
  for _, key in ipairs(names) do
    local v, want = opts[key], fields[key]
    if v ~= nil then
      if not type_ok(want, v) then
        error(("bad option '%s' to '%s' (%s expected, got %s)"):format(key, fname, want:gsub("|", " or "), type(v)),
          level)
      end
      if type(v) == "number" and (v ~= v or v < 0) then
        error(("bad option '%s' to '%s' (a non-negative number expected)"):format(key, fname), level)
      end
      if key == "interval" and v == 0 then -- a wait that polls with no pause at all would spin
        error(("bad option 'interval' to '%s' (a number greater than 0 expected)"):format(fname), level)
      end
    end
  end
  return opts
end

--- Checks a helper's options: a table, no unknown key (with a hint), each of the right type, none required
--- missing, numbers not negative. Raises at `level` (counted from the caller of check).
---@param fname string the helper
---@param opts any
---@param level integer
---@return table opts
function M.check(fname, opts, level)
  level = level + 1
  if type(opts) ~= "table" then
    error(("bad argument #1 to '%s' (table of options expected, got %s)"):format(fname, type(opts)), level)
  end
  M.check_fields(fname, opts, M.HELPERS[fname], level, M.RENAMED[fname])
  for _, key in ipairs(M.REQUIRED[fname]) do
    if opts[key] == nil then
      error(("bad argument #1 to '%s' (option '%s' is required)"):format(fname, key), level)
    end
  end
  return opts
end

return M

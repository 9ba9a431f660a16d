--- Deploying Score files: read them, translate them into one delta (humanitec.score.to_delta), and deploy it
--- with the client's `deploy` workflow helper, waiting when asked. A dry run builds the delta and sends nothing.
local json = require "humanitec.json"
local vocabulary = require "humanitec.vocabulary"

local M = {}

---@class humanitec.score.DeployOptions
---@field file? string|string[] the Score file(s); or `doc`/`docs` with documents already loaded
---@field doc? table
---@field docs? table[]
---@field appId? string required unless `dry_run`
---@field envId? string required unless `dry_run`
---@field extensions? table|string
---@field overrides? table|string
---@field image? string
---@field properties? (string|table)[]
---@field message? string the delta's name and the deployment's comment
---@field mode? "delta"|"workloads"
---@field dry_run? boolean return the delta; send nothing
---@field remove? boolean remove the workloads the files describe instead of deploying them
---@field wait? boolean wait until the deployment succeeds or fails (false by default: return it as started)
---@field timeout? number seconds to wait at most
---@field interval? number seconds between polls to start with
---@field on_progress? fun(status: string, deployment: table)
---@field wait_for_running? boolean on 409, wait for the running deployment and try again

-- The options of deploy, and their types.
local OPTIONS = {
  file = "string|table", doc = "table", docs = "table", appId = "string", envId = "string",
  extensions = "table|string", overrides = "table|string", image = "string", properties = "table",
  message = "string", mode = "string", dry_run = "boolean", remove = "boolean", wait = "boolean",
  timeout = "number", interval = "number", on_progress = "function", wait_for_running = "boolean",
}

local function documents(score, opts)
  local docs = {}
  if opts.doc ~= nil then docs[1] = opts.doc end
  for _, d in ipairs(opts.docs or {}) do docs[#docs + 1] = d end
  local files = opts.file
  if type(files) == "string" then files = { files } end
  for _, path in ipairs(files or {}) do
    local doc, err = score.load(path)
    if not doc then return nil, err end
    docs[#docs + 1] = doc
  end
  return docs
end

--- Deploys Score workloads to an environment (see humanitec.score.DeployOptions). Returns the deployment
--- (its final state when `wait`), nil, and the delta it deployed; `dry_run` returns the delta alone. A Score
--- file that cannot be read, validated or translated returns nil and an error of kind "score" (its `details`
--- list every problem); a failed deployment, an error of kind "deployment_failed" whose `errors` hold the API's
--- deployment errors (code, summary, message); other failures, the client's errors.
---@param client table a humanitec client
---@param opts humanitec.score.DeployOptions
---@return table? deployment_or_delta
---@return humanitec.Error? err
---@return table? delta
function M.deploy(client, opts)
  if type(client) ~= "table" then
    error("bad argument #1 to 'deploy' (client expected, got " .. type(client) .. ")", 2)
  end
  if type(opts) ~= "table" then error("bad argument #2 to 'deploy' (table expected, got " .. type(opts) .. ")", 2) end
  vocabulary.check_fields("deploy", opts, OPTIONS, 2, { app = "appId", env = "envId" }, 2)
  if opts.file == nil and opts.doc == nil and opts.docs == nil then
    error("bad argument #2 to 'deploy' (give 'file', 'doc' or 'docs')", 2)
  end
  if not opts.dry_run then
    for _, key in ipairs({ "appId", "envId" }) do
      if opts[key] == nil then error("bad argument #2 to 'deploy' (option '" .. key .. "' is required)", 2) end
    end
  end
  local score = require "humanitec.score"
  local docs, err = documents(score, opts)
  if not docs then return nil, err end
  if #docs == 0 then error("bad argument #2 to 'deploy' (no Score file given)", 2) end

  local delta
  if opts.remove then
    local names = json.array()
    for _, doc in ipairs(docs) do
      local name = type(doc.metadata) == "table" and doc.metadata.name
      if type(name) ~= "string" then
        return nil, require("humanitec.errors").new { kind = "score", source = score.source_of(doc),
          message = (score.source_of(doc) or "<document>") .. ": metadata.name is needed to remove a workload" }
      end
      names[#names + 1] = name
    end
    local group = opts.mode == "workloads" and "workloads" or "modules"
    delta = { metadata = { env_id = opts.envId, name = opts.message or ("Remove " .. table.concat(names, ", ")) },
      [group] = { remove = names } }
  else
    delta, err = score.to_delta(docs, {
      envId = opts.envId, message = opts.message, extensions = opts.extensions, overrides = opts.overrides,
      image = opts.image, properties = opts.properties, mode = opts.mode,
    })
    if not delta then return nil, err end
  end
  if opts.dry_run then return delta end

  local deployment, derr = client:deploy {
    appId = opts.appId, envId = opts.envId, delta = delta, comment = opts.message or delta.metadata.name,
    wait = opts.wait == true, timeout = opts.timeout, interval = opts.interval, on_progress = opts.on_progress,
    wait_for_running = opts.wait_for_running,
  }
  if not deployment then return nil, derr end
  return deployment, nil, delta
end

return M

--- The `humanitec score ...` commands, for the command line to dispatch to: each takes its parsed options and
--- the two streams (anything with `write`), writes data to `out` and progress and errors to `err`, and
--- returns the exit status (0 success; 1 invalid Score, a failed API call or deployment; 2 a usage error
--- such as an unreadable file; 3 a configuration or authentication error).
---
---   init(opts, out, err)                       opts: file ("score.yaml"), name, force, stdout
---   validate(files, opts, out, err)            opts: strict; no client, no token
---   deploy(client, opts, out, err)             opts: file (string or list), app, env, extensions, overrides,
---                                              image, property (list of "path=value"), message, mode, wait,
---                                              dry_run, remove, timeout, output ("json"|"yaml"|"table"), pretty
---   available_resource_types(client, opts, out, err)   opts: output, pretty
local fail = require "humanitec.cli.fail"
local output = require "humanitec.cli.output"
local score = require "humanitec.score"

local M = {}

local function line(stream, text)
  stream:write(text, "\n")
end

-- The context humanitec.cli.output.emit writes with.
local function emit_ctx(opts, out, err)
  return { io = { stdout = out, stderr = err }, format = opts.output, pretty = opts.pretty, width = opts.width }
end

-- A file that cannot be read is a usage error (2); one that does not parse or validate is invalid Score (1).
local function load_status(err)
  return err.line and fail.FAILURE or fail.USAGE
end

-- ---- init ------------------------------------------------------------------------------------------------

local TEMPLATE = [[
# A Score workload (https://score.dev). Validate it with 'humanitec score validate %s',
# deploy it with 'humanitec score deploy -f %s --app APP --env ENV --wait'.
apiVersion: score.dev/v1b1
metadata:
  # lower case letters, digits and '-', 2 to 63 characters: the workload's module in Humanitec
  name: %s
# service:
#   ports:
#     www:
#       port: 80          # the service's port
#       targetPort: 8080  # the container's port (the same as port when left out)
containers:
  main:
    # the image; '.' lets 'humanitec score deploy --image IMAGE' choose it at deploy time
    image: .
    # command: ["/bin/app"]
    # args: ["--port", "8080"]
    # variables:
    #   DB_HOST: ${resources.db.host}      # a resource's output, resolved when it is provisioned
    #   LOG_LEVEL: ${resources.env.LOG_LEVEL}
    # resources:
    #   limits: {cpu: 500m, memory: 256Mi}
# resources:
#   db:
#     type: postgres
#   env:
#     type: environment  # the application's shared values
]]

local function workload_name(opts)
  local name = opts.name
  if not name then
    local pwd = os.getenv("PWD") or "workload"
    name = (pwd:match("([^/]+)/*$") or "workload"):lower():gsub("[^a-z0-9-]", "-"):gsub("^%-+", ""):gsub("%-+$", "")
    if #name < 2 then name = "my-workload" end
    name = name:sub(1, 63):gsub("%-+$", "")
  end
  return name
end

--- `score init`: writes a commented minimal score.yaml (to `opts.file`, or to `out` with `opts.stdout`), one
--- that validates as it is.
---@param opts { file?: string, name?: string, force?: boolean, stdout?: boolean }
---@return integer status
function M.init(opts, out, err)
  opts = opts or {}
  local file = opts.file or "score.yaml"
  local name = workload_name(opts)
  local text = TEMPLATE:format(file, file, name)
  local doc = score.decode(text)
  if not (doc and score.validate(doc)) then
    line(err, ("humanitec: '%s' is not a valid workload name (lower case letters, digits and '-', 2 to 63 "
      .. "characters)"):format(name))
    return fail.USAGE
  end
  if opts.stdout then
    out:write(text)
    return fail.OK
  end
  if not opts.force then
    local f = io.open(file, "rb")
    if f then
      f:close()
      line(err, "humanitec: " .. file .. " exists; --force replaces it")
      return fail.FAILURE
    end
  end
  local f, msg = io.open(file, "wb")
  if not f then
    line(err, "humanitec: cannot write " .. file .. ": " .. tostring(msg))
    return fail.USAGE
  end
  f:write(text)
  f:close()
  line(out, "wrote " .. file)
  return fail.OK
end

-- ---- validate ---------------------------------------------------------------------------------------------

--- `score validate FILE...`: every problem of every file on `err` (file:line: path: message), a line per valid
--- file on `out`. Offline: no client, no token. `strict` makes uses of deprecated forms problems, otherwise
--- they are warnings.
---@param files string[]
---@param opts { strict?: boolean }
---@return integer status
function M.validate(files, opts, out, err)
  opts = opts or {}
  if type(files) ~= "table" or #files == 0 then
    line(err, "humanitec: score validate needs at least one Score file")
    return fail.USAGE
  end
  local status = fail.OK
  for _, path in ipairs(files) do
    local doc, lerr = score.load(path)
    if not doc then
      line(err, tostring(lerr.message))
      status = math.max(status, load_status(lerr))
    else
      local ok, verr, warnings = score.validate(doc, { strict = opts.strict })
      if ok then
        for _, w in ipairs(warnings) do
          line(err, ("%s%s: %s: warning: %s"):format(path, w.line and (":" .. w.line) or "", w.yaml_path, w.message))
        end
        line(out, path .. ": valid")
      else
        line(err, score.format_problems(verr))
        status = math.max(status, fail.FAILURE)
      end
    end
  end
  return status
end

-- ---- deploy -----------------------------------------------------------------------------------------------

local function print_failure(e, err)
  if e.kind == "score" and type(e.details) == "table" then
    line(err, score.format_problems(e))
    return fail.FAILURE
  end
  local code, text = fail.classify(e) -- a failed deployment's errors included, a line each
  line(err, text)
  return code
end

local DEFAULT_EXTENSIONS, DEFAULT_OVERRIDES = "./humanitec.score.yaml", "./overrides.score.yaml"

local function readable(path)
  local f = io.open(path, "rb")
  if not f then return false end
  f:close()
  return true
end

--- `score deploy -f FILE...`: translates the files into one delta and deploys it (`dry_run`: writes the delta
--- to `out` and sends nothing). Without `extensions` or `overrides`, ./humanitec.score.yaml and
--- ./overrides.score.yaml are used when they exist, as humctl does. Progress lines go to `err` while waiting;
--- the deployment goes to `out`. A failed deployment lists its errors (code: summary: message) on `err` and returns 1.
---@param client table|nil a humanitec client (not needed for a dry run)
---@param opts table
---@return integer status
function M.deploy(client, opts, out, err)
  opts = opts or {}
  local files = opts.file
  if type(files) == "string" then files = { files } end
  if type(files) ~= "table" or #files == 0 then files = { "score.yaml" } end
  if not opts.dry_run then
    for _, k in ipairs({ "app", "env" }) do
      if type(opts[k]) ~= "string" or opts[k] == "" then
        line(err, "humanitec: score deploy needs --" .. k)
        return fail.USAGE
      end
    end
    if type(client) ~= "table" then
      line(err, "humanitec: score deploy needs a client (a token and an organization)")
      return fail.CONFIG
    end
  end
  local docs = {}
  for i, path in ipairs(files) do
    local doc, lerr = score.load(path)
    if not doc then
      line(err, tostring(lerr.message))
      return load_status(lerr)
    end
    docs[i] = doc
  end
  -- As humctl and score-humanitec do: without the option, the file of that name in the working directory.
  local extensions, overrides = opts.extensions, opts.overrides
  if extensions == nil and readable(DEFAULT_EXTENSIONS) then extensions = DEFAULT_EXTENSIONS end
  if overrides == nil and readable(DEFAULT_OVERRIDES) then overrides = DEFAULT_OVERRIDES end
  local where = tostring(opts.app) .. "/" .. tostring(opts.env)
  local result, derr = score.deploy(client or {}, {
    docs = docs, appId = opts.app, envId = opts.env, extensions = extensions, overrides = overrides,
    image = opts.image, properties = opts.property or opts.properties, message = opts.message, mode = opts.mode,
    dry_run = opts.dry_run, remove = opts.remove, wait = opts.wait == true, timeout = opts.timeout,
    on_progress = function(status, d)
      line(err, ("%s: deployment %s %s"):format(where, tostring(d.id), status))
    end,
  })
  if not result then return print_failure(derr, err) end
  if opts.dry_run then
    local ctx = emit_ctx(opts, out, err)
    ctx.format = (ctx.format == "yaml") and "yaml" or "json"
    output.emit(ctx, result)
    return fail.OK
  end
  output.emit(emit_ctx(opts, out, err), result, {
    columns = { { "ID", "id" }, { "STATUS", "status" }, { "ENV", "env_id" }, { "DELTA", "delta_id" } },
    wide = { { "SET", "set_id" }, { "COMMENT", "comment" } },
  })
  return fail.OK
end

-- ---- available-resource-types ---------------------------------------------------------------------------

--- `score available-resource-types`: the resource types the organization offers, for a Score file's
--- `resources.<name>.type`.
---@param client table
---@param opts table
---@return integer status
function M.available_resource_types(client, opts, out, err)
  opts = opts or {}
  if type(client) ~= "table" then
    line(err, "humanitec: score available-resource-types needs a client (a token and an organization)")
    return fail.CONFIG
  end
  local types, e = client:list_resource_types {}
  if e then return print_failure(e, err) end
  table.sort(types, function(a, b) return tostring(a.type) < tostring(b.type) end)
  output.emit(emit_ctx(opts, out, err), types, {
    columns = { { "TYPE", "type" }, { "NAME", "name" }, { "CATEGORY", "category" } },
    wide = { { "USE", "use" } },
  })
  return fail.OK
end

return M

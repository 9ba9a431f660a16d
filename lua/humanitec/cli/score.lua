--- `humanitec score init|validate|deploy|available-resource-types`: parses the flags and hands them to
--- humanitec.score.commands, which does the work and returns the exit status.
local args_ = require "humanitec.cli.args"

local M = {}

--- Declares the command and its subcommands on `parser`.
function M.declare(parser, state)
  local score = args_.command(parser, state, "score", "Work with Score files: init, validate, deploy.", {
    "score init --name web", "score validate score.yaml", "score deploy -f score.yaml --app shop --env dev --wait",
    "score available-resource-types",
  })
  score:command_target("score_command")

  local init = args_.command(score, state, "init", "Write a minimal, commented score.yaml.",
    { "score init --name web", "score init --stdout" })
  init:option("-f --file", "Where to write it (default score.yaml)."):argname("<file>")
  init:option("--name", "The workload's name (default: the directory's)."):argname("<name>")
  init:flag("--force", "Overwrite a file that exists.")
  init:flag("--stdout", "Write it to standard output instead.")

  local validate = args_.command(score, state, "validate", "Check Score files against the schema, offline.",
    { "score validate score.yaml", "score validate --strict a.yaml b.yaml" })
  validate:argument("files", "Score files."):args("+"):argname("<file>")
  validate:flag("--strict", "Treat deprecated forms as problems.")

  local deploy = args_.command(score, state, "deploy", "Translate Score files into a delta and deploy it.", {
    "score deploy -f score.yaml --app shop --env dev --wait", "score deploy -f score.yaml --dry-run -o yaml",
    "score deploy -f score.yaml --app shop --env dev --image registry.example.com/web:2",
  })
  deploy:option("-f --file", "A Score file (default score.yaml); repeatable."):argname("<file>"):count("*")
  deploy:option("--extensions", "A humanitec.score.yaml extensions file."):argname("<file>")
  deploy:option("--overrides", "An overrides file, merged into the Score file."):argname("<file>")
  deploy:option("--image", "The image for containers whose image is '.'."):argname("<image>")
  deploy:option("--property", "PATH=VALUE set in the Score file; repeatable."):argname("<path=value>"):count("*")
  deploy:option("--message", "A comment for the deployment."):argname("<text>")
  deploy:option("--mode", "Deploy as modules (delta) or workloads."):choices({ "delta", "workloads" })
  deploy:flag("--wait", "Wait until the deployment has succeeded or failed.")
  deploy:flag("--dry-run", "Print the delta; send nothing.")
  deploy:flag("--remove", "Remove the workloads the files describe instead.")
  deploy:option("--timeout", "Seconds to wait at most."):argname("<seconds>"):convert(tonumber)

  args_.command(score, state, "available-resource-types", "List the resource types a Score file can use.",
    { "score available-resource-types -o json" })
end

local function run(ctx)
  local commands = require "humanitec.score.commands"
  local a, out, err = ctx.args, ctx.io.stdout, ctx.io.stderr
  local common = { output = ctx.format, pretty = ctx.pretty, width = ctx.width }
  local sub = a.score_command
  if sub == "init" then
    return commands.init({ file = a.file, name = a.name, force = a.force, stdout = a.stdout }, out, err)
  elseif sub == "validate" then
    return commands.validate(a.files, { strict = a.strict }, out, err)
  elseif sub == "deploy" then
    local opts = {
      file = #a.file > 0 and a.file or nil, app = ctx.settings.app, env = ctx.settings.env,
      extensions = a.extensions, overrides = a.overrides, image = a.image, property = a.property,
      message = a.message, mode = a.mode, wait = a.wait, dry_run = a.dry_run, remove = a.remove,
      timeout = a.timeout,
    }
    for k, v in pairs(common) do opts[k] = v end
    local client
    if not a.dry_run and opts.app and opts.env then client = ctx.connect() end -- else it says what is missing
    return commands.deploy(client, opts, out, err)
  end
  return commands.available_resource_types(ctx.connect(), common, out, err)
end

M.handlers = { score = { client = false, run = run } }

return M

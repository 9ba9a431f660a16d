--- `humanitec resources graph` (text, or -o dot for Graphviz) and `resources active-resource-usage`.
--
-- The graph: an environment's active resources, their dependencies from the API's resource graph
-- (POST .../resources/graph), and each workload over the resources its id names (modules.W.externals.R belongs
-- to workload W). Where the API offers no resource graph (it answers 404), the workloads and their resources
-- are drawn without resource-to-resource edges, and a line on stderr says so.
local args_ = require "humanitec.cli.args"
local fail = require "humanitec.cli.fail"
local humanitec = require "humanitec"
local json = require "humanitec.json"
local output = require "humanitec.cli.output"

local M = {}

--- Declares the command on `parser`.
function M.declare(parser, state)
  local cmd = args_.command(parser, state, "resources", "Show an environment's resource graph, or which "
    .. "resource definitions are in use.", {
    "resources graph --app shop --env production", "resources graph --app shop --env production -o dot | dot -Tsvg",
    "resources active-resource-usage -o wide",
  }, "graph draws the workloads and active resources of an environment, each under what depends on it; -o dot "
    .. "writes Graphviz, -o json the nodes. active-resource-usage lists every resource definition with the "
    .. "active resources it provisions (none: a candidate for cleanup).")
  cmd:argument("action", "graph or active-resource-usage."):choices({ "graph", "active-resource-usage" })
end

-- The nodes of the graph: { id, type, class, def_id, guresid, depends_on = {guresid...} }, and a map by guresid.
local function graph_nodes(ctx, app, env)
  local active = fail.check(ctx.client:list_active_resources { appId = app, envId = env })
  local nodes, by_gu = {}, {}
  local request = json.array()
  for _, r in ipairs(active) do
    request[#request + 1] = { id = r.res_id, type = r.type, class = r.class }
  end
  local graph
  if #request > 0 then
    local err
    graph, err = ctx.client:query_resource_graph { appId = app, envId = env, body = request }
    if humanitec.is_error(err) and err.status == 404 then
      output.line(ctx.io.stderr, "humanitec: resources graph: the API has no resource graph here (" .. err.message
        .. "): workloads and their resources only")
      graph = nil
    else
      graph = fail.check(graph, err)
    end
  end
  local source = graph or active
  for _, n in ipairs(source) do
    local node = {
      id = n.id or n.res_id, type = n.type, class = n.class, def_id = n.def_id,
      guresid = n.guresid or n.gu_res_id or (n.id or n.res_id), depends_on = {},
    }
    for _, d in ipairs(type(n.depends_on) == "table" and n.depends_on or {}) do
      node.depends_on[#node.depends_on + 1] = d
    end
    nodes[#nodes + 1] = node
    by_gu[node.guresid] = node
  end
  -- workloads over their resources, from the ids
  local by_id = {}
  for _, n in ipairs(nodes) do by_id[n.id] = n end
  local resources = {}
  for i, n in ipairs(nodes) do resources[i] = n end
  local has = {} -- per workload, the set of what it already depends on: one look per resource, not a scan
  for _, n in ipairs(resources) do
    local workload = type(n.id) == "string" and n.id:match("^(modules%.[^%.]+)%.")
    if workload then
      local w = by_id[workload]
      if not w then
        w = { id = workload, type = "workload", guresid = workload, depends_on = {} }
        nodes[#nodes + 1], by_id[workload], by_gu[workload] = w, w, w
      end
      local seen = has[w]
      if not seen then
        seen = {}
        for _, d in ipairs(w.depends_on) do seen[d] = true end
        has[w] = seen
      end
      if not seen[n.guresid] then
        seen[n.guresid] = true
        w.depends_on[#w.depends_on + 1] = n.guresid
      end
    end
  end
  table.sort(nodes, function(a, b) return tostring(a.id) < tostring(b.id) end)
  return nodes, by_gu
end

local function describe(n)
  local parts = { n.type or "?" }
  if n.class and n.class ~= "default" then parts[#parts + 1] = "class " .. n.class end
  if n.def_id then parts[#parts + 1] = "def " .. n.def_id end
  return ("%s (%s)"):format(tostring(n.id), table.concat(parts, ", "))
end

local function text(ctx, nodes, by_gu)
  local depended = {}
  for _, n in ipairs(nodes) do
    for _, d in ipairs(n.depends_on) do depended[d] = true end
  end
  local out = ctx.io.stdout
  -- Each node is drawn with what it depends on once; where it appears again (a shared dependency, or a cycle) it
  -- is one line, "(shown above)", so the text grows with the nodes and edges, not with the paths.
  local printed = {}
  local function walk(n, prefix, is_last, top)
    local label = printed[n.guresid] and (tostring(n.id) .. " (shown above)") or describe(n)
    output.line(out, top and label or (prefix .. (is_last and "└─ " or "├─ ") .. label))
    if printed[n.guresid] then return end
    printed[n.guresid] = true
    local kids = {}
    for _, d in ipairs(n.depends_on) do
      if by_gu[d] then kids[#kids + 1] = by_gu[d] end
    end
    table.sort(kids, function(a, b) return tostring(a.id) < tostring(b.id) end)
    local inner = top and "" or (prefix .. (is_last and "   " or "│  "))
    for i, k in ipairs(kids) do walk(k, inner, i == #kids, false) end
  end
  local any = false
  for _, n in ipairs(nodes) do
    if not depended[n.guresid] then
      walk(n, "", true, true)
      any = true
    end
  end
  if not any and #nodes > 0 then walk(nodes[1], "", true, true) end
end

local function dot_quote(s)
  return '"' .. tostring(s):gsub('[\\"]', "\\%0"):gsub("\n", "\\n") .. '"'
end

local function dot(ctx, nodes, by_gu, app, env)
  local lines = { "digraph " .. dot_quote(app .. "/" .. env) .. " {", "  rankdir=LR;" }
  for _, n in ipairs(nodes) do
    lines[#lines + 1] = ("  %s [label=%s];"):format(dot_quote(n.id), dot_quote(tostring(n.id) .. "\n"
      .. tostring(n.type)))
  end
  for _, n in ipairs(nodes) do
    for _, d in ipairs(n.depends_on) do
      if by_gu[d] then lines[#lines + 1] = ("  %s -> %s;"):format(dot_quote(n.id), dot_quote(by_gu[d].id)) end
    end
  end
  lines[#lines + 1] = "}"
  ctx.io.stdout:write(table.concat(lines, "\n"), "\n")
end

local function graph(ctx)
  local app = args_.need(ctx, "app", "resources graph")
  local env = args_.need(ctx, "env", "resources graph")
  args_.need(ctx, "org", "resources graph")
  local nodes, by_gu = graph_nodes(ctx, app, env)
  if ctx.format == "dot" then
    dot(ctx, nodes, by_gu, app, env)
  elseif ctx.format == "json" or ctx.format == "yaml" then
    local data = json.array()
    for i, n in ipairs(nodes) do
      local deps = json.array()
      for j, d in ipairs(n.depends_on) do deps[j] = by_gu[d] and by_gu[d].id or d end
      data[i] = { id = n.id, type = n.type, class = n.class, def_id = n.def_id, depends_on = deps }
    end
    output.emit(ctx, data)
  elseif #nodes == 0 then
    output.line(ctx.io.stderr, ("%s/%s has no active resources"):format(app, env))
  else
    text(ctx, nodes, by_gu)
  end
  return fail.OK
end

local function usage(ctx)
  args_.need(ctx, "org", "resources active-resource-usage")
  local defs = fail.check(ctx.client:list_resource_definitions {})
  local rows = json.array()
  for _, def in ipairs(defs) do
    local active = fail.check(ctx.client:list_active_resource_by_definition { defId = def.id })
    local used = json.array()
    for i, r in ipairs(active) do
      used[i] = { app_id = r.app_id, env_id = r.env_id, res_id = r.res_id }
    end
    rows[#rows + 1] = { def_id = def.id, type = def.type, driver_type = def.driver_type, active = used }
  end
  table.sort(rows, function(a, b) return tostring(a.def_id) < tostring(b.def_id) end)
  if ctx.format == "json" or ctx.format == "yaml" then
    output.emit(ctx, rows)
    return fail.OK
  end
  output.emit(ctx, rows, {
    columns = { { "DEFINITION", "def_id" }, { "TYPE", "type" }, { "DRIVER", "driver_type" },
      { "ACTIVE", function(r) return tostring(#r.active) end } },
    wide = { { "USED-BY", function(r)
      local where = {}
      for _, a in ipairs(r.active) do where[#where + 1] = a.app_id .. "/" .. a.env_id .. ":" .. a.res_id end
      return table.concat(where, ",")
    end } },
  })
  return fail.OK
end

M.handlers = {
  resources = { client = true, run = function(ctx)
    if ctx.args.action == "graph" then return graph(ctx) end
    return usage(ctx)
  end },
}

return M

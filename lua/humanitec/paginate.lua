--- Pagination: client:each and client:all, over the pages the API links with `Link: <...>; rel="next"`.
---
--- Every parse of what the server sent is linear, and every message that quotes it keeps a bounded prefix. A
--- next link that cannot be followed (off the API, a fragment, white space, the API's root, one seen before)
--- and a server that never stops handing out links (past `max_pages`) end the walk with an error of kind
--- "pagination", never a raise.
---
--- ```lua
--- local client = require("humanitec").new({ token = os.getenv("HUMANITEC_TOKEN"), org = "my-org" })
--- for app, err in client:each("listApplications") do
---   if not app then error(err.message) end
---   print(app.id)
--- end
--- local envs, err = client:all("listEnvironments", { appId = "my-app" })
--- ```
local errors = require "humanitec.errors"
local json = require "humanitec.json"
local vocabulary = require "humanitec.vocabulary"

local M = {}

local calls -- humanitec.calls, or the client's stand-in that loads it on first use; given to M.install

--- How many pages each and all read at most unless told otherwise.
M.DEFAULT_MAX_PAGES = 10000

local OPTIONS = { pages = "boolean", max_pages = "number" }
local OPTION_NAMES = vocabulary.names(OPTIONS)

-- A bounded quote of server text for a message.
local function quote(text)
  if #text > 200 then text = text:sub(1, 200) .. "..." end
  return (text:gsub("%c", "?"))
end

-- Whether the parameters of one link-value (the text after its `>`, up to the next `,`) say rel="next".
local function is_next(params)
  local rel = params:match('[Rr][Ee][Ll]%s*=%s*"([^"]*)"') or params:match("[Rr][Ee][Ll]%s*=%s*([^;%s]+)")
  if not rel then return false end
  for word in rel:gmatch("%S+") do
    if word:lower() == "next" then return true end
  end
  return false
end

--- The target of rel="next" in a Link header's value (or list of values), or nil. One pass over the text.
---@param links string|string[]|nil
---@return string?
function M.next_link(links)
  if links == nil then return nil end
  if type(links) == "string" then links = { links } end
  for _, value in ipairs(links) do
    local pos = 1
    while true do
      local open = value:find("<", pos, true)
      if not open then break end
      local close = value:find(">", open + 1, true)
      if not close then break end
      -- A target holds no '<': the link starts at the last one before the '>' (one more pass over this span).
      local inner = value:find("<", open + 1, true)
      while inner and inner < close do
        open = inner
        inner = value:find("<", open + 1, true)
      end
      -- The parameters run to the next comma; a quoted comma inside them (rare) ends them early, harmlessly.
      local comma = value:find(",", close + 1, true)
      local params = value:sub(close + 1, (comma or #value + 1) - 1)
      if is_next(params) then return value:sub(open + 1, close - 1) end
      if not comma then break end
      pos = comma + 1
    end
  end
  return nil
end

--- The path (and query) to request for a next link, relative to the client's URL; or nil and why not.
---@param base string the client's URL
---@param link string
---@param current string the path of the page that held the link
---@return string? path
---@return string? why
function M.link_path(base, link, current)
  if link:find("[%s%c#]") then
    return nil, "the next page's link holds white space, a control character or a fragment: " .. quote(link)
  end
  local rest
  if link:sub(1, #base) == base then
    rest = link:sub(#base + 1)
  elseif link:find("^/") then
    local prefix = base:match("^[%a][%w+.-]*://[^/]+(.*)$") or ""
    if link:sub(1, #prefix) == prefix then rest = link:sub(#prefix + 1) end
  elseif link:find("^%?") then
    rest = link
  end
  if rest == nil or not (rest == "" or rest:find("^[/?]")) then
    return nil, "the next page's link leads away from the API: " .. quote(link)
  end
  if rest:find("^%?") then rest = current:match("^[^?]*") .. rest end
  if rest == "" or rest:find("^/?%?") or rest == "/" then
    return nil, "the next page's link is the API's root, not a page: " .. quote(link)
  end
  return rest
end

local function options(fname, opts, level)
  level = level + 1
  if opts == nil then return false, M.DEFAULT_MAX_PAGES end
  if type(opts) ~= "table" then
    error(("bad argument #3 to '%s' (table expected, got %s)"):format(fname, type(opts)), level)
  end
  for k, v in pairs(opts) do
    if not OPTIONS[k] then
      error(("bad argument #3 to '%s' (unknown option '%s'%s)"):format(fname, tostring(k),
        vocabulary.hint(k, OPTION_NAMES)), level)
    end
    if type(v) ~= OPTIONS[k] then
      error(("bad option '%s' to '%s' (%s expected, got %s)"):format(k, fname, OPTIONS[k], type(v)), level)
    end
  end
  local max_pages = opts.max_pages or M.DEFAULT_MAX_PAGES
  if max_pages < 1 or max_pages % 1 ~= 0 then
    error(("bad option 'max_pages' to '%s' (a whole number of at least 1 expected)"):format(fname), level)
  end
  return opts.pages == true, max_pages
end

local function operation(fname, name, level)
  level = level + 1
  if type(name) ~= "string" then
    error(("bad argument #1 to '%s' (operation name expected, got %s)"):format(fname, type(name)), level)
  end
  local op = calls.find(name)
  if op == nil then
    error(("bad argument #1 to '%s' (unknown operation '%s')"):format(fname, name), level)
  end
  if not op.list then -- refused before any request: its answer is no list to walk
    error(("bad argument #1 to '%s' ('%s' does not answer with a list; call it directly)"):format(fname, op.name),
      level)
  end
  return op
end

local function is_list(data)
  return type(data) == "table" and getmetatable(data) == nil and (data[1] ~= nil or next(data) == nil)
    or json.is_array(data)
end

-- The pages of one call, as a function: each call returns the next page, nil and its response, plus (when the
-- page's next link cannot be followed) the error to report once the page is out; nil when there are no more;
-- or false and the error. `follow` is false for a list that is not paginated: its one answer is all of it.
local function pager(self, method, path, opts, max_pages, follow)
  local seen, count = {}, 0
  local function failure(fields)
    path = nil
    fields.method = method
    return false, errors.new(fields)
  end
  return function()
    if path == nil then return nil end
    local plain = path:match("^[^?]*")
    if seen[path] then
      return failure { kind = "pagination", path = plain, message = "the API sent the same next link twice" }
    end
    if count >= max_pages then
      return failure { kind = "pagination", path = plain, message = ("stopped after %d pages, with the API still "
        .. "linking a next one (the max_pages option sets the limit)"):format(count) }
    end
    seen[path] = true
    count = count + 1
    local data, err, response = self:request(method, path, opts)
    if err then
      path = nil
      return false, err
    end
    if not is_list(data) then
      return failure { kind = "decode", status = response.status, path = plain,
        message = "a page of a list was not a JSON array" }
    end
    opts = { headers = opts.headers } -- from here on the next link carries the query
    local link = follow and M.next_link(response.headers.link) or nil
    if link == nil then
      path = nil
      return data, nil, response
    end
    local next_path, why = M.link_path(self.url, link, path)
    path = next_path
    if not next_path then
      -- The link is the server's text and may carry the token (a ?access_token=...): mask it like any other.
      return data, nil, response,
        errors.new { kind = "pagination", method = method, path = plain, message = self:_redact(why) }
    end
    return data, nil, response
  end
end

-- Walks the pages: an iterator over pages (page, nil, response) or over items (item), which gives
-- `false, err` once on a failure and then nil.
local function walk(self, method, path, opts, pages_mode, max_pages, follow)
  local next_page = pager(self, method, path, opts, max_pages, follow)
  local page, index = nil, 0
  local pending -- a bad next link's error, reported once the page that held it is out
  local done = false
  return function()
    while not done do
      if page and index < #page then
        index = index + 1
        return page[index]
      end
      if pending then
        done = true
        return false, pending
      end
      local data, err, response, after = next_page()
      if data == nil then
        done = true
        return nil
      end
      if data == false then
        done = true
        return false, err
      end
      pending = after
      if pages_mode then return data, nil, response end
      page, index = data, 0
    end
    return nil
  end
end

--- Installs each and all on the client class.
---@param Client table
---@param calls_module table humanitec.calls
function M.install(Client, calls_module)
  calls = calls_module
  --- Iterates over the items of every page of a paginated operation, following the Link header's rel="next"
  --- until there is none (an empty page is not the end). On a failure the loop gets `false, err` once and
  --- then stops: `for item, err in client:each(...) do if not item then ... end end`. Options: `pages = true`
  --- hands out whole pages with their responses (`for page, err, response in ...`), `max_pages` bounds the
  --- walk (10000 by default).
  ---@param name string an operation's name or operationId
  ---@param params? table as for client:call
  ---@param opts? {pages?: boolean, max_pages?: integer}
  ---@return fun(): (any, humanitec.Error?, humanitec.Response?)
  function Client:each(name, params, opts)
    if self._closed then error("attempt to use a closed humanitec client", 2) end
    local op = operation("each", name, 2)
    local pages_mode, max_pages = options("each", opts, 2)
    local method, path, ropts = calls.build(op, params, { org = self.org })
    local iterator = walk(self, method, path, ropts, pages_mode, max_pages, op.paginated)
    return iterator
  end

  --- All items of a list operation, as one list: every page of a paginated one, or the one answer of a list
  --- that is not paginated. Returns the list, or nil and the error. `opts.max_pages` as for each.
  ---@param name string an operation's name or operationId
  ---@param params? table as for client:call
  ---@param opts? {max_pages?: integer}
  ---@return table? items
  ---@return humanitec.Error? err
  function Client:all(name, params, opts)
    if self._closed then error("attempt to use a closed humanitec client", 2) end
    local op = operation("all", name, 2)
    local pages_mode, max_pages = options("all", opts, 2)
    if pages_mode then error("bad option 'pages' to 'all' (all returns items; use each for pages)", 2) end
    local method, path, ropts = calls.build(op, params, { org = self.org })
    local items = json.array()
    for item, err in walk(self, method, path, ropts, false, max_pages, op.paginated) do
      if item == false then return nil, err end
      items[#items + 1] = item
    end
    return items
  end
end

return M

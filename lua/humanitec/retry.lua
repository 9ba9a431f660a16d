--- The retry policy: which failures are worth another attempt, how long to wait before it, and the per-client
--- budget that stops a failing server from being hammered. Pure decisions; the client does the waiting.
---
--- What is retried: connection failures, connections dropped before any response byte, and timeouts; and the
--- answers 429, 502, 503 and 504. Only for idempotent methods (GET, HEAD, PUT, DELETE, OPTIONS) or requests
--- that carry an Idempotency-Key: a POST or PATCH without one is never sent twice. Nothing else is retried.
--- Waits use full jitter, `random() * min(cap, base * 2^retry)`, or the server's Retry-After (capped).
--- The budget is a token bucket in the manner of the AWS SDKs' standard mode.
local dates = require "humanitec.dates"

local M = {}

M.DEFAULTS = {
  attempts = 3, -- in all, the first one included
  base = 0.25, -- seconds
  cap = 20, -- seconds: the longest backoff wait
  max_retry_after = 60, -- seconds: the longest Retry-After honoured
  deadline = 300, -- seconds for a call, all attempts and waits together
}

-- The AWS SDKs' numbers: a bucket of 500; a retry takes 5 (10 after a timeout); a success gives back what
-- its retries took, or 1 when it needed none.
M.BUDGET = { capacity = 500, cost = 5, timeout_cost = 10, refill = 1 }

local IDEMPOTENT = { GET = true, HEAD = true, PUT = true, DELETE = true, OPTIONS = true }
local RETRY_STATUS = { [429] = true, [502] = true, [503] = true, [504] = true }
local RETRY_KIND = { connect = true, reset = true, timeout = true }

--- Validates a `retries` option (nil: the defaults; false: off; a table: fields over the defaults) and returns
--- the policy, or false. Raises naming the field on a mistake.
---@param value nil|false|table
---@param where string what to name in errors, e.g. "humanitec.new"
---@param level integer error level for the caller's caller
---@return table|false
function M.policy(value, where, level)
  if value == false then return false end
  if value ~= nil and type(value) ~= "table" then
    error(("bad option 'retries' to '%s' (table or false expected, got %s)"):format(where, type(value)), level)
  end
  local policy = {}
  for k, v in pairs(M.DEFAULTS) do policy[k] = v end
  for k, v in pairs(value or {}) do
    if M.DEFAULTS[k] == nil and k ~= "random" then
      local names = require("humanitec.vocabulary").names(M.DEFAULTS)
      names[#names + 1] = "random"
      error(("bad option 'retries' to '%s' (unknown field '%s'%s)"):format(where, tostring(k),
        require("humanitec.vocabulary").hint(k, names)), level)
    end
    if k == "random" then
      if type(v) ~= "function" then
        error(("bad option 'retries' to '%s' (field 'random' must be a function)"):format(where), level)
      end
    elseif type(v) ~= "number" or v ~= v or v < 0 or (k == "attempts" and (v < 1 or v ~= math.floor(v))) then
      error(("bad option 'retries' to '%s' (field '%s' must be a %s)"):format(where, k,
        k == "attempts" and "whole number of at least 1" or "non-negative number"), level)
    end
    policy[k] = v
  end
  policy.random = policy.random or math.random
  return policy
end

--- A new retry budget, one per client.
---@return table
function M.budget()
  return { tokens = M.BUDGET.capacity }
end

--- Whether a request may be sent again at all: idempotent, or carrying an Idempotency-Key.
---@param method string
---@param has_idempotency_key boolean
---@return boolean
function M.repeatable(method, has_idempotency_key)
  return IDEMPOTENT[method] == true or has_idempotency_key
end

--- Whether an outcome is worth retrying: a status (429, 502, 503, 504) or a transport failure kind.
---@param status? integer
---@param kind? string
---@return boolean
function M.retryable(status, kind)
  if status then return RETRY_STATUS[status] == true end
  return RETRY_KIND[kind] == true
end

--- Takes a retry's cost from the budget; false when it cannot pay.
---@param budget table
---@param kind? string the failure's kind ("timeout" costs more)
---@return number|false cost
function M.spend(budget, kind)
  local cost = kind == "timeout" and M.BUDGET.timeout_cost or M.BUDGET.cost
  if budget.tokens < cost then return false end
  budget.tokens = budget.tokens - cost
  return cost
end

--- Gives back to the budget after a success: what its retries took, or the small refill.
---@param budget table
---@param spent number
function M.refund(budget, spent)
  budget.tokens = math.min(M.BUDGET.capacity, budget.tokens + (spent > 0 and spent or M.BUDGET.refill))
end

--- Seconds to wait that a Retry-After value asks for: a number of seconds, or an HTTP date compared with `now`
--- (seconds since the epoch, UTC). nil when the value is neither.
---@param value string
---@param now number
---@return number?
function M.retry_after_seconds(value, now)
  if type(value) ~= "string" then return nil end
  local seconds = value:match("^%s*(%d+)%s*$")
  if seconds then return tonumber(seconds) end
  local at = dates.parse_http(value)
  if not at then return nil end
  return math.max(0, at - now)
end

--- How long to wait before retry number `retry` (1 for the first): the server's Retry-After when it sent one
--- (capped at max_retry_after), else full-jitter backoff.
---@param policy table
---@param retry integer
---@param retry_after? string the header's value
---@return number
function M.delay(policy, retry, retry_after)
  if retry_after then
    local wanted = M.retry_after_seconds(retry_after, os.time())
    if wanted then return math.min(wanted, policy.max_retry_after) end
  end
  return policy.random() * math.min(policy.cap, policy.base * 2 ^ (retry - 1))
end

return M

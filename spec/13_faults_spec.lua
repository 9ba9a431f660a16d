-- Fault injection: a server that misbehaves on purpose (spec/support/fault_server.lua) and, for each fault,
-- the error kind, how many attempts the client made (err.attempts), and how many requests the server got: a
-- POST without an Idempotency-Key is never sent twice, whatever goes wrong.
local helpers = require "support.helpers"
local humanitec = require "humanitec"
local core = require "humanitec.core"

local TOKEN = "fault-spec-secret-3f9a1c"
local MiB = 1024 * 1024

local function always(x) return function() return x end end

-- Under valgrind (tools/valgrind-specs) the process's peak includes the tool's own shadow memory, and under
-- make asan the freed blocks ASan keeps in quarantine (up to 256 MiB), so the bounds below are loosened there,
-- not dropped: they still catch a body held whole, which is 100 MiB more.
local under_asan = (os.getenv("LD_PRELOAD") or ""):find("libasan", 1, true)
local MEMORY_SLACK = (os.getenv("HUMANITEC_SPEC_VALGRIND") or under_asan) and 2 or 1

-- Peak resident memory in KiB, reset first when the kernel allows it; nil where there is no /proc.
local function reset_peak()
  local f = io.open("/proc/self/clear_refs", "w")
  if f then
    f:write("5")
    f:close()
  end
end
local function peak_kib()
  local f = io.open("/proc/self/status", "r")
  if not f then return nil end
  local status = f:read("*a")
  f:close()
  return tonumber(status:match("VmHWM:%s*(%d+)"))
end

describe("faults", function()
  local server, recorder, gzip_file, control

  -- A client of the fault server that waits nothing between retries (Retry-After aside).
  local function client(opts)
    local o = { token = TOKEN, url = server.url, config_file = "/dev/null", retries = { random = always(0) } }
    for k, v in pairs(opts or {}) do o[k] = v end
    return humanitec.new(o)
  end

  -- What the server counted for "METHOD /path".
  local function count(key)
    local counts = assert(control:get("/counts"))
    return counts[key] or 0
  end

  -- The raw listeners' URLs (their counters count connections, whatever the method).
  local function raw_url(which)
    local ports = assert(control:get("/ports"))
    return ("http://127.0.0.1:%d"):format(ports[which])
  end

  -- One call, and how many requests reached the server for it.
  local function counted(key, fn)
    local before = count(key)
    local data, err = fn()
    return data, err, count(key) - before
  end

  setup(function()
    gzip_file = os.tmpname()
    -- 200 MB of zeros: about 190 KiB of gzip.
    assert(os.execute("head -c 200000000 /dev/zero | gzip -c > " .. helpers.shell_quote(gzip_file)))
    server = helpers.start_server("spec/support/fault_server.lua", { "--gzip", gzip_file })
    recorder = helpers.start_server("spec/support/fault_server.lua", { "--record" })
    control = humanitec.new { token = false, url = server.url, config_file = "/dev/null", retries = false }
  end)

  teardown(function()
    if server then server.stop() end
    if recorder then recorder.stop() end
    if gzip_file then os.remove(gzip_file) end
  end)

  it("connection refused: connect, a GET tried 3 times, a POST once", function()
    local c = client { url = "http://127.0.0.1:1" }
    local _, err = c:get("/x")
    assert.equals("connect", err.kind)
    assert.equals(3, err.attempts)
    _, err = c:post("/x", { a = 1 })
    assert.equals("connect", err.kind)
    assert.equals(1, err.attempts)
  end)

  it("reset before headers (TCP RST): reset; GET 3 attempts, POST 1, POST with an Idempotency-Key 3", function()
    local c = client { url = raw_url("reset_before_headers") }
    local key = "RST /reset-before-headers"
    local _, err, sent = counted(key, function() return c:get("/reset-before-headers") end)
    assert.equals("reset", err.kind)
    assert.equals(3, err.attempts)
    assert.equals(3, sent)
    _, err, sent = counted(key, function() return c:post("/reset-before-headers", { a = 1 }) end)
    assert.equals("reset", err.kind)
    assert.equals(1, err.attempts)
    assert.equals(1, sent)
    _, err, sent = counted(key, function()
      return c:post("/reset-before-headers", { a = 1 }, { headers = { ["Idempotency-Key"] = "fault-1" } })
    end)
    assert.equals("reset", err.kind)
    assert.equals(3, err.attempts)
    assert.equals(3, sent)
  end)

  it("closed before headers (FIN, an empty reply): reset; GET 3 attempts, POST 1", function()
    local c = client()
    local _, err = c:get("/close-before-headers/get")
    assert.equals("reset", err.kind)
    assert.equals(3, err.attempts)
    assert.equals(3, count("GET /close-before-headers/get"))
    _, err = c:post("/close-before-headers/post", { a = 1 })
    assert.equals("reset", err.kind)
    assert.equals(1, err.attempts)
    assert.equals(1, count("POST /close-before-headers/post"))
  end)

  -- libcurl resends a request, POST included, when a reused keep-alive connection dies before any answer.
  it("closed before headers on a reused connection: the POST still reaches the server once", function()
    local c = client()
    assert(c:get("/ok/keep?keep=1")) -- the server keeps this connection open; the POST reuses it
    local _, err = c:post("/close-before-headers/reused", { a = 1 })
    assert.equals("reset", err.kind)
    assert.equals(1, err.attempts)
    assert.equals(1, count("POST /close-before-headers/reused"))
  end)

  it("reset mid-body (TCP RST after some body): partial, never retried", function()
    local c = client { url = raw_url("reset_mid_body") }
    local key = "RST /reset-mid-body"
    local _, err, sent = counted(key, function() return c:get("/reset-mid-body") end)
    assert.equals("partial", err.kind)
    assert.equals(1, err.attempts)
    assert.equals(1, sent)
    _, err, sent = counted(key, function() return c:post("/reset-mid-body", { a = 1 }) end)
    assert.equals("partial", err.kind)
    assert.equals(1, err.attempts)
    assert.equals(1, sent)
  end)

  it("a body shorter than its Content-Length: partial, never retried", function()
    local c = client()
    local _, err = c:get("/short-body/get")
    assert.equals("partial", err.kind)
    assert.equals(1, err.attempts)
    assert.equals(1, count("GET /short-body/get"))
    _, err = c:post("/short-body/post", { a = 1 })
    assert.equals("partial", err.kind)
    assert.equals(1, err.attempts)
    assert.equals(1, count("POST /short-body/post"))
  end)

  it("headers that never arrive: timeout; GET 3 attempts, POST 1", function()
    local c = client { timeout = 0.3 }
    local _, err = c:get("/no-headers/get")
    assert.equals("timeout", err.kind)
    assert.equals(3, err.attempts)
    assert.equals(3, count("GET /no-headers/get"))
    _, err = c:post("/no-headers/post", { a = 1 })
    assert.equals("timeout", err.kind)
    assert.equals(1, err.attempts)
    assert.equals(1, count("POST /no-headers/post"))
  end)

  it("a body that drips a byte a second: the total timeout ends it although bytes keep coming", function()
    local c = client { timeout = 1.2 }
    local start = core.now()
    local _, err = c:get("/drip/get")
    assert.equals("timeout", err.kind)
    assert.equals(3, err.attempts)
    assert.equals(3, count("GET /drip/get"))
    local elapsed = core.now() - start
    assert.is_true(elapsed >= 3 * 1.2 - 0.1 and elapsed < 3 * 1.2 + 2, "took " .. elapsed .. " s")
    _, err = c:post("/drip/post", { a = 1 })
    assert.equals("timeout", err.kind)
    assert.equals(1, err.attempts)
    assert.equals(1, count("POST /drip/post"))
  end)

  -- Before, libcurl's success stood: status 200 with the half header dropped, and `true` as the data.
  it("an answer cut inside its header block: partial, on the blocking and the concurrent path", function()
    local c = client()
    local data, err = c:get("/cut-head/get")
    assert.is_nil(data)
    assert.equals("partial", err.kind)
    assert.matches("header block", err.message)
    assert.equals(1, count("GET /cut-head/get"))
    local results = c:batch({ { "GET", "/cut-head/batch" } })
    assert.equals("partial", results[1].err.kind)
  end)

  -- Before, libcurl picked one of the lengths and the call succeeded (or failed to decode a cut body).
  it("two Content-Length values that disagree: protocol", function()
    local c = client()
    local data, err = c:get("/two-lengths/get")
    assert.is_nil(data)
    assert.equals("protocol", err.kind)
    assert.matches("Content%-Length", err.message)
  end)

  -- Found by the result fuzz harness: the core ended the media type at a space or tab only, so it took this
  -- for "+json" and reported the text as invalid JSON, where the client's own test (Lua's %s) says text.
  it("a Content-Type with other white space in it is read as the client reads it", function()
    local c = client()
    local data, err, res = c:get("/odd-type/get")
    assert.is_nil(err)
    assert.equals("plain, not JSON", data)
    assert.equals("text/plain\v+json", res:header("Content-Type"))
    local results = c:batch({ { "GET", "/odd-type/batch" } })
    assert.equals("plain, not JSON", results[1].data)
  end)

  -- Before, the trailers were merged into the headers: Content-Type became a list, and the body was not
  -- decoded as JSON.
  it("chunked trailers never change or wipe the response's headers", function()
    local c = client()
    local data, err, res = c:get("/trailers/get")
    assert.is_nil(err)
    assert.is_true(data.ok)
    assert.equals("application/json", res.headers["content-type"])
    assert.is_nil(res.headers["x-trailer"])
    -- A trailer line starting "HTTP/" (this libcurl refuses the stream; an older one may not): never an
    -- answer with its headers wiped.
    data, err, res = c:get("/trailers/wipe", { query = { wipe = 1 } })
    if not err then
      assert.is_true(data.ok)
      assert.equals("application/json", res.headers["content-type"])
    end
  end)

  it("invalid JSON in a 200: decode, not retried", function()
    local c = client()
    local _, err = c:get("/bad-json/get")
    assert.equals("decode", err.kind)
    assert.equals(200, err.status)
    assert.equals(1, err.attempts)
    assert.equals(1, count("GET /bad-json/get"))
    _, err = c:post("/bad-json/post", { a = 1 })
    assert.equals("decode", err.kind)
    assert.equals(1, err.attempts)
    assert.equals(1, count("POST /bad-json/post"))
  end)

  it("an HTML page with a 502: http 502 with a one-line message; GET 3 attempts, POST 1", function()
    local c = client()
    local _, err = c:get("/html-502/get")
    assert.equals("http", err.kind)
    assert.equals(502, err.status)
    assert.equals(3, err.attempts)
    assert.equals(3, count("GET /html-502/get"))
    assert.matches("502 Bad Gateway", err.message, 1, true)
    assert.not_matches("<", err.message, 1, true)
    assert.not_matches("\n", tostring(err), 1, true)
    _, err = c:post("/html-502/post", { a = 1 })
    assert.equals(502, err.status)
    assert.equals(1, err.attempts)
    assert.equals(1, count("POST /html-502/post"))
  end)

  it("an empty 500: http 500 with the reason phrase, not retried", function()
    local c = client()
    local _, err = c:get("/empty-500/get")
    assert.equals("http", err.kind)
    assert.equals(500, err.status)
    assert.equals("Internal Server Error", err.message)
    assert.equals(1, err.attempts)
    assert.equals(1, count("GET /empty-500/get"))
    _, err = c:post("/empty-500/post", { a = 1 })
    assert.equals(500, err.status)
    assert.equals(1, err.attempts)
    assert.equals(1, count("POST /empty-500/post"))
  end)

  it("429 with Retry-After in seconds: waited for a GET and a keyed POST; a plain POST is not retried", function()
    local c = client()
    local start = core.now()
    local data, get_err, res = c:get("/retry-after-seconds/get", { query = { after = 1 } })
    local elapsed = core.now() - start
    assert.is_table(data, tostring(get_err))
    assert.equals(2, res.attempts)
    assert.equals(2, count("GET /retry-after-seconds/get"))
    -- random() is 0, so any wait is the server's: about the second it asked for.
    assert.is_true(elapsed >= 0.9 and elapsed < 3, "waited " .. elapsed .. " s")

    local _, err = c:post("/retry-after-seconds/post", { a = 1 }, { query = { after = 1 } })
    assert.equals("http", err.kind)
    assert.equals(429, err.status)
    assert.equals(1, err.attempts)
    assert.equals(1, count("POST /retry-after-seconds/post"))

    start = core.now()
    local keyed_err
    data, keyed_err, res = c:post("/retry-after-seconds/keyed", { a = 1 },
      { query = { after = 1 }, headers = { ["Idempotency-Key"] = "fault-2" } })
    elapsed = core.now() - start
    assert.is_table(data, tostring(keyed_err))
    assert.equals(2, res.attempts)
    assert.equals(2, count("POST /retry-after-seconds/keyed"))
    assert.is_true(elapsed >= 0.9 and elapsed < 3, "waited " .. elapsed .. " s")
  end)

  it("429 with Retry-After as an HTTP date 2 s ahead: waited until then", function()
    local c = client()
    local start = core.now()
    local data, get_err, res = c:get("/retry-after-date/get", { query = { after = 2 } })
    local elapsed = core.now() - start
    assert.is_table(data, tostring(get_err))
    assert.equals(2, res.attempts)
    assert.equals(2, count("GET /retry-after-date/get"))
    -- The date has whole seconds: 2 s ahead by the server's clock is 1 to 2 s by the time the client reads it.
    assert.is_true(elapsed >= 0.9 and elapsed < 3.5, "waited " .. elapsed .. " s")
    local _, err = c:post("/retry-after-date/post", { a = 1 }, { query = { after = 2 } })
    assert.equals(429, err.status)
    assert.equals(1, err.attempts)
    assert.equals(1, count("POST /retry-after-date/post"))
  end)

  it("a 503 storm spends the retry budget; then calls fail at once with retry_budget_exhausted", function()
    local c = client()
    local attempts, exhausted_at = {}, nil
    for i = 1, 60 do
      local _, err = c:get("/storm/get")
      assert.equals("http", err.kind)
      assert.equals(503, err.status)
      attempts[i] = err.attempts
      if err.retry_budget_exhausted then
        exhausted_at = i
        break
      end
    end
    -- 500 tokens, 5 a retry: 50 calls retried twice each, then none.
    assert.equals(51, exhausted_at)
    for i = 1, 50 do assert.equals(3, attempts[i], "call " .. i) end
    assert.equals(1, attempts[51])
    assert.equals(50 * 3 + 1, count("GET /storm/get"))
    local _, err = c:post("/storm/post", { a = 1 })
    assert.equals(503, err.status)
    assert.equals(1, err.attempts)
    assert.equals(1, count("POST /storm/post"))
  end)

  it("a gzip body that inflates past max_body: too_large, the inflated body never held", function()
    local c = client { max_body = 10 * MiB }
    reset_peak()
    local before = peak_kib()
    local _, err = c:get("/gzip-bomb/get")
    local after = peak_kib()
    assert.equals("too_large", err.kind)
    assert.equals(1, err.attempts)
    assert.equals(1, count("GET /gzip-bomb/get"))
    if before and after then
      -- 200 MB inflated; the client holds at most max_body of it.
      assert.is_true(after - before < 40 * 1024 * MEMORY_SLACK, ("peak grew by %d KiB"):format(after - before))
    end
    _, err = c:post("/gzip-bomb/post", { a = 1 })
    assert.equals("too_large", err.kind)
    assert.equals(1, err.attempts)
    assert.equals(1, count("POST /gzip-bomb/post"))
  end)

  it("a 100 MiB body with a Content-Length: too_large at the default 64 MiB, before any of it is held", function()
    local c = client()
    reset_peak()
    local before = peak_kib()
    local _, err = c:get("/huge/get")
    local after = peak_kib()
    assert.equals("too_large", err.kind)
    assert.equals(1, err.attempts)
    assert.equals(1, count("GET /huge/get"))
    if before and after then
      assert.is_true(after - before < 16 * 1024 * MEMORY_SLACK, ("peak grew by %d KiB"):format(after - before))
    end
    _, err = c:post("/huge/post", { a = 1 })
    assert.equals("too_large", err.kind)
    assert.equals(1, err.attempts)
    assert.equals(1, count("POST /huge/post"))
  end)

  it("a 100 MiB chunked body: too_large once 64 MiB have come, memory below the body's size", function()
    local c = client()
    reset_peak()
    local before = peak_kib()
    local _, err = c:get("/huge/chunked", { query = { chunked = 1 } })
    local after = peak_kib()
    assert.equals("too_large", err.kind)
    assert.equals(1, err.attempts)
    assert.equals(1, count("GET /huge/chunked"))
    if before and after then
      assert.is_true(after - before < 100 * 1024 * MEMORY_SLACK, ("peak grew by %d KiB"):format(after - before))
    end
    _, err = c:post("/huge/chunked-post", { a = 1 }, { query = { chunked = 1 } })
    assert.equals("too_large", err.kind)
    assert.equals(1, err.attempts)
    assert.equals(1, count("POST /huge/chunked-post"))
  end)

  it("response headers that together pass the 256 KiB limit: too_large, not retried", function()
    local c = client()
    local _, err = c:get("/many-headers/get", { query = { n = 80, kib = 4 } })
    assert.equals("too_large", err.kind)
    assert.equals(1, err.attempts)
    assert.equals(1, count("GET /many-headers/get"))
    _, err = c:post("/many-headers/post", { a = 1 }, { query = { n = 80, kib = 4 } })
    assert.equals("too_large", err.kind)
    assert.equals(1, err.attempts)
    assert.equals(1, count("POST /many-headers/post"))
  end)

  -- libcurl refuses a single header line over 100 KiB itself, with CURLE_OUT_OF_MEMORY.
  it("one oversized header line (200 KiB): too_large, not retried", function()
    local c = client()
    local _, err = c:get("/big-header/get", { query = { kib = 200 } })
    assert.equals("too_large", err.kind)
    assert.equals(1, err.attempts)
    assert.equals(1, count("GET /big-header/get"))
    _, err = c:post("/big-header/post", { a = 1 }, { query = { kib = 200 } })
    assert.equals("too_large", err.kind)
    assert.equals(1, err.attempts)
    assert.equals(1, count("POST /big-header/post"))
  end)

  it("a redirect to another port or host is not followed, and the token never reaches it", function()
    local other_port = recorder.url .. "/steal"
    local other_host = recorder.url:gsub("127%.0%.0%.1", "localhost") .. "/steal"
    local c = client()
    for i, target in ipairs { other_port, other_host } do
      local _, err = c:get("/redirect-other-port/get" .. i, { query = { to = target } })
      assert.equals("http", err.kind)
      assert.equals(302, err.status)
      assert.equals(1, err.attempts)
      assert.equals(target, err.headers.location)
      assert.equals(1, count("GET /redirect-other-port/get" .. i))
      _, err = c:post("/redirect-other-port/post" .. i, { a = 1 }, { query = { to = target, status = 307 } })
      assert.equals("http", err.kind)
      assert.equals(307, err.status)
      assert.equals(1, err.attempts)
      assert.equals(1, count("POST /redirect-other-port/post" .. i))
    end

    local recorded = humanitec.new { token = false, url = recorder.url, config_file = "/dev/null", retries = false }
    local records = assert(recorded:get("/__records"))
    assert.equals(0, #records) -- nothing reached the other server at all
    -- The recorder does see an Authorization header when one is sent to it (another client's, here).
    local direct = humanitec.new { token = "control-token", url = recorder.url, config_file = "/dev/null" }
    assert(direct:get("/direct"))
    records = assert(recorded:get("/__records"))
    assert.equals(1, #records)
    local seen = table.concat(records[1].headers, "\n")
    assert.matches("Authorization: Bearer control-token", seen, 1, true)
    for _, record in ipairs(records) do
      for _, line in ipairs(record.headers) do
        assert.not_matches(TOKEN, line, 1, true)
      end
      assert.not_matches(TOKEN, record.target .. record.body, 1, true)
    end
  end)

  it("a redirect to a non-http scheme is not followed", function()
    local c = client()
    for i, target in ipairs { "file:///etc/passwd", "ftp://127.0.0.1:1/x", "gopher://127.0.0.1:1/_x" } do
      local data, err = c:get("/redirect-scheme/get" .. i, { query = { to = target } })
      assert.is_nil(data)
      assert.equals("http", err.kind)
      assert.equals(302, err.status)
      assert.equals(1, err.attempts)
      assert.equals(target, err.headers.location)
      assert.equals("moved", err.message) -- the redirect's own body, not the target's
      assert.equals(1, count("GET /redirect-scheme/get" .. i))
      data, err = c:post("/redirect-scheme/post" .. i, { a = 1 }, { query = { to = target, status = 307 } })
      assert.is_nil(data)
      assert.equals(307, err.status)
      assert.equals(1, err.attempts)
      assert.equals(1, count("POST /redirect-scheme/post" .. i))
    end
  end)

  it("the concurrent path (client:batch) retries the same faults the same way", function()
    local c = client { timeout = 0.3 }
    local results = c:batch({
      { "GET", "/close-before-headers/batch-get", {} },
      { "POST", "/close-before-headers/batch-post", { body = { a = 1 } } },
      { "GET", "/storm/batch-get", {} },
      { "POST", "/storm/batch-post", { body = { a = 1 } } },
      { "GET", "/no-headers/batch-get", {} },
      { "POST", "/short-body/batch-post", { body = { a = 1 } } },
    }, { concurrency = 6 })
    local expected = {
      { "reset", 3, "GET /close-before-headers/batch-get" },
      { "reset", 1, "POST /close-before-headers/batch-post" },
      { "http", 3, "GET /storm/batch-get" },
      { "http", 1, "POST /storm/batch-post" },
      { "timeout", 3, "GET /no-headers/batch-get" },
      { "partial", 1, "POST /short-body/batch-post" },
    }
    for i, e in ipairs(expected) do
      local err = results[i].err
      assert.is_table(err, e[3])
      assert.equals(e[1], err.kind, e[3])
      assert.equals(e[2], err.attempts, e[3])
      assert.equals(e[2], count(e[3]), e[3])
    end
  end)
end)

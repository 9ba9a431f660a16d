-- The README's CLI session, run as written: the shell block after "A first session" in README.md, with bin/
-- on the PATH, in an empty directory, under `sh -e` so any failing command fails the spec.
local helpers = require "support.helpers"

-- The first ```sh block after `marker` in README.md.
local function readme_block(marker)
  local text = helpers.read_file("README.md")
  local at = assert(text:find(marker, 1, true), "README.md has no '" .. marker .. "'")
  local body = text:match("```sh\n(.-)```", at)
  return assert(body, "no shell block after '" .. marker .. "'")
end

describe("README CLI session", function()
  it("runs as written against the simulator it starts", function()
    local script = readme_block("A first session")
    local root = helpers.capture("pwd"):match("^[^\n]+")
    local dir = os.tmpname()
    os.remove(dir)
    assert.equals(0, select(2, helpers.capture("mkdir " .. dir)))
    local file = helpers.temp_file("set -e\n" .. script)
    local started = os.time()
    local out, status = helpers.capture(("cd %s && env -u HUMANITEC_APP -u HUMANITEC_ENV -u HUMANITEC_CONTEXT "
      .. "HUMCTL_CONFIG=/dev/null PATH=%s:\"$PATH\" sh %s"):format(helpers.shell_quote(dir),
      helpers.shell_quote(root .. "/bin"), helpers.shell_quote(file)))
    os.remove(file)
    helpers.capture("rm -r " .. helpers.shell_quote(dir))
    assert.equals(0, status, out)
    assert.is_true(os.time() - started < 120)
    -- what the session shows a new user
    assert.matches("%+ Application shop\n  %+ name: Shop\n", out)
    assert.matches("3 created\n", out)
    assert.matches("nothing changed\n", out)
    assert.matches("\nshop%s+Shop%s+development,production\n", out)
    assert.matches("shop/development: deployment %x+ succeeded\n", out)
    assert.matches("shop/production: deployment %x+ succeeded\n", out)
    assert.matches('"comment":"Roll back to %x+"', out)
    assert.matches("\nresource%-definitions%s", out)
  end)
end)

-- The device log-in flow (POST /auth/device, /auth/device-poll), answered through sim:approve_device and
-- sim:refuse_device in process and through the control API over HTTP.
local H = require "support.sim_helper"

local DEVICE_ID = string.rep("0123456789", 4) -- 40 hex digits, as the CLI makes them

for mode in H.modes() do
  describe(mode.name, function()
    setup(mode.start)
    teardown(mode.stop)

    describe("humanitec.sim device log-in", function()
      local sim, anonymous
      before_each(function()
        sim = mode.new({ orgs = { "acme", "beta" } })
        anonymous = H.client(sim, nil)
      end)

      local function start()
        local status, body = anonymous.post("/auth/device", { device_id = DEVICE_ID })
        assert.equal(200, status)
        return body
      end

      it("answers a device request without a token, with a security code and a verification URL", function()
        local body = start()
        assert.matches("^%x%x%x%x%-%x%x%x%x$", body.security_code)
        assert.matches("^https?://", body.verification_url)
        assert.matches(body.security_code, body.verification_url, 1, true)
        local pending = sim:device_requests()
        assert.equal(1, #pending)
        assert.same({ body.security_code, DEVICE_ID }, { pending[1].security_code, pending[1].device_id })
      end)

      it("answers 202 while pending, then 200 with a session token once approved, once", function()
        local code = start().security_code
        local status, body = anonymous.post("/auth/device-poll", { security_code = code })
        assert.equal(202, status)
        assert.is_false(body.accepted)
        local token = sim:approve_device(code, { orgs = { "acme" } })
        status, body = anonymous.post("/auth/device-poll", { security_code = code })
        assert.equal(200, status)
        assert.same({ true, token }, { body.accepted, body.access_token })
        local client = H.client(sim, body.access_token)
        assert.equal(200, (client.get("/orgs/acme/apps")))
        assert.equal(403, (client.get("/orgs/beta/apps")))
        assert.equal(404, (anonymous.post("/auth/device-poll", { security_code = code })))
        assert.same({}, sim:device_requests())
      end)

      it("answers {accepted: false} once refused", function()
        local code = start().security_code
        sim:refuse_device(code)
        local status, body = anonymous.post("/auth/device-poll", { security_code = code })
        assert.equal(200, status)
        assert.is_false(body.accepted)
        assert.is_nil(body.access_token)
      end)

      it("gives session tokens that expire, and forgets requests nobody answers", function()
        local code = start().security_code
        local token = sim:approve_device(code, { expires_in = 60 })
        local client = H.client(sim, token)
        assert.equal(200, (client.get("/orgs/beta/apps"))) -- every organization by default
        sim:advance(60)
        assert.equal(401, (client.get("/orgs/acme/apps")))
        local late = start().security_code
        sim:advance(600)
        assert.equal(404, (anonymous.post("/auth/device-poll", { security_code = late })))
      end)

      it("refuses malformed requests and unknown codes", function()
        assert.equal(400, (anonymous.post("/auth/device", {})))
        assert.equal(400, (anonymous.post("/auth/device", "{nope")))
        assert.equal(400, (anonymous.post("/auth/device-poll", { security_code = 5 })))
        assert.equal(404, (anonymous.post("/auth/device-poll", { security_code = "NOPE-NOPE" })))
        assert.has_error(function() sim:approve_device("NOPE-NOPE") end)
        local code = start().security_code
        sim:refuse_device(code)
        assert.has_error(function() sim:approve_device(code) end)
      end)
    end)
  end)
end

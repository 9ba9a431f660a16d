-- humanitec.dates: UTC timestamps without the local time zone, for the retry policy and the simulator.
local dates = require "humanitec.dates"

describe("humanitec.dates", function()
  it("counts seconds from the epoch across leap years and centuries", function()
    assert.equals(0, dates.epoch(1970, 1, 1, 0, 0, 0))
    assert.equals(951782400, dates.epoch(2000, 2, 29, 0, 0, 0)) -- 2000 is a leap year (divisible by 400)
    assert.equals(4107542400, dates.epoch(2100, 3, 1, 0, 0, 0)) -- 2100 is not: Feb 28 is followed by Mar 1
    assert.equals(-86400, dates.epoch(1969, 12, 31, 0, 0, 0))
  end)

  it("reads HTTP's IMF-fixdate and nothing else", function()
    assert.equals(784111777, dates.parse_http("Sun, 06 Nov 1994 08:49:37 GMT")) -- RFC 9110's example
    assert.is_nil(dates.parse_http("Sunday, 06-Nov-94 08:49:37 GMT"))
    assert.is_nil(dates.parse_http("Sun, 06 Nox 1994 08:49:37 GMT"))
    assert.is_nil(dates.parse_http(42))
  end)

  it("writes and reads the API's ISO 8601 timestamps, milliseconds kept", function()
    assert.equals("1994-11-06T08:49:37.250Z", dates.iso(784111777.25))
    assert.equals("2000-01-01T00:00:00.000Z", dates.iso(946684799.9999)) -- rounds up into the next second
    assert.equals(784111777.25, dates.parse_iso("1994-11-06T08:49:37.25Z"))
    assert.equals(784111777, dates.parse_iso(dates.iso(784111777)))
    assert.is_nil(dates.parse_iso("1994-11-06 08:49:37Z"))
    assert.is_nil(dates.parse_iso("1994-11-06T08:49:37+01:00"))
    assert.is_nil(dates.parse_iso(nil))
  end)
end)

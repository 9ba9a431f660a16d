// Ajv's verdicts, for the specs that check the Lua JSON Schema validator against it.
//   node spec/support/ajv_verdicts.js CASES.json
// CASES.json: [{ "schema": ..., "data": [value, ...] }, ...]. Prints a JSON array of arrays of booleans.
// Ajv (draft 2020-12, allErrors, the u flag on patterns, formats from ajv-formats), as installed in build/npm by
// tools/deps; NODE_PATH points there.
"use strict";
const fs = require("fs");
const Ajv2020 = require("ajv/dist/2020").default;
const addFormats = require("ajv-formats").default;

const cases = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);
const out = cases.map((c) => {
  const validate = ajv.compile(c.schema);
  return c.data.map((d) => validate(d) === true);
});
process.stdout.write(JSON.stringify(out));

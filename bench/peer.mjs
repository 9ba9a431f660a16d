// Node's built-in fetch (undici; keep-alive by default) in the benchmark, or, with --autogen, Humanitec's
// official TypeScript client @humanitec/autogen, whose generated methods call fetch and map each object of
// the answer into its model.
//   node bench/peer.mjs [--autogen] get URL N          (https: the test CA comes from NODE_EXTRA_CA_CERTS)
//   node bench/peer.mjs [--autogen] batch URL_PREFIX N CONCURRENCY
// With --autogen, URL must be one of the API paths bench/run serves; AUTOGEN names the package's entry file.
// Prints "RESULT <milliseconds> <peak RSS in KiB> <bytes received>".
const args = process.argv.slice(2);
const autogen = args[0] === "--autogen";
if (autogen) args.shift();
const [mode, url, nText, extra] = args;
const n = Number(nText);

let fetchOne; // (url) -> a number of bytes, after decoding
if (autogen) {
  const { apiConfig, PublicApi } = await import(process.env.AUTOGEN);
  const base = new URL(url).origin;
  const client = new PublicApi(apiConfig({ token: "bench-token", apiHost: base }));
  fetchOne = async (target) => {
    const path = new URL(target).pathname;
    let m;
    let data;
    if (path === "/orgs/bench/apps") data = await client.listApplications({ orgId: "bench" });
    else if (path === "/orgs/bench/resources/defs") data = await client.listResourceDefinitions({ orgId: "bench" });
    else if ((m = path.match(/^\/orgs\/bench\/apps\/([^/]+)$/))) data = [await client.getApplication({ orgId: "bench", appId: m[1] })];
    else throw new Error("no operation for " + path);
    if (!Array.isArray(data)) throw new Error("unexpected answer");
    return data.length; // the client hands back models, not the body: count objects instead of bytes
  };
} else {
  fetchOne = async (target) => {
    const res = await fetch(target, { headers: { accept: "application/json", authorization: "Bearer bench-token" } });
    if (res.status !== 200) throw new Error(`GET ${target}: ${res.status}`);
    const text = await res.text();
    const data = JSON.parse(text);
    if (typeof data !== "object") throw new Error("unexpected answer");
    return Buffer.byteLength(text);
  };
}

let total = 0;
const start = performance.now();
if (mode === "get") {
  for (let i = 0; i < n; i++) total += await fetchOne(url);
} else if (mode === "batch") {
  let next = 0;
  const worker = async () => {
    while (next < n) total += await fetchOne(url + ++next);
  };
  await Promise.all(Array.from({ length: Number(extra) }, worker));
} else {
  throw new Error("unknown mode " + mode);
}
const elapsed = performance.now() - start;
console.log(`RESULT ${elapsed.toFixed(3)} ${process.resourceUsage().maxRSS} ${total}`);

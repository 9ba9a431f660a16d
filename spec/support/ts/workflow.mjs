// Humanitec's official TypeScript client, unchanged, driving a short workflow against bin/humanitec-sim:
// list orgs, create an app, create a delta, deploy it, read the deployment's status until it ends.
//   node workflow.mjs <url> <org>      (the token comes from HUMANITEC_TOKEN, never the command line)
// Prints one JSON line with what it saw; exits non-zero on any failure.
import { apiConfig, PublicApi } from "@humanitec/autogen";

const [url, orgId] = process.argv.slice(2);
const client = new PublicApi(apiConfig({ token: process.env.HUMANITEC_TOKEN, apiHost: url }));
const appId = "ts-app";

const orgs = await client.listOrganizations();
const app = await client.createApplication({ orgId, ApplicationCreationRequest: { id: appId, name: "TS App" } });
const delta = await client.orgsOrgIdAppsAppIdDeltasPost({
  orgId,
  appId,
  DeltaRequest: {
    metadata: { env_id: "development", name: "from TypeScript" },
    modules: { add: { web: { profile: "humanitec/default-module", spec: { containers: {} } } } },
  },
});
const deltaId = typeof delta === "string" ? delta : delta.id;
let deploy = await client.createDeployment({
  orgId, appId, envId: "development", DeploymentRequest: { delta_id: deltaId, comment: "from TypeScript" },
});
const seen = [deploy.status];
for (let i = 0; i < 100 && (deploy.status === "pending" || deploy.status === "in progress"); i++) {
  await new Promise((resolve) => setTimeout(resolve, 100));
  deploy = await client.getDeployment({ orgId, appId, envId: "development", deployId: deploy.id });
  if (seen[seen.length - 1] !== deploy.status) seen.push(deploy.status);
}
console.log(JSON.stringify({
  orgs: orgs.map((o) => o.id),
  app: app.id,
  envs: (app.envs || []).map((e) => e.id),
  delta: deltaId,
  deploy: deploy.id,
  created_at_valid: !isNaN(deploy.created_at.getTime()),
  statuses: seen,
}));

// Humanitec's official TypeScript client, unchanged, calling a wide range of the API's operations against
// bin/humanitec-sim (an app "ts-app" with a "development" environment must exist; workflow.mjs makes it).
//   node wide.mjs <url> <org>      (the token comes from HUMANITEC_TOKEN)
// Prints one JSON line: the operations that answered, and those that threw with why.
import { apiConfig, PublicApi } from "@humanitec/autogen";

const [url, orgId] = process.argv.slice(2);
const client = new PublicApi(apiConfig({ token: process.env.HUMANITEC_TOKEN, apiHost: url }));
const appId = "ts-app";
const envId = "development";
const ok = [];
const failed = {};
const seen = {};

async function step(name, call) {
  try {
    seen[name] = await call();
    ok.push(name);
  } catch (e) {
    let why = String(e && e.message);
    if (e && e.response) why += ": " + e.response.status + " " + (await e.response.text().catch(() => ""));
    failed[name] = why.slice(0, 300);
  }
}

const score = {
  apiVersion: "score.dev/v1b1", metadata: { name: "ts-workload" },
  containers: { main: { image: "registry.example.com/ts:1", variables: { DB: "${resources.db.host}" } } },
  resources: { db: { type: "postgres" } },
};

await step("createEnvironmentType", () => client.createEnvironmentType({ orgId,
  EnvironmentTypeRequest: { id: "ts-type", description: "from TypeScript" } }));
await step("listEnvironmentTypes", () => client.listEnvironmentTypes({ orgId }));
await step("createResourceDefinition", () => client.createResourceDefinition({ orgId,
  CreateResourceDefinitionRequestRequest: { id: "ts-db", name: "TS DB", type: "postgres",
    driver_type: "humanitec/echo", criteria: [{ app_id: appId }] } }));
await step("listResourceDefinitionVersions", () => client.listResourceDefinitionVersions({ orgId, defId: "ts-db" }));
await step("listResourceTypes", () => client.listResourceTypes({ orgId }));
await step("createResourceClass", () => client.createResourceClass({ orgId, typeId: "postgres",
  ResourceClassRequest: { id: "ts-small", description: "small" } }));
await step("listResourceClasses", () => client.listResourceClasses({ orgId }));
await step("createResourceAccount", () => client.createResourceAccount({ orgId,
  CreateResourceAccountRequestRequest: { id: "ts-acc", name: "TS", type: "aws", credentials: {} } }));
await step("listResourceAccounts", () => client.listResourceAccounts({ orgId }));
await step("listResourceAccountTypes", () => client.listResourceAccountTypes({ orgId }));
await step("listResourceDrivers", () => client.listResourceDrivers({ orgId }));
await step("createAgent", () => client.createAgent({ orgId, AgentCreateBody: { id: "ts-agent", public_key: "k1" } }));
await step("createKey", () => client.createKey({ orgId, agentId: "ts-agent", KeyCreateBody: { public_key: "k2" } }));
await step("listKeysInAgent", () => client.listKeysInAgent({ orgId, agentId: "ts-agent" }));
await step("createAutomationRule", () => client.createAutomationRule({ orgId, appId, envId,
  AutomationRuleRequest: { type: "update" } }));
await step("listAutomationRules", () => client.listAutomationRules({ orgId, appId, envId }));
await step("createWorkloadProfile", () => client.createWorkloadProfile({ orgId,
  WorkloadProfileRequest: { id: "ts-profile", spec_definition: {},
    workload_profile_chart: { id: "ts-chart", version: "1.0.0" } } }));
await step("listWorkloadProfileVersions", () => client.listWorkloadProfileVersions({ orgId, profileQid: "ts-profile" }));
await step("listWorkloadProfileFeatures", () => client.listWorkloadProfileFeatures({ orgId }));
await step("createPublicKey", () => client.createPublicKey({ orgId,
  body: "-----BEGIN PUBLIC KEY-----\nts\n-----END PUBLIC KEY-----\n" }));
await step("listPublicKeys", () => client.listPublicKeys({ orgId }));
await step("listHumanitecPublicKeys", () => client.listHumanitecPublicKeys({ orgId }));
await step("createArtefactVersion", () => client.createArtefactVersion({ orgId,
  CreateArtefactVersion: { type: "workload", name: "ts-workload", spec: score } }));
await step("getWorkloadArtefactVersionDeploymentSet", () => client.getWorkloadArtefactVersionDeploymentSet({ orgId,
  artefactVersionId: seen.createArtefactVersion.id }));
await step("listArtefacts", () => client.listArtefacts({ orgId }));
await step("getRuntime", () => client.getRuntime({ orgId, appId, envId }));
await step("listRuntime", () => client.listRuntime({ orgId, appId }));
await step("createInviteInOrg", () => client.createInviteInOrg({ orgId,
  UserInviteRequestRequest: { email: "ts@example.com", role: "member" } }));
await step("listInvitesInOrg", () => client.listInvitesInOrg({ orgId }));
await step("listAuditLogEntries", () => client.listAuditLogEntries({ orgId }));

const set = seen.getWorkloadArtefactVersionDeploymentSet;
console.log(JSON.stringify({
  ok, failed,
  set_module_profile: set && set.modules && set.modules["ts-workload"] && set.modules["ts-workload"].profile,
  version_count: seen.listResourceDefinitionVersions && seen.listResourceDefinitionVersions.length,
}));

// No stored secret leaks through a PATCH that fails (issue 11): every PATCH-able resource that
// holds secrets, through every JSON-patch error path and post-patch validation failure, as each
// role that can reach it. Error bodies, log lines and node history rows must not carry a secret.
import { format } from "node:util";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { insertNode } from "../../core/db/nodes.ts";
import type { Principal } from "../../core/policy.ts";
import { createTestDb, type TestDb } from "../../testing/env.ts";
import { handleBaremetalAs } from "../handler.ts";

const SECRETS = {
  ipmi: "ipmiPw7c1f",
  bmcToken: "bmcTok93a2",
  certPw: "certPw5d4e",
  configdrive: "H4sIconfigdrive0b7",
  imageUrlPw: "imgUrlPw2e8",
  instanceNested: "instNested6a0",
  chap: "chapPw41b9",
  chapDiscovery: "chapDisc8f3",
  templatePw: "tplPw0c5d",
  templateNested: "tplNested72e",
  runbookPw: "rbPw3d9a",
  runbookNested: "rbNested5b1",
  ruleAction: "ruleAct6f28",
  ruleCondition: "ruleCond1c47",
};
const ALL_SECRETS = Object.values(SECRETS);

const who = (username: string, p: Partial<Principal>): Principal => ({
  userId: username, username, systemRole: null, projectId: null, projectRole: null, ...p,
});
const ROLES = {
  systemAdmin: who("system-admin", { systemRole: "admin" }),
  systemMember: who("system-member", { systemRole: "member" }),
  ownerAdmin: who("owner-admin", { projectId: "own", projectRole: "admin" }),
  ownerMember: who("owner-member", { projectId: "own", projectRole: "member" }),
  lesseeAdmin: who("lessee-admin", { projectId: "lease", projectRole: "admin" }),
  lesseeMember: who("lessee-member", { projectId: "lease", projectRole: "member" }),
  otherAdmin: who("other-admin", { projectId: "else", projectRole: "admin" }),
};
type RoleName = keyof typeof ROLES;

/** A JSON object inside the resource holding a secret string, maybe a number and a list. */
interface Container {
  prefix: string;
  secretKey: string;
  numberKey?: string;
  listKey?: string;
}

type Op = Record<string, unknown>;

/** Every JSON-patch error path under one container, alone and after an operation that works. */
function errorPatches(c: Container): Op[][] {
  const p = c.prefix;
  const s = `${p}/${c.secretKey}`;
  const ops: Op[] = [
    { op: "add", path: `${p}/nothere/x`, value: 1 },
    { op: "replace", path: `${p}/nothere/x`, value: 1 },
    { op: "remove", path: `${p}/nothere/x` },
    { op: "add", path: `${p}/nothere/x/y/z`, value: { a: 1 } },
    { op: "replace", path: `${p}/nothere`, value: 1 },
    { op: "remove", path: `${p}/nothere` },
    { op: "add", path: `${p}/nothere/x` },
    { op: "replace", path: s },
    { op: "add", path: `${s}/x`, value: 1 },
    { op: "replace", path: `${s}/x`, value: 1 },
    { op: "remove", path: `${s}/x` },
    { op: "add", path: `${s}/x/y`, value: 1 },
    { op: "add", path: `${s}/0`, value: 1 },
    { op: "add", path: `${p}/nothere~1x/y`, value: 1 },
    { op: "add", path: `${p}//x`, value: 1 },
    { op: "add", path: `${p}/x y`, value: 1 },
    { op: "test", path: s, value: "guess" },
    { op: "move", from: s, path: `${p}/nothere/x` },
    { op: "copy", from: s, path: `${p}/nothere/x` },
    { op: "add", path: s, value: 1, extra: true },
    { op: "bogus", path: s, value: 1 },
  ];
  if (c.numberKey) {
    const n = `${p}/${c.numberKey}`;
    ops.push({ op: "add", path: `${n}/x`, value: 1 }, { op: "replace", path: `${n}/x`, value: 1 }, { op: "remove", path: `${n}/x` }, { op: "add", path: `${n}/x/y`, value: 1 });
  }
  if (c.listKey) {
    const l = `${p}/${c.listKey}`;
    ops.push(
      { op: "add", path: `${l}/abc`, value: 1 },
      { op: "add", path: `${l}/abc/x`, value: 1 },
      { op: "add", path: `${l}/01`, value: 1 },
      { op: "add", path: `${l}/99`, value: 1 },
      { op: "replace", path: `${l}/99`, value: 1 },
      { op: "remove", path: `${l}/99` },
      { op: "add", path: `${l}/99/x`, value: 1 },
      { op: "add", path: `${l}/-/x`, value: 1 },
      { op: "remove", path: `${l}/-` },
      { op: "replace", path: `${l}/-1`, value: 1 },
    );
  }
  const harmless: Op = { op: "add", path: `${p}/harmless`, value: "ok" };
  return [...ops.map((o) => [o]), ...ops.map((o) => [harmless, o])];
}

interface Resource {
  name: string;
  url: () => string;
  roles: RoleName[];
  containers: Container[];
  /** Patches that pass the JSON-patch engine but fail the resource's own validation. */
  invalid: Op[][];
  versions?: number[];
}

let env: TestDb;
let nodeUuid = "";
let targetUuid = "";
let templateUuid = "";
let runbookUuid = "";
let ruleUuid = "";
const logLines: string[] = [];

async function call(role: RoleName, method: string, path: string, body?: unknown, version = "latest") {
  const res = await handleBaremetalAs(
    new Request(`http://127.0.0.1:3000/baremetal${path}`, {
      method,
      headers: { "X-OpenStack-Ironic-API-Version": version, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
    ROLES[role],
  );
  return { status: res.status, text: await res.text() };
}

async function create(path: string, body: unknown): Promise<string> {
  const r = await call("systemAdmin", "POST", path, body);
  if (r.status !== 201) throw new Error(`POST ${path}: ${r.status} ${r.text}`);
  return JSON.parse(r.text).uuid;
}

beforeAll(async () => {
  process.env.INGOT_API_AUTH = "";
  env = await createTestDb();
  for (const m of ["log", "info", "warn", "error", "debug", "trace"] as const) {
    vi.spyOn(console, m).mockImplementation((...args: unknown[]) => void logLines.push(format(...args)));
  }
  const node = await insertNode(env.sql, {
    driver: "fake-hardware", provisionState: "manageable", name: "secret-node", powerState: "power off", owner: "own", lessee: "lease",
    driverInfo: {
      ipmi_address: "10.0.0.9", ipmi_username: "admin", ipmi_password: SECRETS.ipmi, ipmi_port: 623, boot_order: ["pxe", "disk"],
      redfish: { auth_token: SECRETS.bmcToken, verify_ca: true, timeout: 30, hosts: ["a", "b"] },
      certificates: [{ name: "ca", password: SECRETS.certPw }],
    },
    instanceInfo: {
      image_source: "glance://img", configdrive: SECRETS.configdrive, image_url: `https://user:${SECRETS.imageUrlPw}@images.example/img.qcow2`,
      root_gb: 10, capabilities: { boot_mode: "uefi" }, kernel_params: ["console=ttyS0", "quiet"],
      image_store: { password: SECRETS.instanceNested, endpoint: "https://store.example" },
    },
  });
  nodeUuid = node.uuid;
  targetUuid = await create("/v1/volume/targets", {
    node_uuid: nodeUuid, volume_type: "iscsi", volume_id: "vol-1", boot_index: 0,
    properties: {
      target_iqn: "iqn.2010-10.org.openstack:vol-1", target_lun: 0, target_portals: ["10.0.0.1:3260"], auth_method: "CHAP",
      auth_username: "chap-user", auth_password: SECRETS.chap, discovery: { auth_password: SECRETS.chapDiscovery, auth_username: "d" },
    },
  });
  const args = (pw: string, nested: string) => ({
    settings: [{ name: "LogicalProc", value: "Enabled" }], password: pw, timeout: 60, bmc: { secret: nested, host: "bmc.example" },
  });
  templateUuid = await create("/v1/deploy_templates", {
    name: "CUSTOM_SECRET_TEMPLATE",
    steps: [{ interface: "bios", step: "apply_configuration", args: args(SECRETS.templatePw, SECRETS.templateNested), priority: 10 }],
  });
  runbookUuid = await create("/v1/runbooks", {
    name: "CUSTOM_SECRET_RUNBOOK", owner: "own",
    steps: [{ interface: "bios", step: "apply_configuration", args: args(SECRETS.runbookPw, SECRETS.runbookNested), order: 1 }],
  });
  ruleUuid = await create("/v1/inspection_rules", {
    description: "sets the BMC password", sensitive: true,
    conditions: [{ op: "eq", args: { values: ["{node.driver_info[bmc_username]}", SECRETS.ruleCondition] } }],
    actions: [{ op: "set-attribute", args: { path: "/driver_info/bmc_password", value: SECRETS.ruleAction } }],
  });
});

afterAll(async () => {
  vi.restoreAllMocks();
  process.env.INGOT_API_AUTH = "noauth";
  await env.cleanup();
});

const RESOURCES: Resource[] = [
  {
    name: "node driver_info / instance_info",
    url: () => `/v1/nodes/${nodeUuid}`,
    roles: ["systemAdmin", "ownerAdmin", "ownerMember", "lesseeAdmin", "lesseeMember", "otherAdmin"],
    versions: [82, 98],
    containers: [
      { prefix: "/driver_info", secretKey: "ipmi_password", numberKey: "ipmi_port", listKey: "boot_order" },
      { prefix: "/driver_info/redfish", secretKey: "auth_token", numberKey: "timeout", listKey: "hosts" },
      { prefix: "/driver_info/certificates/0", secretKey: "password" },
      { prefix: "/instance_info", secretKey: "configdrive", numberKey: "root_gb", listKey: "kernel_params" },
      { prefix: "/instance_info", secretKey: "image_url" },
      { prefix: "/instance_info/image_store", secretKey: "password" },
    ],
    invalid: [
      [{ op: "replace", path: "/driver_info", value: "not a dict" }],
      [{ op: "replace", path: "/instance_info", value: 5 }],
      [{ op: "add", path: "/driver_info/harmless", value: 1 }, { op: "replace", path: "/name", value: 5 }],
      [{ op: "add", path: "/instance_info/harmless", value: 1 }, { op: "replace", path: "/maintenance", value: "maybe" }],
      [{ op: "add", path: "/instance_info/harmless", value: 1 }, { op: "replace", path: "/owner", value: ["x"] }],
      [{ op: "add", path: "/driver_info/harmless", value: 1 }, { op: "replace", path: "/driver", value: "no-such-driver" }],
      [{ op: "add", path: "/driver_info/harmless", value: 1 }, { op: "remove", path: "/driver" }],
      [{ op: "add", path: "/nothere", value: 1 }],
      [{ op: "add", path: "/driver_info", value: 1 }, { op: "add", path: "/nothere/x", value: 1 }],
    ],
  },
  {
    name: "volume target CHAP secrets",
    url: () => `/v1/volume/targets/${targetUuid}`,
    roles: ["systemAdmin", "systemMember", "ownerAdmin", "ownerMember", "lesseeAdmin", "otherAdmin"],
    containers: [
      { prefix: "/properties", secretKey: "auth_password", numberKey: "target_lun", listKey: "target_portals" },
      { prefix: "/properties/discovery", secretKey: "auth_password" },
    ],
    invalid: [
      [{ op: "replace", path: "/properties", value: "x" }],
      [{ op: "add", path: "/properties/harmless", value: 1 }, { op: "replace", path: "/boot_index", value: "x" }],
      [{ op: "add", path: "/properties/harmless", value: 1 }, { op: "replace", path: "/volume_type", value: 5 }],
      [{ op: "add", path: "/properties/harmless", value: 1 }, { op: "replace", path: "/node_uuid", value: "nope" }],
      [{ op: "add", path: "/properties/harmless", value: 1 }, { op: "add", path: "/nothere", value: 1 }],
    ],
  },
  {
    name: "deploy template step args",
    url: () => `/v1/deploy_templates/${templateUuid}`,
    roles: ["systemAdmin", "systemMember", "ownerAdmin"],
    containers: [
      { prefix: "/steps/0/args", secretKey: "password", numberKey: "timeout", listKey: "settings" },
      { prefix: "/steps/0/args/bmc", secretKey: "secret" },
      { prefix: "/steps/0", secretKey: "step", numberKey: "priority" },
      { prefix: "", secretKey: "steps", listKey: "steps" },
    ],
    invalid: [
      [{ op: "replace", path: "/steps/0/priority", value: "x" }],
      [{ op: "replace", path: "/steps/0/interface", value: "bogus" }],
      [{ op: "remove", path: "/steps/0/step" }],
      // (An unknown key added to a step is dropped, as Ironic prunes a patched template to its schema.)
      [{ op: "replace", path: "/steps/0/args", value: "x" }],
      [{ op: "replace", path: "/steps", value: [] }],
      [{ op: "replace", path: "/steps", value: { a: 1 } }],
      [{ op: "add", path: "/steps/-", value: { interface: "bios", step: "apply_configuration", args: {}, priority: 1 } }],
      [{ op: "add", path: "/steps/0/args/harmless", value: 1 }, { op: "replace", path: "/name", value: "not a trait" }],
      [{ op: "add", path: "/steps/0/args/harmless", value: 1 }, { op: "replace", path: "/extra", value: 5 }],
    ],
  },
  {
    name: "runbook step args",
    url: () => `/v1/runbooks/${runbookUuid}`,
    roles: ["systemAdmin", "systemMember", "ownerAdmin", "ownerMember", "otherAdmin"],
    containers: [
      { prefix: "/steps/0/args", secretKey: "password", numberKey: "timeout", listKey: "settings" },
      { prefix: "/steps/0/args/bmc", secretKey: "secret" },
      { prefix: "/steps/0", secretKey: "step", numberKey: "order" },
      { prefix: "", secretKey: "steps", listKey: "steps" },
    ],
    invalid: [
      [{ op: "replace", path: "/steps/0/order", value: "x" }],
      [{ op: "replace", path: "/steps/0/interface", value: "bogus" }],
      [{ op: "remove", path: "/steps/0/step" }],
      [{ op: "add", path: "/steps/0/bogus", value: 1 }],
      [{ op: "replace", path: "/steps/0/args", value: "x" }],
      [{ op: "replace", path: "/steps", value: [] }],
      [{ op: "add", path: "/steps/0/args/harmless", value: 1 }, { op: "replace", path: "/name", value: "not valid!" }],
      [{ op: "add", path: "/steps/0/args/harmless", value: 1 }, { op: "replace", path: "/owner", value: 5 }],
      [{ op: "add", path: "/steps/0/args/harmless", value: 1 }, { op: "replace", path: "/public", value: "maybe" }],
    ],
  },
  {
    name: "sensitive inspection rule",
    url: () => `/v1/inspection_rules/${ruleUuid}`,
    roles: ["systemAdmin"],
    containers: [
      { prefix: "/actions/0/args", secretKey: "value" },
      { prefix: "/actions/0", secretKey: "op" },
      { prefix: "/conditions/0/args", secretKey: "values/1", listKey: "values" },
    ],
    invalid: [
      [{ op: "replace", path: "/actions/0/op", value: "bogus" }],
      [{ op: "remove", path: "/actions/0/args/value" }],
      [{ op: "add", path: "/actions/0/args/bogus", value: 1 }],
      [{ op: "replace", path: "/conditions/0/op", value: "in-net" }],
      [{ op: "replace", path: "/conditions/0/op", value: "matches" }],
      [{ op: "replace", path: "/actions/0/op", value: "add-trait" }],
      [{ op: "replace", path: "/actions", value: [] }],
      [{ op: "replace", path: "/priority", value: "x" }],
      [{ op: "replace", path: "/sensitive", value: false }],
    ],
  },
];

function leaks(text: string): string[] {
  return ALL_SECRETS.filter((s) => text.includes(s));
}

describe("failed PATCHes quote only what the caller may see", () => {
  for (const r of RESOURCES) {
    it(`${r.name}: no secret in any error, log line or history row`, async () => {
      const patches = [...r.containers.flatMap(errorPatches), ...r.invalid];
      const found: string[] = [];
      let quotedContainers = 0;
      for (const version of r.versions ?? ["latest"]) {
        for (const role of r.roles) {
          for (const patch of patches) {
            const res = await call(role, "PATCH", r.url(), patch, version === "latest" ? "latest" : `1.${version}`);
            if (res.status < 400 || res.status >= 500) found.push(`${role} ${JSON.stringify(patch)} → unexpected ${res.status} ${res.text}`);
            const leaked = leaks(res.text);
            if (leaked.length) found.push(`${role} 1.${version} ${JSON.stringify(patch)} → ${res.status} leaks ${leaked.join(", ")}: ${res.text}`);
            if (res.text.includes("not found in")) quotedContainers++;
          }
        }
      }
      // The walk really reached the quoting error paths (not only 403/404s).
      expect(quotedContainers).toBeGreaterThan(0);
      expect(found).toEqual([]);
      expect(logLines.filter((l) => leaks(l).length)).toEqual([]);
      const history = await env.sql.all<Record<string, unknown>>(`SELECT * FROM "NodeHistory"`);
      expect(history.filter((h) => leaks(JSON.stringify(h)).length)).toEqual([]);
    });
  }

  it("the stored secrets are untouched and GET still masks them", async () => {
    const node = JSON.parse((await call("systemAdmin", "GET", `/v1/nodes/${nodeUuid}`)).text);
    expect(node.driver_info.ipmi_password).toBe("******");
    expect(leaks(JSON.stringify(node))).toEqual([]);
    const stored = await env.sql.get<{ driverInfo: string }>(`SELECT "driverInfo" FROM "Node" WHERE "uuid" = ?`, [nodeUuid]);
    expect(String(stored?.driverInfo)).toContain(SECRETS.ipmi);
  });
});

describe("the quoted container is the caller's view", () => {
  const walk = [{ op: "add", path: "/driver_info/nothere/x", value: 1 }];
  it("masks secrets but keeps the rest of the message as python-jsonpatch words it", async () => {
    const r = await call("ownerMember", "PATCH", `/v1/nodes/${nodeUuid}`, walk);
    expect(r.status).toBe(400);
    const fault = JSON.parse(JSON.parse(r.text).error_message).faultstring as string;
    expect(fault).toMatch(/^Couldn't apply patch '\{'op': 'add', 'path': '\/driver_info\/nothere\/x', 'value': 1\}'\. Reason: member 'nothere' not found in \{/);
    expect(fault).toContain("'ipmi_password': '******'");
    expect(fault).toContain("'ipmi_address': '10.0.0.9'");
    expect(fault).toContain("'redfish': {'auth_token': '******', 'verify_ca': True, 'timeout': 30, 'hosts': ['a', 'b']}");
  });
  it("walking into a secret string quotes the mask", async () => {
    const r = await call("systemAdmin", "PATCH", `/v1/nodes/${nodeUuid}`, [{ op: "remove", path: "/instance_info/configdrive/x" }]);
    expect(JSON.parse(JSON.parse(r.text).error_message).faultstring).toBe(
      "Couldn't apply patch '{'op': 'remove', 'path': '/instance_info/configdrive/x'}'. Reason: member 'x' not found in '******'",
    );
  });
  it("a new secret in the failed operation is masked as it would be once stored", async () => {
    const r = await call("ownerMember", "PATCH", `/v1/nodes/${nodeUuid}`, [
      { op: "add", path: "/driver_info/nothere/ipmi_password", value: "new-password" },
      { op: "add", path: "/driver_info/nothere", value: { ipmi_password: "new-password" } },
    ]);
    const fault = JSON.parse(JSON.parse(r.text).error_message).faultstring as string;
    expect(fault).toMatch(/^Couldn't apply patch '\{'op': 'add', 'path': '\/driver_info\/nothere\/ipmi_password', 'value': '\*{6}'\}'/);
    expect(fault).not.toContain("new-password");
  });
  it("volume target properties the caller may not read are not quoted at all", async () => {
    const r = await call("ownerMember", "PATCH", `/v1/volume/targets/${targetUuid}`, [{ op: "add", path: "/properties/nothere/x", value: 1 }]);
    const fault = JSON.parse(JSON.parse(r.text).error_message).faultstring as string;
    expect(fault).not.toContain("chap-user");
    expect(fault).toContain("Requires permission baremetal:volume:view_target_properties");
  });
  it("a sensitive inspection rule's actions are not quoted at all", async () => {
    const r = await call("systemAdmin", "PATCH", `/v1/inspection_rules/${ruleUuid}`, [{ op: "add", path: "/actions/0/args/nothere/x", value: 1 }]);
    const fault = JSON.parse(JSON.parse(r.text).error_message).faultstring as string;
    expect(fault).not.toContain("driver_info/bmc_password");
    expect(fault).toMatch(/member 'nothere' not found in None$/);
  });
});

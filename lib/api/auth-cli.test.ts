// Ingot's own credentials with the real `openstack baremetal` client, authentication on (not noauth):
// an API token made the way the dashboard makes it (`--os-auth-type admin_token`), a user's password
// (`--os-auth-type http_basic`), project scoping of what the client sees, and 401 for revoked or
// expired tokens and wrong passwords.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { requireOpenstackCli, OPENSTACK } from "../testing/openstack.ts";
import { startApiServer, type ApiServer } from "../testing/server.ts";
import { createTestDb, type TestDb } from "../testing/env.ts";
import {
  addMembership, createProject, createToken, createUser, registerCredentialResolver, revokeToken, type ProjectRecord,
} from "../core/users.ts";

// Each step runs the Python client (a second or more per call, several on a busy machine).
vi.setConfig({ testTimeout: 180_000 });

const run = promisify(execFile);
let db: TestDb;
let server: ApiServer;
let savedAuth: string | undefined;
let lab: ProjectRecord;
let other: ProjectRecord;
let adminToken = "";

/** `openstack baremetal …` with the given auth options; resolves to stdout or rejects with stderr. */
async function os(auth: string[], ...args: string[]): Promise<string> {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith("OS_")) delete env[k];
  const { stdout } = await run("/usr/bin/python3", [OPENSTACK, ...auth, "--os-endpoint", server.url, "baremetal", ...args], {
    env, timeout: 120_000,
  });
  return stdout;
}
const withToken = (token: string) => ["--os-auth-type", "admin_token", "--os-token", token];
const withPassword = (user: string, password: string) => ["--os-auth-type", "http_basic", "--os-username", user, "--os-password", password];

async function fails(auth: string[], ...args: string[]): Promise<string> {
  try {
    await os(auth, ...args);
  } catch (err) {
    return String((err as { stderr?: string }).stderr ?? err);
  }
  throw new Error(`expected "${args.join(" ")}" to fail`);
}

async function names(auth: string[]): Promise<string[]> {
  const list = JSON.parse(await os(auth, "node", "list", "-f", "json")) as { Name: string }[];
  return list.map((n) => n.Name).sort();
}

beforeAll(async () => {
  requireOpenstackCli();
  savedAuth = process.env.INGOT_API_AUTH;
  delete process.env.INGOT_API_AUTH;
  db = await createTestDb();
  registerCredentialResolver();
  const conductor = await import("../core/conductor/index.ts");
  await conductor.startConductor();
  server = await startApiServer();

  const admin = await createUser(db.sql, { username: "ops", password: "ops-password-1", systemRole: "admin" });
  adminToken = (await createToken(db.sql, { userId: admin.id, name: "client test", expiresDays: 1 })).token;
  lab = await createProject(db.sql, "lab");
  other = await createProject(db.sql, "other");
  const member = await createUser(db.sql, { username: "lab-user", password: "lab-password-1" });
  await addMembership(db.sql, member.id, lab.id, "member");
  for (const [name, flags] of [["owned-by-lab", ["--owner", lab.id]], ["leased-to-lab", ["--owner", other.id, "--lessee", lab.id]],
    ["owned-by-other", ["--owner", other.id]]] as const) {
    // The client cannot pass owner/lessee on create; it sets them afterwards.
    await os(withToken(adminToken), "node", "create", "--driver", "fake-hardware", "--name", name);
    await os(withToken(adminToken), "node", "set", name, ...flags);
  }
}, 120_000);

afterAll(async () => {
  await server?.close();
  const conductor = await import("../core/conductor/index.ts");
  await conductor.stopConductor();
  await db?.cleanup();
  if (savedAuth !== undefined) process.env.INGOT_API_AUTH = savedAuth;
});

describe("openstack client with Ingot credentials", () => {
  it("works with a system admin's API token (admin_token)", async () => {
    expect(await names(withToken(adminToken))).toEqual(["leased-to-lab", "owned-by-lab", "owned-by-other"]);
  });

  it("scopes a project token and HTTP Basic to the project's owned and leased nodes", async () => {
    const member = (await db.sql.get<{ id: string }>(`SELECT "id" FROM "User" WHERE "username" = 'lab-user'`))!;
    const { token } = await createToken(db.sql, { userId: member.id, projectId: lab.id, name: "lab token", expiresDays: 7 });
    expect(await names(withToken(token))).toEqual(["leased-to-lab", "owned-by-lab"]);
    expect(await names(withPassword("lab-user", "lab-password-1"))).toEqual(["leased-to-lab", "owned-by-lab"]);
    expect(await fails(withPassword("lab-user", "lab-password-1"), "node", "show", "owned-by-other")).toMatch(/could not be found|HTTP 404/);
    const shown = JSON.parse(await os(withToken(token), "node", "show", "owned-by-lab", "-f", "json"));
    expect(shown).toMatchObject({ name: "owned-by-lab", owner: lab.id });
  });

  it("refuses revoked and expired tokens and wrong passwords with 401", async () => {
    const member = (await db.sql.get<{ id: string }>(`SELECT "id" FROM "User" WHERE "username" = 'lab-user'`))!;
    const revoked = await createToken(db.sql, { userId: member.id, projectId: lab.id, name: "to revoke" });
    expect(await names(withToken(revoked.token))).toHaveLength(2);
    await revokeToken(db.sql, revoked.record.id, member.id);
    expect(await fails(withToken(revoked.token), "node", "list")).toMatch(/HTTP 401/);

    const expiring = await createToken(db.sql, { userId: member.id, projectId: lab.id, name: "to expire", expiresDays: 1 });
    await db.sql.run(`UPDATE "ApiToken" SET "expiresAt" = ? WHERE "id" = ?`, [new Date(Date.now() - 1000), expiring.record.id]);
    expect(await fails(withToken(expiring.token), "node", "list")).toMatch(/HTTP 401/);

    expect(await fails(withPassword("lab-user", "wrong-password"), "node", "list")).toMatch(/HTTP 401/);
    expect(await fails(withToken("ingot_not-a-real-token"), "node", "list")).toMatch(/HTTP 401/);
  });
});

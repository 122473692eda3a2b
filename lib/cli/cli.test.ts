// The `ingot` command line run for real (tsx lib/cli/main.ts) against a fresh migrated database:
// users, projects, memberships and tokens, with the exit codes and messages an operator sees.
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createTestDb, type TestDb } from "../testing/env.ts";
import { openSql } from "../core/db/sql.ts";
import { clearCredentialCache, findUser, resolveCredentials, verifyPassword } from "../core/users.ts";

// Each command starts the CLI through tsx: seconds per run on a busy machine (30 s per test timed out).
vi.setConfig({ testTimeout: 180_000 });

const run = promisify(execFile);
let t: TestDb;

beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => {
  await t?.cleanup();
});

/** Runs `ingot <args>`; resolves to exit code and both outputs (never rejects on a non-zero exit). */
async function ingot(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return ingotAt(t.url, ...args);
}

/** `ingot <args>` with DATABASE_URL=`url`. */
async function ingotAt(url: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const { stdout, stderr } = await run("node_modules/.bin/tsx", ["lib/cli/main.ts", ...args], {
      env: { ...process.env, DATABASE_URL: url, INGOT_DEBUG: "" },
      timeout: 30_000,
    });
    return { code: 0, out: stdout, err: stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof x.code === "number" ? x.code : -1, out: x.stdout ?? "", err: x.stderr ?? "" };
  }
}

function basic(user: string, password: string): Request {
  return new Request("http://x/", { headers: { Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` } });
}

describe("ingot project and user administration", () => {
  it("documents the commands in --help", async () => {
    const r = await ingot("--help");
    expect(r.code).toBe(0);
    for (const c of ["project create", "project list", "project show", "project delete", "project add-user", "project remove-user",
      "user set-role", "user disable", "user enable", "user passwd", "user delete", "user memberships"]) {
      expect(r.out).toContain(`ingot ${c}`);
    }
  });

  it("creates, lists and shows projects; refuses duplicates and bad names", async () => {
    let r = await ingot("project", "create", "cli-lab", "--description", "The lab");
    expect(r).toMatchObject({ code: 0 });
    expect(r.out).toMatch(/^created project cli-lab \([0-9a-f]{32}\)/);
    r = await ingot("project", "create", "cli-lab");
    expect(r.code).toBe(1);
    expect(r.err).toContain("project cli-lab already exists");
    r = await ingot("project", "create", "no spaces");
    expect(r.code).toBe(1);
    expect(r.err).toContain("invalid project name");
    r = await ingot("project", "list");
    expect(r.out).toMatch(/NAME\s+ID\s+MEMBERS\s+OWNS\s+LEASES\s+DESCRIPTION/);
    expect(r.out).toMatch(/cli-lab\s+[0-9a-f]{32}\s+0\s+0\s+0\s+The lab/);
    r = await ingot("project", "show", "nope");
    expect(r.code).toBe(1);
    expect(r.err).toContain('no project "nope"');
  });

  it("adds, changes and removes members", async () => {
    expect((await ingot("user", "create", "cli-ann", "--password", "ann-password-1")).code).toBe(0);
    let r = await ingot("project", "add-user", "cli-lab", "cli-ann", "--role", "reader");
    expect(r.out).toContain("cli-ann is now reader of project cli-lab");
    r = await ingot("project", "add-user", "cli-lab", "cli-ann", "--role", "admin");
    expect(r.out).toContain("cli-ann: reader → admin of project cli-lab");
    r = await ingot("project", "add-user", "cli-lab", "cli-ann", "--role", "owner");
    expect(r.code).toBe(2);
    expect(r.err).toContain("--role must be admin, member or reader");
    r = await ingot("project", "add-user", "cli-lab", "nobody");
    expect(r.code).toBe(2);
    expect(r.err).toContain("no user nobody");
    r = await ingot("project", "show", "cli-lab");
    expect(r.out).toMatch(/description:\s+The lab/);
    expect(r.out).toMatch(/cli-ann\s+admin\s+enabled/);
    r = await ingot("user", "memberships", "cli-ann");
    expect(r.out).toContain("cli-ann: system role none");
    expect(r.out).toMatch(/cli-lab\s+[0-9a-f]{32}\s+admin/);

    r = await ingot("project", "remove-user", "cli-lab", "cli-ann");
    expect(r.out).toContain("cli-ann removed from project cli-lab");
    r = await ingot("project", "remove-user", "cli-lab", "cli-ann");
    expect(r.code).toBe(1);
    expect(r.err).toContain("not a member");
    expect((await ingot("user", "memberships", "cli-ann")).out).toContain("no project memberships");
  });

  it("sets system roles, disables, enables, changes passwords and deletes users", async () => {
    expect((await ingot("user", "create", "cli-root", "--password", "root-password-1", "--system-role", "admin")).code).toBe(0);
    expect((await ingot("user", "create", "cli-bob", "--password", "bob-password-1")).code).toBe(0);
    let r = await ingot("user", "set-role", "cli-bob", "reader");
    expect(r.out).toContain("cli-bob is system reader now");
    expect((await findUser(t.sql, "cli-bob"))?.systemRole).toBe("reader");
    r = await ingot("user", "set-role", "cli-bob", "superuser");
    expect(r.code).toBe(2);
    r = await ingot("user", "set-role", "cli-bob", "none");
    expect(r.out).toContain("cli-bob has no system role now");
    expect((await findUser(t.sql, "cli-bob"))?.systemRole).toBeNull();

    r = await ingot("user", "disable", "cli-bob");
    expect(r.out).toContain("user cli-bob disabled");
    clearCredentialCache();
    expect(await resolveCredentials(basic("cli-bob", "bob-password-1"))).toBeNull();
    expect((await ingot("user", "list")).out).toMatch(/cli-bob\s+-\s+-\s+disabled/);
    r = await ingot("user", "enable", "cli-bob");
    expect(r.out).toContain("user cli-bob enabled");
    expect(await resolveCredentials(basic("cli-bob", "bob-password-1"))).not.toBeNull();

    r = await ingot("user", "passwd", "cli-bob");
    const printed = /password: (\S+)/.exec(r.out)?.[1];
    expect(printed).toMatch(/^[A-Za-z0-9]{20}$/);
    clearCredentialCache();
    expect(await resolveCredentials(basic("cli-bob", "bob-password-1"))).toBeNull();
    expect(await resolveCredentials(basic("cli-bob", printed!))).not.toBeNull();
    r = await ingot("user", "passwd", "cli-bob", "--password", "short");
    expect(r.code).toBe(1);
    expect(r.err).toContain("at least 8 characters");

    r = await ingot("user", "delete", "cli-bob");
    expect(r.out).toContain("user cli-bob deleted");
    expect(await findUser(t.sql, "cli-bob")).toBeNull();
    r = await ingot("user", "delete", "cli-bob");
    expect(r.code).toBe(2);
    expect(r.err).toContain("no user cli-bob");

    // The only enabled admin stays one.
    r = await ingot("user", "delete", "cli-root");
    expect(r.code).toBe(1);
    expect(r.err).toContain("only enabled system admin");
    r = await ingot("user", "set-role", "cli-root", "member");
    expect(r.code).toBe(1);
    expect((await findUser(t.sql, "cli-root"))?.systemRole).toBe("admin");
  });

  it("deletes projects only when no node names them", async () => {
    const { findProject } = await import("../core/users.ts");
    const lab = (await findProject(t.sql, "cli-lab"))!;
    await t.sql.run(`INSERT INTO "Node" ("uuid", "driver", "lessee", "provisionState", "createdAt") VALUES (?, ?, ?, ?, ?)`,
      ["7f0c1a52-2222-4c4c-9c9c-000000000002", "fake-hardware", lab.id, "enroll", new Date()]);
    let r = await ingot("project", "delete", "cli-lab");
    expect(r.code).toBe(1);
    expect(r.err).toContain("owns 0 and leases 1 node(s)");
    await t.sql.run(`DELETE FROM "Node" WHERE "lessee" = ?`, [lab.id]);
    r = await ingot("project", "delete", "cli-lab");
    expect(r.out).toContain("project cli-lab deleted");
    expect(await findProject(t.sql, "cli-lab")).toBeNull();
  });

  it("says how to use unknown subcommands", async () => {
    const r = await ingot("project", "frobnicate");
    expect(r.code).toBe(2);
    expect(r.err).toContain("usage: ingot project create|list|show|delete|add-user|remove-user");
  });
});

describe("ingot tokens, seed and the schema check", () => {
  it("creates a user in a project it creates, all or nothing", async () => {
    let r = await ingot("user", "create", "cli-tok", "--password", "tok-password-1", "--project", "cli-new", "--role", "reader");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^created user cli-tok \(no system role; reader of project cli-new \([0-9a-f]{32}\)\)\n$/);
    const { findProject, membershipsOf } = await import("../core/users.ts");
    const project = (await findProject(t.sql, "cli-new"))!;
    expect(await membershipsOf(t.sql, (await findUser(t.sql, "cli-tok"))!.id)).toMatchObject([{ projectId: project.id, role: "reader" }]);
    r = await ingot("user", "create", "cli-half", "--project", "bad name");
    expect(r.code).toBe(1);
    expect(r.err).toContain('invalid project name "bad name"');
    expect(await findUser(t.sql, "cli-half")).toBeNull();
  });

  it("creates, lists and revokes tokens", async () => {
    let r = await ingot("token", "create", "cli-tok", "--project", "cli-new", "--name", "ci", "--expires-days", "2");
    expect(r.code).toBe(0);
    const token = r.out.trim();
    const id = /^token (\S+) for cli-tok, scope project cli-new, expires \d{4}-/.exec(r.err)?.[1];
    expect(id, r.err).toBeTruthy();
    const principal = await resolveCredentials({ headers: new Headers({ "x-auth-token": token }) }, async () => t.sql);
    const { findProject } = await import("../core/users.ts");
    expect(principal).toMatchObject({ username: "cli-tok", projectId: (await findProject(t.sql, "cli-new"))!.id, projectRole: "reader" });
    r = await ingot("token", "list", "cli-tok");
    expect(r.out).toMatch(new RegExp(`${id}\\s+cli-tok\\s+ci\\s+cli-new\\s+\\S+\\s+active`));
    expect((await ingot("token", "list")).out).toContain(id);
    expect((await ingot("token", "create", "cli-nobody")).err).toContain("ingot: no user cli-nobody");
    r = await ingot("token", "create", "cli-tok", "--project", "cli-none");
    expect(r).toMatchObject({ code: 2, err: "ingot: no project cli-none\n" });
    expect((await ingot("token", "revoke", id!)).out).toBe(`token ${id} revoked\n`);
    clearCredentialCache();
    expect(await resolveCredentials({ headers: new Headers({ "x-auth-token": token }) }, async () => t.sql)).toBeNull();
    r = await ingot("token", "revoke", id!);
    expect(r).toMatchObject({ code: 2, err: `ingot: no active token ${id}\n` });
    expect((await ingot("token", "list", "cli-tok")).out).toMatch(new RegExp(`${id}.*revoked`));
  });

  it("seeds demo nodes", async () => {
    const r = await ingot("seed", "--nodes", "3", "--prefix", "clis");
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^created 3 sim nodes \(clis\S* … clis\S*\), \d+ ports, \d+ history events in \d+ ms\n$/);
  });

  it("asks for `ingot migrate` on a database without Ingot's tables", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ingot-empty-"));
    try {
      const r = await ingotAt(`file:${join(dir, "empty.db")}`, "user", "list");
      expect(r).toMatchObject({ code: 2, err: "ingot: the database has no Ingot tables yet; run `ingot migrate` first\n" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Runs `ingot serve` (API only) until its start-up banner is printed, then stops it; returns the output. */
async function firstStartBanner(dir: string, env: Record<string, string> = {}): Promise<string> {
  const child = spawn("node_modules/.bin/tsx", ["lib/cli/main.ts", "serve"], {
    env: {
      ...process.env, DATABASE_URL: `file:${join(dir, "ingot.db")}`, INGOT_DATA_DIR: dir, INGOT_AUTO_MIGRATE: "1", INGOT_WEB: "0",
      INGOT_DEMO: "0", HOST: "127.0.0.1", PORT: "0", INGOT_ADMIN_PASSWORD: "", ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr.on("data", (b: Buffer) => (out += b.toString()));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no banner in 30 s:\n${out}`)), 30_000);
      const check = () => {
        if (/└─+┘/.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on("data", check);
      child.on("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`ingot serve exited (${code}):\n${out}`));
      });
    });
  } finally {
    child.removeAllListeners("exit");
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  }
  return out;
}

describe("first start", () => {
  it("creates an admin with a random password, prints how to log in and saves it; later starts create nobody", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ingot-first-"));
    try {
      const out = await firstStartBanner(dir);
      expect(out).toMatch(/Log in as:\s+admin/);
      const password = /Password:\s+([A-Za-z0-9]{20})\s/.exec(out)?.[1];
      expect(password, out).toBeTruthy();
      expect(readFileSync(join(dir, "admin-password"), "utf8").trim()).toBe(password);
      const sql = await openSql(`file:${join(dir, "ingot.db")}`);
      try {
        expect((await verifyPassword(sql, "admin", password!))?.systemRole).toBe("admin");
      } finally {
        await sql.close();
      }
      const again = await firstStartBanner(dir);
      expect(again).not.toMatch(/Log in as/);
      expect(again).toContain("The first admin password is in");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it("takes INGOT_ADMIN_PASSWORD instead and does not print or save it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ingot-first-"));
    try {
      const out = await firstStartBanner(dir, { INGOT_ADMIN_PASSWORD: "from-the-environment-1" });
      expect(out).toContain("(the value of INGOT_ADMIN_PASSWORD)");
      expect(out).not.toContain("from-the-environment-1");
      expect(existsSync(join(dir, "admin-password"))).toBe(false);
      const sql = await openSql(`file:${join(dir, "ingot.db")}`);
      try {
        expect(await verifyPassword(sql, "admin", "from-the-environment-1")).not.toBeNull();
      } finally {
        await sql.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});

/** Starts `ingot <args>` and resolves once its banner is printed; stop() sends SIGTERM and waits. */
async function startIngot(args: string[], env: Record<string, string>): Promise<{ out: () => string; stop(): Promise<number | null> }> {
  const child = spawn("node_modules/.bin/tsx", ["lib/cli/main.ts", ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr.on("data", (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner in 30 s:\n${out}`)), 30_000);
    child.stdout.on("data", () => {
      if (/└─+┘/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`ingot ${args.join(" ")} exited (${code}):\n${out}`));
    });
  });
  return {
    out: () => out,
    async stop() {
      child.kill("SIGTERM");
      return exited;
    },
  };
}

describe("process roles", () => {
  it("`ingot conductor` and an `INGOT_ROLE=api` server deploy a node together over the conductor RPC", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ingot-roles-"));
    const env = {
      DATABASE_URL: `file:${join(dir, "ingot.db")}`, INGOT_DATA_DIR: dir, INGOT_AUTO_MIGRATE: "1", INGOT_WEB: "0", INGOT_DEMO: "0",
      HOST: "127.0.0.1", PORT: "0", INGOT_API_AUTH: "noauth", INGOT_RPC_SECRET: "", INGOT_ROLE: "",
    };
    const conductor = await startIngot(["conductor"], { ...env, INGOT_CONDUCTOR_HOSTNAME: "cli-conductor" });
    let api: Awaited<ReturnType<typeof startIngot>> | null = null;
    try {
      expect(conductor.out()).toMatch(/Role:\s+conductor/);
      const rpc = /Conductor RPC:\s+(http:\S+)\/rpc/.exec(conductor.out())?.[1];
      const health = /Health:\s+(http:\S+)/.exec(conductor.out())?.[1];
      expect(rpc, conductor.out()).toBeTruthy();
      expect((await fetch(health!)).status).toBe(200);
      // Never open: no secret, no call.
      expect((await fetch(`${rpc}/rpc`, { method: "POST", body: JSON.stringify({ method: "validate", args: [1] }) })).status).toBe(401);
      // The secret was generated once into the data directory the api process shares.
      expect(readFileSync(join(dir, "rpc-secret"), "utf8").trim()).toMatch(/^[A-Za-z0-9_-]{43}$/);

      api = await startIngot(["serve"], { ...env, INGOT_ROLE: "api", INGOT_CONDUCTOR_HOSTNAME: "cli-api" });
      expect(api.out()).toMatch(/Role:\s+api/);
      expect(api.out()).not.toMatch(/Conductor RPC/);
      const base = /Bare Metal API:\s+(http:\S+)/.exec(api.out())![1];
      const call = async (method: string, path: string, body?: unknown) => {
        const res = await fetch(`${base}${path}`, {
          method, body: body === undefined ? undefined : JSON.stringify(body),
          headers: { "content-type": "application/json", "x-openstack-ironic-api-version": "latest" },
        });
        const text = await res.text();
        return { status: res.status, body: text ? JSON.parse(text) : null };
      };
      const created = await call("POST", "/v1/nodes", { driver: "fake-hardware", name: "cli-roles-1" });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(created.body.conductor).toBe("cli-conductor");
      for (const [target, end] of [["manage", "manageable"], ["provide", "available"], ["active", "active"]]) {
        const r = await call("PUT", "/v1/nodes/cli-roles-1/states/provision", { target });
        expect(r.status, JSON.stringify(r.body)).toBe(202);
        const deadline = Date.now() + 20_000;
        for (;;) {
          const n = (await call("GET", "/v1/nodes/cli-roles-1")).body;
          if (n.provision_state === end && !n.target_provision_state) break;
          if (Date.now() > deadline) throw new Error(`stuck in ${n.provision_state}: ${n.last_error}`);
          await new Promise((res) => setTimeout(res, 100));
        }
      }
      const history = (await call("GET", "/v1/nodes/cli-roles-1/history/detail")).body.history as { conductor: string | null }[];
      expect(new Set(history.map((h) => h.conductor).filter(Boolean))).toEqual(new Set(["cli-conductor"]));
      // The conductor process serves no Bare Metal API.
      expect((await fetch(`${health!.replace(/\/api\/health$/, "")}/baremetal/v1/nodes`)).status).toBe(404);
    } finally {
      if (api) expect(await api.stop()).toBe(0);
      expect(await conductor.stop()).toBe(0);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

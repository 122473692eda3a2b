import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "../testing/env.ts";
import { authenticate } from "./auth.ts";
import {
  addMembership, clearCredentialCache, createToken, createUser, ensureProject, principalForUser, registerCredentialResolver,
  resolveCredentials, revokeToken, verifyPassword, verifyToken, UserError,
} from "./users.ts";

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => {
  await t.cleanup();
});
beforeEach(() => clearCredentialCache());

function basic(user: string, password: string): Request {
  return new Request("http://x/baremetal/v1/nodes", { headers: { Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` } });
}

describe("users", () => {
  it("creates users and checks passwords", async () => {
    const u = await createUser(t.sql, { username: "root1", password: "correct horse", systemRole: "admin" });
    expect(u.passwordHash).not.toContain("correct");
    expect((await verifyPassword(t.sql, "root1", "correct horse"))?.id).toBe(u.id);
    expect(await verifyPassword(t.sql, "root1", "wrong")).toBeNull();
    expect(await verifyPassword(t.sql, "nobody", "correct horse")).toBeNull();
    await expect(createUser(t.sql, { username: "root1", password: "another pw" })).rejects.toThrow(UserError);
    await expect(createUser(t.sql, { username: "short", password: "x" })).rejects.toThrow(/8 characters/);
  });

  it("gives project users their first membership as scope", async () => {
    const p = await ensureProject(t.sql, "team-a");
    expect(p.id).toMatch(/^[0-9a-f]{32}$/);
    expect((await ensureProject(t.sql, "team-a")).id).toBe(p.id);
    const u = await createUser(t.sql, { username: "pat", password: "pat-password" });
    expect(await principalForUser(t.sql, u)).toMatchObject({ systemRole: null, projectId: null });
    await addMembership(t.sql, u.id, p.id, "member");
    expect(await principalForUser(t.sql, u)).toMatchObject({ username: "pat", systemRole: null, projectId: p.id, projectRole: "member" });
  });
});

describe("API credentials", () => {
  it("resolves HTTP Basic to the user's principal and caches it", async () => {
    await createUser(t.sql, { username: "reader1", password: "reader-password", systemRole: "reader" });
    const who = await resolveCredentials(basic("reader1", "reader-password"));
    expect(who).toMatchObject({ username: "reader1", systemRole: "reader", projectId: null });
    expect(await resolveCredentials(basic("reader1", "nope"))).toBeNull();
    const t0 = performance.now();
    await resolveCredentials(basic("reader1", "reader-password"));
    expect(performance.now() - t0).toBeLessThan(20); // cached: no bcrypt
  });

  it("creates, verifies, expires and revokes tokens", async () => {
    const u = await createUser(t.sql, { username: "tok", password: "token-user-pw" });
    const p = await ensureProject(t.sql, "team-t");
    await addMembership(t.sql, u.id, p.id, "admin");
    const { token, record } = await createToken(t.sql, { userId: u.id, projectId: p.id, expiresDays: 1 });
    expect(token).toMatch(/^ingot_/);
    const row = await t.sql.get<{ tokenHash: string }>(`SELECT "tokenHash" FROM "ApiToken" WHERE "id" = ?`, [record.id]);
    expect(row?.tokenHash).not.toBe(token);
    const req = new Request("http://x/", { headers: { "X-Auth-Token": token } });
    expect(await resolveCredentials(req)).toMatchObject({ username: "tok", projectId: p.id, projectRole: "admin", systemRole: null });
    expect(await resolveCredentials(new Request("http://x/", { headers: { "X-Auth-Token": token + "x" } }))).toBeNull();

    expect(await revokeToken(t.sql, record.id)).toBe(true);
    expect(await resolveCredentials(req)).toBeNull();

    const old = await createToken(t.sql, { userId: u.id, expiresDays: 1 });
    await t.sql.run(`UPDATE "ApiToken" SET "expiresAt" = ? WHERE "id" = ?`, [new Date(Date.now() - 1000), old.record.id]);
    expect(await verifyToken(t.sql, old.token)).toBeNull();
    await expect(createToken(t.sql, { userId: u.id, projectId: "not-a-member" })).rejects.toThrow(UserError);
  });

  it("is what authenticate() uses", async () => {
    registerCredentialResolver();
    const prev = process.env.INGOT_API_AUTH;
    delete process.env.INGOT_API_AUTH;
    try {
      await createUser(t.sql, { username: "viaauth", password: "via-auth-pw", systemRole: "member" });
      expect(await authenticate(basic("viaauth", "via-auth-pw"))).toMatchObject({ systemRole: "member" });
      await expect(authenticate(basic("viaauth", "bad-password"))).rejects.toMatchObject({ status: 401 });
    } finally {
      if (prev !== undefined) process.env.INGOT_API_AUTH = prev;
    }
  });
});

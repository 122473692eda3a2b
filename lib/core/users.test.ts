import bcrypt from "bcryptjs";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createTestDb, type TestDb } from "../testing/env.ts";
import { authenticate } from "./auth.ts";
import {
  addMembership, clearCredentialCache, createProject, createToken, createUser, deleteProject, deleteUser, ensureProject, findProject,
  getUser, listTokens, membershipsOf, principalForUser, projectMembers, registerCredentialResolver, removeMembership, resetPassword,
  resolveCredentials, revokeToken, setDisabled, setSystemRole, verifyPassword, verifyToken, UserError,
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
    // Cached: the second look-up does not check the password hash again.
    const compare = vi.spyOn(bcrypt, "compare");
    try {
      expect(await resolveCredentials(basic("reader1", "reader-password"))).toMatchObject({ username: "reader1" });
      expect(compare).not.toHaveBeenCalled();
    } finally {
      compare.mockRestore();
    }
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

function tokenRequest(token: string): Request {
  return new Request("http://x/", { headers: { "X-Auth-Token": token } });
}

describe("administration", () => {
  it("creates and deletes projects, refusing bad names, duplicates and projects that own nodes", async () => {
    const p = await createProject(t.sql, "adm-proj", "for tests");
    expect(p).toMatchObject({ name: "adm-proj", description: "for tests" });
    await expect(createProject(t.sql, "adm-proj")).rejects.toThrow(/already exists/);
    await expect(createProject(t.sql, "bad name!")).rejects.toThrow(UserError);
    await expect(createProject(t.sql, "")).rejects.toThrow(UserError);

    // A project named as a node's owner stays until the node moves.
    await t.sql.run(`INSERT INTO "Node" ("uuid", "driver", "owner", "provisionState", "createdAt") VALUES (?, ?, ?, ?, ?)`,
      ["7f0c1a52-1111-4c4c-9c9c-000000000001", "fake-hardware", p.id, "enroll", new Date()]);
    await expect(deleteProject(t.sql, p.id)).rejects.toThrow(/owns 1 and leases 0 node/);
    expect(await findProject(t.sql, p.id)).not.toBeNull();
    await t.sql.run(`UPDATE "Node" SET "owner" = NULL WHERE "owner" = ?`, [p.id]);

    const u = await createUser(t.sql, { username: "adm-member", password: "member-password" });
    await addMembership(t.sql, u.id, p.id, "member");
    const { token } = await createToken(t.sql, { userId: u.id, projectId: p.id, name: "scoped" });
    expect(await resolveCredentials(tokenRequest(token))).toMatchObject({ projectId: p.id });
    await deleteProject(t.sql, p.id);
    expect(await findProject(t.sql, "adm-proj")).toBeNull();
    expect(await membershipsOf(t.sql, u.id)).toEqual([]);
    expect((await listTokens(t.sql, u.id))[0].revokedAt).not.toBeNull();
    expect(await resolveCredentials(tokenRequest(token))).toBeNull(); // the cache was cleared
    await expect(deleteProject(t.sql, p.id)).rejects.toThrow(/no such project/);
  });

  it("lists, changes and removes memberships; a removed member's project token stops working", async () => {
    const p = await createProject(t.sql, "adm-team");
    const a = await createUser(t.sql, { username: "adm-zed", password: "zed-password" });
    const b = await createUser(t.sql, { username: "adm-amy", password: "amy-password" });
    await addMembership(t.sql, a.id, p.id, "reader");
    await addMembership(t.sql, b.id, p.id, "admin");
    expect((await projectMembers(t.sql, p.id)).map((m) => [m.username, m.role])).toEqual([["adm-amy", "admin"], ["adm-zed", "reader"]]);
    const { token } = await createToken(t.sql, { userId: a.id, projectId: p.id });
    expect(await resolveCredentials(tokenRequest(token))).toMatchObject({ projectRole: "reader" });
    await addMembership(t.sql, a.id, p.id, "member"); // change of role
    expect(await resolveCredentials(tokenRequest(token))).toMatchObject({ projectRole: "member" });
    await expect(addMembership(t.sql, a.id, p.id, "owner" as never)).rejects.toThrow(/unknown role/);
    await expect(addMembership(t.sql, a.id, "no-such-project", "member")).rejects.toThrow(/no such project/);
    await expect(addMembership(t.sql, "no-such-user", p.id, "member")).rejects.toThrow(/no such user/);
    await removeMembership(t.sql, a.id, p.id);
    expect(await resolveCredentials(tokenRequest(token))).toBeNull();
    await expect(removeMembership(t.sql, a.id, p.id)).rejects.toThrow(/not a member/);
    expect((await projectMembers(t.sql, p.id)).map((m) => m.username)).toEqual(["adm-amy"]);
  });

  it("sets and clears system roles, disables, enables and deletes users; never the last enabled admin", async () => {
    // The database is shared by this file's tests: make every other admin a non-admin first.
    for (const row of await t.sql.all<{ id: string }>(`SELECT "id" FROM "User" WHERE "systemRole" = 'admin'`)) {
      await t.sql.run(`UPDATE "User" SET "systemRole" = NULL WHERE "id" = ?`, [row.id]);
    }
    const boss = await createUser(t.sql, { username: "adm-boss", password: "boss-password", systemRole: "admin" });
    const u = await createUser(t.sql, { username: "adm-user", password: "user-password" });
    const basicReq = basic("adm-user", "user-password");
    expect(await resolveCredentials(basicReq)).toMatchObject({ systemRole: null });
    await setSystemRole(t.sql, u.id, "reader");
    expect(await resolveCredentials(basicReq)).toMatchObject({ systemRole: "reader" }); // not the cached principal
    await expect(setSystemRole(t.sql, u.id, "root" as never)).rejects.toThrow(/unknown role/);
    await setSystemRole(t.sql, u.id, null);
    expect((await getUser(t.sql, u.id))?.systemRole).toBeNull();

    await expect(setSystemRole(t.sql, boss.id, "member")).rejects.toThrow(/only enabled system admin/);
    await expect(setDisabled(t.sql, boss.id, true)).rejects.toThrow(/only enabled system admin/);
    await expect(deleteUser(t.sql, boss.id)).rejects.toThrow(/only enabled system admin/);
    expect((await getUser(t.sql, boss.id))?.systemRole).toBe("admin");

    const { token } = await createToken(t.sql, { userId: u.id });
    expect(await resolveCredentials(tokenRequest(token))).not.toBeNull();
    await setDisabled(t.sql, u.id, true);
    expect(await resolveCredentials(tokenRequest(token))).toBeNull();
    expect(await resolveCredentials(basicReq)).toBeNull();
    expect(await verifyPassword(t.sql, "adm-user", "user-password")).toBeNull();
    await setDisabled(t.sql, u.id, false);
    expect(await resolveCredentials(basicReq)).not.toBeNull();

    const fresh = await resetPassword(t.sql, u.id);
    expect(fresh).toMatch(/^[A-Za-z0-9]{20}$/);
    expect(await resolveCredentials(basicReq)).toBeNull();
    expect(await verifyPassword(t.sql, "adm-user", fresh)).not.toBeNull();

    await deleteUser(t.sql, u.id);
    expect(await getUser(t.sql, u.id)).toBeNull();
    expect(await listTokens(t.sql, u.id)).toEqual([]);
    expect(await resolveCredentials(tokenRequest(token))).toBeNull();
    await expect(deleteUser(t.sql, u.id)).rejects.toThrow(/no such user/);

    // With a second admin, the first may step down.
    const deputy = await createUser(t.sql, { username: "adm-deputy", password: "deputy-password", systemRole: "admin" });
    await setSystemRole(t.sql, boss.id, "member");
    await expect(deleteUser(t.sql, deputy.id)).rejects.toThrow(/only enabled system admin/);
  });

  it("validates token input and revokes only the owner's tokens when asked", async () => {
    const u = await createUser(t.sql, { username: "adm-tok", password: "tok-password" });
    const other = await createUser(t.sql, { username: "adm-tok2", password: "tok-password" });
    await expect(createToken(t.sql, { userId: u.id, name: "  " })).rejects.toThrow(/token name/);
    await expect(createToken(t.sql, { userId: u.id, expiresDays: 0 })).rejects.toThrow(/whole number of days/);
    await expect(createToken(t.sql, { userId: u.id, expiresDays: 1.5 })).rejects.toThrow(/whole number of days/);
    const { record } = await createToken(t.sql, { userId: u.id, name: "mine", expiresDays: 30 });
    expect(record.expiresAt!.getTime() - record.createdAt.getTime()).toBeCloseTo(30 * 86_400_000, -4);
    expect(await revokeToken(t.sql, record.id, other.id)).toBe(false);
    expect(await revokeToken(t.sql, record.id, u.id)).toBe(true);
    expect(await revokeToken(t.sql, record.id, u.id)).toBe(false);
    await expect(createUser(t.sql, { username: "adm-mail", password: "mail-password", email: "not-an-address" })).rejects.toThrow(/e-mail/);
    await createUser(t.sql, { username: "adm-mail", password: "mail-password", email: "a@example.org" });
    await expect(createUser(t.sql, { username: "adm-mail2", password: "mail-password", email: "a@example.org" })).rejects.toThrow(/another user/);
  });
});

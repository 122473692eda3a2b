// The operations behind /admin and /account/tokens (the server actions run them after webAction's checks).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { check } from "../api/schema.ts";
import { createTestDb, type TestDb } from "../testing/env.ts";
import { installTestWebFacade } from "../testing/web.ts";
import { addMembership, createUser, findUser, principalForUser, resolveCredentials, verifyPassword } from "../core/users.ts";
import {
  accountTokens, adminOverview, createProjectOp, createTokenOp, createTokenSchema, createUserOp, createUserSchema, deleteProjectOp,
  deleteUserOp, removeMembershipOp, resetPasswordOp, revokeTokenOp, setDisabledOp, setMembershipOp, setSystemRoleOp,
} from "./admin.ts";
import type { Viewer } from "./session.ts";

let t: TestDb;
let admin: Viewer;
let uninstallFacade: (() => void) | undefined;

async function viewerOf(username: string): Promise<Viewer> {
  const user = (await findUser(t.sql, username))!;
  return { user, principal: (await principalForUser(t.sql, user))! };
}

beforeAll(async () => {
  t = await createTestDb();
  uninstallFacade = installTestWebFacade();
  await createUser(t.sql, { username: "web-admin", password: "web-admin-pw", systemRole: "admin" });
  admin = await viewerOf("web-admin");
});
afterAll(async () => {
  uninstallFacade?.();
  await t?.cleanup();
});

describe("admin operations", () => {
  it("creates a project and a user in it with a generated password shown once", async () => {
    const p = await createProjectOp({ name: "web-lab", description: " Lab " });
    const made = await createUserOp({ username: "web-pat", systemRole: "none", password: "", projectId: p.id, projectRole: "member" });
    expect(made.password).toMatch(/^[A-Za-z0-9]{20}$/);
    expect(await verifyPassword(t.sql, "web-pat", made.password!)).not.toBeNull();
    const given = await createUserOp({ username: "web-ann", systemRole: "reader", password: "ann-password" });
    expect(given.password).toBeNull();

    const o = await adminOverview();
    expect(o.projects.find((x) => x.name === "web-lab")).toMatchObject({ description: "Lab", owned: 0, leased: 0, members: [{ username: "web-pat", role: "member" }] });
    expect(o.users.find((u) => u.username === "web-pat")).toMatchObject({ systemRole: null, memberships: [{ projectName: "web-lab", role: "member" }] });
    expect(o.users.find((u) => u.username === "web-ann")).toMatchObject({ systemRole: "reader", memberships: [] });
  });

  it("refuses bad input with the reason and changes nothing", async () => {
    await expect(createUserOp({ username: "web-pat", systemRole: "none" })).rejects.toMatchObject({ status: 400, message: "user web-pat already exists" });
    await expect(createUserOp({ username: "web-x", systemRole: "none", password: "short" })).rejects.toMatchObject({ status: 400, message: /8 characters/ });
    await expect(createUserOp({ username: "web-y", systemRole: "none", projectId: "nope" })).rejects.toMatchObject({ status: 404 });
    expect(await findUser(t.sql, "web-x")).toBeNull();
    expect(await findUser(t.sql, "web-y")).toBeNull();
    await expect(createProjectOp({ name: "has space" })).rejects.toMatchObject({ status: 400, message: /invalid project name/ });
    expect(check(createUserSchema, { username: "a", systemRole: "root" })).toMatch(/not one of/);
    expect(check(createUserSchema, { username: "a", systemRole: "none", extra: 1 })).toMatch(/Additional properties/);
  });

  it("changes roles, access and passwords, never the administrator's own", async () => {
    const ann = (await findUser(t.sql, "web-ann"))!;
    await setSystemRoleOp({ userId: ann.id, role: "member" }, admin);
    expect((await findUser(t.sql, "web-ann"))?.systemRole).toBe("member");
    await setSystemRoleOp({ userId: ann.id, role: "none" }, admin);
    expect((await findUser(t.sql, "web-ann"))?.systemRole).toBeNull();
    await expect(setSystemRoleOp({ userId: admin.user.id, role: "reader" }, admin)).rejects.toMatchObject({ status: 400, message: /your own account/ });
    await expect(setDisabledOp({ userId: admin.user.id, disabled: true }, admin)).rejects.toMatchObject({ status: 400 });
    await expect(deleteUserOp({ userId: admin.user.id }, admin)).rejects.toMatchObject({ status: 400 });

    await setDisabledOp({ userId: ann.id, disabled: true }, admin);
    expect((await findUser(t.sql, "web-ann"))?.disabled).toBe(true);
    await setDisabledOp({ userId: ann.id, disabled: false }, admin);

    const reset = await resetPasswordOp({ userId: ann.id });
    expect(reset).toMatchObject({ username: "web-ann" });
    expect(await verifyPassword(t.sql, "web-ann", reset.password!)).not.toBeNull();
    expect(await resetPasswordOp({ userId: ann.id, password: "chosen-password" })).toEqual({ username: "web-ann", password: null });
    expect(await verifyPassword(t.sql, "web-ann", "chosen-password")).not.toBeNull();
    await expect(resetPasswordOp({ userId: "gone" })).rejects.toMatchObject({ status: 404 });
  });

  it("adds, changes and removes memberships and deletes users and projects", async () => {
    const o = await adminOverview();
    const lab = o.projects.find((x) => x.name === "web-lab")!;
    const ann = o.users.find((u) => u.username === "web-ann")!;
    await setMembershipOp({ projectId: lab.id, userId: ann.id, role: "reader" });
    await setMembershipOp({ projectId: lab.id, userId: ann.id, role: "admin" });
    expect((await adminOverview()).projects.find((x) => x.id === lab.id)!.members.map((m) => `${m.username}:${m.role}`)).toEqual(["web-ann:admin", "web-pat:member"]);
    await removeMembershipOp({ projectId: lab.id, userId: ann.id });
    await expect(removeMembershipOp({ projectId: lab.id, userId: ann.id })).rejects.toMatchObject({ status: 400, message: /not a member/ });
    await deleteUserOp({ userId: ann.id }, admin);
    expect(await findUser(t.sql, "web-ann")).toBeNull();
    await deleteProjectOp({ projectId: lab.id });
    expect((await adminOverview()).projects.find((x) => x.id === lab.id)).toBeUndefined();
    await expect(deleteProjectOp({ projectId: lab.id })).rejects.toMatchObject({ status: 404 });
  });
});

describe("account tokens", () => {
  it("creates tokens only in the viewer's scopes, lists and revokes only their own", async () => {
    const p = await createProjectOp({ name: "web-tok" });
    const u = await createUser(t.sql, { username: "web-tokuser", password: "tok-password" });
    await addMembership(t.sql, u.id, p.id, "member");
    const me = await viewerOf("web-tokuser");
    expect((await accountTokens(me)).scopes).toEqual([{ value: p.id, label: "Project web-tok (member)" }]);
    await expect(createTokenOp({ name: "sys", scope: "system", expiresDays: null }, me)).rejects.toMatchObject({ status: 403 });
    const other = await createProjectOp({ name: "web-other" });
    await expect(createTokenOp({ name: "x", scope: other.id, expiresDays: null }, me)).rejects.toMatchObject({ status: 403 });
    expect(check(createTokenSchema, { name: "x", scope: p.id, expiresDays: 0 })).toMatch(/minimum/);

    const made = await createTokenOp({ name: "laptop", scope: p.id, expiresDays: 30 }, me);
    expect(made.token).toMatch(/^ingot_/);
    expect(made.row).toMatchObject({ name: "laptop", scope: "web-tok", revokedAt: null });
    expect(await resolveCredentials(new Request("http://x/", { headers: { "X-Auth-Token": made.token } }))).toMatchObject({ projectId: p.id, projectRole: "member" });
    const listed = (await accountTokens(me)).tokens;
    expect(listed).toHaveLength(1);
    expect(JSON.stringify(listed)).not.toContain(made.token);

    // The admin's own list does not show it, and the admin cannot revoke it through this page.
    expect((await accountTokens(admin)).tokens).toEqual([]);
    await expect(revokeTokenOp({ tokenId: made.row.id }, admin)).rejects.toMatchObject({ status: 404 });
    await revokeTokenOp({ tokenId: made.row.id }, me);
    expect((await accountTokens(me)).tokens[0].revokedAt).not.toBeNull();
    expect(await resolveCredentials(new Request("http://x/", { headers: { "X-Auth-Token": made.token } }))).toBeNull();

    const sys = await createTokenOp({ name: "ops", scope: "system", expiresDays: null }, admin);
    expect(sys.row).toMatchObject({ scope: "system", expiresAt: null });
  });
});

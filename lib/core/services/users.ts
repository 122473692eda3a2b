// User, project, membership and token administration for the dashboard (lib/web/admin.ts, which
// checks who may do what and turns UserError into 400s) and the `ingot` command line (lib/cli,
// the operator on the box, who acts as the system: no policy check); the rules and SQL are
// lib/core/users.ts.
import { sql } from "../db/sql.ts";
import type { Role } from "../policy.ts";
import * as users from "../users.ts";

export { isRole, randomPassword, UserError } from "../users.ts";
export type { MemberRecord, MembershipRecord, NewToken, NewUser, ProjectRecord, TokenRecord, UserRecord } from "../users.ts";

export async function allUsers(): Promise<users.UserRecord[]> {
  return users.listUsers(await sql());
}

/**
 * The user names behind user ids recorded on a resource the caller may read (a node history's
 * `user`), so pages show "alice", not a 32-character id.
 */
export async function userNamesOf(ids: Iterable<string | null>): Promise<Record<string, string>> {
  const wanted = [...new Set([...ids].filter((id): id is string => !!id))];
  return wanted.length ? users.userNames(await sql(), wanted) : {};
}

export async function allProjects(): Promise<users.ProjectRecord[]> {
  return users.listProjects(await sql());
}

export async function userWithId(userId: string): Promise<users.UserRecord | null> {
  return users.getUser(await sql(), userId);
}

/** The project with this id or name, or null. */
export async function projectNamed(ident: string): Promise<users.ProjectRecord | null> {
  return users.findProject(await sql(), ident);
}

/** The user with this username, or null. */
export async function userNamed(username: string): Promise<users.UserRecord | null> {
  return users.findUser(await sql(), username);
}

/** The project with this id or name, or a UserError naming what was looked for. */
export async function requireProject(ident: string): Promise<users.ProjectRecord> {
  return users.requireProject(await sql(), ident);
}

export async function userMemberships(userId: string): Promise<users.MembershipRecord[]> {
  return users.membershipsOf(await sql(), userId);
}

export async function projectMembers(projectId: string): Promise<users.MemberRecord[]> {
  return users.projectMembers(await sql(), projectId);
}

export async function projectNodeCounts(projectId: string): Promise<{ owned: number; leased: number }> {
  return users.projectNodeCounts(await sql(), projectId);
}

/** Creates the user and, when `project` is given, their first membership, in one transaction. */
export async function createUserIn(u: users.NewUser, project: { id: string; role: Role } | null): Promise<users.UserRecord> {
  return (await sql()).tx(async (tx) => {
    const created = await users.createUser(tx, u);
    if (project) await users.addMembership(tx, created.id, project.id, project.role);
    return created;
  });
}

/**
 * Creates the user and makes them `role` of the project with this name or id, creating that
 * project (by name) when there is none, in one transaction (`ingot user create --project`).
 */
export async function createUserInProjectNamed(
  u: users.NewUser, project: { ident: string; role: Role },
): Promise<{ user: users.UserRecord; project: users.ProjectRecord }> {
  return (await sql()).tx(async (tx) => {
    const user = await users.createUser(tx, u);
    const created = await users.ensureProject(tx, project.ident);
    await users.addMembership(tx, user.id, created.id, project.role);
    return { user, project: created };
  });
}

export async function setSystemRole(userId: string, role: Role | null): Promise<void> {
  await users.setSystemRole(await sql(), userId, role);
}

export async function setDisabled(userId: string, disabled: boolean): Promise<void> {
  await users.setDisabled(await sql(), userId, disabled);
}

export async function setPassword(userId: string, password: string): Promise<void> {
  await users.setPassword(await sql(), userId, password);
}

/** Gives the user a random password and returns it. */
export async function resetPassword(userId: string): Promise<string> {
  return users.resetPassword(await sql(), userId);
}

export async function deleteUser(userId: string): Promise<void> {
  await users.deleteUser(await sql(), userId);
}

export async function createProject(name: string, description: string | null): Promise<users.ProjectRecord> {
  return users.createProject(await sql(), name, description);
}

export async function deleteProject(projectId: string): Promise<void> {
  await users.deleteProject(await sql(), projectId);
}

/** Adds the user to the project with the role, or changes their role there. */
export async function addMembership(userId: string, projectId: string, role: Role): Promise<void> {
  await users.addMembership(await sql(), userId, projectId, role);
}

export async function removeMembership(userId: string, projectId: string): Promise<void> {
  await users.removeMembership(await sql(), userId, projectId);
}

export async function userTokens(userId: string): Promise<users.TokenRecord[]> {
  return users.listTokens(await sql(), userId);
}

/** Every user's tokens, oldest first. */
export async function allTokens(): Promise<users.TokenRecord[]> {
  return users.listTokens(await sql());
}

export async function createToken(t: users.NewToken): Promise<{ token: string; record: users.TokenRecord }> {
  return users.createToken(await sql(), t);
}

/** Revokes the owner's active token; false when there is none with that id. */
export async function revokeToken(tokenId: string, ownerId: string): Promise<boolean> {
  return users.revokeToken(await sql(), tokenId, ownerId);
}

/** Revokes an active token whoever owns it (the system's revoke); false when there is no such active token. */
export async function revokeAnyToken(tokenId: string): Promise<boolean> {
  return users.revokeToken(await sql(), tokenId);
}

// Users, projects, memberships and API tokens, and the credential resolver the API uses
// (lib/core/auth.ts): `X-Auth-Token: <token>` or HTTP Basic `user:password`.
// Passwords are bcrypt hashes; tokens are random strings stored only as their sha256.
import { createHash, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import bcrypt from "bcryptjs";
import { setCredentialResolver } from "./auth.ts";
import { sql as processSql, toBool, toDate, type Sql } from "./db/sql.ts";
import type { Principal, Role } from "./policy.ts";

export const ROLES: readonly Role[] = ["admin", "member", "reader"];
const BCRYPT_ROUNDS = 10;
const TOKEN_PREFIX = "ingot_";

export function isRole(s: unknown): s is Role {
  return typeof s === "string" && (ROLES as readonly string[]).includes(s);
}

export interface UserRecord {
  id: string;
  username: string;
  email: string | null;
  name: string | null;
  passwordHash: string;
  systemRole: Role | null;
  disabled: boolean;
  createdAt: Date;
}

export interface ProjectRecord {
  id: string;
  name: string;
  description: string | null;
}

export interface MembershipRecord {
  projectId: string;
  projectName: string;
  role: Role;
}

export class UserError extends Error {}

function rowToUser(r: Record<string, unknown>): UserRecord {
  return {
    id: String(r.id),
    username: String(r.username),
    email: (r.email as string | null) ?? null,
    name: (r.name as string | null) ?? null,
    passwordHash: String(r.passwordHash),
    systemRole: isRole(r.systemRole) ? r.systemRole : null,
    disabled: toBool(r.disabled),
    createdAt: toDate(r.createdAt) ?? new Date(0),
  };
}

const USERNAME_RE = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

// ---- projects ----

/** A stable, keystone-looking project id for a project name (32 hex chars). */
export function projectIdFor(name: string): string {
  return createHash("sha256").update(`ingot-project:${name}`).digest("hex").slice(0, 32);
}

export async function findProject(sql: Sql, ident: string): Promise<ProjectRecord | null> {
  const row = await sql.get<ProjectRecord>(
    `SELECT "id", "name", "description" FROM "Project" WHERE "id" = ? OR "name" = ?`, [ident, ident]);
  return row ?? null;
}

/** The project with this name or id, created (by name) when it does not exist. */
export async function ensureProject(sql: Sql, ident: string, description: string | null = null): Promise<ProjectRecord> {
  const found = await findProject(sql, ident);
  if (found) return found;
  if (!USERNAME_RE.test(ident)) throw new UserError(`invalid project name ${JSON.stringify(ident)}`);
  const project = { id: projectIdFor(ident), name: ident, description };
  await sql.run(`INSERT INTO "Project" ("id", "name", "description", "createdAt") VALUES (?, ?, ?, ?)`,
    [project.id, project.name, description, new Date()]);
  return project;
}

export async function listProjects(sql: Sql): Promise<ProjectRecord[]> {
  return sql.all<ProjectRecord>(`SELECT "id", "name", "description" FROM "Project" ORDER BY "name"`);
}

/** A new project; an error when the name is taken or not a valid name. */
export async function createProject(sql: Sql, name: string, description: string | null = null): Promise<ProjectRecord> {
  if (!USERNAME_RE.test(name)) throw new UserError(`invalid project name ${JSON.stringify(name)} (letters, digits, . _ @ -; at most 64)`);
  if (await findProject(sql, name)) throw new UserError(`project ${name} already exists`);
  if (description != null && description.length > 255) throw new UserError("the description may have at most 255 characters");
  return ensureProject(sql, name, description || null);
}

/** The project, or a UserError naming what was looked for. */
export async function requireProject(sql: Sql, ident: string): Promise<ProjectRecord> {
  const p = await findProject(sql, ident);
  if (!p) throw new UserError(`no project ${JSON.stringify(ident)}`);
  return p;
}

/** How many nodes the project owns and leases (a project in use is not deleted). */
export async function projectNodeCounts(sql: Sql, projectId: string): Promise<{ owned: number; leased: number }> {
  const row = await sql.get<{ owned: number | string | null; leased: number | string | null }>(
    `SELECT SUM(CASE WHEN "owner" = ? THEN 1 ELSE 0 END) AS "owned", SUM(CASE WHEN "lessee" = ? THEN 1 ELSE 0 END) AS "leased"
       FROM "Node" WHERE "owner" = ? OR "lessee" = ?`, [projectId, projectId, projectId, projectId]);
  return { owned: Number(row?.owned ?? 0), leased: Number(row?.leased ?? 0) };
}

/**
 * Deletes a project with its memberships and revokes the tokens scoped to it. Refused while nodes
 * name it as owner or lessee: those nodes would point at a project nobody can act in.
 */
export async function deleteProject(sql: Sql, projectId: string): Promise<void> {
  const project = await findProject(sql, projectId);
  if (!project) throw new UserError("no such project");
  const { owned, leased } = await projectNodeCounts(sql, project.id);
  if (owned || leased) {
    throw new UserError(`project ${project.name} owns ${owned} and leases ${leased} node(s); give them another owner/lessee first`);
  }
  await sql.tx(async (tx) => {
    await tx.run(`UPDATE "ApiToken" SET "revokedAt" = ? WHERE "projectId" = ? AND "revokedAt" IS NULL`, [new Date(), project.id]);
    await tx.run(`DELETE FROM "Membership" WHERE "projectId" = ?`, [project.id]);
    await tx.run(`DELETE FROM "Project" WHERE "id" = ?`, [project.id]);
  });
  clearCredentialCache();
}

export interface MemberRecord {
  userId: string;
  username: string;
  role: Role;
  disabled: boolean;
}

/** A project's members, by user name. */
export async function projectMembers(sql: Sql, projectId: string): Promise<MemberRecord[]> {
  const rows = await sql.all<{ userId: string; username: string; role: string; disabled: unknown }>(
    `SELECT m."userId" AS "userId", u."username" AS "username", m."role" AS "role", u."disabled" AS "disabled"
       FROM "Membership" m JOIN "User" u ON u."id" = m."userId"
      WHERE m."projectId" = ? ORDER BY u."username"`, [projectId]);
  return rows.filter((r) => isRole(r.role)).map((r) => ({ userId: r.userId, username: r.username, role: r.role as Role, disabled: toBool(r.disabled) }));
}

// ---- users ----

export interface NewUser {
  username: string;
  password: string;
  systemRole?: Role | null;
  email?: string | null;
  name?: string | null;
}

export async function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, BCRYPT_ROUNDS);
}

export async function createUser(sql: Sql, u: NewUser): Promise<UserRecord> {
  if (!USERNAME_RE.test(u.username)) {
    throw new UserError(`invalid user name ${JSON.stringify(u.username)} (letters, digits, . _ @ -; at most 64)`);
  }
  if (!u.password || u.password.length < 8) throw new UserError("the password must have at least 8 characters");
  if (u.systemRole != null && !isRole(u.systemRole)) throw new UserError(`unknown role ${u.systemRole}`);
  if (await findUser(sql, u.username)) throw new UserError(`user ${u.username} already exists`);
  if (u.email) {
    if (!/^[^\s@]+@[^\s@]+$/.test(u.email)) throw new UserError(`invalid e-mail address ${JSON.stringify(u.email)}`);
    if (await sql.get(`SELECT 1 AS x FROM "User" WHERE "email" = ?`, [u.email])) throw new UserError(`another user has the e-mail address ${u.email}`);
  }
  const id = randomUUID();
  await sql.run(
    `INSERT INTO "User" ("id", "username", "email", "name", "passwordHash", "systemRole", "disabled", "createdAt")
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    [id, u.username, u.email ?? null, u.name ?? null, await hashPassword(u.password), u.systemRole ?? null, false, new Date()],
  );
  return (await getUser(sql, id))!;
}

export async function getUser(sql: Sql, id: string): Promise<UserRecord | null> {
  const row = await sql.get(`SELECT * FROM "User" WHERE "id" = ?`, [id]);
  return row ? rowToUser(row) : null;
}

export async function findUser(sql: Sql, username: string): Promise<UserRecord | null> {
  const row = await sql.get(`SELECT * FROM "User" WHERE "username" = ?`, [username]);
  return row ? rowToUser(row) : null;
}

/** id → user name for the given ids (ids of no user are left out). */
export async function userNames(sql: Sql, ids: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const rows = await sql.all<{ id: string; username: string }>(`SELECT "id", "username" FROM "User" WHERE "id" IN (${chunk.map(() => "?").join(", ")})`, chunk);
    for (const u of rows) out[u.id] = u.username;
  }
  return out;
}

export async function listUsers(sql: Sql): Promise<UserRecord[]> {
  return (await sql.all(`SELECT * FROM "User" ORDER BY "username"`)).map(rowToUser);
}

export async function countUsers(sql: Sql): Promise<number> {
  const row = await sql.get<{ n: number | string }>(`SELECT COUNT(*) AS n FROM "User"`);
  return Number(row?.n ?? 0);
}

export async function setPassword(sql: Sql, userId: string, password: string): Promise<void> {
  if (!password || password.length < 8) throw new UserError("the password must have at least 8 characters");
  if (password.length > 200) throw new UserError("the password may have at most 200 characters");
  await requireUser(sql, userId);
  await sql.run(`UPDATE "User" SET "passwordHash" = ?, "updatedAt" = ? WHERE "id" = ?`, [await hashPassword(password), new Date(), userId]);
  clearCredentialCache();
}

export async function addMembership(sql: Sql, userId: string, projectId: string, role: Role): Promise<void> {
  if (!isRole(role)) throw new UserError(`unknown role ${JSON.stringify(role)} (admin, member or reader)`);
  await requireUser(sql, userId);
  if (!(await sql.get(`SELECT 1 AS x FROM "Project" WHERE "id" = ?`, [projectId]))) throw new UserError("no such project");
  const exists = await sql.get(`SELECT 1 AS x FROM "Membership" WHERE "userId" = ? AND "projectId" = ?`, [userId, projectId]);
  if (exists) await sql.run(`UPDATE "Membership" SET "role" = ? WHERE "userId" = ? AND "projectId" = ?`, [role, userId, projectId]);
  else await sql.run(`INSERT INTO "Membership" ("userId", "projectId", "role") VALUES (?, ?, ?)`, [userId, projectId, role]);
  clearCredentialCache();
}

/** Removes a user from a project; their tokens scoped to it stop working (no membership, no principal). */
export async function removeMembership(sql: Sql, userId: string, projectId: string): Promise<void> {
  const n = await sql.run(`DELETE FROM "Membership" WHERE "userId" = ? AND "projectId" = ?`, [userId, projectId]);
  if (n === 0) throw new UserError("the user is not a member of that project");
  clearCredentialCache();
}

/** The user with this id, or a UserError. */
export async function requireUser(sql: Sql, userId: string): Promise<UserRecord> {
  const user = await getUser(sql, userId);
  if (!user) throw new UserError("no such user");
  return user;
}

/** Enabled system admins other than `exceptUserId`: the last one may not be demoted, disabled or deleted. */
async function otherActiveAdmins(sql: Sql, exceptUserId: string): Promise<number> {
  const row = await sql.get<{ n: number | string }>(
    `SELECT COUNT(*) AS n FROM "User" WHERE "systemRole" = 'admin' AND "disabled" = ? AND "id" <> ?`, [false, exceptUserId]);
  return Number(row?.n ?? 0);
}

async function guardLastAdmin(sql: Sql, user: UserRecord, what: string): Promise<void> {
  if (user.systemRole === "admin" && !user.disabled && (await otherActiveAdmins(sql, user.id)) === 0) {
    throw new UserError(`${user.username} is the only enabled system admin; cannot ${what}`);
  }
}

/** Sets (or with null clears) a user's system-scope role. */
export async function setSystemRole(sql: Sql, userId: string, role: Role | null): Promise<void> {
  if (role !== null && !isRole(role)) throw new UserError(`unknown role ${JSON.stringify(role)} (admin, member, reader or none)`);
  const user = await requireUser(sql, userId);
  if (role !== "admin") await guardLastAdmin(sql, user, "take the admin role away");
  await sql.run(`UPDATE "User" SET "systemRole" = ?, "updatedAt" = ? WHERE "id" = ?`, [role, new Date(), userId]);
  clearCredentialCache();
}

/** Disables (no login, no API access, tokens refused) or re-enables a user. */
export async function setDisabled(sql: Sql, userId: string, disabled: boolean): Promise<void> {
  const user = await requireUser(sql, userId);
  if (disabled) await guardLastAdmin(sql, user, "disable them");
  await sql.run(`UPDATE "User" SET "disabled" = ?, "updatedAt" = ? WHERE "id" = ?`, [disabled, new Date(), userId]);
  clearCredentialCache();
}

/** Deletes a user with their memberships and tokens. */
export async function deleteUser(sql: Sql, userId: string): Promise<void> {
  const user = await requireUser(sql, userId);
  await guardLastAdmin(sql, user, "delete them");
  await sql.tx(async (tx) => {
    await tx.run(`DELETE FROM "ApiToken" WHERE "userId" = ?`, [userId]);
    await tx.run(`DELETE FROM "Membership" WHERE "userId" = ?`, [userId]);
    await tx.run(`DELETE FROM "User" WHERE "id" = ?`, [userId]);
  });
  clearCredentialCache();
}

/** An administrator's password reset: a new random password, returned to show once. */
export async function resetPassword(sql: Sql, userId: string): Promise<string> {
  const password = randomPassword();
  await setPassword(sql, userId, password);
  return password;
}

export async function membershipsOf(sql: Sql, userId: string): Promise<MembershipRecord[]> {
  const rows = await sql.all<{ projectId: string; projectName: string; role: string }>(
    `SELECT m."projectId" AS "projectId", p."name" AS "projectName", m."role" AS "role"
       FROM "Membership" m JOIN "Project" p ON p."id" = m."projectId"
      WHERE m."userId" = ? ORDER BY p."name"`, [userId]);
  return rows.filter((r) => isRole(r.role)).map((r) => ({ ...r, role: r.role as Role }));
}

let dummyHash: string | undefined;

/** The user when the password matches (and the user is enabled), else null. */
export async function verifyPassword(sql: Sql, username: string, password: string): Promise<UserRecord | null> {
  const user = await findUser(sql, username);
  if (!user || user.disabled) {
    // Spend about the same time as a real check so user names cannot be probed by timing.
    dummyHash ??= await bcrypt.hash("not-a-password", BCRYPT_ROUNDS);
    await bcrypt.compare(password, dummyHash);
    return null;
  }
  return (await bcrypt.compare(password, user.passwordHash)) ? user : null;
}

/**
 * The principal a user acts as. With `projectId` (a project token) it is that project's role;
 * otherwise the system role, or — for users without one — their first project membership.
 */
export async function principalForUser(sql: Sql, user: UserRecord, projectId?: string | null): Promise<Principal | null> {
  const base = { userId: user.id, username: user.username };
  if (projectId) {
    const m = (await membershipsOf(sql, user.id)).find((x) => x.projectId === projectId);
    if (m) return { ...base, systemRole: null, projectId, projectRole: m.role };
    // A system admin's token may act in any project as that project's admin.
    if (user.systemRole === "admin") return { ...base, systemRole: null, projectId, projectRole: "admin" };
    return null;
  }
  if (user.systemRole) return { ...base, systemRole: user.systemRole, projectId: null, projectRole: null };
  const first = (await membershipsOf(sql, user.id))[0];
  if (first) return { ...base, systemRole: null, projectId: first.projectId, projectRole: first.role };
  return { ...base, systemRole: null, projectId: null, projectRole: null };
}

// ---- API tokens ----

export interface TokenRecord {
  id: string;
  userId: string;
  projectId: string | null;
  name: string;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  createdAt: Date;
}

function rowToToken(r: Record<string, unknown>): TokenRecord {
  return {
    id: String(r.id), userId: String(r.userId), projectId: (r.projectId as string | null) ?? null, name: String(r.name),
    expiresAt: toDate(r.expiresAt), revokedAt: toDate(r.revokedAt), lastUsedAt: toDate(r.lastUsedAt),
    createdAt: toDate(r.createdAt) ?? new Date(0),
  };
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export interface NewToken {
  userId: string;
  projectId?: string | null;
  name?: string;
  /** Days until it expires; null/undefined = never. */
  expiresDays?: number | null;
}

/** Creates a token; the returned `token` string is the only time it is visible. */
export async function createToken(sql: Sql, t: NewToken): Promise<{ token: string; record: TokenRecord }> {
  const user = await getUser(sql, t.userId);
  if (!user) throw new UserError("no such user");
  if (t.projectId) {
    const m = (await membershipsOf(sql, user.id)).find((x) => x.projectId === t.projectId);
    if (!m && user.systemRole !== "admin") throw new UserError(`user ${user.username} is not a member of that project`);
  }
  if (t.expiresDays != null && !(Number.isInteger(t.expiresDays) && t.expiresDays > 0 && t.expiresDays <= 3650)) {
    throw new UserError("expiry must be a whole number of days from 1 to 3650 (or never)");
  }
  const name = (t.name ?? "cli").trim();
  if (!name || name.length > 64) throw new UserError("the token name must have 1 to 64 characters");
  const token = TOKEN_PREFIX + randomBytes(32).toString("base64url");
  const id = randomUUID();
  const now = new Date();
  const expiresAt = t.expiresDays != null ? new Date(now.getTime() + t.expiresDays * 86_400_000) : null;
  await sql.run(
    `INSERT INTO "ApiToken" ("id", "userId", "projectId", "name", "tokenHash", "expiresAt", "createdAt") VALUES (?, ?, ?, ?, ?, ?, ?)`,
    [id, user.id, t.projectId ?? null, name, hashToken(token), expiresAt, now],
  );
  const row = await sql.get(`SELECT * FROM "ApiToken" WHERE "id" = ?`, [id]);
  return { token, record: rowToToken(row!) };
}

export async function listTokens(sql: Sql, userId?: string): Promise<TokenRecord[]> {
  const rows = userId
    ? await sql.all(`SELECT * FROM "ApiToken" WHERE "userId" = ? ORDER BY "createdAt"`, [userId])
    : await sql.all(`SELECT * FROM "ApiToken" ORDER BY "createdAt"`);
  return rows.map(rowToToken);
}

/** Revokes an active token (with `ownerId`, only that user's); false when there is no such active token. */
export async function revokeToken(sql: Sql, id: string, ownerId?: string): Promise<boolean> {
  const n = ownerId
    ? await sql.run(`UPDATE "ApiToken" SET "revokedAt" = ? WHERE "id" = ? AND "userId" = ? AND "revokedAt" IS NULL`, [new Date(), id, ownerId])
    : await sql.run(`UPDATE "ApiToken" SET "revokedAt" = ? WHERE "id" = ? AND "revokedAt" IS NULL`, [new Date(), id]);
  clearCredentialCache();
  return n > 0;
}

/** The token's user and project when the token is valid (not expired, not revoked, user enabled). */
export async function verifyToken(sql: Sql, token: string): Promise<{ user: UserRecord; token: TokenRecord } | null> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return null;
  const hash = hashToken(token);
  const row = await sql.get(`SELECT * FROM "ApiToken" WHERE "tokenHash" = ?`, [hash]);
  if (!row) return null;
  const rec = rowToToken(row);
  // The lookup is by hash already; compare again in constant time for good measure.
  if (!timingSafeEqual(Buffer.from(String(row.tokenHash)), Buffer.from(hash))) return null;
  if (rec.revokedAt) return null;
  if (rec.expiresAt && rec.expiresAt.getTime() <= Date.now()) return null;
  const user = await getUser(sql, rec.userId);
  if (!user || user.disabled) return null;
  await sql.run(`UPDATE "ApiToken" SET "lastUsedAt" = ? WHERE "id" = ?`, [new Date(), rec.id]);
  return { user, token: rec };
}

// ---- the credential resolver ----

interface CacheEntry {
  principal: Principal;
  until: number;
  /** Token expiry: a cached entry never outlives its token. */
  hardUntil: number;
}

const CACHE_TTL_MS = 30_000;
const CACHE_MAX = 2000;
// One cache per process: the dashboard's changes to users and tokens go through the server's own
// core (lib/server/web_facade.ts), so they reach the API's cache at once.
const cache = new Map<string, CacheEntry>();

export function clearCredentialCache(): void {
  cache.clear();
}

function cacheGet(key: string): Principal | null {
  const e = cache.get(key);
  if (!e) return null;
  const now = Date.now();
  if (now >= e.until || now >= e.hardUntil) {
    cache.delete(key);
    return null;
  }
  return e.principal;
}

function cachePut(key: string, principal: Principal, hardUntil = Infinity): void {
  if (cache.size >= CACHE_MAX) {
    // Drop the oldest entry (Map keeps insertion order).
    const first = cache.keys().next().value;
    if (first !== undefined) cache.delete(first);
  }
  cache.set(key, { principal, until: Date.now() + CACHE_TTL_MS, hardUntil });
}

function parseBasic(header: string): { username: string; password: string } | null {
  const m = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (!m) return null;
  const decoded = Buffer.from(m[1], "base64").toString("utf8");
  const i = decoded.indexOf(":");
  if (i <= 0) return null;
  return { username: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

/** Resolves a request's credentials to a principal (null when absent or wrong). */
export async function resolveCredentials(request: { headers: Headers }, getSql: () => Promise<Sql> = processSql): Promise<Principal | null> {
  const token = request.headers.get("x-auth-token");
  const authz = request.headers.get("authorization");
  if (!token && !authz) return null;
  // Keyed by a hash so the cache never holds a password or token in clear.
  const key = createHash("sha256").update(token ? `t:${token}` : `a:${authz}`).digest("base64");
  const hit = cacheGet(key);
  if (hit) return hit;
  const sql = await getSql();
  if (token) {
    const found = await verifyToken(sql, token.trim());
    if (!found) return null;
    const principal = await principalForUser(sql, found.user, found.token.projectId);
    if (principal) cachePut(key, principal, found.token.expiresAt?.getTime() ?? Infinity);
    return principal;
  }
  if (authz) {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authz);
    if (bearer) {
      const found = await verifyToken(sql, bearer[1]);
      if (!found) return null;
      const principal = await principalForUser(sql, found.user, found.token.projectId);
      if (principal) cachePut(key, principal, found.token.expiresAt?.getTime() ?? Infinity);
      return principal;
    }
    const basic = parseBasic(authz);
    if (!basic) return null;
    const user = await verifyPassword(sql, basic.username, basic.password);
    if (!user) return null;
    const principal = await principalForUser(sql, user);
    if (principal) cachePut(key, principal);
    return principal;
  }
  return null;
}

let registered = false;

/** Registers resolveCredentials with the API's authenticate(); safe to call more than once. */
export function registerCredentialResolver(): void {
  if (registered) return;
  registered = true;
  setCredentialResolver((req) => resolveCredentials(req));
}

const ALNUM = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

/** A random password that is easy to copy (double-click selects it; no look-alike characters): 20 letters and digits. */
export function randomPassword(length = 20): string {
  const out: string[] = [];
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      // Rejection sampling keeps every character equally likely.
      if (b < 256 - (256 % ALNUM.length) && out.length < length) out.push(ALNUM[b % ALNUM.length]);
    }
  }
  return out.join("");
}

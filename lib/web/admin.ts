// The dashboard's user, project and token administration: what /admin and /account/tokens show
// (loaded on the server) and what their server actions do (lib/web/admin-actions.ts wraps each
// operation in webAction, which has already checked the session, the permission and the schema).
// Core refusals (UserError) become 400s whose message the form shows.
import type { Schema } from "../api/schema.ts";
import type { ProjectRecord, UserRecord } from "../core/services/users.ts";
import type { Role } from "../shared/policy.ts";
import { webCore } from "./core.ts";
import type { Viewer } from "./session.ts";

/** The core's account services (users, projects, memberships, tokens), through the server's facade. */
const accounts = () => webCore().accounts;
// Refusals as the core's own errors, so webAction answers them with their status and message.
const invalid = (message: string) => new (webCore().errors.Invalid)(message);
const notFound = (message: string) => new (webCore().errors.NotFound)(message);
const forbidden = (message: string) => new (webCore().errors.Forbidden)(message);

// ---- what the pages show (plain, serialisable data for client components) ----

export interface AdminUserRow {
  id: string;
  username: string;
  email: string | null;
  systemRole: Role | null;
  disabled: boolean;
  createdAt: string;
  memberships: { projectId: string; projectName: string; role: Role }[];
}

export interface AdminProjectRow {
  id: string;
  name: string;
  description: string | null;
  owned: number;
  leased: number;
  members: { userId: string; username: string; role: Role; disabled: boolean }[];
}

export interface AdminOverview {
  users: AdminUserRow[];
  projects: AdminProjectRow[];
}

export async function adminOverview(): Promise<AdminOverview> {
  const [userList, projectList] = await Promise.all([accounts().allUsers(), accounts().allProjects()]);
  const userRows: AdminUserRow[] = [];
  for (const u of userList) {
    userRows.push({
      id: u.id, username: u.username, email: u.email, systemRole: u.systemRole, disabled: u.disabled,
      createdAt: u.createdAt.toISOString(), memberships: await accounts().userMemberships(u.id),
    });
  }
  const projectRows: AdminProjectRow[] = [];
  for (const p of projectList) {
    const [members, counts] = await Promise.all([accounts().projectMembers(p.id), accounts().projectNodeCounts(p.id)]);
    projectRows.push({ id: p.id, name: p.name, description: p.description, ...counts, members });
  }
  return { users: userRows, projects: projectRows };
}

export interface TokenRow {
  id: string;
  name: string;
  /** "system" or the project's name (its id when the project is gone). */
  scope: string;
  projectId: string | null;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface TokenScopeChoice {
  /** "system" or a project id. */
  value: string;
  label: string;
}

export interface AccountTokens {
  tokens: TokenRow[];
  scopes: TokenScopeChoice[];
}

/** The scopes a user may give a token: system (with a system role) and each project they belong to. */
async function scopesFor(viewer: Viewer): Promise<TokenScopeChoice[]> {
  const out: TokenScopeChoice[] = [];
  if (viewer.user.systemRole) out.push({ value: "system", label: `System (${viewer.user.systemRole})` });
  for (const m of await accounts().userMemberships(viewer.user.id)) {
    out.push({ value: m.projectId, label: `Project ${m.projectName} (${m.role})` });
  }
  return out;
}

export async function accountTokens(viewer: Viewer): Promise<AccountTokens> {
  const [list, projects, scopes] = await Promise.all([accounts().userTokens(viewer.user.id), accounts().allProjects(), scopesFor(viewer)]);
  const names = new Map(projects.map((p) => [p.id, p.name]));
  const tokens = list
    .map((t) => ({
      id: t.id, name: t.name, projectId: t.projectId,
      scope: t.projectId ? names.get(t.projectId) ?? t.projectId : "system",
      createdAt: t.createdAt.toISOString(), expiresAt: t.expiresAt?.toISOString() ?? null,
      lastUsedAt: t.lastUsedAt?.toISOString() ?? null, revokedAt: t.revokedAt?.toISOString() ?? null,
    }))
    .reverse(); // newest first
  return { tokens, scopes };
}

// ---- operations behind the server actions ----

/** Runs a core call, turning its input refusals into 400s with the same message. */
async function core<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof webCore().errors.UserError) throw invalid(err.message);
    throw err;
  }
}

const ROLE_OR_NONE = ["admin", "member", "reader", "none"] as const;
const ROLE = ["admin", "member", "reader"] as const;
const ID: Schema = { type: "string", minLength: 1, maxLength: 64 };

function roleOrNull(r: (typeof ROLE_OR_NONE)[number]): Role | null {
  return r === "none" ? null : r;
}

/** Administrators manage others here; changing one's own role or access could lock them out. */
function notSelf(viewer: Viewer, userId: string, what: string): void {
  if (viewer.user.id === userId) throw invalid(`you cannot ${what} your own account here`);
}

async function userById(userId: string): Promise<UserRecord> {
  const u = await accounts().userWithId(userId);
  if (!u) throw notFound("That user no longer exists.");
  return u;
}

async function projectById(projectId: string): Promise<ProjectRecord> {
  const p = await accounts().projectNamed(projectId);
  if (!p) throw notFound("That project no longer exists.");
  return p;
}

export const createUserSchema: Schema = {
  type: "object", additionalProperties: false, required: ["username", "systemRole"],
  properties: {
    username: { type: "string", minLength: 1, maxLength: 64 },
    email: { type: "string", maxLength: 254, nullable: true },
    /** Empty or null: a random one, returned once. */
    password: { type: "string", maxLength: 200, nullable: true },
    systemRole: { type: "string", enum: ROLE_OR_NONE },
    projectId: { type: "string", maxLength: 64, nullable: true },
    projectRole: { type: "string", enum: ROLE },
  },
};
export interface CreateUserInput {
  username: string;
  email?: string | null;
  password?: string | null;
  systemRole: (typeof ROLE_OR_NONE)[number];
  projectId?: string | null;
  projectRole?: Role;
}

/** Creates a user (and optionally a first membership); `password` is set only when it was generated. */
export async function createUserOp(input: CreateUserInput): Promise<{ id: string; username: string; password: string | null }> {
  const generated = input.password ? null : accounts().randomPassword();
  const project = input.projectId ? await projectById(input.projectId) : null;
  const user = await core(() =>
    accounts().createUserIn(
      {
        username: input.username.trim(), password: input.password || generated!, systemRole: roleOrNull(input.systemRole),
        email: input.email?.trim() || null,
      },
      project ? { id: project.id, role: input.projectRole ?? "member" } : null,
    ),
  );
  return { id: user.id, username: user.username, password: generated };
}

export const setSystemRoleSchema: Schema = {
  type: "object", additionalProperties: false, required: ["userId", "role"],
  properties: { userId: ID, role: { type: "string", enum: ROLE_OR_NONE } },
};
export async function setSystemRoleOp(input: { userId: string; role: (typeof ROLE_OR_NONE)[number] }, viewer: Viewer): Promise<void> {
  notSelf(viewer, input.userId, "change the system role of");
  await userById(input.userId);
  await core(() => accounts().setSystemRole(input.userId, roleOrNull(input.role)));
}

export const setDisabledSchema: Schema = {
  type: "object", additionalProperties: false, required: ["userId", "disabled"],
  properties: { userId: ID, disabled: { type: "boolean" } },
};
export async function setDisabledOp(input: { userId: string; disabled: boolean }, viewer: Viewer): Promise<void> {
  if (input.disabled) notSelf(viewer, input.userId, "disable");
  await userById(input.userId);
  await core(() => accounts().setDisabled(input.userId, input.disabled));
}

export const resetPasswordSchema: Schema = {
  type: "object", additionalProperties: false, required: ["userId"],
  properties: { userId: ID, password: { type: "string", maxLength: 200, nullable: true } },
};
/** Sets the given password, or a random one which is returned to show once. */
export async function resetPasswordOp(input: { userId: string; password?: string | null }): Promise<{ username: string; password: string | null }> {
  const u = await userById(input.userId);
  if (input.password) {
    await core(() => accounts().setPassword(u.id, input.password!));
    return { username: u.username, password: null };
  }
  return { username: u.username, password: await core(() => accounts().resetPassword(u.id)) };
}

export const deleteUserSchema: Schema = {
  type: "object", additionalProperties: false, required: ["userId"], properties: { userId: ID },
};
export async function deleteUserOp(input: { userId: string }, viewer: Viewer): Promise<void> {
  notSelf(viewer, input.userId, "delete");
  await userById(input.userId);
  await core(() => accounts().deleteUser(input.userId));
}

export const createProjectSchema: Schema = {
  type: "object", additionalProperties: false, required: ["name"],
  properties: { name: { type: "string", minLength: 1, maxLength: 64 }, description: { type: "string", maxLength: 255, nullable: true } },
};
export async function createProjectOp(input: { name: string; description?: string | null }): Promise<{ id: string; name: string }> {
  const p = await core(() => accounts().createProject(input.name.trim(), input.description?.trim() || null));
  return { id: p.id, name: p.name };
}

export const deleteProjectSchema: Schema = {
  type: "object", additionalProperties: false, required: ["projectId"], properties: { projectId: ID },
};
export async function deleteProjectOp(input: { projectId: string }): Promise<void> {
  const p = await projectById(input.projectId);
  await core(() => accounts().deleteProject(p.id));
}

export const setMembershipSchema: Schema = {
  type: "object", additionalProperties: false, required: ["projectId", "userId", "role"],
  properties: { projectId: ID, userId: ID, role: { type: "string", enum: ROLE } },
};
/** Adds the user to the project with the role, or changes their role there. */
export async function setMembershipOp(input: { projectId: string; userId: string; role: Role }): Promise<void> {
  const [p, u] = await Promise.all([projectById(input.projectId), userById(input.userId)]);
  await core(() => accounts().addMembership(u.id, p.id, input.role));
}

export const removeMembershipSchema: Schema = {
  type: "object", additionalProperties: false, required: ["projectId", "userId"], properties: { projectId: ID, userId: ID },
};
export async function removeMembershipOp(input: { projectId: string; userId: string }): Promise<void> {
  const [p, u] = await Promise.all([projectById(input.projectId), userById(input.userId)]);
  await core(() => accounts().removeMembership(u.id, p.id));
}

// ---- the viewer's own API tokens ----

export const createTokenSchema: Schema = {
  type: "object", additionalProperties: false, required: ["name", "scope", "expiresDays"],
  properties: {
    name: { type: "string", minLength: 1, maxLength: 64 },
    /** "system" or one of the viewer's project ids. */
    scope: { type: "string", minLength: 1, maxLength: 64 },
    /** null: never expires. */
    expiresDays: { type: "integer", minimum: 1, maximum: 3650, nullable: true },
  },
};
export interface CreateTokenInput {
  name: string;
  scope: string;
  expiresDays: number | null;
}

/** Creates a token for the viewer in a scope they hold; the secret is in the result, and nowhere after. */
export async function createTokenOp(input: CreateTokenInput, viewer: Viewer): Promise<{ token: string; row: TokenRow }> {
  const allowed = await scopesFor(viewer);
  const choice = allowed.find((s) => s.value === input.scope);
  if (!choice) {
    throw forbidden(input.scope === "system"
      ? "A system-scoped token needs a system role."
      : "You can only create tokens for projects you are a member of.");
  }
  const projectId = input.scope === "system" ? null : input.scope;
  const { token, record } = await core(() =>
    accounts().createToken({ userId: viewer.user.id, projectId, name: input.name.trim(), expiresDays: input.expiresDays }));
  const projectName = projectId ? (await accounts().projectNamed(projectId))?.name ?? projectId : "system";
  return {
    token,
    row: {
      id: record.id, name: record.name, scope: projectName, projectId, createdAt: record.createdAt.toISOString(),
      expiresAt: record.expiresAt?.toISOString() ?? null, lastUsedAt: null, revokedAt: null,
    },
  };
}

export const revokeTokenSchema: Schema = {
  type: "object", additionalProperties: false, required: ["tokenId"], properties: { tokenId: ID },
};
/** Revokes one of the viewer's own active tokens. */
export async function revokeTokenOp(input: { tokenId: string }, viewer: Viewer): Promise<void> {
  const ok = await accounts().revokeToken(input.tokenId, viewer.user.id);
  if (!ok) throw notFound("No such active token of yours.");
}

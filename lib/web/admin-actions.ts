"use server";
// Server actions of /admin (system admins) and /account/tokens (any signed-in user). Each goes
// through webAction (session → permission → schema) and then refreshes the page it changes.
import { revalidatePath } from "next/cache";
import type { Role } from "../shared/policy.ts";
import {
  createProjectOp, createProjectSchema, createTokenOp, createTokenSchema, createUserOp, createUserSchema, deleteProjectOp,
  deleteProjectSchema, deleteUserOp, deleteUserSchema, removeMembershipOp, removeMembershipSchema, resetPasswordOp,
  resetPasswordSchema, revokeTokenOp, revokeTokenSchema, setDisabledOp, setDisabledSchema, setMembershipOp, setMembershipSchema,
  setSystemRoleOp, setSystemRoleSchema, type CreateTokenInput, type CreateUserInput,
} from "./admin.ts";
import { webAction } from "./boundary.ts";
import type { Viewer } from "./session.ts";

type RoleOrNone = Role | "none";

/** An admin operation that refreshes /admin when it succeeds. */
function adminAction<I, O>(schema: Parameters<typeof webAction>[0]["schema"], op: (input: I, viewer: Viewer) => Promise<O>) {
  return webAction<I, O>({ systemAdmin: true, schema }, async (input, viewer) => {
    const out = await op(input, viewer);
    revalidatePath("/admin");
    return out;
  });
}

const createUser = adminAction<CreateUserInput, Awaited<ReturnType<typeof createUserOp>>>(createUserSchema, (i) => createUserOp(i));
const setSystemRole = adminAction<{ userId: string; role: RoleOrNone }, void>(setSystemRoleSchema, setSystemRoleOp);
const setDisabled = adminAction<{ userId: string; disabled: boolean }, void>(setDisabledSchema, setDisabledOp);
const resetPassword = adminAction<{ userId: string; password?: string | null }, Awaited<ReturnType<typeof resetPasswordOp>>>(resetPasswordSchema, (i) => resetPasswordOp(i));
const deleteUser = adminAction<{ userId: string }, void>(deleteUserSchema, deleteUserOp);
const createProject = adminAction<{ name: string; description?: string | null }, { id: string; name: string }>(createProjectSchema, (i) => createProjectOp(i));
const deleteProject = adminAction<{ projectId: string }, void>(deleteProjectSchema, (i) => deleteProjectOp(i));
const setMembership = adminAction<{ projectId: string; userId: string; role: Role }, void>(setMembershipSchema, (i) => setMembershipOp(i));
const removeMembership = adminAction<{ projectId: string; userId: string }, void>(removeMembershipSchema, (i) => removeMembershipOp(i));

const createToken = webAction<CreateTokenInput, Awaited<ReturnType<typeof createTokenOp>>>({ schema: createTokenSchema }, async (input, viewer) => {
  const out = await createTokenOp(input, viewer);
  revalidatePath("/account/tokens");
  return out;
});
const revokeToken = webAction<{ tokenId: string }, void>({ schema: revokeTokenSchema }, async (input, viewer) => {
  await revokeTokenOp(input, viewer);
  revalidatePath("/account/tokens");
});

// A "use server" module may export only async functions.
export async function createUserAction(input: unknown) { return createUser(input); }
export async function setSystemRoleAction(input: unknown) { return setSystemRole(input); }
export async function setDisabledAction(input: unknown) { return setDisabled(input); }
export async function resetPasswordAction(input: unknown) { return resetPassword(input); }
export async function deleteUserAction(input: unknown) { return deleteUser(input); }
export async function createProjectAction(input: unknown) { return createProject(input); }
export async function deleteProjectAction(input: unknown) { return deleteProject(input); }
export async function setMembershipAction(input: unknown) { return setMembership(input); }
export async function removeMembershipAction(input: unknown) { return removeMembership(input); }
export async function createTokenAction(input: unknown) { return createToken(input); }
export async function revokeTokenAction(input: unknown) { return revokeToken(input); }

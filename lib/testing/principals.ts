// The callers tests act as: one way to build a system-scoped or project-scoped Principal, so a
// test says only which role it needs where (the user's id and name follow from that).
import type { Principal, Role } from "../core/policy.ts";

/** A caller with a system-wide role and no project. */
export function systemUser(role: Role): Principal {
  const name = `system-${role}`;
  return { userId: name, username: name, systemRole: role, projectId: null, projectRole: null };
}

/** A caller acting in `projectId` with `role` there (and no system role). */
export function projectUser(projectId: string, role: Role): Principal {
  const name = `${projectId}-${role}`;
  return { userId: name, username: name, systemRole: null, projectId, projectRole: role };
}

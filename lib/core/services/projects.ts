// Project names for the API and dashboard: system readers learn every project; a project caller
// the one they act in and the projects that own or lease a node they see (the names behind the
// owner and lessee ids on those nodes). The same rule for GET /v1/projects and the fleet's name map.
import { projectNames as namesOf, projectsSharingNodes } from "../db/projects.ts";
import { sql } from "../db/sql.ts";
import { isSystemScoped, type Principal } from "../policy.ts";
import { listProjects, membershipsOf, type MembershipRecord, type ProjectRecord } from "../users.ts";

/** The ids of the projects a project caller may learn the names of (null: every project). */
async function nameableProjects(principal: Principal): Promise<Set<string> | null> {
  if (isSystemScoped(principal)) return null;
  if (!principal.projectId) return new Set();
  return new Set([principal.projectId, ...(await projectsSharingNodes(await sql(), principal.projectId))]);
}

export async function visibleProjects(principal: Principal): Promise<ProjectRecord[]> {
  const [all, nameable] = await Promise.all([sql().then(listProjects), nameableProjects(principal)]);
  return nameable ? all.filter((p) => nameable.has(p.id)) : all;
}

/** id → name of the given project ids the caller may learn the names of. */
export async function projectNamesFor(principal: Principal, ids: Iterable<string>): Promise<Record<string, string>> {
  const nameable = await nameableProjects(principal);
  const wanted = [...ids].filter((id) => !nameable || nameable.has(id));
  return wanted.length ? namesOf(await sql(), wanted) : {};
}

/** A signed-in user's projects and roles, and the name of the project they act in now (its id when unnamed). */
export async function membershipView(userId: string, principal: Principal): Promise<{ memberships: MembershipRecord[]; projectName: string | null }> {
  const db = await sql();
  const memberships = await membershipsOf(db, userId);
  const projectName = principal.projectId ? ((await listProjects(db)).find((x) => x.id === principal.projectId)?.name ?? principal.projectId) : null;
  return { memberships, projectName };
}

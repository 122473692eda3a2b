// Project names for the API and dashboard: system readers learn every project, a project caller
// only the one they act in (the same rule for GET /v1/projects and the fleet's name map).
import { projectNames as namesOf } from "../db/projects.ts";
import { sql } from "../db/sql.ts";
import { isSystemScoped, type Principal } from "../policy.ts";
import { listProjects, membershipsOf, type MembershipRecord, type ProjectRecord } from "../users.ts";

export async function visibleProjects(principal: Principal): Promise<ProjectRecord[]> {
  const all = await listProjects(await sql());
  return isSystemScoped(principal) ? all : all.filter((p) => p.id === principal.projectId);
}

/** id → name of the given project ids the caller may learn the names of. */
export async function projectNamesFor(principal: Principal, ids: Iterable<string>): Promise<Record<string, string>> {
  const wanted = [...ids].filter((id) => isSystemScoped(principal) || id === principal.projectId);
  return namesOf(await sql(), wanted);
}

/** A signed-in user's projects and roles, and the name of the project they act in now (its id when unnamed). */
export async function membershipView(userId: string, principal: Principal): Promise<{ memberships: MembershipRecord[]; projectName: string | null }> {
  const db = await sql();
  const memberships = await membershipsOf(db, userId);
  const projectName = principal.projectId ? ((await listProjects(db)).find((x) => x.id === principal.projectId)?.name ?? principal.projectId) : null;
  return { memberships, projectName };
}

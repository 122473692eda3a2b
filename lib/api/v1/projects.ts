// Ingot extension: GET /v1/projects — the names behind the project ids in owner/lessee, so the
// dashboard and scripts can show "acme" instead of a 32-character id. System readers see every
// project; a project caller sees only the one they act in.
import { sql } from "../../core/db/sql.ts";
import { isSystemScoped } from "../../core/policy.ts";
import { listProjects } from "../../core/users.ts";
import type { ApiProject, Paged } from "../../shared/wire.ts";
import { json, type ApiContext } from "../http.ts";
import type { RouteDef } from "../router.ts";

async function list(ctx: ApiContext): Promise<Response> {
  const all = await listProjects(await sql());
  const visible = isSystemScoped(ctx.principal) ? all : all.filter((p) => p.id === ctx.principal.projectId);
  const body: Paged<"projects", ApiProject> = { projects: visible.map((p) => ({ id: p.id, name: p.name, description: p.description })) };
  return json(ctx, body);
}

export const routes: RouteDef[] = [{ method: "GET", path: "/v1/projects", policy: "ingot:project:list", handler: list }];

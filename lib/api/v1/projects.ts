// Ingot extension: GET /v1/projects — the names behind the project ids in owner/lessee, so the
// dashboard and scripts can show "acme" instead of a 32-character id. System readers see every
// project; a project caller the one they act in and those owning or leasing a node they see.
import { visibleProjects } from "../../core/services/projects.ts";
import type { ApiProject, Paged } from "../../shared/wire.ts";
import { json, type ApiContext } from "../http.ts";
import type { RouteDef } from "../router.ts";

async function list(ctx: ApiContext): Promise<Response> {
  const visible = await visibleProjects(ctx.principal);
  const body: Paged<"projects", ApiProject> = { projects: visible.map((p) => ({ id: p.id, name: p.name, description: p.description })) };
  return json(ctx, body);
}

export const routes: RouteDef[] = [{ method: "GET", path: "/v1/projects", policy: "ingot:project:list", handler: list }];

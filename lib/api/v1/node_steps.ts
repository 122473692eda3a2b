// Available steps (Ingot extension, planned upstream and never built there; docs/api-extensions.md):
//   GET  /v1/nodes/{node}/{cleaning,deploying,servicing}/steps          → {"steps": [...], "updated_at": ts}
//   POST /v1/nodes/{node}/{cleaning,deploying,servicing}/steps/refresh  → the same, recomputed now
// Served at every microversion (they sit outside Ironic's version sequence). Reading needs
// baremetal:node:get, refreshing baremetal:node:set_provision_state.
import { Invalid } from "../../core/errors.ts";
import { availableSteps } from "../../core/services/nodes.ts";
import type { StepCache } from "../../core/steps.ts";
import { STEP_PHASE_PATH, type StepKind } from "../../shared/steps.ts";
import type { ApiAvailableSteps } from "../../shared/wire.ts";
import { json, ts } from "../http.ts";
import type { NodeContext, RouteDef } from "../router.ts";

function body(cache: StepCache): ApiAvailableSteps {
  return { steps: cache.steps, updated_at: ts(cache.updatedAt) };
}

function noQuery(ctx: NodeContext): void {
  const keys = [...new Set(ctx.url.searchParams.keys())];
  if (keys.length) throw new Invalid(`Unexpected arguments: ${keys.join(", ")}`);
}

function getSteps(kind: StepKind) {
  return async (ctx: NodeContext): Promise<Response> => {
    noQuery(ctx);
    return json(ctx, body(await availableSteps(ctx.principal, ctx.node, kind, false)));
  };
}

function refreshSteps(kind: StepKind) {
  return async (ctx: NodeContext): Promise<Response> => {
    noQuery(ctx);
    if (ctx.body !== undefined && ctx.body !== null && (typeof ctx.body !== "object" || Array.isArray(ctx.body) || Object.keys(ctx.body).length)) {
      throw new Invalid("The refresh request takes no body.");
    }
    return json(ctx, body(await availableSteps(ctx.principal, ctx.node, kind, true)));
  };
}

export const routes: RouteDef[] = (Object.entries(STEP_PHASE_PATH) as [StepKind, string][]).flatMap(([kind, phase]): RouteDef[] => [
  { method: "GET", path: `/v1/nodes/:node/${phase}/steps`, policy: "baremetal:node:get", handler: getSteps(kind) },
  { method: "POST", path: `/v1/nodes/:node/${phase}/steps/refresh`, policy: "baremetal:node:set_provision_state", handler: refreshSteps(kind) },
]);

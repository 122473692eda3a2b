// The one boundary for server actions, as handleBaremetal is for the API: session → principal →
// policy → schema validation → the action. Errors come back as values (server actions must not
// throw at the browser), with the same messages the API would give.
import type { Schema } from "../api/schema.ts";
import { authorize } from "../shared/policy.ts";
import { webCore } from "./core.ts";
import { currentViewer, type Viewer } from "./session.ts";

export type ActionResult<O> = { ok: true; value: O } | { ok: false; status: number; error: string };

export interface ActionOptions {
  /** Policy rule the viewer's principal must pass (lib/shared/policy.ts RULES). */
  rule?: string;
  /** Only system admins (user, project and membership management). */
  systemAdmin?: boolean;
  schema: Schema;
}

export function webAction<I, O>(opts: ActionOptions, fn: (input: I, viewer: Viewer) => Promise<O>): (input: unknown) => Promise<ActionResult<O>> {
  return async (input: unknown) => {
    const viewer = await currentViewer();
    if (!viewer) return { ok: false, status: 401, error: "Your session has ended; log in again." };
    if (opts.systemAdmin && viewer.principal.systemRole !== "admin") {
      return { ok: false, status: 403, error: "Only system administrators may do this." };
    }
    if (opts.rule && !authorize(opts.rule, viewer.principal)) {
      return { ok: false, status: 403, error: `Access was denied to the following resource: ${opts.rule}` };
    }
    const core = webCore();
    const problem = core.checkInput(opts.schema, input, "input");
    if (problem) return { ok: false, status: 400, error: problem };
    try {
      return { ok: true, value: await fn(input as I, viewer) };
    } catch (err) {
      if (err instanceof core.errors.UserError) return { ok: false, status: 400, error: err.message };
      if (err instanceof core.errors.IronicError) return { ok: false, status: err.status, error: err.message };
      console.error("[ingot] server action failed:", err);
      return { ok: false, status: 500, error: "Something went wrong on the server; see its log." };
    }
  };
}

// Path routing for the Bare Metal API: patterns like /v1/nodes/:node/states/provision.
import type { NodeRecord } from "../core/db/nodes.ts";
import type { ApiContext } from "./http.ts";
import type { Schema } from "./schema.ts";

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface NodeContext extends ApiContext {
  node: NodeRecord;
}

export interface RouteDef {
  method: Method;
  path: string;
  /** Minimum minor version; below it the route answers `belowVersionStatus` (404 by default). */
  minVersion?: number;
  belowVersionStatus?: 404 | 405;
  /**
   * Policy rule. For routes with a :node parameter it is checked against that node after the
   * node is found and visible; otherwise with no target.
   */
  policy?: string;
  /** Whether :node names are looked up (default true; names need 1.5). */
  loadNode?: boolean;
  /** JSON body schema; the body is parsed and checked before the handler runs. */
  body?: Schema;
  /** Body size cap in bytes (default 1 MiB). */
  maxBody?: number;
  /** Routes the ramdisk calls without credentials (lookup, heartbeat). */
  public?: boolean;
  handler: (ctx: NodeContext) => Promise<Response>;
}

interface Compiled {
  def: RouteDef;
  segments: string[];
}

export class Router {
  private readonly routes: Compiled[] = [];

  add(...defs: RouteDef[]): this {
    for (const def of defs) {
      this.routes.push({ def, segments: def.path.split("/").filter(Boolean) });
    }
    return this;
  }

  /** The route for method+path; `methodMismatch` when the path exists with other methods only. */
  match(method: string, path: string): { def: RouteDef; params: Record<string, string> } | "methodMismatch" | null {
    const parts = path.split("/").filter(Boolean);
    let pathMatched = false;
    let best: { def: RouteDef; params: Record<string, string>; literal: number } | null = null;
    for (const r of this.routes) {
      if (r.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      let literal = 0;
      for (let i = 0; i < parts.length; i++) {
        const seg = r.segments[i];
        if (seg.startsWith(":")) {
          try {
            params[seg.slice(1)] = decodeURIComponent(parts[i]);
          } catch {
            ok = false;
            break;
          }
        } else if (seg === parts[i]) literal++;
        else {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      pathMatched = true;
      if (r.def.method !== method && !(method === "HEAD" && r.def.method === "GET")) continue;
      // Prefer the most literal match: /v1/nodes/detail over /v1/nodes/:node.
      if (!best || literal > best.literal) best = { def: r.def, params, literal };
    }
    if (best) return { def: best.def, params: best.params };
    return pathMatched ? "methodMismatch" : null;
  }
}

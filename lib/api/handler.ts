// The boundary of the Bare Metal API: every request passes here, in this order:
// version → route → credentials → body (size, JSON, schema) → node lookup and visibility →
// policy → handler. Any error becomes Ironic's error body with the version headers.
import { authenticate } from "../core/auth.ts";
import { Forbidden, IronicError, MethodNotAllowed, NotFound, PreconditionFailed } from "../core/errors.ts";
import { authorize, type Principal } from "../core/policy.ts";
import { visibleNode } from "../core/services/access.ts";
import { publishNodeWrite } from "../core/services/nodes.ts";
import { type ApiContext, errorResponse, ifMatchPasses, json, newRequestId, readJson, MAX_BODY_BYTES } from "./http.ts";
import { nodeEtag } from "./node_view.ts";
import type { NodeContext, RouteDef } from "./router.ts";
import { validate } from "./schema.ts";
import { MIN_MINOR, requestedMinor, versionDocument } from "./version.ts";
import { router, v1Document } from "./v1/index.ts";

export const API_PREFIX = "/baremetal";

/** The absolute API base for links, from the request's own host (clients follow these). */
export function apiBase(url: URL, headers: Headers): string {
  const proto = headers.get("x-forwarded-proto") ?? url.protocol.replace(":", "");
  const host = headers.get("x-forwarded-host") ?? headers.get("host") ?? url.host;
  return `${proto}://${host}${API_PREFIX}`;
}

async function dispatch(def: RouteDef, ctx: ApiContext): Promise<Response> {
  const nodeCtx = ctx as NodeContext;
  if (def.path.includes(":node") && def.loadNode !== false) {
    nodeCtx.node = await visibleNode(ctx.principal, ctx.params.node, ctx.minor >= 5);
    if (def.policy && !authorize(def.policy, ctx.principal, nodeCtx.node)) throw new Forbidden();
    // Ingot extension: any write to a node or its sub-resources honours If-Match.
    if (ctx.method !== "GET" && ctx.method !== "HEAD" && !ifMatchPasses(ctx.request.headers.get("if-match"), nodeEtag(nodeCtx.node))) {
      throw new PreconditionFailed(`Node ${nodeCtx.node.uuid} has changed: If-Match does not match its current ETag ${nodeEtag(nodeCtx.node)}.`);
    }
  } else if (def.policy && !authorize(def.policy, ctx.principal)) {
    throw new Forbidden();
  }
  const res = await def.handler(nodeCtx);
  // Writes the API makes itself (PATCH, traits, VIFs, …) reach open dashboards like the
  // conductor's changes do; the conductor publishes its own.
  if (nodeCtx.node && res.ok && ctx.method !== "GET" && ctx.method !== "HEAD") {
    await publishNodeWrite(nodeCtx.node.id);
  }
  return res;
}

export async function handleBaremetal(request: Request): Promise<Response> {
  return handle(request, null);
}

/**
 * An in-process call on behalf of a caller who was already authenticated (tests that ask the API
 * as a given principal): everything handleBaremetal does except resolving credentials.
 */
export async function handleBaremetalAs(request: Request, principal: Principal): Promise<Response> {
  return handle(request, principal);
}

async function handle(request: Request, as: Principal | null): Promise<Response> {
  const requestId = newRequestId();
  const url = new URL(request.url);
  let minor: number | null = null;
  try {
    let path = url.pathname.startsWith(API_PREFIX) ? url.pathname.slice(API_PREFIX.length) : url.pathname;
    if (path.length > 1 && path.endsWith("/")) path = path.slice(0, -1);
    const base = apiBase(url, request.headers);
    minor = requestedMinor(request.headers);
    const method = request.method.toUpperCase();
    const doc = { requestId, minor };

    if (path === "" || path === "/") {
      if (method !== "GET" && method !== "HEAD") throw new MethodNotAllowed();
      const version = versionDocument(base);
      return json(doc, {
        name: "OpenStack Ironic API",
        description: "Ironic is an OpenStack project which enables the provision and management of baremetal machines.",
        default_version: version,
        versions: [version],
      });
    }
    if (path === "/v1") {
      if (method !== "GET" && method !== "HEAD") throw new MethodNotAllowed();
      return json(doc, v1Document(base, minor));
    }
    // Unprefixed resource paths (the "bookmark" links) are v1 as well.
    if (!path.startsWith("/v1/")) path = `/v1${path}`;

    const found = router.match(method, path);
    if (found === null) throw new NotFound("The resource could not be found.");
    if (found === "methodMismatch") throw new MethodNotAllowed();
    const { def, params } = found;
    if (def.minVersion !== undefined && minor < def.minVersion) {
      if (def.belowVersionStatus === 405 && method !== "GET") throw new MethodNotAllowed();
      throw new NotFound("The resource could not be found.");
    }

    const principal = as ?? (def.public ? await authenticate(request, { optional: true }) : await authenticate(request));

    let body: unknown = undefined;
    if (method === "POST" || method === "PUT" || method === "PATCH") {
      body = await readJson(request, def.maxBody ?? MAX_BODY_BYTES);
      if (def.body) validate(def.body, body ?? {}, "body");
    }

    const ctx: ApiContext = { request, url, method, minor, base, params, principal, requestId, body };
    return await dispatch(def, ctx);
  } catch (err) {
    // A version error answers without X-OpenStack-Ironic-API-Version, as Ironic does.
    return errorResponse(requestId, err instanceof IronicError && err.status === 406 && minor === null ? null : minor, err);
  }
}

export { MIN_MINOR };

// The checks every service starts with: the node the caller names and may see, and the policy
// rule the use case needs. The API's boundary (lib/api/handler.ts) runs the same two before a
// route's handler; services run them again (authorize is pure, no extra round trip) so a caller
// that is not the API (server actions, route handlers, jobs) gets exactly the same answers.
import type { Actor } from "../conductor/types.ts";
import { findNode, type NodeRecord } from "../db/nodes.ts";
import { sql } from "../db/sql.ts";
import { Forbidden, Invalid, NodeNotFound, type IronicError } from "../errors.ts";
import { authorize, isSystemScoped, type PolicyTarget, type Principal } from "../policy.ts";
import type { LiveEvent } from "../event_types.ts";

/**
 * The node named `ident` (a UUID, or a name when `byName`) if the caller may see it. Project-scoped
 * callers get 404 for nodes they cannot see (Ironic conceals them); system-scoped callers get 403.
 */
export async function visibleNode(principal: Principal, ident: string, byName = true): Promise<NodeRecord> {
  const node = await findNode(await sql(), ident, byName);
  if (!node) throw new NodeNotFound(ident);
  if (!authorize("baremetal:node:get", principal, node)) {
    if (isSystemScoped(principal)) throw new Forbidden();
    throw new NodeNotFound(ident);
  }
  return node;
}

/** The node named `ident` (uuid or name) if the caller may see it, else null (pages answer 404 either way). */
export async function nodeIfVisible(principal: Principal, ident: string): Promise<NodeRecord | null> {
  const node = await findNode(await sql(), ident, true);
  return node && authorize("baremetal:node:get", principal, node) ? node : null;
}

/** Throws Forbidden unless `principal` passes `rule` (on `target`'s owner and lessee when given). */
export function allow(rule: string, principal: Principal, target?: PolicyTarget): void {
  if (!authorize(rule, principal, target)) throw new Forbidden();
}

/**
 * Passes when `principal` passes `rule` on `target`; otherwise system-scoped callers get 403 and
 * project-scoped ones `notFound()`, as if the resource did not exist (Ironic conceals it).
 */
export function allowOrConceal(rule: string, principal: Principal, target: PolicyTarget, notFound: () => IronicError): void {
  if (authorize(rule, principal, target)) return;
  if (isSystemScoped(principal)) throw new Forbidden();
  throw notFound();
}

/**
 * List visibility: null when the caller sees everything, else the project whose nodes (owner or
 * lessee) it may list. Refuses callers without the list rule or a project.
 */
export function listScope(principal: Principal, listRule: string, listAllRule: string): string | null {
  if (!authorize(listRule, principal)) throw new Forbidden();
  if (authorize(listAllRule, principal)) return null;
  if (!principal.projectId) throw new Forbidden();
  return principal.projectId;
}

/**
 * A node as use cases take it: the record the caller already holds (the API's boundary loaded and
 * checked it), or its uuid or name, looked up as the API's boundary would (jobs, server actions).
 */
export type NodeRef = NodeRecord | string;

/** The node `ref` names, checked visible to `principal` when it is only named. */
export async function resolveNode(principal: Principal, ref: NodeRef): Promise<NodeRecord> {
  return typeof ref === "string" ? visibleNode(principal, ref) : ref;
}

/** Who asked, for the conductor's history and logs. */
export function actorOf(principal: Principal, requestId?: string): Actor {
  return { user: principal.userId ?? principal.username, project: principal.projectId, ...(requestId ? { requestId } : {}) };
}

/**
 * The node a port, port group or volume object is created on or moved to (`ident`: its uuid, or
 * name when `byName`), if the caller passes `rule` on it; otherwise 400 "not found" as Ironic says.
 */
export async function nodeToAttachTo(principal: Principal, ident: string, byName: boolean, rule: string): Promise<NodeRecord> {
  const node = await findNode(await sql(), ident, byName);
  if (!node) throw new Invalid(`Node ${ident} could not be found.`);
  allowOrConceal(rule, principal, node, () => new Invalid(`Node ${ident} could not be found.`));
  return node;
}

/**
 * Whether the caller receives this live event (the /ws/events websocket): conductor events go to
 * system scope, a job's to its user and system admins, node events to system scope and the node's
 * owner and lessee projects.
 */
export function liveEventVisibleTo(who: Principal, event: LiveEvent): boolean {
  if (event.type === "conductor") return isSystemScoped(who);
  if (event.type === "job") return !event.userId || event.userId === who.userId || who.systemRole === "admin";
  if (isSystemScoped(who)) return true;
  return !!who.projectId && (event.owner === who.projectId || event.lessee === who.projectId);
}

// The node page's calls to the public API (and Ingot's extensions), on top of the typed client.
// Writes to the node send `If-Match: <ETag>` so a change made by someone else since the page read
// the node is refused (412) instead of overwritten.
import { ApiError, type IngotClient } from "./api.ts";
import { queryKeys } from "./keys.ts";
import type { ApiBiosSetting, ApiDeployTemplate, ApiHistoryEvent, ApiNode, ApiPort, ApiProject, Dict, RequestedStep } from "../shared/wire.ts";

/** A node as read, with the ETag of that version. */
export interface NodeWithEtag {
  node: ApiNode;
  etag: string | null;
}

/** Query keys of the node page: all under ["node", uuid] so a live node event refreshes them. */
export const nodeKeys = {
  node: (uuid: string) => [...queryKeys.node(uuid), "detail"] as const,
  ports: (uuid: string) => queryKeys.nodePart(uuid, "ports"),
  history: (uuid: string) => queryKeys.nodePart(uuid, "history"),
  bios: (uuid: string) => queryKeys.nodePart(uuid, "bios"),
  /** Deploy templates are not node data, but the BIOS tab lists them beside it. */
  templates: (uuid: string) => queryKeys.nodePart(uuid, "deploy_templates"),
  projects: (uuid: string) => queryKeys.nodePart(uuid, "projects"),
};

const enc = encodeURIComponent;

function ifMatch(etag: string | null | undefined): Record<string, string> {
  return etag ? { "If-Match": etag } : {};
}

export async function fetchNode(api: IngotClient, ident: string): Promise<NodeWithEtag> {
  const res = await api.raw("GET", `/nodes/${enc(ident)}`);
  return { node: (await res.json()) as ApiNode, etag: res.headers.get("ETag") };
}

/** PATCH /v1/nodes/{n} (JSON patch) guarded by the ETag; answers the updated node and its new ETag. */
export async function patchNode(api: IngotClient, uuid: string, ops: unknown[], etag: string | null): Promise<NodeWithEtag> {
  const res = await api.raw("PATCH", `/nodes/${enc(uuid)}`, { body: ops, headers: ifMatch(etag) });
  return { node: (await res.json()) as ApiNode, etag: res.headers.get("ETag") };
}

export async function addTrait(api: IngotClient, uuid: string, trait: string, etag: string | null): Promise<void> {
  await api.put(`/nodes/${enc(uuid)}/traits/${enc(trait)}`, undefined, { headers: ifMatch(etag) });
}

export async function removeTrait(api: IngotClient, uuid: string, trait: string, etag: string | null): Promise<void> {
  await api.del(`/nodes/${enc(uuid)}/traits/${enc(trait)}`, { headers: ifMatch(etag) });
}

export async function setMaintenance(api: IngotClient, uuid: string, reason: string | null, etag: string | null): Promise<void> {
  await api.put(`/nodes/${enc(uuid)}/maintenance`, reason ? { reason } : {}, { headers: ifMatch(etag) });
}

export async function clearMaintenance(api: IngotClient, uuid: string, etag: string | null): Promise<void> {
  await api.del(`/nodes/${enc(uuid)}/maintenance`, { headers: ifMatch(etag) });
}

export async function setProvisionState(api: IngotClient, uuid: string, body: Dict, etag: string | null): Promise<void> {
  await api.put(`/nodes/${enc(uuid)}/states/provision`, body, { headers: ifMatch(etag) });
}

export async function setPowerState(api: IngotClient, uuid: string, target: string, etag: string | null): Promise<void> {
  await api.put(`/nodes/${enc(uuid)}/states/power`, { target }, { headers: ifMatch(etag) });
}

export async function deleteNode(api: IngotClient, uuid: string, etag: string | null): Promise<void> {
  await api.del(`/nodes/${enc(uuid)}`, { headers: ifMatch(etag) });
}

export async function nodePorts(api: IngotClient, uuid: string): Promise<ApiPort[]> {
  const out: ApiPort[] = [];
  let marker: string | undefined;
  for (;;) {
    const page = await api.get<{ ports: ApiPort[]; next?: string }>(`/nodes/${enc(uuid)}/ports/detail`, { query: { marker } });
    out.push(...page.ports);
    if (!page.next || !page.ports.length) return out;
    marker = page.ports[page.ports.length - 1].uuid;
  }
}

/** The node's whole history, oldest first (every page: Ingot keeps all of it), with each row's structured fields. */
export async function nodeHistory(api: IngotClient, uuid: string): Promise<ApiHistoryEvent[]> {
  const out: ApiHistoryEvent[] = [];
  let marker: string | undefined;
  for (;;) {
    const page = await api.get<{ history: ApiHistoryEvent[]; next?: string }>(`/nodes/${enc(uuid)}/history`, {
      query: { detail: "True", structured: "True", marker },
    });
    out.push(...page.history);
    if (!page.next || !page.history.length) return out;
    marker = page.history[page.history.length - 1].uuid;
  }
}

export async function nodeBios(api: IngotClient, uuid: string): Promise<ApiBiosSetting[]> {
  const r = await api.get<{ bios: ApiBiosSetting[] }>(`/nodes/${enc(uuid)}/bios`, { query: { detail: "True" } });
  return r.bios;
}

export async function deployTemplates(api: IngotClient): Promise<ApiDeployTemplate[]> {
  const r = await api.get<{ deploy_templates: ApiDeployTemplate[] }>("/deploy_templates", { query: { detail: "True" } });
  return r.deploy_templates;
}

/** Appends a step to a deploy template (read → PATCH add /steps/- with the template's ETag). */
export async function appendTemplateStep(api: IngotClient, template: string, step: RequestedStep): Promise<ApiDeployTemplate> {
  const res = await api.raw("GET", `/deploy_templates/${enc(template)}`);
  const etag = res.headers.get("ETag");
  return api.patch<ApiDeployTemplate>(`/deploy_templates/${enc(template)}`, [{ op: "add", path: "/steps/-", value: step }], { headers: ifMatch(etag) });
}

export async function projects(api: IngotClient): Promise<ApiProject[]> {
  const r = await api.get<{ projects: ApiProject[] }>("/projects");
  return r.projects;
}

/** A field the API hid from this viewer ("** Redacted - requires <rule> permission. **"). */
export function isRedacted(v: unknown): v is string {
  return typeof v === "string" && v.startsWith("** ") && /redacted/i.test(v);
}

/** A dict the API hid (`{"content": "** Redacted … **"}`). */
export function isRedactedDict(v: unknown): boolean {
  if (!v || typeof v !== "object") return false;
  const keys = Object.keys(v);
  return keys.length === 1 && keys[0] === "content" && isRedacted((v as Record<string, unknown>).content);
}

/** The conductor holding the node's lock, or null when unlocked or hidden from the viewer. */
export function lockHolder(node: Pick<ApiNode, "reservation">): string | null {
  return isRedacted(node.reservation) ? null : node.reservation;
}

/** The API's message, with a clear one for a stale ETag. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 412) return "This node was changed by someone else since the page loaded it. Reload to see the change, then apply yours again (what you typed is kept).";
    return err.faultstring;
  }
  return err instanceof Error ? err.message : String(err);
}

export function isStale(err: unknown): boolean {
  return err instanceof ApiError && err.status === 412;
}

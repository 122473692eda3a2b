// Volume connectors and targets (reference §2.11, API 1.32): GET /v1/volume and CRUD under
// /v1/volume/connectors and /v1/volume/targets; lists reused by /v1/nodes/{n}/volume/*.
import { randomUUID } from "node:crypto";
import { parseJson, toDate } from "../../core/db/values.ts";
import { Conflict, NotFound } from "../../core/errors.ts";
import type { Principal } from "../../core/policy.ts";
import { maskSecrets } from "../../core/secrets.ts";
import { nodeToAttachTo } from "../../core/services/access.ts";
import {
  bootIndexExists, connectorExists, deleteVolumeObject, mayViewTargetProperties, saveConnector, saveTarget, visibleVolumeRow, volumeListProject,
  volumeNode, volumePage, volumeRow, volumeUpdateNode, type ConnectorRow, type TargetRow,
} from "../../core/services/volume.ts";
import { empty, json, links, ts, type ApiContext } from "../http.ts";
import type { RouteDef } from "../router.ts";
import type { Schema } from "../schema.ts";
import { validateUuid } from "../validators.ts";
import {
  changed, isUniqueViolation, parseResourceFields, parseResourceList,
  patchDocument, patchedSchemaCheck, renderFields, resourceNext, schemaCheck, type FieldDef,
} from "./resource_common.ts";

export type { ConnectorRow, TargetRow };

export const REDACTED_TARGET_PROPERTIES = {
  content: "** Value redacted: Requires permission baremetal:volume:view_target_properties access. Permission denied. **",
};

type View = { base: string; minor: number; principal?: Principal };

const CONNECTOR_FIELDS: FieldDef<ConnectorRow & { _base: string }>[] = [
  ["uuid", 1, (r) => r.uuid],
  ["created_at", 1, (r) => ts(toDate(r.createdAt))],
  ["updated_at", 1, (r) => ts(toDate(r.updatedAt))],
  ["connector_id", 1, (r) => r.connectorId],
  ["extra", 1, (r) => parseJson(r.extra, {})],
  ["type", 1, (r) => r.type],
  ["links", 1, (r) => links(r._base, `volume/connectors/${r.uuid}`)],
  ["node_uuid", 1, (r) => r.nodeUuid],
];

const TARGET_FIELDS: FieldDef<TargetRow & { _base: string; _props: unknown }>[] = [
  ["uuid", 1, (r) => r.uuid],
  ["created_at", 1, (r) => ts(toDate(r.createdAt))],
  ["updated_at", 1, (r) => ts(toDate(r.updatedAt))],
  ["boot_index", 1, (r) => Number(r.bootIndex)],
  ["extra", 1, (r) => parseJson(r.extra, {})],
  ["properties", 1, (r) => r._props],
  ["volume_id", 1, (r) => r.volumeId],
  ["volume_type", 1, (r) => r.volumeType],
  ["links", 1, (r) => links(r._base, `volume/targets/${r.uuid}`)],
  ["node_uuid", 1, (r) => r.nodeUuid],
];

const versions = <R>(defs: FieldDef<R>[]) => Object.fromEntries(defs.map(([n]) => [n, 1]));
export const CONNECTOR_FIELD_VERSIONS: Record<string, number> = versions(CONNECTOR_FIELDS);
export const TARGET_FIELD_VERSIONS: Record<string, number> = versions(TARGET_FIELDS);
export const CONNECTOR_DEFAULT_FIELDS = ["uuid", "node_uuid", "type", "connector_id"] as const;
export const TARGET_DEFAULT_FIELDS = ["uuid", "node_uuid", "volume_type", "boot_index", "volume_id"] as const;

export function connectorView(row: ConnectorRow, v: View, fields: string[] | null = null): Record<string, unknown> {
  return renderFields(CONNECTOR_FIELDS, { ...row, _base: v.base }, v.minor, fields);
}

/** Target properties are masked (passwords) and redacted entirely without view_target_properties. */
export function targetView(row: TargetRow, v: View, fields: string[] | null = null): Record<string, unknown> {
  const props = !v.principal || mayViewTargetProperties(v.principal, row) ? maskSecrets(parseJson(row.properties, {})) : { ...REDACTED_TARGET_PROPERTIES };
  return renderFields(TARGET_FIELDS, { ...row, _base: v.base, _props: props }, v.minor, fields);
}

type Kind = "connector" | "target";

const KIND = {
  connector: {
    plural: "connectors", label: "Volume connector",
    fieldVersions: CONNECTOR_FIELD_VERSIONS, defaults: CONNECTOR_DEFAULT_FIELDS,
    sort: { id: "id", uuid: "uuid", type: "type", connector_id: "connectorId", created_at: "createdAt", updated_at: "updatedAt", node_uuid: "nodeId" } as Record<string, string>,
    unsortable: ["extra"],
  },
  target: {
    plural: "targets", label: "Volume target",
    fieldVersions: TARGET_FIELD_VERSIONS, defaults: TARGET_DEFAULT_FIELDS,
    sort: { id: "id", uuid: "uuid", volume_type: "volumeType", volume_id: "volumeId", boot_index: "bootIndex", created_at: "createdAt", updated_at: "updatedAt", node_uuid: "nodeId" } as Record<string, string>,
    unsortable: ["extra", "properties"],
  },
} as const;

function view(kind: Kind, row: ConnectorRow | TargetRow, ctx: ApiContext, fields: string[] | null): Record<string, unknown> {
  const v = { base: ctx.base, minor: ctx.minor, principal: ctx.principal };
  return kind === "connector" ? connectorView(row as ConnectorRow, v, fields) : targetView(row as TargetRow, v, fields);
}

export interface VolumeScope {
  nodeId?: number;
  /** Path for next links, e.g. "volume/connectors" or "nodes/<id>/volume/connectors". */
  resource: string;
}

/** Lists connectors or targets (top level with ?node=, or a node's). */
export async function listVolume(ctx: ApiContext, kind: Kind, scope: VolumeScope): Promise<Response> {
  const k = KIND[kind];
  const project = volumeListProject(ctx.principal);
  const p = parseResourceList(ctx, {
    sortColumns: k.sort, unsortable: k.unsortable, fieldVersions: k.fieldVersions,
    detailFieldsMessage: "Can't fetch a subset of fields with 'detail' set", detailParamMinor: 32,
  });
  let nodeId = scope.nodeId;
  if (nodeId === undefined) {
    const ident = ctx.url.searchParams.get("node");
    if (ident !== null) {
      const node = await volumeNode(ident, true);
      if (!node) throw new NotFound(`Node ${ident} could not be found.`);
      nodeId = node.id;
    }
  }
  const marker = p.marker === null ? undefined : validateUuid(p.marker, "marker");
  const rows = await volumePage(kind, { nodeId, project }, { sortColumn: p.sortColumn, sortDir: p.sortDir as "asc" | "desc", limit: p.limit }, marker);
  if (!rows) throw new NotFound(`${k.label} ${p.marker} could not be found.`);
  const fields = p.detail ? null : (p.fields ?? [...k.defaults]);
  const body: Record<string, unknown> = { [k.plural]: rows.map((r) => view(kind, r, ctx, fields)) };
  const next = resourceNext(ctx, scope.resource, rows.length, p, rows.at(-1)?.uuid, k.defaults);
  if (next) body.next = next;
  return json(ctx, body);
}

// Ironic's CONNECTOR_SCHEMA and TARGET_SCHEMA, also for PATCH (key order decides which error is reported).
const CONNECTOR_SCHEMA: Schema = {
  type: "object",
  properties: {
    connector_id: { type: "string" },
    extra: { type: ["object", "null"] },
    node_uuid: { type: "string" },
    type: { type: "string" },
    uuid: { type: ["string", "null"] },
  },
  required: ["connector_id", "node_uuid", "type"],
  additionalProperties: false,
};
const TARGET_SCHEMA: Schema = {
  type: "object",
  properties: {
    boot_index: { type: "integer" },
    extra: { type: ["object", "null"] },
    node_uuid: { type: "string" },
    properties: { type: ["object", "null"] },
    volume_id: { type: "string" },
    volume_type: { type: "string" },
    uuid: { type: ["string", "null"] },
  },
  required: ["boot_index", "node_uuid", "volume_id", "volume_type"],
  additionalProperties: false,
};

function connectorConflict(type: string, connectorId: string): Conflict {
  return new Conflict(`A volume connector with type ${type} and connector ID ${connectorId} already exists.`);
}
function targetConflict(bootIndex: number): Conflict {
  return new Conflict(`A volume target with boot index '${bootIndex}' for the same node already exists.`);
}

async function create(ctx: ApiContext, kind: Kind): Promise<Response> {
  const k = KIND[kind];
  schemaCheck(kind, kind === "connector" ? CONNECTOR_SCHEMA : TARGET_SCHEMA, ctx.body ?? {});
  const b = ctx.body as Record<string, unknown>;
  const uuid = b.uuid !== undefined && b.uuid !== null ? validateUuid(b.uuid, "uuid") : randomUUID();
  const node = await nodeToAttachTo(ctx.principal, validateUuid(b.node_uuid, "node_uuid"), false, "baremetal:volume:create");
  try {
    if (kind === "connector") {
      if (await connectorExists(b.type as string, b.connector_id as string)) throw connectorConflict(b.type as string, b.connector_id as string);
      await saveConnector(null, uuid, { nodeId: node.id, type: b.type as string, connectorId: b.connector_id as string, extra: b.extra ?? {} });
    } else {
      if (await bootIndexExists(node.id, b.boot_index as number)) throw targetConflict(b.boot_index as number);
      await saveTarget(null, uuid, {
        nodeId: node.id, volumeType: b.volume_type as string, volumeId: b.volume_id as string, bootIndex: b.boot_index as number,
        properties: b.properties ?? {}, extra: b.extra ?? {},
      });
    }
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw kind === "connector" ? connectorConflict(b.type as string, b.connector_id as string) : targetConflict(b.boot_index as number);
    }
    throw err;
  }
  const row = (await volumeRow(kind, uuid))!;
  return json(ctx, view(kind, row, ctx, null), 201, { Location: `${ctx.base}/v1/volume/${k.plural}/${uuid}` });
}

async function getOne(ctx: ApiContext, kind: Kind): Promise<Response> {
  const row = await visibleVolumeRow(ctx.principal, kind, ctx.params.id);
  return json(ctx, view(kind, row, ctx, parseResourceFields(ctx, KIND[kind].fieldVersions)));
}

const PATCHABLE = {
  connector: ["connector_id", "extra", "node_uuid", "type"],
  target: ["boot_index", "extra", "node_uuid", "properties", "volume_id", "volume_type"],
};

async function patch(ctx: ApiContext, kind: Kind): Promise<Response> {
  const row = await visibleVolumeRow(ctx.principal, kind, ctx.params.id, "baremetal:volume:update");
  // The stored (unmasked) document is what the patch applies to.
  const current: Record<string, unknown> =
    kind === "connector"
      ? { uuid: row.uuid, node_uuid: row.nodeUuid, type: (row as ConnectorRow).type, connector_id: (row as ConnectorRow).connectorId, extra: parseJson(row.extra, {}) }
      : {
          uuid: row.uuid, node_uuid: row.nodeUuid, volume_type: (row as TargetRow).volumeType, volume_id: (row as TargetRow).volumeId,
          boot_index: Number((row as TargetRow).bootIndex), properties: parseJson((row as TargetRow).properties, {}), extra: parseJson(row.extra, {}),
        };
  const hidden = kind === "target" && !mayViewTargetProperties(ctx.principal, row as TargetRow) ? { properties: REDACTED_TARGET_PROPERTIES } : {};
  const { patched } = patchDocument(ctx.body, current, PATCHABLE[kind], { hidden });
  patchedSchemaCheck(kind === "connector" ? CONNECTOR_SCHEMA : TARGET_SCHEMA, patched);
  const doc = { ...patched };
  for (const key of ["extra", "properties"]) if (key in current && (doc[key] === undefined || doc[key] === null)) doc[key] = {};
  const nodeId = await volumeUpdateNode(ctx.principal, kind, row, changed(doc.node_uuid, current.node_uuid) ? { nodeUuid: doc.node_uuid } : null);
  try {
    if (kind === "connector") {
      if (await connectorExists(doc.type as string, doc.connector_id as string, row.id)) throw connectorConflict(doc.type as string, doc.connector_id as string);
      await saveConnector(row.id, row.uuid, { nodeId, type: doc.type as string, connectorId: doc.connector_id as string, extra: doc.extra });
    } else {
      if (await bootIndexExists(nodeId, doc.boot_index as number, row.id)) throw targetConflict(doc.boot_index as number);
      await saveTarget(row.id, row.uuid, {
        nodeId, volumeType: doc.volume_type as string, volumeId: doc.volume_id as string, bootIndex: doc.boot_index as number,
        properties: doc.properties, extra: doc.extra,
      });
    }
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw kind === "connector" ? connectorConflict(doc.type as string, doc.connector_id as string) : targetConflict(doc.boot_index as number);
    }
    throw err;
  }
  return json(ctx, view(kind, (await volumeRow(kind, row.uuid))!, ctx, null));
}

async function remove(ctx: ApiContext, kind: Kind): Promise<Response> {
  await deleteVolumeObject(ctx.principal, kind, ctx.params.id);
  return empty(ctx, 204);
}

/** The /v1/volume (or /v1/nodes/{n}/volume) document: links to connectors and targets. */
export function volumeDocument(ctx: ApiContext, prefix = "volume"): Record<string, unknown> {
  return {
    links: links(ctx.base, `${prefix}/`),
    connectors: links(ctx.base, `${prefix}/connectors`),
    targets: links(ctx.base, `${prefix}/targets`),
  };
}

const V = { minVersion: 32 } as const;

export const routes: RouteDef[] = [
  { method: "GET", path: "/v1/volume", ...V, policy: "baremetal:volume:list", handler: async (ctx) => json(ctx, volumeDocument(ctx)) },
  { method: "GET", path: "/v1/volume/connectors", ...V, handler: (ctx) => listVolume(ctx, "connector", { resource: "volume/connectors" }) },
  { method: "POST", path: "/v1/volume/connectors", ...V, handler: (ctx) => create(ctx, "connector") },
  { method: "GET", path: "/v1/volume/connectors/:id", ...V, handler: (ctx) => getOne(ctx, "connector") },
  { method: "PATCH", path: "/v1/volume/connectors/:id", ...V, handler: (ctx) => patch(ctx, "connector") },
  { method: "DELETE", path: "/v1/volume/connectors/:id", ...V, handler: (ctx) => remove(ctx, "connector") },
  { method: "GET", path: "/v1/volume/targets", ...V, handler: (ctx) => listVolume(ctx, "target", { resource: "volume/targets" }) },
  { method: "POST", path: "/v1/volume/targets", ...V, handler: (ctx) => create(ctx, "target") },
  { method: "GET", path: "/v1/volume/targets/:id", ...V, handler: (ctx) => getOne(ctx, "target") },
  { method: "PATCH", path: "/v1/volume/targets/:id", ...V, handler: (ctx) => patch(ctx, "target") },
  { method: "DELETE", path: "/v1/volume/targets/:id", ...V, handler: (ctx) => remove(ctx, "target") },
];

// Node sub-resources added after 1.82 (reference §2.3): child nodes (1.83), firmware components
// (1.86) and virtual media (attach/detach 1.89, get 1.93).
import { childNodes, firmwareComponents } from "../../core/services/nodes.ts";
import { VMEDIA_DEVICE_TYPES, VMEDIA_DOWNLOAD_SOURCES } from "../../core/drivers/base.ts";
import { Invalid } from "../../core/errors.ts";
import { empty, json, ts } from "../http.ts";
import { pyRepr } from "../../shared/pyrepr.ts";
import { renderNodes } from "../node_view.ts";
import type { NodeContext, RouteDef } from "../router.ts";
import { actorOf, conductorApi, queryBool, unexpectedArgs } from "./nodes.ts";

// ---- GET /v1/nodes/{n}/children (1.83) ----

/**
 * The node's children: `{"children": [uuid, ...]}`; with `?detail=True` the child nodes
 * themselves. Children the caller may not see are left out.
 */
async function getChildren(ctx: NodeContext): Promise<Response> {
  unexpectedArgs(ctx, ["detail"]);
  const detailRaw = ctx.url.searchParams.get("detail");
  const detail = detailRaw !== null && queryBool("detail", detailRaw);
  const children = await childNodes(ctx.principal, ctx.node, detail);
  if (!detail) return json(ctx, { children: children.map((n) => n.uuid) });
  const nodes = await renderNodes(children, { base: ctx.base, minor: ctx.minor, principal: ctx.principal });
  return json(ctx, { children: nodes });
}

// ---- GET /v1/nodes/{n}/firmware (1.86) ----

async function getFirmware(ctx: NodeContext): Promise<Response> {
  unexpectedArgs(ctx, []);
  const rows = await firmwareComponents(ctx.principal, ctx.node);
  return json(ctx, {
    firmware: rows.map((r) => ({
      created_at: ts(r.createdAt),
      updated_at: ts(r.updatedAt),
      component: r.component,
      initial_version: r.initialVersion,
      current_version: r.currentVersion,
      last_version_flashed: r.lastVersionFlashed,
    })),
  });
}

// ---- virtual media (1.89 / 1.93) ----

function vmediaError(msg: string): Invalid {
  return new Invalid(`Schema error for vmedia: ${msg}`);
}

async function postVmedia(ctx: NodeContext): Promise<Response> {
  const b = ctx.body;
  if (b === undefined || b === null || typeof b !== "object" || Array.isArray(b)) throw vmediaError(`${pyRepr(b ?? null)} is not of type 'object'`);
  const body = b as Record<string, unknown>;
  const allowed = ["device_type", "image_url", "image_download_source"];
  const extra = Object.keys(body).filter((k) => !allowed.includes(k));
  if (extra.length) {
    throw vmediaError(`Additional properties are not allowed (${extra.map((k) => pyRepr(k)).join(", ")} ${extra.length === 1 ? "was" : "were"} unexpected)`);
  }
  for (const k of ["device_type", "image_url"]) if (!(k in body)) throw vmediaError(`'${k}' is a required property`);
  for (const k of allowed) if (k in body && typeof body[k] !== "string") throw vmediaError(`${pyRepr(body[k])} is not of type 'string'`);
  const deviceType = body.device_type as string;
  if (!(VMEDIA_DEVICE_TYPES as readonly string[]).includes(deviceType)) throw vmediaError(`${pyRepr(deviceType)} is not one of ${pyRepr([...VMEDIA_DEVICE_TYPES])}`);
  const source = (body.image_download_source as string | undefined) ?? "local";
  if (!(VMEDIA_DOWNLOAD_SOURCES as readonly string[]).includes(source)) throw vmediaError(`${pyRepr(source)} is not one of ${pyRepr([...VMEDIA_DOWNLOAD_SOURCES])}`);
  const url = (body.image_url as string).trim();
  if (!url) throw vmediaError("'' is too short");
  await (await conductorApi()).vmediaAttach(ctx.node.id, { device_type: deviceType, image_url: url, image_download_source: source }, actorOf(ctx));
  return empty(ctx, 204);
}

async function deleteVmedia(ctx: NodeContext): Promise<Response> {
  unexpectedArgs(ctx, ["device_types"]);
  const raw = ctx.url.searchParams.get("device_types");
  let types: string[] | null = null;
  if (raw !== null) {
    types = [...new Set(raw.split(",").map((s) => s.trim()).filter(Boolean))];
    const bad = types.filter((t) => !(VMEDIA_DEVICE_TYPES as readonly string[]).includes(t));
    if (bad.length) throw new Invalid(`Invalid device_types ${bad.join(", ")}: allowed values are ${VMEDIA_DEVICE_TYPES.join(", ")}`);
    if (types.length === 0) types = null;
  }
  await (await conductorApi()).vmediaDetach(ctx.node.id, types, actorOf(ctx));
  return empty(ctx, 204);
}

async function getVmedia(ctx: NodeContext): Promise<Response> {
  unexpectedArgs(ctx, []);
  const media = await (await conductorApi()).vmediaGet(ctx.node.id);
  return json(ctx, {
    vmedia: media.map((m) => ({ device_type: m.device_type, image_url: m.image_url, image_download_source: m.image_download_source, inserted: true })),
  });
}

export const routes: RouteDef[] = [
  { method: "GET", path: "/v1/nodes/:node/children", minVersion: 83, policy: "baremetal:node:get", handler: getChildren },
  { method: "GET", path: "/v1/nodes/:node/firmware", minVersion: 86, policy: "baremetal:node:firmware:get", handler: getFirmware },
  { method: "POST", path: "/v1/nodes/:node/vmedia", minVersion: 89, policy: "baremetal:node:vmedia:attach", handler: postVmedia },
  { method: "DELETE", path: "/v1/nodes/:node/vmedia", minVersion: 89, policy: "baremetal:node:vmedia:detach", handler: deleteVmedia },
  { method: "GET", path: "/v1/nodes/:node/vmedia", minVersion: 93, policy: "baremetal:node:vmedia:get", handler: getVmedia },
];

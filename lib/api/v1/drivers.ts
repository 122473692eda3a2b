// Drivers (reference §2.9): hardware types served by alive conductors. GET /v1/drivers
// (?type= and ?detail= 1.30, ?fields= 1.77), /v1/drivers/{name}, …/properties,
// …/raid/logical_disk_properties (1.12), …/vendor_passthru[/methods].
import { getHardwareType, driverDetail, driverProperties } from "../../core/drivers/registry.ts";
import { Invalid, NotAcceptable, NotFound } from "../../core/errors.ts";
import { driverHosts } from "../../core/services/conductors.ts";
import type { ApiDriver } from "../../shared/wire.ts";
import { json, links, parseBool, type ApiContext } from "../http.ts";
import type { RouteDef } from "../router.ts";
import { requirePolicy } from "./resource_common.ts";

/** Interface kinds in the order Ironic 21.4 emits the detail keys; firmware (1.86) follows them. */
const DETAIL_KINDS = ["boot", "management", "rescue", "raid", "bios", "deploy", "vendor", "network", "power", "storage", "console", "inspect", "firmware"] as const;
const KIND_MINOR: Partial<Record<(typeof DETAIL_KINDS)[number], number>> = { firmware: 86 };

export { driverHosts };

function interfaceDetail(name: string, minor: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let detail: Record<string, unknown> | null = null;
  if (getHardwareType(name)) detail = driverDetail(name) as unknown as Record<string, unknown>;
  for (const kind of DETAIL_KINDS) {
    if (minor < (KIND_MINOR[kind] ?? 30)) continue;
    out[`default_${kind}_interface`] = detail?.[`default_${kind}_interface`] ?? null;
    out[`enabled_${kind}_interfaces`] = detail?.[`enabled_${kind}_interfaces`] ?? null;
  }
  return out;
}

const DETAIL_FIELDS = DETAIL_KINDS.flatMap((k) => [`default_${k}_interface`, `enabled_${k}_interfaces`]);
const VALID_FIELDS = ["name", "hosts", "type", "properties", ...DETAIL_FIELDS];

/** One driver as Ironic shows it at ctx.minor. */
export function driverView(ctx: ApiContext, name: string, hosts: string[], detail: boolean, fields: string[] | null = null): Record<string, unknown> {
  const out: ApiDriver & Record<string, unknown> = { name, hosts, links: links(ctx.base, `drivers/${name}`) };
  if (ctx.minor >= 14) out.properties = links(ctx.base, `drivers/${name}/properties`);
  if (ctx.minor >= 30) {
    out.type = "dynamic";
    if (detail) Object.assign(out, interfaceDetail(name, ctx.minor));
  }
  if (fields) {
    for (const k of Object.keys(out)) if (k !== "links" && !fields.includes(k)) delete out[k];
  }
  return out;
}

function parseDriverFields(ctx: ApiContext): string[] | null {
  const raw = ctx.url.searchParams.get("fields");
  if (raw === null) return null;
  if (ctx.minor < 77) throw new NotAcceptable("Request not acceptable.");
  const fields = raw.split(",").map((f) => f.trim()).filter(Boolean);
  const bad = fields.filter((f) => !VALID_FIELDS.includes(f));
  if (bad.length) throw new Invalid(`Field(s) "${bad.join(", ")}" are not valid`);
  if (ctx.minor < 86 && fields.some((f) => f.includes("_firmware_"))) throw new NotAcceptable("Request not acceptable.");
  return fields;
}

function parseDetail(ctx: ApiContext): boolean {
  const raw = ctx.url.searchParams.get("detail");
  if (raw === null) return false;
  if (ctx.minor < 30) throw new NotAcceptable("Request not acceptable. The minimal required API version should be 1.30");
  return parseBool("detail", raw);
}

async function listDrivers(ctx: ApiContext): Promise<Response> {
  const q = ctx.url.searchParams;
  const type = q.get("type");
  if (type !== null) {
    if (ctx.minor < 30) throw new NotAcceptable("Request not acceptable. The minimal required API version should be 1.30");
    if (type !== "classic" && type !== "dynamic") throw new Invalid('"type" filter must be one of "classic" or "dynamic", if specified.');
  }
  const detail = parseDetail(ctx);
  const fields = parseDriverFields(ctx);
  if (fields && detail) throw new Invalid("Can not specify ?detail=True and fields in the same request.");
  // Every Ingot driver is a hardware type ("dynamic"); there are no classic drivers.
  const drivers = type === "classic" ? [] : [...(await driverHosts()).entries()];
  return json(ctx, { drivers: drivers.map(([name, hosts]) => driverView(ctx, name, hosts, detail, fields)) });
}

async function hostsOrNotFound(name: string): Promise<string[]> {
  const hosts = (await driverHosts()).get(name);
  if (!hosts) throw new NotFound(`Could not find the following driver(s) or hardware type(s): ${name}.`);
  return hosts;
}

async function getDriver(ctx: ApiContext): Promise<Response> {
  const name = ctx.params.driver;
  const fields = parseDriverFields(ctx);
  const hosts = await hostsOrNotFound(name);
  return json(ctx, driverView(ctx, name, hosts, true, fields));
}

async function knownDriver(name: string): Promise<void> {
  if (!(await driverHosts()).has(name) || !getHardwareType(name)) throw new NotFound(`The driver '${name}' is unknown.`);
}

async function properties(ctx: ApiContext): Promise<Response> {
  const name = ctx.params.driver;
  await knownDriver(name);
  return json(ctx, driverProperties(name));
}

/** The generic RAID logical-disk schema every RAID-capable interface accepts. */
export const RAID_LOGICAL_DISK_PROPERTIES: Record<string, string> = {
  raid_level: "RAID level for the logical disk. Valid values are 'JBOD', '0', '1', '2', '5', '6', '1+0', '5+0' and '6+0'. Required.",
  size_gb: "Size in GiB (Integer) for the logical disk. Use 'MAX' as size_gb if this logical disk is supposed to use the rest of the space available. Required.",
  volume_name: "Name of the volume to be created. If this is not specified, it will be auto-generated. Optional.",
  is_root_volume: "Specifies whether this disk is a root volume. By default, this is False. Optional.",
  share_physical_disks: "Specifies whether other logical disks can share physical disks with this logical disk. By default, this is False. Optional.",
  disk_type: "The type of disk preferred. Valid values are 'hdd' and 'ssd'. If this is not specified, disk type will not be a selection criterion for choosing backing physical disks. Optional.",
  interface_type: "The interface type of disk. Valid values are 'sata', 'scsi' and 'sas'. If this is not specified, interface type will not be a selection criterion for choosing backing physical disks. Optional.",
  number_of_physical_disks: "Number of physical disks to use for this logical disk. By default, the driver uses the minimum number of disks required for that RAID level. Optional.",
  controller: "Controller to use for this logical disk. If not specified, the driver will choose a suitable RAID controller on the bare metal node. Optional.",
  physical_disks: "The physical disks to use for this logical disk. If not specified, the driver will choose suitable physical disks to use. Optional.",
};

async function raidProperties(ctx: ApiContext): Promise<Response> {
  const name = ctx.params.driver;
  if (ctx.minor < 12) throw new NotAcceptable("Request not acceptable.");
  await knownDriver(name);
  const raid = driverDetail(name).default_raid_interface;
  if (raid === "no-raid") {
    throw new Invalid(`Driver ${name} does not support raid (disabled or not implemented).`);
  }
  return json(ctx, RAID_LOGICAL_DISK_PROPERTIES);
}

async function vendorMethods(ctx: ApiContext): Promise<Response> {
  await knownDriver(ctx.params.driver);
  // No Ingot hardware type offers driver-level vendor passthru methods.
  return json(ctx, {});
}

async function vendorPassthru(ctx: ApiContext): Promise<Response> {
  requirePolicy("baremetal:driver:vendor_passthru", ctx.principal);
  await knownDriver(ctx.params.driver);
  const method = ctx.url.searchParams.get("method");
  if (!method) throw new Invalid("Missing mandatory parameter: method");
  throw new Invalid(`No handler for method ${method}`);
}

const GET = { policy: "baremetal:driver:get" } as const;

export const routes: RouteDef[] = [
  { method: "GET", path: "/v1/drivers", ...GET, handler: listDrivers },
  { method: "GET", path: "/v1/drivers/:driver", ...GET, handler: getDriver },
  { method: "GET", path: "/v1/drivers/:driver/properties", policy: "baremetal:driver:get_properties", handler: properties },
  {
    method: "GET", path: "/v1/drivers/:driver/raid/logical_disk_properties",
    policy: "baremetal:driver:get_raid_logical_disk_properties", handler: raidProperties,
  },
  { method: "GET", path: "/v1/drivers/:driver/vendor_passthru/methods", policy: "baremetal:driver:vendor_passthru", handler: vendorMethods },
  ...(["GET", "POST", "PUT", "PATCH", "DELETE"] as const).map((method) => ({
    method, path: "/v1/drivers/:driver/vendor_passthru", handler: vendorPassthru,
  })),
];

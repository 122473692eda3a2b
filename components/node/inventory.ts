// The hardware view's reading of GET /v1/nodes/{n}/inventory (the agent's inventory format, set by
// inspection or by an agent). Inventories come from machines and from users (PUT by hand, rules),
// so every field is optional and of any type here: what is missing or odd shows as "—". Pure: unit-tested.

export interface InventorySummary {
  system: { manufacturer: string | null; product: string | null; serial: string | null; firmware: string | null };
  cpu: { model: string | null; count: number | null; sockets: number | null; architecture: string | null; frequencyMhz: number | null } | null;
  memory: { physicalMb: number | null; totalBytes: number | null } | null;
  disks: { name: string; model: string | null; vendor: string | null; sizeBytes: number | null; rotational: boolean | null; serial: string | null; wwn: string | null }[];
  nics: { name: string; mac: string | null; ipv4: string | null; ipv6: string | null; carrier: boolean | null; speedMbps: number | null; pxe: boolean }[];
  bmc: { v4: string | null; v6: string | null };
  bootMode: string | null;
  pxeMac: string | null;
  hostname: string | null;
}

type Obj = Record<string, unknown>;

const obj = (v: unknown): Obj | null => (v && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : null);
const str = (v: unknown): string | null => (typeof v === "string" && v.trim() !== "" ? v : typeof v === "number" ? String(v) : null);
const num = (v: unknown): number | null => {
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
};
const bool = (v: unknown): boolean | null => (typeof v === "boolean" ? v : null);
/** The agent reports "no address" as "0.0.0.0" / "::/0". */
const address = (v: unknown): string | null => {
  const s = str(v);
  return s && s !== "0.0.0.0" && s !== "::/0" && s !== "::" ? s : null;
};

export function summarizeInventory(raw: unknown): InventorySummary {
  const inv = obj(raw) ?? {};
  const sv = obj(inv.system_vendor) ?? {};
  const fw = obj(sv.firmware);
  const firmware = fw ? [str(fw.vendor), str(fw.version), str(fw.build_date) && `(${str(fw.build_date)})`].filter(Boolean).join(" ") || null : null;
  const cpu = obj(inv.cpu);
  const mem = obj(inv.memory);
  const boot = obj(inv.boot) ?? {};
  const pxeMac = str(boot.pxe_interface)?.toLowerCase() ?? null;
  return {
    system: { manufacturer: str(sv.manufacturer), product: str(sv.product_name), serial: str(sv.serial_number), firmware },
    cpu: cpu
      ? { model: str(cpu.model_name), count: num(cpu.count), sockets: num(cpu.socket_count), architecture: str(cpu.architecture), frequencyMhz: num(cpu.frequency) }
      : null,
    memory: mem ? { physicalMb: num(mem.physical_mb), totalBytes: num(mem.total) } : null,
    disks: (Array.isArray(inv.disks) ? inv.disks : []).map(obj).filter((d): d is Obj => d !== null).map((d, i) => ({
      name: str(d.name) ?? `disk ${i + 1}`, model: str(d.model), vendor: str(d.vendor), sizeBytes: num(d.size), rotational: bool(d.rotational),
      serial: str(d.serial), wwn: str(d.wwn),
    })),
    nics: (Array.isArray(inv.interfaces) ? inv.interfaces : []).map(obj).filter((n): n is Obj => n !== null).map((n, i) => {
      const mac = str(n.mac_address)?.toLowerCase() ?? null;
      return {
        name: str(n.name) ?? `interface ${i + 1}`, mac, ipv4: address(n.ipv4_address), ipv6: address(n.ipv6_address), carrier: bool(n.has_carrier),
        speedMbps: num(n.speed_mbps), pxe: bool(n.pxe_enabled) ?? (mac !== null && mac === pxeMac),
      };
    }),
    bmc: { v4: address(inv.bmc_address), v6: address(inv.bmc_v6address) },
    bootMode: str(boot.current_boot_mode),
    pxeMac,
    hostname: str(inv.hostname),
  };
}

/** Bytes in binary units ("447.1 GiB", "1.8 TiB"); disks are sold in decimal units, so the GB figure is added for them. */
export function formatBytes(bytes: number | null, decimalToo = false): string {
  if (bytes === null || bytes < 0) return "—";
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  const binary = `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
  if (!decimalToo || bytes < 1e9) return binary;
  const gb = bytes / 1e9;
  return `${binary} (${gb >= 1000 ? `${(gb / 1000).toFixed(1)} TB` : `${Math.round(gb)} GB`})`;
}

export function formatMhz(mhz: number | null): string {
  if (mhz === null) return "—";
  return mhz >= 1000 ? `${(mhz / 1000).toFixed(2).replace(/\.?0+$/, "")} GHz` : `${mhz} MHz`;
}

// Hardware inventory in the format the Ironic Python Agent reports (reference §2.3, 1.81), what
// inspection derives from it (properties, the root disk), and the deterministic inventory the
// fake inspect interface "discovers".
import { createHash } from "node:crypto";
import type { Dict, NodeRecord } from "../db/nodes.ts";

export interface InventoryCpu {
  model_name: string | null;
  frequency: string | null;
  count: number;
  architecture: string;
  flags: string[];
  socket_count?: number | null;
}

export interface InventoryMemory {
  /** Usable RAM in bytes as the OS sees it. */
  total: number;
  /** Installed RAM in MiB (from DMI). */
  physical_mb: number;
}

export interface InventoryDisk {
  name: string;
  model: string | null;
  /** Bytes. */
  size: number;
  rotational: boolean;
  wwn: string | null;
  serial: string | null;
  vendor: string | null;
  wwn_with_extension?: string | null;
  wwn_vendor_extension?: string | null;
  hctl: string | null;
  by_path: string | null;
}

export interface InventoryInterface {
  name: string;
  mac_address: string;
  ipv4_address: string | null;
  ipv6_address: string | null;
  has_carrier: boolean;
  lldp: unknown[] | null;
  vendor: string | null;
  product: string | null;
  client_id?: string | null;
  biosdevname?: string | null;
  speed_mbps?: number | null;
  pxe_enabled?: boolean | null;
}

export interface Inventory {
  cpu: InventoryCpu;
  memory: InventoryMemory;
  disks: InventoryDisk[];
  interfaces: InventoryInterface[];
  boot: { current_boot_mode: "uefi" | "bios" | string; pxe_interface: string | null };
  system_vendor: {
    product_name: string | null;
    serial_number: string | null;
    manufacturer: string | null;
    firmware?: { vendor: string | null; version: string | null; build_date: string | null };
  };
  bmc_address: string | null;
  bmc_v6address: string | null;
  hostname: string | null;
  [extra: string]: unknown;
}

/** What an inspect interface hands back: the inventory and the inspection plugins' data. */
export interface InspectionData {
  inventory: Inventory;
  pluginData: Dict;
}

export const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
/** IPA's minimum root disk size. */
const MIN_ROOT_DISK = 4 * GiB;

/** Problems that make an inventory unusable (empty when fine), as short phrases. */
export function inventoryProblems(inv: unknown): string[] {
  if (!inv || typeof inv !== "object" || Array.isArray(inv)) return ["the inventory is not an object"];
  const i = inv as Dict;
  const out: string[] = [];
  const cpu = i.cpu as Dict | undefined;
  if (!cpu || typeof cpu !== "object") out.push("no cpu section");
  else if (typeof cpu.count !== "number" || cpu.count < 1) out.push("cpu.count is not a positive number");
  const mem = i.memory as Dict | undefined;
  if (!mem || typeof mem !== "object") out.push("no memory section");
  else if (typeof mem.physical_mb !== "number" && typeof mem.total !== "number") out.push("memory has neither physical_mb nor total");
  if (!Array.isArray(i.interfaces)) out.push("interfaces is not a list");
  else if (i.interfaces.some((n) => !n || typeof n !== "object" || typeof (n as Dict).mac_address !== "string")) {
    out.push("an interface has no mac_address");
  }
  if (i.disks !== undefined && !Array.isArray(i.disks)) out.push("disks is not a list");
  return out;
}

/** Memory in MiB: physical_mb when reported, else the OS total rounded up to 1 GiB. */
export function memoryMb(inv: Inventory): number | null {
  const m = inv.memory;
  if (typeof m?.physical_mb === "number" && m.physical_mb > 0) return Math.trunc(m.physical_mb);
  if (typeof m?.total === "number" && m.total > 0) return Math.ceil(m.total / GiB) * 1024;
  return null;
}

/** Whether a disk matches the node's root device hints (exact string/number hints only). */
function matchesHints(disk: InventoryDisk, hints: Dict): boolean {
  for (const [key, want] of Object.entries(hints)) {
    const have = (disk as unknown as Dict)[key];
    if (key === "size") {
      const gib = Math.floor(Number(disk.size) / GiB);
      const m = /^\s*(>=|<=|==|>|<)?\s*(\d+)\s*$/.exec(String(want));
      if (!m) return false;
      const n = Number(m[2]);
      const op = m[1] ?? "==";
      const ok = op === ">=" ? gib >= n : op === "<=" ? gib <= n : op === ">" ? gib > n : op === "<" ? gib < n : gib === n;
      if (!ok) return false;
    } else if (key === "rotational") {
      if (Boolean(have) !== (want === true || String(want).toLowerCase() === "true")) return false;
    } else if (have === undefined || have === null || String(have).toLowerCase() !== String(want).replace(/^\s*(s==|==)\s*/, "").toLowerCase()) {
      return false;
    }
  }
  return true;
}

/**
 * The root disk: the one the ramdisk reported (plugin_data.root_disk), else the one matching
 * properties.root_device, else the largest disk (of at least 4 GiB).
 */
export function rootDisk(inv: Inventory, pluginData: Dict, properties: Dict): InventoryDisk | null {
  const reported = pluginData.root_disk as InventoryDisk | undefined;
  if (reported && typeof reported === "object" && typeof reported.size === "number") return reported;
  const disks = (Array.isArray(inv.disks) ? inv.disks : []).filter((d) => d && typeof d.size === "number");
  const hints = properties.root_device;
  if (hints && typeof hints === "object" && !Array.isArray(hints)) {
    return disks.find((d) => matchesHints(d, hints as Dict)) ?? null;
  }
  const big = disks.filter((d) => d.size >= MIN_ROOT_DISK);
  if (!big.length) return null;
  return big.reduce((a, b) => (b.size > a.size ? b : a));
}

/** local_gb as Ironic computes it: whole GiB of the root disk minus 1 (partitioning slack). */
export function localGb(disk: InventoryDisk | null): number {
  if (!disk) return 0;
  return Math.max(0, Math.floor(disk.size / GiB) - 1);
}

/** The scheduling properties inspection sets. */
export function propertiesFromInventory(inv: Inventory, pluginData: Dict, properties: Dict): Dict {
  const out: Dict = {};
  if (typeof inv.cpu?.count === "number") out.cpus = inv.cpu.count;
  const mem = memoryMb(inv);
  if (mem !== null) out.memory_mb = mem;
  out.local_gb = localGb(rootDisk(inv, pluginData, properties));
  if (inv.cpu?.architecture) out.cpu_arch = inv.cpu.architecture;
  return out;
}

// ---- the fake hardware's inventory ----

/** Deterministic bytes for a node (sha256 of its uuid and a purpose). */
function bytesFor(uuid: string, purpose: string): Buffer {
  return createHash("sha256").update(`${uuid}/${purpose}`).digest();
}

const pick = <T>(list: readonly T[], byte: number): T => list[byte % list.length];

const CPU_MODELS = [
  "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz",
  "Intel(R) Xeon(R) Silver 4314 CPU @ 2.40GHz",
  "AMD EPYC 7543 32-Core Processor",
  "AMD EPYC 9354 32-Core Processor",
] as const;
const CPU_FLAGS = [
  "fpu", "vme", "de", "pse", "tsc", "msr", "pae", "mce", "cx8", "apic", "sep", "mtrr", "pge", "mca", "cmov", "pat",
  "pse36", "clflush", "mmx", "fxsr", "sse", "sse2", "ht", "syscall", "nx", "pdpe1gb", "rdtscp", "lm", "constant_tsc",
  "pni", "ssse3", "fma", "cx16", "sse4_1", "sse4_2", "x2apic", "popcnt", "aes", "xsave", "avx", "f16c", "rdrand",
  "avx2", "bmi1", "bmi2", "vmx", "smx", "ept", "vpid",
];
const SYSTEMS = [
  { manufacturer: "Dell Inc.", product_name: "PowerEdge R650", fw: "Dell Inc.", version: "1.9.2" },
  { manufacturer: "HPE", product_name: "ProLiant DL360 Gen10 Plus", fw: "HPE", version: "U46 v1.72" },
  { manufacturer: "Supermicro", product_name: "SYS-1029U-TRT", fw: "American Megatrends Inc.", version: "3.4" },
  { manufacturer: "Lenovo", product_name: "ThinkSystem SR630 V2", fw: "Lenovo", version: "AFE120G-1.20" },
] as const;
const DISK_MODELS = [
  { model: "SAMSUNG MZ7LH480", vendor: "ATA", size: 480103981056, rotational: false },
  { model: "INTEL SSDSC2KB96", vendor: "ATA", size: 960197124096, rotational: false },
  { model: "ST2000NM0055-1V4", vendor: "ATA", size: 2000398934016, rotational: true },
  { model: "MZ-7LH1T90", vendor: "ATA", size: 1920383410176, rotational: false },
] as const;

const hex = (b: Buffer, from: number, n: number) => b.subarray(from, from + n).toString("hex");

/** A MAC in a locally administered range derived from the node: 52:xx:xx:xx:xx:<nic>. */
export function fakeMac(uuid: string, nic: number): string {
  const b = bytesFor(uuid, "mac");
  return ["52", hex(b, 0, 1), hex(b, 1, 1), hex(b, 2, 1), hex(b, 3, 1), (nic & 0xff).toString(16).padStart(2, "0")].join(":");
}

function bmcAddress(node: Pick<NodeRecord, "driverInfo">, b: Buffer): string {
  const info = node.driverInfo ?? {};
  for (const key of ["ipmi_address", "redfish_address", "bmc_address"]) {
    const v = info[key];
    if (typeof v === "string" && v) {
      const host = v.replace(/^[a-z]+:\/\//i, "").replace(/[:/].*$/, "");
      if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) return host;
    }
  }
  return `10.0.${b[20] % 250}.${(b[21] % 250) + 2}`;
}

/** The inventory and plugin data the fake inspect interface reports for a node (same node → same data). */
export function fakeInspectionData(node: Pick<NodeRecord, "uuid" | "name" | "driverInfo">): InspectionData {
  const b = bytesFor(node.uuid, "inventory");
  const cpuModel = pick(CPU_MODELS, b[0]);
  const count = pick([4, 8, 16, 32, 48, 64], b[1]);
  const physicalMb = pick([16384, 32768, 65536, 131072, 262144], b[2]);
  const system = pick(SYSTEMS, b[3]);
  const diskCount = 1 + (b[4] % 3);
  const disks: InventoryDisk[] = [];
  for (let i = 0; i < diskCount; i++) {
    const d = pick(DISK_MODELS, b[5 + i]);
    const letter = String.fromCharCode(97 + i);
    disks.push({
      name: `/dev/sd${letter}`, model: d.model, size: d.size, rotational: d.rotational,
      wwn: `0x5${hex(b, 8 + i, 1)}${hex(bytesFor(node.uuid, `wwn${i}`), 0, 7).slice(1)}`,
      serial: `S${hex(bytesFor(node.uuid, `disk${i}`), 0, 6).toUpperCase()}`, vendor: d.vendor,
      wwn_with_extension: null, wwn_vendor_extension: null,
      hctl: `${i}:0:0:0`, by_path: `/dev/disk/by-path/pci-0000:00:17.0-ata-${i + 1}`,
    });
  }
  const nicCount = 2 + (b[11] % 2);
  const subnet = b[12] % 250;
  const interfaces: InventoryInterface[] = [];
  for (let i = 0; i < nicCount; i++) {
    const up = i === 0 || b[13 + i] % 2 === 0;
    interfaces.push({
      name: `eno${i + 1}`, mac_address: fakeMac(node.uuid, i + 1),
      ipv4_address: up ? `192.168.${subnet}.${(b[16 + i] % 250) + 2}` : null,
      ipv6_address: up ? `fe80::50:${hex(b, 16 + i, 2)}` : null,
      has_carrier: up, lldp: [], vendor: "0x8086", product: i < 2 ? "0x1572" : "0x1521",
      client_id: null, biosdevname: `em${i + 1}`, speed_mbps: i < 2 ? 10000 : 1000,
    });
  }
  const physicalBytes = physicalMb * MiB;
  const inventory: Inventory = {
    cpu: {
      model_name: cpuModel, frequency: pick(["2000.0000", "2400.0000", "2800.0000", "3250.0000"], b[17]), count,
      architecture: "x86_64", flags: CPU_FLAGS.filter((_f, i) => i < 40 || b[18] % 2 === 0), socket_count: count >= 32 ? 2 : 1,
    },
    memory: { total: physicalBytes - 512 * MiB, physical_mb: physicalMb },
    disks,
    interfaces,
    boot: { current_boot_mode: b[19] % 4 === 0 ? "bios" : "uefi", pxe_interface: interfaces[0].mac_address },
    system_vendor: {
      product_name: system.product_name, serial_number: hex(b, 22, 4).toUpperCase(), manufacturer: system.manufacturer,
      firmware: { vendor: system.fw, version: system.version, build_date: `0${1 + (b[26] % 9)}/1${b[27] % 10}/2025` },
    },
    bmc_address: bmcAddress(node, b),
    bmc_v6address: "::/0",
    hostname: node.name ?? `host-${node.uuid.slice(0, 8)}`,
  };
  const override = jsonObject(node.driverInfo?.fake_inventory);
  const merged = override ? (deepMerge(inventory, override) as Inventory) : inventory;
  // Overrides may be nonsense on purpose (tests of the validation): build plugin data defensively.
  const nics = (Array.isArray(merged.interfaces) ? merged.interfaces : []).filter((n) => n && typeof n === "object");
  const pluginData: Dict = {
    root_disk: ipaRootDisk(merged),
    all_interfaces: Object.fromEntries(nics.map((n) => [n.name, {
      ip: n.ipv4_address, mac: n.mac_address, client_id: n.client_id ?? null,
      pxe_enabled: n.mac_address === merged.boot?.pxe_interface,
    }])),
    valid_interfaces: Object.fromEntries(nics.filter((n) => n.ipv4_address).map((n) => [n.name, {
      ip: n.ipv4_address, mac: n.mac_address, client_id: n.client_id ?? null,
      pxe_enabled: n.mac_address === merged.boot?.pxe_interface,
    }])),
    macs: nics.filter((n) => n.ipv4_address).map((n) => n.mac_address),
  };
  const pdOverride = jsonObject(node.driverInfo?.fake_plugin_data);
  return { inventory: merged, pluginData: pdOverride ? (deepMerge(pluginData, pdOverride) as Dict) : pluginData };
}

/** The agent's root disk choice: the smallest disk of at least 4 GiB. */
function ipaRootDisk(inv: Inventory): InventoryDisk | null {
  const ok = (Array.isArray(inv.disks) ? inv.disks : []).filter((d) => typeof d?.size === "number" && d.size >= MIN_ROOT_DISK);
  if (!ok.length) return null;
  return ok.reduce((a, b) => (b.size < a.size ? b : a));
}

/** An object from a value that may be JSON text (driver_info set by the CLI holds strings). */
function jsonObject(v: unknown): Dict | null {
  if (typeof v === "string") {
    try {
      v = JSON.parse(v);
    } catch {
      return null;
    }
  }
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Dict) : null;
}

/** Objects merge key by key; anything else (lists included) is replaced. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!base || typeof base !== "object" || Array.isArray(base) || !over || typeof over !== "object" || Array.isArray(over)) {
    return over;
  }
  const out: Dict = { ...(base as Dict) };
  for (const [k, v] of Object.entries(over as Dict)) out[k] = deepMerge(out[k], v);
  return out;
}

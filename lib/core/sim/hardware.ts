// The simulated server's hardware, derived from the node's uuid (same uuid → same machine): system
// vendor and model, CPUs, memory, disks, NICs with stable MAC addresses, BMC address; and the
// inventory in the Ironic Python Agent format that inspection consumes.
import { createHash } from "node:crypto";
import type { Dict } from "../db/nodes.ts";
import type { InspectionData, Inventory } from "../inspection/inventory.ts";

export interface SimDisk {
  name: string;
  model: string;
  vendor: string;
  size: number;
  rotational: boolean;
  serial: string;
  wwn: string;
  hctl: string;
  byPath: string;
}

export interface SimNic {
  name: string;
  mac: string;
  ipv4: string | null;
  speedMbps: number;
  vendor: string;
  product: string;
  carrier: boolean;
  pci: string;
}

export interface SimHardware {
  manufacturer: string;
  product: string;
  serialNumber: string;
  serviceTag: string;
  firmwareVendor: string;
  firmwareVersion: string;
  firmwareDate: string;
  cpu: { model: string; sockets: number; cores: number; threads: number; mhz: number; flags: string[] };
  memoryMb: number;
  disks: SimDisk[];
  nics: SimNic[];
  bmcAddress: string;
  /** The provisioning network (DHCP/TFTP server) the machine netboots from. */
  provisioningServer: string;
}

const GiB = 1024 ** 3;

function bytes(uuid: string, purpose: string): Buffer {
  return createHash("sha256").update(`ingot-sim/${uuid}/${purpose}`).digest();
}
const pick = <T>(list: readonly T[], byte: number): T => list[byte % list.length];

const SYSTEMS = [
  { manufacturer: "Dell Inc.", product: "PowerEdge R660", fwVendor: "Dell Inc.", fw: "2.2.8" },
  { manufacturer: "HPE", product: "ProLiant DL360 Gen11", fwVendor: "HPE", fw: "U54 v2.16" },
  { manufacturer: "Supermicro", product: "SYS-121C-TN10R", fwVendor: "American Megatrends International, LLC.", fw: "2.1" },
  { manufacturer: "Lenovo", product: "ThinkSystem SR650 V3", fwVendor: "Lenovo", fw: "ESE122T-3.10" },
] as const;
const CPUS = [
  { model: "Intel(R) Xeon(R) Gold 6430", cores: 32, mhz: 2100 },
  { model: "Intel(R) Xeon(R) Silver 4410Y", cores: 12, mhz: 2000 },
  { model: "AMD EPYC 9354 32-Core Processor", cores: 32, mhz: 3250 },
  { model: "AMD EPYC 9124 16-Core Processor", cores: 16, mhz: 3000 },
] as const;
const DISKS = [
  { model: "SAMSUNG MZ7L3480", vendor: "ATA", size: 480103981056, rotational: false },
  { model: "MZ7L3960HCJR-00A07", vendor: "ATA", size: 960197124096, rotational: false },
  { model: "ST4000NM024B-2TF1", vendor: "ATA", size: 4000787030016, rotational: true },
  { model: "KIOXIA KCD8XRUG1T92", vendor: "NVMe", size: 1920383410176, rotational: false },
] as const;
const FLAGS = [
  "fpu", "vme", "de", "pse", "tsc", "msr", "pae", "mce", "cx8", "apic", "sep", "mtrr", "pge", "mca", "cmov", "pat", "pse36",
  "clflush", "mmx", "fxsr", "sse", "sse2", "ht", "syscall", "nx", "pdpe1gb", "rdtscp", "lm", "constant_tsc", "pni", "ssse3",
  "fma", "cx16", "sse4_1", "sse4_2", "x2apic", "popcnt", "aes", "xsave", "avx", "f16c", "rdrand", "avx2", "bmi1", "bmi2",
  "avx512f", "sha_ni",
];

const hex2 = (n: number) => n.toString(16).padStart(2, "0");

/** The machine's hardware; `driverInfo.sim_bmc_address` overrides the BMC address. */
export function simHardware(uuid: string, driverInfo: Dict = {}): SimHardware {
  const b = bytes(uuid, "hw");
  const sys = pick(SYSTEMS, b[0]);
  const cpu = pick(CPUS, b[1]);
  const sockets = b[2] % 3 === 0 ? 1 : 2;
  const memoryMb = pick([65536, 131072, 262144, 524288], b[3]);
  const diskCount = 1 + (b[4] % 3);
  const disks: SimDisk[] = [];
  for (let i = 0; i < diskCount; i++) {
    const d = pick(DISKS, b[5 + i]);
    const db = bytes(uuid, `disk${i}`);
    const nvme = d.vendor === "NVMe";
    disks.push({
      name: nvme ? `/dev/nvme${i}n1` : `/dev/sd${String.fromCharCode(97 + i)}`,
      model: d.model, vendor: d.vendor, size: d.size, rotational: d.rotational,
      serial: db.subarray(0, 6).toString("hex").toUpperCase(),
      wwn: `0x5${db.subarray(6, 14).toString("hex").slice(1)}`,
      hctl: `${i}:0:0:0`,
      byPath: nvme ? `/dev/disk/by-path/pci-0000:c${i}:00.0-nvme-1` : `/dev/disk/by-path/pci-0000:00:17.0-ata-${i + 1}`,
    });
  }
  const nicCount = 2 + (b[9] % 3);
  const mb = bytes(uuid, "mac");
  const subnet = b[10] % 250;
  const nics: SimNic[] = [];
  for (let i = 0; i < nicCount; i++) {
    const fast = i < 2;
    nics.push({
      name: `eno${i + 1}`,
      // Locally administered unicast range 02:…; 4 node bytes + the NIC index.
      mac: ["02", hex2(mb[0]), hex2(mb[1]), hex2(mb[2]), hex2(mb[3]), hex2(i + 1)].join(":"),
      ipv4: i === 0 ? `172.22.${subnet}.${(b[11] % 250) + 4}` : null,
      speedMbps: fast ? 25000 : 1000,
      vendor: fast ? "0x15b3" : "0x8086",
      product: fast ? "0x1017" : "0x1521",
      carrier: i === 0 || b[12 + i] % 2 === 0,
      pci: `0000:${hex2(0x18 + i)}:00.0`,
    });
  }
  const info = driverInfo.sim_bmc_address;
  const bmcAddress = typeof info === "string" && info ? info : `10.20.${b[20] % 250}.${(b[21] % 250) + 2}`;
  const serial = bytes(uuid, "serial").subarray(0, 4).toString("hex").toUpperCase();
  return {
    manufacturer: sys.manufacturer, product: sys.product, serialNumber: serial,
    serviceTag: serial.slice(0, 7), firmwareVendor: sys.fwVendor, firmwareVersion: sys.fw,
    firmwareDate: `${String(1 + (b[22] % 12)).padStart(2, "0")}/${10 + (b[23] % 18)}/2025`,
    cpu: { model: cpu.model, sockets, cores: cpu.cores * sockets, threads: cpu.cores * sockets * 2, mhz: cpu.mhz, flags: FLAGS },
    memoryMb, disks, nics, bmcAddress,
    provisioningServer: `172.22.${subnet}.1`,
  };
}

/** The inventory the deploy agent (or the BMC) reports, in the Ironic Python Agent format. */
export function simInventory(hw: SimHardware, opts: { bootMode: "uefi" | "bios"; hostname: string | null }): InspectionData {
  const inventory: Inventory = {
    cpu: {
      model_name: hw.cpu.model, frequency: `${hw.cpu.mhz}.0000`, count: hw.cpu.threads, architecture: "x86_64",
      flags: [...hw.cpu.flags], socket_count: hw.cpu.sockets,
    },
    memory: { total: hw.memoryMb * 1024 * 1024 - 2 * GiB, physical_mb: hw.memoryMb },
    disks: hw.disks.map((d) => ({
      name: d.name, model: d.model, size: d.size, rotational: d.rotational, wwn: d.wwn, serial: d.serial, vendor: d.vendor,
      wwn_with_extension: d.wwn, wwn_vendor_extension: null, hctl: d.hctl, by_path: d.byPath,
    })),
    interfaces: hw.nics.map((n) => ({
      name: n.name, mac_address: n.mac, ipv4_address: n.ipv4, ipv6_address: n.carrier ? `fe80::${n.mac.split(":").slice(2).join("")}` : null,
      has_carrier: n.carrier, lldp: [], vendor: n.vendor, product: n.product, client_id: null, biosdevname: n.name.replace("eno", "em"),
      speed_mbps: n.speedMbps, pxe_enabled: n === hw.nics[0],
    })),
    boot: { current_boot_mode: opts.bootMode, pxe_interface: hw.nics[0].mac },
    system_vendor: {
      product_name: hw.product, serial_number: hw.serialNumber, manufacturer: hw.manufacturer,
      firmware: { vendor: hw.firmwareVendor, version: hw.firmwareVersion, build_date: hw.firmwareDate },
    },
    bmc_address: hw.bmcAddress,
    bmc_v6address: "::/0",
    hostname: opts.hostname,
  };
  const root = [...inventory.disks].filter((d) => d.size >= 4 * GiB).sort((a, c) => a.size - c.size)[0] ?? null;
  const nicInfo = (n: (typeof inventory.interfaces)[number]) => ({
    ip: n.ipv4_address, mac: n.mac_address, client_id: null, pxe_enabled: n.mac_address === hw.nics[0].mac,
  });
  const pluginData: Dict = {
    root_disk: root,
    all_interfaces: Object.fromEntries(inventory.interfaces.map((n) => [n.name, nicInfo(n)])),
    valid_interfaces: Object.fromEntries(inventory.interfaces.filter((n) => n.ipv4_address).map((n) => [n.name, nicInfo(n)])),
    macs: inventory.interfaces.filter((n) => n.ipv4_address).map((n) => n.mac_address),
  };
  return { inventory, pluginData };
}

export function formatBytes(n: number): string {
  if (n >= 1e12) return `${(n / 1e12).toFixed(1)} TB`;
  return `${Math.round(n / 1e9)} GB`;
}

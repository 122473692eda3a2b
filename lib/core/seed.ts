// The demo fleet: N nodes spread over realistic states and owners, with ports, traits and history
// for the transitions they went through. Rows are inserted directly, in batches, inside one
// transaction (10,000 nodes take a few seconds). When the `sim` hardware type is enabled the
// nodes are `sim` nodes — simulated servers that really power on, deploy, and show their serial
// console and screen (active ones are running their OS; some have their console enabled) —
// otherwise `fake-hardware` nodes.
import { createHash, randomUUID } from "node:crypto";
import type { Sql, SqlValue } from "./db/sql.ts";
import type { HistoryMessageKind } from "./history.ts";
import { config } from "./config.ts";
import { STATES, type ProvisionState } from "./states.ts";
import { ensureProject } from "./users.ts";

export interface SeedOptions {
  /** PRNG seed: the same seed and size give the same fleet (except uuids). Default 42. */
  seed?: number;
  /** Name prefix; nodes are `${prefix}-0001`, … Default "demo". */
  prefix?: string;
  /** Conductor host written into history rows. */
  conductor?: string;
  /** Hardware type of the nodes. Default: `sim` when it is enabled, else `fake-hardware`. */
  driver?: "fake-hardware" | "sim";
  /** Report progress (nodes done so far). */
  onProgress?: (done: number, total: number) => void;
}

export interface SeedResult {
  nodes: number;
  driver: "fake-hardware" | "sim";
  ports: number;
  history: number;
  first: string | null;
  last: string | null;
  ms: number;
}

/** The projects the demo fleet is spread over (owner / lessee). */
export const DEMO_PROJECTS = [
  { name: "infra", description: "Platform infrastructure team (owns most hardware)" },
  { name: "research", description: "Research computing" },
  { name: "web", description: "Web frontends" },
  { name: "ml", description: "Machine learning training" },
] as const;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
function weighted<T>(r: Rand, table: readonly [T, number][]): T {
  const total = table.reduce((s, [, w]) => s + w, 0);
  let x = r() * total;
  for (const [v, w] of table) {
    x -= w;
    if (x < 0) return v;
  }
  return table[table.length - 1][0];
}

const STATE_MIX: readonly [ProvisionState, number][] = [
  ["available", 34], ["active", 38], ["manageable", 10], ["enroll", 5], ["deploy failed", 3],
  ["clean failed", 2.5], ["inspect failed", 1.5], ["error", 1], ["rescue", 1], ["adopt failed", 0.5],
];

const FLAVORS = [
  { rc: "baremetal.small", cpus: 16, memory_mb: 65536, local_gb: 480, arch: "x86_64", traits: ["HW_CPU_X86_AVX2"] },
  { rc: "baremetal.medium", cpus: 32, memory_mb: 131072, local_gb: 960, arch: "x86_64", traits: ["HW_CPU_X86_AVX2", "HW_CPU_X86_AVX512F"] },
  { rc: "baremetal.large", cpus: 64, memory_mb: 524288, local_gb: 3840, arch: "x86_64", traits: ["HW_CPU_X86_AVX2", "HW_CPU_X86_AVX512F", "CUSTOM_NVME"] },
  { rc: "baremetal.gpu", cpus: 48, memory_mb: 393216, local_gb: 1920, arch: "x86_64", traits: ["HW_CPU_X86_AVX2", "CUSTOM_GPU_A100", "CUSTOM_NVME"] },
  { rc: "baremetal.arm", cpus: 80, memory_mb: 262144, local_gb: 960, arch: "aarch64", traits: ["HW_CPU_AARCH64_ASIMD"] },
] as const;
const FLAVOR_MIX: readonly [number, number][] = [[0, 30], [1, 35], [2, 15], [3, 10], [4, 10]];

const IMAGES = [
  { name: "ubuntu-24.04", id: "5b0b7a1e-8f3c-4f0e-9a57-0e5e1b6f9a24" },
  { name: "rocky-9.5", id: "9c1d2e3f-4a5b-4c6d-8e7f-a0b1c2d3e4f5" },
  { name: "debian-12", id: "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0" },
  { name: "flatcar-stable", id: "6a7b8c9d-0e1f-4a2b-9c3d-4e5f6a7b8c9d" },
] as const;

const DEPLOY_ERRORS = [
  "Deploy step deploy.write_image failed: image checksum mismatch (expected sha256 9f2c…, got 41aa…)",
  "Timeout reached while waiting for callback for node (wait call-back)",
  "Failed to prepare to deploy: could not attach VIF, port binding failed on physnet1",
] as const;
const CLEAN_ERRORS = [
  "Clean step erase_devices_metadata failed: device /dev/sdb is busy",
  "Timeout reached while cleaning the node. Please check if the ramdisk responsible for the cleaning is running on the node.",
] as const;
const INSPECT_ERRORS = ["Inspection timed out after 1800 seconds", "BMC did not answer: connection refused (10.20.x.x:623)"] as const;
const MAINT_REASONS = [
  "Replacing failed DIMM (ticket OPS-4412)", "Fan alarm on chassis", "Firmware upgrade scheduled", "Disk SMART warnings",
] as const;

const INTERFACES = {
  biosInterface: "fake", bootInterface: "fake", consoleInterface: "fake", deployInterface: "fake",
  firmwareInterface: "fake", inspectInterface: "fake", managementInterface: "fake", networkInterface: "noop",
  powerInterface: "fake", raidInterface: "fake", rescueInterface: "fake", storageInterface: "noop", vendorInterface: "fake",
};

const SIM_INTERFACES = {
  biosInterface: "sim", bootInterface: "sim", consoleInterface: "sim-serial", deployInterface: "sim",
  firmwareInterface: "no-firmware", inspectInterface: "sim", managementInterface: "sim", networkInterface: "noop",
  powerInterface: "sim", raidInterface: "sim", rescueInterface: "sim", storageInterface: "noop", vendorInterface: "no-vendor",
};

const NODE_COLUMNS = [
  "uuid", "name", "driver", "driverInfo", "driverInternalInfo", "properties", "instanceInfo", "instanceUuid",
  "instanceName", "powerState", "provisionState", "targetProvisionState", "provisionUpdatedAt", "maintenance",
  "maintenanceReason", "fault", "lastError", "resourceClass", ...Object.keys(INTERFACES), "conductorGroup", "owner",
  "lessee", "description", "bootMode", "extra", "consoleEnabled", "createdAt", "updatedAt",
] as const;
const PORT_COLUMNS = ["uuid", "address", "nodeId", "extra", "internalInfo", "pxeEnabled", "localLinkConnection", "physicalNetwork", "createdAt"] as const;
const TRAIT_COLUMNS = ["nodeId", "trait", "createdAt"] as const;
const HISTORY_COLUMNS = [
  "uuid", "nodeId", "event", "eventType", "severity", "user", "project", "conductor", "state", "targetProvisionState",
  "durationSeconds", "createdAt", "kind",
] as const;

interface HistoryRow {
  /** Seeded rows summarise a stretch of life in free text: no transition or step rows. */
  kind: HistoryMessageKind;
  event: string;
  eventType: string;
  severity: "INFO" | "ERROR";
  user: string | null;
  state: string;
  target: string | null;
  duration: number | null;
  at: Date;
}

interface PlannedNode {
  row: Record<string, SqlValue>;
  rack: string;
  ports: { switchPort: string; physnet: string }[];
  traits: string[];
  history: HistoryRow[];
}

function mac(n: number): string {
  // Locally administered prefix 52:54:xx; 32 bits of index → unique for 4 billion ports.
  const b = [0x52, 0x54, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
  return b.map((x) => x.toString(16).padStart(2, "0")).join(":");
}

/** History of how a node reached its current state, oldest first, ending at `now`-ish. */
function plannedHistory(r: Rand, state: ProvisionState, created: Date, now: number): HistoryRow[] {
  const out: HistoryRow[] = [];
  let t = created.getTime() + 60_000;
  const step = (event: string, eventType: string, st: string, target: string | null, dur: number | null, severity: "INFO" | "ERROR" = "INFO", user: string | null = "admin") => {
    t += Math.floor(r() * 3 * 86_400_000) + 600_000;
    if (t > now - 60_000) t = now - 60_000 - Math.floor(r() * 3_600_000);
    const kind: HistoryMessageKind = severity === "ERROR" ? "operation_failed" : eventType === "introspection" ? "inspection" : "note";
    out.push({ kind, event, eventType, severity, user, state: st, target, duration: dur, at: new Date(t) });
  };
  if (state === "enroll") return out;
  step("Node verified: BMC credentials accepted", "verify", "manageable", null, 4 + Math.floor(r() * 20));
  if (state === "manageable") {
    if (r() < 0.5) step("Inspection finished: 2 interfaces, 4 disks discovered", "introspection", "manageable", null, 240 + Math.floor(r() * 600));
    return out;
  }
  if (state === "inspect failed") {
    step(pick(r, INSPECT_ERRORS), "introspection", "inspect failed", "manageable", 1800, "ERROR");
    return out;
  }
  if (state === "adopt failed") {
    step("Adoption failed: the deploy interface could not validate instance_info", "adoption", "adopt failed", "active", 3, "ERROR");
    return out;
  }
  step("Inspection finished: 2 interfaces, 4 disks discovered", "introspection", "manageable", null, 240 + Math.floor(r() * 600));
  if (state === "clean failed") {
    step(pick(r, CLEAN_ERRORS), "provisioning", "clean failed", "available", 900 + Math.floor(r() * 900), "ERROR");
    return out;
  }
  step("Automated cleaning finished", "provisioning", "available", null, 600 + Math.floor(r() * 1200));
  if (state === "available") {
    if (r() < 0.3) {
      step("Deployment finished", "provisioning", "active", null, 420 + Math.floor(r() * 400), "INFO", "nova");
      step("Undeploy requested; automated cleaning finished", "unprovision", "available", null, 700 + Math.floor(r() * 900), "INFO", "nova");
    }
    return out;
  }
  if (state === "deploy failed") {
    step(pick(r, DEPLOY_ERRORS), "provisioning", "deploy failed", "active", 300 + Math.floor(r() * 1500), "ERROR", "nova");
    return out;
  }
  if (state === "error") {
    step("Deployment finished", "provisioning", "active", null, 420 + Math.floor(r() * 400), "INFO", "nova");
    step("Tear down failed: power off did not complete in 120 seconds", "unprovision", "error", null, 120, "ERROR", "nova");
    return out;
  }
  step("Deployment finished", "provisioning", "active", null, 420 + Math.floor(r() * 400), "INFO", "nova");
  if (state === "rescue") step("Rescue finished: rescue ramdisk is running", "provisioning", "rescue", null, 180 + Math.floor(r() * 120), "INFO", "admin");
  return out;
}

function planNode(r: Rand, index: number, prefix: string, projects: { id: string; name: string }[], now: number, driver: "fake-hardware" | "sim"): PlannedNode {
  const sim = driver === "sim";
  const name = `${prefix}-${String(index).padStart(4, "0")}`;
  const uuid = randomUUID();
  const state = weighted(r, STATE_MIX);
  const flavor = FLAVORS[weighted(r, FLAVOR_MIX)];
  const created = new Date(now - Math.floor((30 + r() * 330) * 86_400_000));
  const infra = projects.find((p) => p.name === "infra")!;
  const owner = r() < 0.1 ? null : r() < 0.7 ? infra : pick(r, projects);
  const tenants = projects.filter((p) => p.id !== owner?.id);
  const rack = Math.floor(index / 40) + 1;
  const slot = (index % 40) + 1;
  const bmc = `10.${20 + (Math.floor(index / 65_000) % 200)}.${Math.floor(index / 250) % 256}.${(index % 250) + 2}`;

  const history = plannedHistory(r, state, created, now);
  const last = history[history.length - 1];
  const failure = STATES[state].kind === "failure" || state === "error";

  let powerState: string | null;
  if (state === "enroll") powerState = r() < 0.5 ? null : "power off";
  else if (state === "active" || state === "rescue") powerState = r() < 0.97 ? "power on" : "power off";
  else if (failure) powerState = r() < 0.5 ? "power on" : "power off";
  else powerState = "power off";

  let instanceInfo: Record<string, unknown> = {};
  let instanceUuid: string | null = null;
  let instanceName: string | null = null;
  let lessee: { id: string; name: string } | null = null;
  if (state === "active" || state === "rescue" || state === "deploy failed" || state === "error") {
    const img = pick(r, IMAGES);
    lessee = r() < 0.5 && tenants.length ? pick(r, tenants) : null;
    const tenant = lessee ?? owner ?? infra;
    instanceName = `${tenant.name}-${pick(r, ["app", "db", "batch", "train", "cache", "k8s"])}-${String(index % 1000).padStart(3, "0")}`;
    instanceUuid = state === "deploy failed" ? null : randomUUID();
    instanceInfo = {
      // sim machines show the OS named by the image (lib/core/sim): give them names, not Glance ids.
      image_source: sim ? `http://images.local/${img.name}.qcow2` : img.id,
      image_os_hash_algo: "sha256",
      image_os_hash_value: createHash("sha256").update(img.name).digest("hex"),
      root_gb: String(Math.min(flavor.local_gb, 100)),
      display_name: instanceName,
      project_id: tenant.id,
      capabilities: { boot_mode: "uefi" },
    };
  }

  let lastError: string | null = null;
  if (failure) lastError = [...history].reverse().find((h) => h.severity === "ERROR")?.event ?? "Unknown failure";
  const maintenance = r() < (failure ? 0.25 : 0.04);
  const maintenanceReason = maintenance ? pick(r, MAINT_REASONS) : null;
  const fault = maintenance && r() < 0.3 ? "power failure" : null;

  // sim: 1 in 5 nodes has a graphical console; a third of the running instances have their
  // console enabled (as an operator would have left them).
  const consoleInterface = sim ? (r() < 0.2 ? "sim-graphical" : "sim-serial") : INTERFACES.consoleInterface;
  const consoleEnabled = sim && state === "active" && powerState === "power on" && r() < 0.35;
  const row: Record<string, SqlValue> = {
    uuid, name, driver,
    driverInfo: JSON.stringify({
      bmc_address: bmc, bmc_username: "ingot", bmc_password: `demo-${createHash("md5").update(name).digest("hex").slice(0, 10)}`,
      deploy_kernel: "http://images.local/ipa/ipa.kernel", deploy_ramdisk: "http://images.local/ipa/ipa.initramfs",
    }),
    driverInternalInfo: JSON.stringify(state === "enroll" ? {} : { is_whole_disk_image: true, agent_version: "10.1.0" }),
    properties: JSON.stringify({
      cpus: flavor.cpus, memory_mb: flavor.memory_mb, local_gb: flavor.local_gb, cpu_arch: flavor.arch,
      capabilities: "boot_mode:uefi",
    }),
    instanceInfo: JSON.stringify(instanceInfo),
    instanceUuid, instanceName,
    powerState,
    provisionState: state,
    targetProvisionState: STATES[state].kind === "stable" ? null : STATES[state].target,
    provisionUpdatedAt: last?.at ?? created,
    maintenance, maintenanceReason, fault, lastError,
    resourceClass: state === "enroll" && r() < 0.5 ? null : flavor.rc,
    ...(sim ? SIM_INTERFACES : INTERFACES),
    consoleInterface,
    consoleEnabled,
    conductorGroup: "",
    owner: owner?.id ?? null,
    lessee: lessee?.id ?? null,
    description: `Rack R${String(rack).padStart(2, "0")} U${slot} · ${flavor.rc.replace("baremetal.", "")}`,
    bootMode: state === "enroll" ? null : "uefi",
    extra: JSON.stringify({ rack: `R${String(rack).padStart(2, "0")}`, slot }),
    createdAt: created,
    updatedAt: last?.at ?? null,
  };
  const nports = r() < 0.6 ? 2 : 1;
  const ports = Array.from({ length: nports }, (_, p) => ({
    switchPort: `Ethernet${slot}/${p + 1}`, physnet: p === 0 ? "physnet1" : "physnet2",
  }));
  const traits: string[] = [...flavor.traits];
  if (r() < 0.3) traits.push("CUSTOM_RAID1");
  if (r() < 0.2) traits.push("CUSTOM_SECURE_BOOT");
  return { row, rack: `R${String(rack).padStart(2, "0")}`, ports, traits, history };
}

async function insertRows(sql: Sql, table: string, columns: readonly string[], rows: SqlValue[][]): Promise<void> {
  if (!rows.length) return;
  // Keep under SQLite's 32766 and PostgreSQL's 65535 bound-parameter limits.
  const per = Math.max(1, Math.floor(8000 / columns.length));
  const cols = columns.map((c) => `"${c}"`).join(", ");
  const tuple = `(${columns.map(() => "?").join(", ")})`;
  for (let i = 0; i < rows.length; i += per) {
    const chunk = rows.slice(i, i + per);
    await sql.run(`INSERT INTO "${table}" (${cols}) VALUES ${chunk.map(() => tuple).join(", ")}`, chunk.flat());
  }
}

/** Creates `n` demo nodes (continuing the numbering of existing `${prefix}-NNNN` nodes). */
export async function seedFleet(sql: Sql, n: number, opts: SeedOptions = {}): Promise<SeedResult> {
  const started = Date.now();
  const prefix = opts.prefix ?? "demo";
  const driver = opts.driver ?? (config().enabledHardwareTypes.includes("sim") ? "sim" : "fake-hardware");
  const r = mulberry32(opts.seed ?? 42);
  const conductor = opts.conductor ?? "ingot-demo";
  let portCount = 0;
  let historyCount = 0;
  let first: string | null = null;
  let last: string | null = null;
  if (!Number.isInteger(n) || n < 0) throw new Error("the number of nodes must be a non-negative integer");

  await sql.tx(async (tx) => {
    const projects: { id: string; name: string }[] = [];
    for (const p of DEMO_PROJECTS) projects.push(await ensureProject(tx, p.name, p.description));

    const existing = await tx.all<{ name: string }>(`SELECT "name" FROM "Node" WHERE "name" LIKE ?`, [`${prefix}-%`]);
    let start = 1;
    for (const e of existing) {
      const m = /-(\d+)$/.exec(e.name);
      if (m) start = Math.max(start, Number(m[1]) + 1);
    }
    const maxPort = await tx.get<{ n: number | string | null }>(`SELECT COUNT(*) AS n FROM "Port"`);
    let macIndex = Number(maxPort?.n ?? 0) * 7 + 0x10000 + (start - 1) * 4;
    const now = Date.now();

    const BATCH = 500;
    for (let b = 0; b < n; b += BATCH) {
      const planned: PlannedNode[] = [];
      for (let i = b; i < Math.min(n, b + BATCH); i++) planned.push(planNode(r, start + i, prefix, projects, now, driver));
      await insertRows(tx, "Node", NODE_COLUMNS, planned.map((p) => NODE_COLUMNS.map((c) => p.row[c])));
      const uuids = planned.map((p) => p.row.uuid as string);
      const ids = new Map<string, number>();
      for (let i = 0; i < uuids.length; i += 900) {
        const chunk = uuids.slice(i, i + 900);
        const rows = await tx.all<{ id: number; uuid: string }>(
          `SELECT "id", "uuid" FROM "Node" WHERE "uuid" IN (${chunk.map(() => "?").join(",")})`, chunk);
        for (const row of rows) ids.set(row.uuid, Number(row.id));
      }
      const portRows: SqlValue[][] = [];
      const traitRows: SqlValue[][] = [];
      const historyRows: SqlValue[][] = [];
      for (const p of planned) {
        const nodeId = ids.get(p.row.uuid as string)!;
        const created = p.row.createdAt as Date;
        for (const port of p.ports) {
          portRows.push([
            randomUUID(), mac(macIndex++), nodeId, "{}", "{}", true,
            JSON.stringify({ switch_id: "0a:1b:2c:3d:4e:5f", port_id: port.switchPort, switch_info: `tor-${p.rack.toLowerCase()}` }),
            port.physnet, created,
          ]);
        }
        for (const t of p.traits) traitRows.push([nodeId, t, created]);
        for (const h of p.history) {
          const project = h.user === "nova" ? (JSON.parse(p.row.instanceInfo as string).project_id ?? null) : null;
          historyRows.push([
            randomUUID(), nodeId, h.event, h.eventType, h.severity, h.user, project, conductor, h.state, h.target, h.duration, h.at, h.kind,
          ]);
        }
      }
      await insertRows(tx, "Port", PORT_COLUMNS, portRows);
      await insertRows(tx, "NodeTrait", TRAIT_COLUMNS, traitRows);
      await insertRows(tx, "NodeHistory", HISTORY_COLUMNS, historyRows);
      portCount += portRows.length;
      historyCount += historyRows.length;
      first ??= planned[0]?.row.name as string;
      last = (planned[planned.length - 1]?.row.name as string) ?? last;
      opts.onProgress?.(Math.min(n, b + BATCH), n);
    }
  });
  return { nodes: n, driver, ports: portCount, history: historyCount, first, last, ms: Date.now() - started };
}

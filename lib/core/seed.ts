// The demo fleet: N nodes spread over realistic states and owners, with ports, traits and history
// for the transitions they went through (walked through the transition table and written with the
// conductor's own sentences and fields, so the history and the timeline agree). Rows are inserted directly, in batches, inside one
// transaction (10,000 nodes take a few seconds). When the `sim` hardware type is enabled the
// nodes are `sim` nodes — simulated servers that really power on, deploy, and show their serial
// console and screen (active ones are running their OS; some have their console enabled) —
// otherwise `fake-hardware` nodes.
import { createHash, randomUUID } from "node:crypto";
import type { Sql, SqlValue } from "./db/sql.ts";
import { getNodeById, updateNode } from "./db/nodes.ts";
import { historyFields, historySentence, recordHistory, type HistoryEvent, type HistoryEventType } from "./history.ts";
import { processInspectionData, type InspectionTask } from "./inspection/process.ts";
import { simHardware, simInventory } from "./sim/hardware.ts";
import { config } from "./config.ts";
import { nextState, STATES, type Event, type ProvisionState } from "./states.ts";
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
  "durationSeconds", "createdAt", "kind", "fromState", "toState", "provisionEvent", "powerTarget", "stepKind", "stepInterface", "step", "error",
] as const;

interface HistoryRow {
  /** A transition, typed as the conductor writes it (lib/core/history.ts): its sentence and fields come from it. */
  event: HistoryEvent;
  eventType: HistoryEventType;
  severity: "INFO" | "ERROR";
  user: string | null;
  state: string;
  target: string | null;
  at: Date;
  /** The failure's message (last_error), for the row ending an operation that failed. */
  error: string | null;
}

interface PlannedNode {
  row: Record<string, SqlValue>;
  /** Its history has a finished inspection: a sim node gets its inventory (and ports) the way inspection makes them. */
  inspected: boolean;
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

/**
 * The operations that brought a node to `state`, oldest first: each a provision verb and how it
 * ended ("done", or "fail" with an error), walked through the transition table, so the history
 * the dashboard's timeline and the API show is one the conductor could have written.
 */
function plannedOperations(r: Rand, state: ProvisionState): { verb: Event; end: Event[]; error?: string; user: string }[] {
  const ops: { verb: Event; end: Event[]; error?: string; user: string }[] = [];
  const op = (verb: Event, end: Event[], user = "admin", error?: string) => ops.push({ verb, end, user, error });
  if (state === "enroll") return ops;
  op("manage", ["done"]);
  if (state === "manageable") {
    if (r() < 0.5) op("inspect", ["done"]);
    return ops;
  }
  if (state === "inspect failed") {
    op("inspect", ["fail"], "admin", pick(r, INSPECT_ERRORS));
    return ops;
  }
  if (state === "adopt failed") {
    op("adopt", ["fail"], "admin", "Adoption failed: the deploy interface could not validate instance_info");
    return ops;
  }
  op("inspect", ["done"]);
  if (state === "clean failed") {
    op("provide", ["fail"], "admin", pick(r, CLEAN_ERRORS));
    return ops;
  }
  op("provide", ["done"]);
  if (state === "available") {
    if (r() < 0.3) {
      op("deploy", ["done"], "nova");
      op("delete", ["clean", "done"], "nova");
    }
    return ops;
  }
  if (state === "deploy failed") {
    op("deploy", ["fail"], "nova", pick(r, DEPLOY_ERRORS));
    return ops;
  }
  op("deploy", ["done"], "nova");
  if (state === "error") {
    op("delete", ["fail"], "nova", "Tear down failed: power off did not complete in 120 seconds");
    return ops;
  }
  if (state === "rescue") op("rescue", ["done"]);
  return ops;
}

/** History of how a node reached its current state, oldest first, ending at `now`-ish. */
function plannedHistory(r: Rand, state: ProvisionState, created: Date, now: number): HistoryRow[] {
  const out: HistoryRow[] = [];
  let t = created.getTime() + 60_000;
  let at: ProvisionState = "enroll";
  const move = (event: Event, user: string, error?: string) => {
    const to = nextState(at, event);
    if (!to) throw new Error(`seed: no transition from "${at}" by "${event}"`);
    const e: HistoryEvent = { kind: "provision_transition", from: at, to, provisionEvent: event, ...(error ? { note: error } : {}) };
    const eventType = EVENT_TYPE_OF[event] ?? (to === "inspecting" || at === "inspecting" ? "introspection" : "provisioning");
    out.push({ event: e, eventType, severity: error ? "ERROR" : "INFO", user, state: to, target: STATES[to].kind === "stable" ? null : STATES[to].target, at: new Date(t), error: error ?? null });
    at = to;
  };
  const ops = plannedOperations(r, state);
  ops.forEach((op, i) => {
    // Days between operations (all done an hour before now); each takes seconds to tens of minutes.
    const room = (now - 3_600_000 - t) / (ops.length - i);
    t += Math.max(1_000, Math.min(Math.floor(r() * 3 * 86_400_000) + 600_000, room));
    move(op.verb, op.user);
    op.end.forEach((end, j) => {
      t += Math.floor((20 + r() * 1200) * 1000);
      move(end, op.user, j === op.end.length - 1 ? op.error : undefined);
    });
  });
  if (at !== state) throw new Error(`seed: planned history ends in "${at}", not "${state}"`);
  return out;
}

/** Ironic's event types for the verbs whose rows are not "provisioning". */
const EVENT_TYPE_OF: Partial<Record<Event, HistoryEventType>> = { manage: "verify", inspect: "introspection", adopt: "adoption", delete: "unprovision" };

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
      // Recorded when a deployment starts (lib/core/images.ts); the demo images are whole-disk.
      image_type: "whole-disk",
      image_os_hash_algo: "sha256",
      image_os_hash_value: createHash("sha256").update(img.name).digest("hex"),
      root_gb: String(Math.min(flavor.local_gb, 100)),
      display_name: instanceName,
      project_id: tenant.id,
      capabilities: { boot_mode: "uefi" },
    };
  }

  let lastError: string | null = null;
  if (failure) lastError = [...history].reverse().find((h) => h.error)?.error ?? "Unknown failure";
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
  const inspected = history.some((h) => h.event.kind === "provision_transition" && h.event.from === "inspecting" && h.event.to === "manageable");
  return { row, rack: `R${String(rack).padStart(2, "0")}`, ports, traits, history, inspected };
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

/**
 * What inspecting a sim node stores — its inventory as its BMC reports it, the properties and
 * ports inspection derives from it — through the inspection code itself (lib/core/inspection), so
 * a demo node's Hardware tab, properties and ports agree with the machine behind it.
 */
async function inspectSimNode(sql: Sql, nodeId: number): Promise<void> {
  const first = await getNodeById(sql, nodeId);
  if (!first) return;
  const task: InspectionTask = {
    sql,
    node: first,
    update: async (changes) => (task.node = (await updateNode(sql, nodeId, changes)) ?? task.node),
    refresh: async () => (task.node = (await getNodeById(sql, nodeId)) ?? task.node),
    history: async (event, eventType, severity) => void (await recordHistory(sql, task.node, { event, eventType, severity })),
  };
  const hw = simHardware(first.uuid, first.driverInfo);
  await processInspectionData(task, simInventory(hw, { bootMode: first.bootMode === "bios" ? "bios" : "uefi", hostname: null }));
}

/** Creates `n` demo nodes (continuing the numbering of existing `${prefix}-NNNN` nodes). */
export async function seedFleet(sql: Sql, n: number, opts: SeedOptions = {}): Promise<SeedResult> {
  const started = Date.now();
  const prefix = opts.prefix ?? "demo";
  const driver = opts.driver ?? (config().enabledHardwareTypes.includes("sim") ? "sim" : "fake-hardware");
  const sim = driver === "sim";
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
        // An inspected sim node's ports come from its inventory (below), as inspection creates them.
        for (const port of sim && p.inspected ? [] : p.ports) {
          portRows.push([
            randomUUID(), mac(macIndex++), nodeId, "{}", "{}", true,
            JSON.stringify({ switch_id: "0a:1b:2c:3d:4e:5f", port_id: port.switchPort, switch_info: `tor-${p.rack.toLowerCase()}` }),
            port.physnet, created,
          ]);
        }
        for (const t of p.traits) traitRows.push([nodeId, t, created]);
        for (const h of p.history) {
          const project = h.user === "nova" ? (JSON.parse(p.row.instanceInfo as string).project_id ?? null) : null;
          const f = historyFields(h.event);
          historyRows.push([
            randomUUID(), nodeId, historySentence(h.event), h.eventType, h.severity, h.user, project, conductor, h.state, h.target, null, h.at,
            f.kind, f.fromState, f.toState, f.provisionEvent, f.powerTarget, f.stepKind, f.stepInterface, f.step, f.error,
          ]);
        }
      }
      await insertRows(tx, "Port", PORT_COLUMNS, portRows);
      await insertRows(tx, "NodeTrait", TRAIT_COLUMNS, traitRows);
      await insertRows(tx, "NodeHistory", HISTORY_COLUMNS, historyRows);
      if (sim) for (const p of planned) if (p.inspected) await inspectSimNode(tx, ids.get(p.row.uuid as string)!);
      portCount += portRows.length;
      historyCount += historyRows.length;
      first ??= planned[0]?.row.name as string;
      last = (planned[planned.length - 1]?.row.name as string) ?? last;
      opts.onProgress?.(Math.min(n, b + BATCH), n);
    }
  });
  return { nodes: n, driver, ports: portCount, history: historyCount, first, last, ms: Date.now() - started };
}

// What the conductor does with inspection data (whatever inspect interface produced it): keep the
// inventory, create ports for its NICs, set the scheduling properties, run the inspection rules,
// fill the resource class from the template, and record it all in node history.
import { randomUUID } from "node:crypto";
import type { Dict, NodeChanges, NodeRecord } from "../db/nodes.ts";
import { setTraits } from "../db/nodes.ts";
import { parseJson, toBool, type Sql } from "../db/sql.ts";
import { DriverError } from "../errors.ts";
import type { HistoryEvent, HistoryEventType, HistorySeverity } from "../history.ts";
import { inventoryProblems, memoryMb, propertiesFromInventory, type InspectionData, type Inventory } from "./inventory.ts";
import { applyRules, InspectionRuleFailure, SETTABLE_NODE_FIELDS, SETTABLE_PORT_FIELDS, type RuleTarget } from "./rules.ts";
import { fillResourceClass, inspectionSettings } from "./settings.ts";
import { loadRules, saveInventory } from "./store.ts";

/** The part of a NodeTask inspection processing uses. */
export interface InspectionTask {
  readonly sql: Sql;
  node: NodeRecord;
  update(changes: NodeChanges): Promise<NodeRecord>;
  refresh(): Promise<NodeRecord>;
  history(event: HistoryEvent, eventType: HistoryEventType, severity?: HistorySeverity, durationSeconds?: number | null): Promise<void>;
}

export interface InspectionOutcome {
  properties: Dict;
  portsCreated: string[];
  warnings: string[];
  rulesApplied: string[];
  resourceClass: string | null;
}

const camel = (s: string) => s.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The node as rules see it: snake_case API names (traits and internal ids left out). */
export function nodeDocument(node: NodeRecord): Dict {
  const doc: Dict = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === "id" || k === "traits" || k === "version" || k === "chassisId" || k === "allocationId") continue;
    doc[snake(k)] = v instanceof Date ? v.toISOString() : v && typeof v === "object" ? structuredClone(v) : v;
  }
  return doc;
}

interface PortRow {
  id: number;
  uuid: string;
  address: string;
  nodeId: number;
  name: string | null;
  extra: unknown;
  pxeEnabled: unknown;
  localLinkConnection: unknown;
  physicalNetwork: string | null;
  isSmartnic: unknown;
  description: string | null;
  vendor: string | null;
  category: string | null;
}

function portDocument(p: PortRow): Dict {
  return {
    uuid: p.uuid, address: p.address, name: p.name, extra: parseJson(p.extra, {}), pxe_enabled: toBool(p.pxeEnabled),
    local_link_connection: parseJson(p.localLinkConnection, {}), physical_network: p.physicalNetwork,
    is_smartnic: toBool(p.isSmartnic), description: p.description, vendor: p.vendor, category: p.category,
  };
}

const PORT_COLUMN: Record<string, string> = {
  category: "category", description: "description", extra: "extra", is_smartnic: "isSmartnic",
  local_link_connection: "localLinkConnection", name: "name", physical_network: "physicalNetwork",
  pxe_enabled: "pxeEnabled", vendor: "vendor",
};

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Whether a NIC is the one the node PXE-booted from (boot.pxe_interface holds a MAC, or a name). */
function isPxe(inv: Inventory, mac: string, name: string): boolean {
  const pxe = inv.boot?.pxe_interface;
  if (!pxe) return false;
  return pxe.toLowerCase() === mac || pxe === name;
}

/** Creates ports for the inventory's NICs; keeps pxe_enabled of this node's existing ports current. */
async function syncPorts(task: InspectionTask, inv: Inventory, warnings: string[]): Promise<string[]> {
  const mode = inspectionSettings().addPorts;
  if (mode === "disabled") return [];
  const created: string[] = [];
  const anyPxe = Boolean(inv.boot?.pxe_interface);
  for (const nic of inv.interfaces ?? []) {
    const mac = String(nic.mac_address ?? "").trim().toLowerCase();
    if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(mac) && !/^([0-9a-f]{2}:){19}[0-9a-f]{2}$/.test(mac)) {
      warnings.push(`interface ${nic.name} has an invalid MAC address ${String(nic.mac_address)}; no port created`);
      continue;
    }
    const pxe = anyPxe ? isPxe(inv, mac, nic.name) : true;
    if (mode === "pxe" && !pxe) continue;
    if (mode === "active" && !nic.ipv4_address && !nic.ipv6_address && !pxe) continue;
    const existing = await task.sql.get<{ nodeId: number; uuid: string; pxeEnabled: unknown }>(
      `SELECT "nodeId", "uuid", "pxeEnabled" FROM "Port" WHERE "address" = ?`, [mac],
    );
    if (existing) {
      if (existing.nodeId !== task.node.id) {
        const owner = await task.sql.get<{ uuid: string }>(`SELECT "uuid" FROM "Node" WHERE "id" = ?`, [existing.nodeId]);
        warnings.push(`MAC ${mac} (interface ${nic.name}) already belongs to port ${existing.uuid} of node ${owner?.uuid ?? existing.nodeId}; no port created`);
      } else if (anyPxe && toBool(existing.pxeEnabled) !== pxe) {
        await task.sql.run(`UPDATE "Port" SET "pxeEnabled" = ?, "updatedAt" = ? WHERE "uuid" = ?`, [pxe, new Date(), existing.uuid]);
      }
      continue;
    }
    const uuid = randomUUID();
    try {
      await task.sql.run(
        `INSERT INTO "Port" ("uuid", "address", "nodeId", "extra", "internalInfo", "pxeEnabled", "localLinkConnection", "isSmartnic", "createdAt") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [uuid, mac, task.node.id, "{}", "{}", pxe, "{}", false, new Date()],
      );
      created.push(mac);
    } catch (err) {
      // Lost a race with another node's inspection or an API call: a warning, not a failure.
      warnings.push(`could not create a port for MAC ${mac} (interface ${nic.name}): ${(err as Error).message}`);
    }
  }
  return created;
}

async function loadPorts(task: InspectionTask): Promise<PortRow[]> {
  return task.sql.all<PortRow>(`SELECT * FROM "Port" WHERE "nodeId" = ? ORDER BY "id"`, [task.node.id]);
}

/** Writes the port fields rules changed. */
async function savePorts(task: InspectionTask, before: PortRow[], after: Dict[]): Promise<void> {
  for (const row of before) {
    const doc = after.find((p) => p.uuid === row.uuid);
    if (!doc) continue;
    const orig = portDocument(row);
    const sets: string[] = [];
    const params: (string | boolean | null | Date | number)[] = [];
    for (const field of SETTABLE_PORT_FIELDS) {
      if (same(orig[field], doc[field])) continue;
      const v = doc[field];
      sets.push(`"${PORT_COLUMN[field]}" = ?`);
      params.push(v && typeof v === "object" ? JSON.stringify(v) : (v as string | boolean | null));
    }
    if (!sets.length) continue;
    await task.sql.run(`UPDATE "Port" SET ${sets.join(", ")}, "updatedAt" = ? WHERE "id" = ?`, [...params, new Date(), row.id]);
  }
}

const LOG_SEVERITY: Record<string, HistorySeverity | null> = { debug: null, info: "INFO", warning: "WARNING", error: "ERROR", critical: "ERROR" };

/**
 * Processes inspection data for the node of `task` (which holds its lock). Throws DriverError for
 * unusable data and InspectionRuleFailure when a rule fails the inspection; the caller then fails
 * the node. Does not change the provision state.
 */
export async function processInspectionData(task: InspectionTask, data: InspectionData): Promise<InspectionOutcome> {
  const problems = inventoryProblems(data?.inventory);
  if (problems.length) throw new DriverError(`The inspection data is unusable: ${problems.join("; ")}`);
  const inventory = data.inventory;
  const pluginData: Dict = structuredClone(data.pluginData ?? {});
  await saveInventory(task.sql, task.node.id, inventory, pluginData);

  const warnings: string[] = [];
  const detected = propertiesFromInventory(inventory, pluginData, task.node.properties);
  if (detected.local_gb === 0) warnings.push("no root disk of at least 4 GiB was found; local_gb is 0");
  const portsCreated = await syncPorts(task, inventory, warnings);

  // Rules see the node with the detected properties already in place.
  const node = nodeDocument(task.node);
  node.properties = { ...task.node.properties, ...detected };
  const portRows = await loadPorts(task);
  const target: RuleTarget = {
    node, traits: [...task.node.traits], ports: portRows.map(portDocument),
    inventory: inventory as unknown as Dict, pluginData, logs: [],
  };
  const rules = await loadRules(task.sql, "main");
  let applied: string[] = [];
  try {
    applied = applyRules(rules, target, inspectionSettings().maskSecrets);
  } finally {
    for (const log of target.logs) {
      const severity = LOG_SEVERITY[log.level];
      if (severity) await task.history({ kind: "inspection", message: `Inspection rule ${log.rule}: ${log.message}` }, "introspection", severity);
      else console.debug(`inspection rule ${log.rule} on node ${task.node.uuid}: ${log.message}`);
    }
  }

  // Persist what rules changed (and the detected properties).
  const changes: NodeChanges = {};
  const original = nodeDocument(task.node);
  for (const field of SETTABLE_NODE_FIELDS) {
    if (!same(original[field], target.node[field])) (changes as Dict)[camel(field)] = target.node[field];
  }
  const settings = inspectionSettings();
  let resourceClass: string | null = null;
  const finalProps = (target.node.properties as Dict) ?? {};
  if (!target.node.resource_class && settings.inspectedResourceClass) {
    const filled = fillResourceClass(settings.inspectedResourceClass, finalProps);
    if (filled.value && filled.value.length <= 80) {
      resourceClass = filled.value;
      changes.resourceClass = filled.value;
    } else if (filled.value) {
      warnings.push(`resource class "${filled.value}" from INGOT_INSPECTED_RESOURCE_CLASS is longer than 80 characters; not set`);
    } else {
      warnings.push(`INGOT_INSPECTED_RESOURCE_CLASS needs ${filled.missing.join(", ")}, which the node's properties lack; resource class not set`);
    }
  }
  if (Object.keys(changes).length) await task.update(changes);
  if (!same([...target.traits].sort(), [...task.node.traits].sort())) {
    await setTraits(task.sql, task.node.id, target.traits);
    await task.refresh();
  }
  await savePorts(task, portRows, target.ports);
  if (!same(pluginData, data.pluginData ?? {})) await saveInventory(task.sql, task.node.id, inventory, pluginData);

  for (const w of warnings) await task.history({ kind: "inspection", message: `Inspection warning: ${w}` }, "introspection", "WARNING");
  return { properties: detected, portsCreated, warnings, rulesApplied: applied, resourceClass };
}

/** One line for node history summarising an inspection. */
export function inspectionSummary(inv: Inventory, out: InspectionOutcome): string {
  const p = out.properties;
  const parts = [
    `${p.cpus ?? "?"} CPUs (${p.cpu_arch ?? "?"})`, `${memoryMb(inv) ?? "?"} MiB RAM`, `${p.local_gb ?? 0} GiB root disk`,
    `${(inv.interfaces ?? []).length} NICs, ${out.portsCreated.length} port(s) created`,
  ];
  if (out.rulesApplied.length) parts.push(`${out.rulesApplied.length} inspection rule(s) applied`);
  if (out.resourceClass) parts.push(`resource class ${out.resourceClass}`);
  if (out.warnings.length) parts.push(`${out.warnings.length} warning(s)`);
  return parts.join(", ");
}

export { InspectionRuleFailure };

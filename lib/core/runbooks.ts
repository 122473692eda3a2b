// Runbooks (reference §5.4, API 1.92; traits 1.112): named, ordered step lists an operator may run
// on a node as manual cleaning or servicing. Storage, lookup and the rule that decides whether a
// runbook may be used on a node; the API module does CRUD and policy, the conductor runs them.
import type { StepRequest } from "./conductor/types.ts";
import type { NodeRecord } from "./db/nodes.ts";
import type { Sql } from "./db/sql.ts";
import { parseJson, toBool, toDate } from "./db/sql.ts";
import { Invalid, NotFound } from "./errors.ts";

export interface RunbookStep {
  interface: string;
  step: string;
  args: Record<string, unknown>;
  order: number;
}

export interface RunbookRecord {
  id: number;
  uuid: string;
  name: string;
  steps: RunbookStep[];
  disableRamdisk: boolean;
  public: boolean;
  owner: string | null;
  description: string | null;
  extra: Record<string, unknown>;
  traits: string[];
  version: number;
  createdAt: Date | null;
  updatedAt: Date | null;
}

export interface RunbookRow {
  id: number;
  uuid: string;
  name: string;
  steps: string;
  disableRamdisk: unknown;
  public: unknown;
  owner: string | null;
  description: string | null;
  extra: string;
  version: number;
  createdAt: unknown;
  updatedAt: unknown;
}

const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

export function rowToRunbook(r: RunbookRow, traits: string[]): RunbookRecord {
  return {
    id: r.id, uuid: r.uuid, name: r.name, steps: sortRunbookSteps(parseJson<RunbookStep[]>(r.steps, [])),
    disableRamdisk: toBool(r.disableRamdisk), public: toBool(r.public), owner: r.owner ?? null,
    description: r.description ?? null, extra: parseJson(r.extra, {}), traits, version: Number(r.version),
    createdAt: toDate(r.createdAt), updatedAt: toDate(r.updatedAt),
  };
}

/** Steps in run order (by `order`, stable). */
export function sortRunbookSteps(steps: RunbookStep[]): RunbookStep[] {
  return [...steps].sort((a, b) => a.order - b.order);
}

export async function runbookTraits(sql: Sql, ids: number[]): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>(ids.map((id) => [id, []]));
  if (!ids.length) return out;
  const rows = await sql.all<{ runbookId: number; trait: string }>(
    `SELECT "runbookId", "trait" FROM "RunbookTrait" WHERE "runbookId" IN (${ids.map(() => "?").join(",")}) ORDER BY "trait"`,
    ids,
  );
  for (const r of rows) out.get(r.runbookId)?.push(r.trait);
  return out;
}

export async function withRunbookTraits(sql: Sql, rows: RunbookRow[]): Promise<RunbookRecord[]> {
  const traits = await runbookTraits(sql, rows.map((r) => r.id));
  return rows.map((r) => rowToRunbook(r, traits.get(r.id) ?? []));
}

/** A runbook by UUID or name, or null. */
export async function findRunbook(sql: Sql, ident: string): Promise<RunbookRecord | null> {
  const row = UUID_RE.test(ident)
    ? await sql.get<RunbookRow>(`SELECT * FROM "Runbook" WHERE "uuid" = ?`, [ident.toLowerCase()])
    : await sql.get<RunbookRow>(`SELECT * FROM "Runbook" WHERE "name" = ?`, [ident]);
  if (!row) return null;
  return (await withRunbookTraits(sql, [row]))[0];
}

export async function getRunbook(sql: Sql, ident: string): Promise<RunbookRecord> {
  const rb = await findRunbook(sql, ident);
  if (!rb) throw new NotFound(`Runbook ${ident} could not be found.`);
  return rb;
}

/**
 * Whether `runbook` may run on `node` (reference §5.4): before 1.112 its name must be one of the
 * node's traits; from 1.112 it must have traits and share at least one with the node.
 */
export function checkRunbookMatchesNode(runbook: RunbookRecord, node: NodeRecord, minor: number): void {
  if (minor < 112) {
    if (!node.traits.includes(runbook.name)) {
      throw new Invalid(`Runbook ${runbook.name} cannot be used on node ${node.uuid}: the node does not have the trait ${runbook.name}.`);
    }
    return;
  }
  if (!runbook.traits.length) {
    throw new Invalid(`Runbook ${runbook.name} cannot be used on node ${node.uuid}: the runbook has no traits.`);
  }
  if (!runbook.traits.some((t) => node.traits.includes(t))) {
    throw new Invalid(
      `Runbook ${runbook.name} cannot be used on node ${node.uuid}: the node has none of the runbook's traits (${runbook.traits.join(", ")}).`,
    );
  }
}

/** The runbook's steps as user step requests, in order. */
export function runbookStepRequests(runbook: RunbookRecord): StepRequest[] {
  return runbook.steps.map((s) => ({ interface: s.interface, step: s.step, args: s.args ?? {} }));
}

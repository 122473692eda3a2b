// Node history (reference §2.12). Ingot keeps every row (a lasting timeline for the dashboard),
// unlike Ironic's 300-row cap.
import { randomUUID } from "node:crypto";
import type { Sql } from "./db/sql.ts";

/** Ironic's event_type values (states.py), plus nothing of our own. */
export type HistoryEventType =
  | "provisioning" | "takeover" | "introspection" | "conductor" | "transition" | "startup failure"
  | "unprovision" | "adoption" | "console" | "monitoring" | "verify";

export type HistorySeverity = "INFO" | "WARNING" | "ERROR";

export interface HistoryEntry {
  event: string;
  eventType: HistoryEventType;
  severity?: HistorySeverity;
  user?: string | null;
  project?: string | null;
  conductor?: string | null;
  /** Provision state after the event; defaults to the node's current one. */
  state?: string | null;
  targetProvisionState?: string | null;
  durationSeconds?: number | null;
}

export interface HistoryNode {
  id: number;
  provisionState?: string | null;
  targetProvisionState?: string | null;
}

export async function recordHistory(sql: Sql, node: HistoryNode, entry: HistoryEntry): Promise<string> {
  const uuid = randomUUID();
  await sql.run(
    `INSERT INTO "NodeHistory" ("uuid", "nodeId", "event", "eventType", "severity", "user", "project", "conductor", "state", "targetProvisionState", "durationSeconds", "createdAt")
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      uuid,
      node.id,
      entry.event,
      entry.eventType,
      entry.severity ?? "INFO",
      entry.user ?? null,
      entry.project ?? null,
      entry.conductor ?? null,
      entry.state !== undefined ? entry.state : (node.provisionState ?? null),
      entry.targetProvisionState !== undefined ? entry.targetProvisionState : (node.targetProvisionState ?? null),
      entry.durationSeconds ?? null,
      new Date(),
    ],
  );
  return uuid;
}

export interface HistoryRow {
  id: number;
  uuid: string;
  nodeId: number;
  event: string;
  eventType: string;
  severity: string;
  user: string | null;
  project: string | null;
  conductor: string | null;
  state: string | null;
  targetProvisionState: string | null;
  durationSeconds: number | null;
  /** ISO text on SQLite, a Date on PostgreSQL: read it with toDate(). */
  createdAt: string | Date;
}

/** A node's history, oldest first (tests and the dashboard timeline). */
export async function listHistory(sql: Sql, nodeId: number): Promise<HistoryRow[]> {
  return sql.all<HistoryRow>(`SELECT * FROM "NodeHistory" WHERE "nodeId" = ? ORDER BY "id" ASC`, [nodeId]);
}

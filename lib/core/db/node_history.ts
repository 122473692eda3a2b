// The node history table's reads for the API (writes: recordHistory in lib/core/history.ts).
import type { HistoryRow } from "../history.ts";
import type { Sql } from "./sql.ts";

/** The node's history record with this uuid, if it is the node's. */
export async function historyRecord(db: Sql, nodeId: number, uuid: string): Promise<HistoryRow | undefined> {
  return db.get<HistoryRow>(`SELECT * FROM "NodeHistory" WHERE "uuid" = ? AND "nodeId" = ?`, [uuid.toLowerCase(), nodeId]);
}

/** Up to `limit` of the node's history records after the record with id `afterId`, oldest first. */
export async function historyPage(db: Sql, nodeId: number, afterId: number, limit: number): Promise<HistoryRow[]> {
  return db.all<HistoryRow>(
    `SELECT * FROM "NodeHistory" WHERE "nodeId" = ? AND "id" > ? ORDER BY "id" ASC LIMIT ${Math.trunc(limit)}`,
    [nodeId, afterId],
  );
}

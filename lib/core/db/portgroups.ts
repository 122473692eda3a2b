// Portgroup table lookups shared outside the port group API (ports name their group).
import { isUuidLike } from "../uuid.ts";
import type { Sql } from "./sql.ts";

export interface PortgroupLite {
  id: number;
  uuid: string;
  nodeId: number;
  standalonePortsSupported: unknown;
}

/** The port group with this uuid or name. */
export async function findPortgroupLite(db: Sql, ident: string): Promise<PortgroupLite | undefined> {
  const col = isUuidLike(ident) ? "uuid" : "name";
  return db.get<PortgroupLite>(
    `SELECT "id", "uuid", "nodeId", "standalonePortsSupported" FROM "Portgroup" WHERE "${col}" = ?`,
    [col === "uuid" ? ident.toLowerCase() : ident],
  );
}

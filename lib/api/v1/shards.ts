// Shards (API 1.82): GET /v1/shards → {"shards": [{"name", "count"}]}, nodes grouped by shard.
import { sql } from "../../core/db/sql.ts";
import { json, type ApiContext } from "../http.ts";
import type { RouteDef } from "../router.ts";

/** Shard names with their node counts, biggest first (nodes without a shard are not listed). */
export async function shardCounts(): Promise<{ name: string; count: number }[]> {
  const rows = await (await sql()).all<{ shard: string; n: number | string }>(
    `SELECT "shard", COUNT(*) AS n FROM "Node" WHERE "shard" IS NOT NULL GROUP BY "shard"`,
  );
  return rows
    .map((r) => ({ name: r.shard, count: Number(r.n) }))
    .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
}

async function listShards(ctx: ApiContext): Promise<Response> {
  return json(ctx, { shards: await shardCounts() });
}

export const routes: RouteDef[] = [
  { method: "GET", path: "/v1/shards", minVersion: 82, policy: "baremetal:shards:get", handler: listShards },
];

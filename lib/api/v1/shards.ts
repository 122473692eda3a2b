// Shards (API 1.82): GET /v1/shards → {"shards": [{"name", "count"}]}, nodes grouped by shard.
import { shardCounts } from "../../core/services/conductors.ts";
import { json, type ApiContext } from "../http.ts";
import type { RouteDef } from "../router.ts";

export { shardCounts };

async function listShards(ctx: ApiContext): Promise<Response> {
  return json(ctx, { shards: await shardCounts() });
}

export const routes: RouteDef[] = [
  { method: "GET", path: "/v1/shards", minVersion: 82, policy: "baremetal:shards:get", handler: listShards },
];

// Which conductor owns which node (reference §8): one consistent-hash ring per
// "<conductor group>:<hardware type>" over alive conductors, md5, 2^5 points per host.
// Cached for config().hashRingTtlSeconds; resetHashRing() forces a rebuild.
import { createHash } from "node:crypto";
import { config } from "./config.ts";
import type { Sql } from "./db/sql.ts";
import { parseJson, toBool, toDate } from "./db/sql.ts";

export const HASH_PARTITIONS = 2 ** 5;

export interface ConductorInfo {
  id: number;
  hostname: string;
  conductorGroup: string;
  drivers: string[];
  online: boolean;
  /** online and heartbeat within the timeout */
  alive: boolean;
  rpcUrl: string | null;
  createdAt: Date;
  updatedAt: Date | null;
}

function hash32(key: string): number {
  return createHash("md5").update(key).digest().readUInt32BE(0);
}

export class HashRing {
  private readonly points: { hash: number; host: string }[] = [];

  constructor(hosts: string[], partitions = HASH_PARTITIONS) {
    for (const host of hosts) {
      for (let i = 0; i < partitions; i++) this.points.push({ hash: hash32(`${host}-${i}`), host });
    }
    this.points.sort((a, b) => a.hash - b.hash || a.host.localeCompare(b.host));
  }

  get size(): number {
    return this.points.length;
  }

  /** The host owning `key` (a node uuid), or null for an empty ring. */
  hostFor(key: string): string | null {
    if (this.points.length === 0) return null;
    const h = hash32(key);
    let lo = 0;
    let hi = this.points.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.points[mid].hash < h) lo = mid + 1;
      else hi = mid;
    }
    return this.points[lo === this.points.length ? 0 : lo].host;
  }
}

export function rowToConductor(row: Record<string, unknown>, now = Date.now()): ConductorInfo {
  const updatedAt = toDate(row.updatedAt) ?? toDate(row.createdAt);
  const online = toBool(row.online);
  const fresh = updatedAt !== null && now - updatedAt.getTime() <= config().heartbeatTimeoutSeconds * 1000;
  return {
    id: Number(row.id),
    hostname: String(row.hostname),
    conductorGroup: String(row.conductorGroup ?? ""),
    drivers: parseJson<string[]>(row.drivers, []),
    online,
    alive: online && fresh,
    rpcUrl: (row.rpcUrl as string | null) ?? null,
    createdAt: toDate(row.createdAt) ?? new Date(0),
    updatedAt: toDate(row.updatedAt),
  };
}

/** All registered conductors (alive or not), by hostname. */
export async function listConductors(sql: Sql): Promise<ConductorInfo[]> {
  const rows = await sql.all(`SELECT * FROM "Conductor" ORDER BY "hostname"`);
  const now = Date.now();
  return rows.map((r) => rowToConductor(r, now));
}

export async function aliveConductors(sql: Sql): Promise<ConductorInfo[]> {
  return (await listConductors(sql)).filter((c) => c.alive);
}

/** Hostnames of alive conductors that enable `driver` (GET /v1/drivers "hosts"). */
export async function hostsForDriver(sql: Sql, driver: string): Promise<string[]> {
  return (await aliveConductors(sql)).filter((c) => c.drivers.includes(driver)).map((c) => c.hostname);
}

interface RingCache {
  builtAt: number;
  rings: Map<string, HashRing>;
}
let cache: RingCache | null = null;

export function resetHashRing(): void {
  cache = null;
}

async function rings(sql: Sql): Promise<Map<string, HashRing>> {
  const ttl = config().hashRingTtlSeconds * 1000;
  if (cache && Date.now() - cache.builtAt < ttl) return cache.rings;
  const members = new Map<string, string[]>();
  for (const c of await aliveConductors(sql)) {
    for (const d of c.drivers) {
      const key = `${c.conductorGroup.toLowerCase()}:${d}`;
      const list = members.get(key);
      if (list) list.push(c.hostname);
      else members.set(key, [c.hostname]);
    }
  }
  const built = new Map<string, HashRing>();
  for (const [key, hosts] of members) built.set(key, new HashRing(hosts));
  cache = { builtAt: Date.now(), rings: built };
  return built;
}

export interface RingNode {
  uuid: string;
  driver: string;
  conductorGroup?: string | null;
}

/** The conductor hostname owning the node (node.conductor in the API), or null if none is alive. */
export async function conductorFor(sql: Sql, node: RingNode): Promise<string | null> {
  const key = `${(node.conductorGroup ?? "").toLowerCase()}:${node.driver}`;
  let ring = (await rings(sql)).get(key);
  if (!ring && cache) {
    // A miss may be a conductor that just came up: rebuild once.
    resetHashRing();
    ring = (await rings(sql)).get(key);
  }
  return ring ? ring.hostFor(node.uuid) : null;
}

/**
 * What ringLookup's answers depend on: the alive conductors with their groups and drivers, as a
 * short digest. Equal fingerprints give every node the same conductor.
 */
export function ringFingerprint(conductors: ConductorInfo[]): string {
  const members = conductors
    .filter((c) => c.alive)
    .map((c) => JSON.stringify([c.hostname, c.conductorGroup.toLowerCase(), c.drivers]))
    .sort();
  return createHash("sha1").update(members.join("\n")).digest("base64url");
}

/** Synchronous variant over an already-fetched conductor list (for listing many nodes). */
export function ringLookup(conductors: ConductorInfo[]): (node: RingNode) => string | null {
  const local = new Map<string, HashRing>();
  return (node) => {
    const key = `${(node.conductorGroup ?? "").toLowerCase()}:${node.driver}`;
    let ring = local.get(key);
    if (!ring) {
      const hosts = conductors
        .filter((c) => c.alive && c.conductorGroup.toLowerCase() === (node.conductorGroup ?? "").toLowerCase() && c.drivers.includes(node.driver))
        .map((c) => c.hostname);
      ring = new HashRing(hosts);
      local.set(key, ring);
    }
    return ring.hostFor(node.uuid);
  };
}

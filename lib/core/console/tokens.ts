// Graphical console tokens: random, short-lived (INGOT_CONSOLE_TOKEN_TIMEOUT, default 600 s), bound
// to one node, stored only as SHA-256 hashes in driver_internal_info.console_tokens
// ([{hash, expires_at}], at most MAX_TOKENS kept, expired ones pruned on every write).
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { getNodeById, updateNode, type NodeRecord } from "../db/nodes.ts";
import type { Sql } from "../db/sql.ts";
import { Conflict } from "../errors.ts";
import { consoleSettings } from "./settings.ts";

export const MAX_TOKENS = 16;

interface StoredToken {
  hash: string;
  expires_at: number;
}

const hashOf = (token: string) => createHash("sha256").update(token).digest("hex");

function storedTokens(node: NodeRecord, now = Date.now()): StoredToken[] {
  const raw = (node.driverInternalInfo ?? {}).console_tokens;
  if (!Array.isArray(raw)) return [];
  return raw.filter(
    (t): t is StoredToken => !!t && typeof t === "object" && typeof (t as StoredToken).hash === "string" && typeof (t as StoredToken).expires_at === "number" && (t as StoredToken).expires_at > now,
  );
}

async function writeTokens(sql: Sql, nodeId: number, edit: (tokens: StoredToken[]) => StoredToken[]): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const node = await getNodeById(sql, nodeId);
    if (!node) return;
    const before = (node.driverInternalInfo ?? {}).console_tokens;
    const tokens = edit(storedTokens(node));
    if (!tokens.length && before === undefined) return;
    if (JSON.stringify(tokens) === JSON.stringify(before)) return;
    const dii = { ...(node.driverInternalInfo ?? {}) };
    if (tokens.length) dii.console_tokens = tokens;
    else delete dii.console_tokens;
    // Optimistic: never overwrite a concurrent change of driver_internal_info.
    if (await updateNode(sql, nodeId, { driverInternalInfo: dii }, { expectVersion: node.version, quiet: true })) return;
  }
  throw new Conflict("Could not issue a console token: the node keeps changing; please retry.");
}

/** A new console token for the node (the clear text is returned once, never stored). */
export async function mintConsoleToken(sql: Sql, node: NodeRecord): Promise<{ token: string; expiresAt: number }> {
  const token = randomBytes(24).toString("base64url");
  const expiresAt = Date.now() + consoleSettings().tokenTimeoutSeconds * 1000;
  await writeTokens(sql, node.id, (ts) => [...ts, { hash: hashOf(token), expires_at: expiresAt }].slice(-MAX_TOKENS));
  return { token, expiresAt };
}

/** The token's expiry (ms) when it is a valid, unexpired token of this node; else null. */
export function checkConsoleToken(node: NodeRecord, token: string | null | undefined): number | null {
  if (!token || token.length > 200) return null;
  const h = Buffer.from(hashOf(token));
  for (const t of storedTokens(node)) {
    if (t.hash.length === h.length && timingSafeEqual(Buffer.from(t.hash), h)) return t.expires_at;
  }
  return null;
}

/** Drops expired tokens of the node (periodic task); disabling the console drops them all. */
export async function pruneConsoleTokens(sql: Sql, nodeId: number, all = false): Promise<void> {
  await writeTokens(sql, nodeId, (ts) => (all ? [] : ts));
}

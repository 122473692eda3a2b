// Node ETags and If-Match (Ingot extension): every write bumps a node's version, so uuid and
// version name one state of the node.
import type { NodeRecord } from "./db/nodes.ts";

/** The ETag of a node's current state. */
export function nodeEtag(n: Pick<NodeRecord, "uuid" | "version">): string {
  return `"${n.uuid}-${n.version}"`;
}

/**
 * Whether an If-Match header allows writing a resource whose current ETag is `etag`: absent, "*",
 * or any listed tag (weak or strong) equal to it.
 */
export function ifMatchPasses(header: string | null, etag: string): boolean {
  if (header === null) return true;
  const tags = header.split(",").map((t) => t.trim().replace(/^W\//, ""));
  return tags.includes("*") || tags.includes(etag);
}

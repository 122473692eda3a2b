// What network-booting machines fetch from Ingot, under /boot/ (outside the Bare Metal API, no
// credentials: a machine in PXE has none): the iPXE chain script (/boot/boot.ipxe, made from the
// settings), and the HTTP root's files — a node's script, kernel and ramdisk while it boots from
// the network (lib/core/netboot/http_root.ts), 404 otherwise. Plain Request → Response; files are
// streamed from disk (a ramdisk is hundreds of MB), with HEAD and single byte ranges.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as NodeWebStream } from "node:stream/web";
import { BOOT_PATH, chainScript } from "../core/netboot/ipxe_script.ts";
import { netbootSettings } from "../core/netboot/settings.ts";

const PREFIX = `${BOOT_PATH}/`;

export function isBootPath(url: string): boolean {
  return url.startsWith(PREFIX);
}

const text = (status: number, body: string, extra: Record<string, string> = {}) =>
  new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8", ...extra } });

/** A byte range of a file of `size` bytes from a Range header: [start, end], null (whole file) or "unsatisfiable". */
export function parseRange(header: string | null, size: number): [number, number] | null | "unsatisfiable" {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  // Several ranges, or a unit we do not know: the whole file (allowed by RFC 9110).
  if (!m || (m[1] === "" && m[2] === "")) return null;
  let start: number;
  let end: number;
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0) return "unsatisfiable";
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== "" && Number(m[2]) < start) return null;
  }
  if (start >= size) return "unsatisfiable";
  return [start, end];
}

/** The file under the HTTP root for a request path, or null when the path could leave it. */
function filePath(root: string, rest: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rest);
  } catch {
    return null;
  }
  const parts = decoded.split("/");
  if (parts.some((p) => p === "" || p === "." || p === ".." || p.startsWith(".") || p.includes("\\") || p.includes("\0"))) return null;
  return join(root, ...parts);
}

export async function handleBootRequest(req: Request): Promise<Response> {
  const url = new URL(req.url);
  if (req.method !== "GET" && req.method !== "HEAD") return text(405, "Only GET and HEAD are served here.\n", { allow: "GET, HEAD" });
  const settings = netbootSettings();
  const rest = url.pathname.slice(PREFIX.length);
  if (rest === "boot.ipxe") {
    if (!settings.provisioningUrl) return text(404, "Network boot is not set up: INGOT_PROVISIONING_URL is not set.\n");
    const body = chainScript(settings.provisioningUrl);
    return text(200, req.method === "HEAD" ? "" : body, { "content-length": String(Buffer.byteLength(body)), "cache-control": "no-store" });
  }
  const path = filePath(settings.httpRoot, rest);
  if (!path) return text(404, "Not found.\n");
  let size: number;
  let mtime: Date;
  try {
    const st = await stat(path); // follows the links to the image cache and local files
    if (!st.isFile()) return text(404, "Not found.\n");
    size = st.size;
    mtime = st.mtime;
  } catch {
    return text(404, "Not found.\n");
  }
  const headers: Record<string, string> = {
    "content-type": rest.endsWith(".ipxe") || rest.startsWith("mac/") ? "text/plain; charset=utf-8" : "application/octet-stream",
    "accept-ranges": "bytes",
    "last-modified": mtime.toUTCString(),
    "cache-control": "no-store",
  };
  const range = parseRange(req.headers.get("range"), size);
  if (range === "unsatisfiable") return new Response(null, { status: 416, headers: { ...headers, "content-range": `bytes */${size}` } });
  const [start, end] = range ?? [0, size - 1];
  const length = size === 0 ? 0 : end - start + 1;
  headers["content-length"] = String(length);
  if (range) headers["content-range"] = `bytes ${start}-${end}/${size}`;
  const status = range ? 206 : 200;
  if (req.method === "HEAD" || length === 0) return new Response(null, { status, headers });
  const stream = Readable.toWeb(createReadStream(path, { start, end })) as unknown as ReadableStream<Uint8Array>;
  return new Response(stream, { status, headers });
}

/** Answers a node http request from handleBootRequest, streaming the body (never buffered). */
export async function serveBoot(req: IncomingMessage, res: ServerResponse, origin: string): Promise<void> {
  const request = new Request(new URL(req.url ?? "/", origin), { method: req.method, headers: req.headers as Record<string, string> });
  const response = await handleBootRequest(request);
  const headers: Record<string, string> = {};
  response.headers.forEach((v, k) => (headers[k] = v));
  res.writeHead(response.status, headers);
  if (!response.body || req.method === "HEAD") {
    res.end();
    return;
  }
  // A client that goes away mid-download ends the pipeline (and closes the file).
  await pipeline(Readable.fromWeb(response.body as unknown as NodeWebStream<Uint8Array>), res).catch(() => res.destroy());
}

// Node http ⇄ web-standard Request/Response, for the routes the custom server answers itself
// (the Bare Metal API). Bodies are small JSON documents, so they are buffered, not streamed.
import type { IncomingMessage, ServerResponse } from "node:http";
import { BufferedRequest, encodedBody } from "../api/http.ts";

/** Requests larger than this are refused before reaching the API (it has its own, smaller limit). */
export const MAX_REQUEST_BYTES = 32 * 1024 * 1024;

export class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_REQUEST_BYTES) {
        reject(new BodyTooLarge());
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

export async function toWebRequest(req: IncomingMessage, origin: string): Promise<Request> {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (name.charCodeAt(0) === 58 /* ":" */) continue;
    headers.append(name, raw[i + 1]);
  }
  const method = req.method ?? "GET";
  let body: Buffer | undefined;
  if (method !== "GET" && method !== "HEAD") {
    const hasBody = req.headers["content-length"] !== undefined ? req.headers["content-length"] !== "0" : req.headers["transfer-encoding"] !== undefined;
    if (hasBody) body = await readBody(req);
  }
  const url = origin + (req.url ?? "/");
  return body ? new BufferedRequest(url, { method, headers }, body) : new Request(url, { method, headers });
}

export async function sendWebResponse(res: ServerResponse, response: Response, method: string | undefined): Promise<void> {
  const out: Record<string, string | string[]> = {};
  response.headers.forEach((value, key) => {
    if (key !== "set-cookie") out[key] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length) out["set-cookie"] = cookies;
  // The API's JSON bodies are written from their bytes (lib/api/http.ts), without the web stream.
  const parts = method !== "HEAD" ? encodedBody(response) : undefined;
  if (parts) {
    let length = 0;
    for (const part of parts) length += part.length;
    out["content-length"] = String(length);
    res.writeHead(response.status, response.statusText || undefined, out);
    if (parts.length === 1) {
      res.end(parts[0]);
      return;
    }
    // One writev for the whole page.
    res.cork();
    for (const part of parts) res.write(part);
    res.end();
    return;
  }
  const body = response.body && method !== "HEAD" ? Buffer.from(await response.arrayBuffer()) : null;
  if (body && out["content-length"] === undefined) out["content-length"] = String(body.length);
  if (!body && method !== "HEAD" && out["content-length"] === undefined) out["content-length"] = "0";
  res.writeHead(response.status, response.statusText || undefined, out);
  res.end(body ?? undefined);
}

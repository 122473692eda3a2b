// Whether this Ingot server serves the console websockets (docs/consoles.md). The node page shows
// its console panel only then: an anonymous upgrade to /ws/nodes/<uuid>/serial must be refused as
// unauthenticated — HTTP 401, or accepted and closed at once with 4401 — not 404 (no handler).
import { request } from "node:http";

let cached: { at: number; ok: boolean } | null = null;

function probe(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({
      host, port, path: "/ws/nodes/00000000-0000-0000-0000-000000000000/serial", method: "GET", timeout: 2000,
      headers: { Connection: "Upgrade", Upgrade: "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "aW5nb3QtcHJvYmUtMDAwMA==" },
    });
    const done = (ok: boolean) => {
      req.destroy();
      resolve(ok);
    };
    req.on("response", (res) => {
      res.resume();
      done(res.statusCode === 401);
    });
    req.on("upgrade", (_res, socket, head) => {
      // The first frame must be a close frame (0x88) with code 4401; anything else is no console.
      let buf = Buffer.from(head);
      const check = () => {
        if (buf.length < 4) return;
        socket.destroy();
        done(buf[0] === 0x88 && buf.readUInt16BE(2) === 4401);
      };
      socket.on("data", (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        check();
      });
      socket.on("close", () => done(false));
      check();
    });
    req.on("timeout", () => done(false));
    req.on("error", () => done(false));
    req.end();
  });
}

/** `hostHeader` is the request's Host (how the browser reaches this server). Cached for 30 s. */
export async function consoleWebsocketsAvailable(hostHeader: string | null): Promise<boolean> {
  if (cached && Date.now() - cached.at < 30_000) return cached.ok;
  let host = "127.0.0.1";
  let port = Number(process.env.PORT ?? 3000);
  const m = hostHeader ? /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hostHeader) : null;
  if (m) {
    host = m[1].replace(/^\[|\]$/g, "");
    if (m[2]) port = Number(m[2]);
  }
  const ok = await probe(host, port);
  cached = { at: Date.now(), ok };
  return ok;
}

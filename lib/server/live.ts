// Live updates for the dashboard: /ws/events tells each browser which cached queries went stale.
// Messages carry only identifiers ("node X changed"); the browser refetches through the API, so the
// API's policy and redaction decide what it sees. Only events about nodes the viewer may see are sent.
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer } from "ws";
import { liveEvents } from "../core/events.ts";
import { liveEventVisibleTo } from "../core/services/access.ts";
import { principalFromCookie } from "./session_cookie.ts";

/** Events are coalesced per socket for this long: a bulk job on 10,000 nodes is one message per tick. */
const FLUSH_MS = 100;
/** More changed nodes than this in one tick → "refetch every node query". */
const MAX_LISTED_NODES = 200;
const PING_MS = 25_000;

export interface InvalidateMessage {
  type: "invalidate";
  /** Node UUIDs whose queries are stale, or "*" for all of them. */
  nodes: string[] | "*";
  jobs: string[];
  conductors: boolean;
}

let wss: WebSocketServer | null = null;
const sockets = new Set<WebSocket>();

function server(): WebSocketServer {
  wss ??= new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 4096 });
  return wss;
}

/** A browser's websocket must come from a page of this server (no cross-site use of the session cookie). */
function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (!origin) return true; // non-browser clients send no Origin and have no ambient cookie
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

export function handleLiveUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
  server().handleUpgrade(req, socket, head, (ws) => {
    void start(ws, req);
  });
  return true;
}

async function start(ws: WebSocket, req: IncomingMessage): Promise<void> {
  if (!sameOrigin(req)) return ws.close(4403, "cross-origin");
  const who = await principalFromCookie(req.headers.cookie).catch(() => null);
  if (!who) return ws.close(4401, "not logged in");
  if (ws.readyState !== WebSocket.OPEN) return;
  sockets.add(ws);

  const nodes = new Set<string>();
  const jobs = new Set<string>();
  let conductors = false;
  let timer: NodeJS.Timeout | null = null;
  const flush = () => {
    timer = null;
    if (ws.readyState !== WebSocket.OPEN) return;
    const msg: InvalidateMessage = {
      type: "invalidate",
      nodes: nodes.size > MAX_LISTED_NODES ? "*" : [...nodes],
      jobs: [...jobs],
      conductors,
    };
    nodes.clear();
    jobs.clear();
    conductors = false;
    ws.send(JSON.stringify(msg));
  };
  const unsubscribe = liveEvents().subscribe((event) => {
    if (!liveEventVisibleTo(who, event)) return;
    if (event.type === "node") nodes.add(event.uuid);
    else if (event.type === "job") jobs.add(event.id);
    else conductors = true;
    timer ??= setTimeout(flush, FLUSH_MS);
  });
  const ping = setInterval(() => {
    if (ws.readyState === WebSocket.OPEN) ws.ping();
  }, PING_MS);
  ws.on("close", () => {
    sockets.delete(ws);
    unsubscribe();
    clearInterval(ping);
    if (timer) clearTimeout(timer);
  });
  ws.on("message", () => {}); // nothing to receive; the browser only listens
  ws.send(JSON.stringify({ type: "hello", user: who.username }));
}

export function closeLiveWebsockets(): void {
  for (const ws of sockets) ws.close(1001, "server shutting down");
  sockets.clear();
}

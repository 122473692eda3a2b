// The `redfish-graphical` console: the BMC's own KVM, RFB (VNC) over a websocket, relayed by
// Ingot's /ws/nodes/{node}/vnc websocket (docs/consoles.md). OpenBMC's bmcweb serves it at
// /kvm/0 (its web UI points noVNC there); it authenticates the upgrade like any request
// (X-Auth-Token session, cookie, or Basic), so Ingot sends the redfish client's session token
// or Basic credentials. driver_info.redfish_kvm_path points elsewhere for other BMCs.
// The BMC must announce the console in Redfish: Manager.GraphicalConsole with ServiceEnabled
// true and "KVMIP" among ConnectTypesSupported.
import type { Duplex } from "node:stream";
import { WebSocket } from "ws";
import type { NodeRecord } from "../../db/nodes.ts";
import { Invalid } from "../../errors.ts";
import { relayedGraphicalConsole } from "../../console/interfaces.ts";
import type { GraphicalCloseReason, GraphicalSession } from "../../console/types.ts";
import type { ConsoleInterface, DriverTask } from "../base.ts";
import { RedfishClient, RedfishError } from "./client.ts";
import { parseRedfishDriverInfo, type RedfishInfo } from "./driver_info.ts";

export const DEFAULT_KVM_PATH = "/kvm/0";

export const REDFISH_KVM_PROPERTIES: Record<string, string> = {
  redfish_kvm_path:
    'Ingot (redfish-graphical console): path of the BMC\'s KVM websocket (RFB over websocket) on redfish_address. Default "/kvm/0" (OpenBMC bmcweb). Optional.',
};

/** driver_info.redfish_kvm_path, checked (an absolute path, no spaces), or the default. */
export function kvmPath(node: Pick<NodeRecord, "uuid" | "driverInfo">): string {
  const raw = node.driverInfo?.redfish_kvm_path;
  if (raw === undefined || raw === null || raw === "") return DEFAULT_KVM_PATH;
  if (typeof raw !== "string" || !raw.startsWith("/") || /[\s#]/.test(raw)) {
    throw new Invalid(
      `Invalid value "${String(raw)}" set in driver_info/redfish_kvm_path on node ${node.uuid}: expected the absolute path of the BMC's KVM websocket, for example /kvm/0.`,
    );
  }
  return raw;
}

/** Seconds the KVM websocket may take to open: redfish_timeout, at most 10 (a person is waiting). */
const connectSeconds = (info: RedfishInfo) => Math.min(info.timeoutSeconds, 10);

export interface BmcGraphicalConsole {
  manager: string;
  serviceEnabled: boolean;
  maxSessions: number | null;
  connectTypes: string[];
}

/** The GraphicalConsole of the system's managers (Links.ManagedBy), or null when none has one. */
export async function findGraphicalConsole(client: RedfishClient): Promise<BmcGraphicalConsole | null> {
  const { body: system } = await client.system("find the graphical console");
  for (const m of system.Links?.ManagedBy ?? []) {
    const manager = await client.getOptional(m["@odata.id"], "find the graphical console");
    const gc = manager?.GraphicalConsole;
    if (!gc || typeof gc !== "object") continue;
    return {
      manager: m["@odata.id"],
      serviceEnabled: gc.ServiceEnabled === true,
      maxSessions: typeof gc.MaxConcurrentSessions === "number" ? gc.MaxConcurrentSessions : null,
      connectTypes: Array.isArray(gc.ConnectTypesSupported) ? gc.ConnectTypesSupported.map(String) : [],
    };
  }
  return null;
}

/** Throws Invalid (a readable reason) unless the BMC offers a KVM-over-IP graphical console. */
export async function requireKvm(client: RedfishClient): Promise<BmcGraphicalConsole> {
  const gc = await findGraphicalConsole(client);
  if (!gc) {
    throw new Invalid(`Redfish BMC ${client.bmc} offers no graphical console: no manager of the system (Links.ManagedBy) has a GraphicalConsole.`);
  }
  if (!gc.serviceEnabled) {
    throw new Invalid(`Redfish BMC ${client.bmc}: the graphical console of ${gc.manager} is disabled (GraphicalConsole.ServiceEnabled is not true); enable it on the BMC.`);
  }
  if (!gc.connectTypes.includes("KVMIP")) {
    throw new Invalid(
      `Redfish BMC ${client.bmc}: the graphical console of ${gc.manager} offers ${gc.connectTypes.length ? gc.connectTypes.join(", ") : "no connect type"}, not KVMIP (the KVM websocket Ingot relays).`,
    );
  }
  if (gc.maxSessions === 0) {
    throw new Invalid(`Redfish BMC ${client.bmc}: the graphical console of ${gc.manager} allows no sessions (GraphicalConsole.MaxConcurrentSessions is 0).`);
  }
  return gc;
}

function kvmUrl(info: RedfishInfo, path: string): string {
  return `${info.address.replace(/^http/, "ws")}${path}`;
}

/**
 * Opens the BMC's KVM websocket, authenticated like the redfish client (a session the BMC no
 * longer accepts is renewed once). Rejects with a readable RedfishError.
 */
export async function openKvm(node: Pick<NodeRecord, "uuid" | "driverInfo">): Promise<WebSocket> {
  const info = parseRedfishDriverInfo(node);
  const path = kvmPath(node);
  const client = new RedfishClient(info);
  for (let attempt = 1; ; attempt++) {
    const headers = await client.authHeaders("open the KVM websocket");
    try {
      return await connectKvm(client, kvmUrl(info, path), headers, connectSeconds(info));
    } catch (err) {
      if (err instanceof RedfishError && err.bmcStatus === 401 && "X-Auth-Token" in headers && attempt === 1) {
        client.forgetSession(); // expired or revoked: log in again
        continue;
      }
      throw err;
    }
  }
}

// Messages put the facts first: the relay's close reason (1011) keeps only ~90 characters of them.
function connectKvm(client: RedfishClient, url: string, headers: Record<string, string>, seconds: number): Promise<WebSocket> {
  return new Promise<WebSocket>((resolve, reject) => {
    const ws = new WebSocket(url, {
      headers, perMessageDeflate: false, handshakeTimeout: seconds * 1000, followRedirects: false, ...client.tlsOptions(),
    });
    ws.binaryType = "nodebuffer";
    let settled = false;
    const fail = (e: RedfishError) => {
      if (settled) return;
      settled = true;
      ws.terminate();
      reject(e);
    };
    ws.once("open", () => {
      // Hold the BMC's first bytes (the RFB greeting may come with the upgrade answer) until the relay listens.
      ws.pause();
      settled = true;
      resolve(ws);
    });
    ws.once("unexpected-response", (_req, res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      const auth = status === 401 || status === 403;
      const hint = auth ? " (check the BMC credentials)" : status === 404 ? " (check redfish_kvm_path)" : "";
      fail(new RedfishError(`KVM websocket ${url} refused: HTTP ${status}${hint}`, auth ? "auth" : status === 404 ? "missing" : "http", status));
    });
    ws.once("error", (err: NodeJS.ErrnoException) => {
      const code = err.code ?? "";
      if (/timed out/i.test(err.message)) {
        fail(new RedfishError(`KVM websocket ${url} did not open within ${seconds} s`, "timeout"));
      } else if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|HOSTNAME|ALTNAME/.test(`${code} ${err.message}`)) {
        fail(new RedfishError(`KVM websocket ${url}: TLS certificate not accepted (${code || err.message}; see redfish_verify_ca)`, "tls"));
      } else {
        const reason = code === "ECONNREFUSED" ? "connection refused" : code ? `${code}: ${err.message}` : err.message;
        fail(new RedfishError(`KVM websocket ${url} unreachable (${reason})`, "unreachable"));
      }
    });
  });
}

/**
 * Relays the BMC's KVM websocket with `stream` (the browser's RFB bytes, both ways). A close on
 * either side closes the other.
 */
export async function attachRedfishKvm(node: NodeRecord, stream: Duplex): Promise<GraphicalSession> {
  const bmc = await openKvm(node);
  const closers: ((why?: GraphicalCloseReason) => void)[] = [];
  let closed = false;
  const finish = (closeBmc: () => void, closeBrowser: () => void, why?: GraphicalCloseReason) => {
    if (closed) return;
    closed = true;
    closeBmc();
    // The relay closes the browser's websocket with a close frame on this notification; the
    // stream is only torn down afterwards (destroying it first would drop the connection).
    for (const fn of closers.splice(0)) fn(why);
    closeBrowser();
  };
  // Ingot ends the session (browser left, console stopped, token expired).
  const close = () => finish(() => {
    bmc.resume(); // it may be paused for backpressure: the closing handshake must be read
    bmc.close(1000, "console session ended");
  }, () => stream.destroy());
  // The BMC ended it: a normal close stays normal; anything else is passed on as 1011 with the
  // BMC's words (bmcweb: "Max sessions are already connected", "Error in connecting to KVM port").
  bmc.on("close", (code: number, reason: Buffer) => {
    const text = reason.toString();
    const why: GraphicalCloseReason = code === 1000 || code === 1001
      ? { code: 1000, reason: text ? `BMC closed the KVM: ${text}` : "console closed" }
      : { code: 1011, reason: `BMC closed the KVM (${code}${text ? ` ${text}` : ""})` };
    finish(() => undefined, () => stream.end(), why);
  });
  bmc.on("error", (err: Error) => finish(() => bmc.terminate(), () => stream.end(), { code: 1011, reason: `KVM websocket failed: ${err.message}` }));
  bmc.on("message", (data: Buffer) => {
    if (closed) return;
    // A slow browser: stop reading the BMC until the browser's side drains.
    if (!stream.write(data)) {
      bmc.pause();
      stream.once("drain", () => bmc.resume());
    }
  });
  stream.on("data", (d: Buffer) => {
    if (bmc.readyState === WebSocket.OPEN) bmc.send(d, { binary: true });
  });
  bmc.resume();
  stream.on("close", close);
  stream.on("error", close);
  return { close, onClose: (fn) => (closed ? fn() : void closers.push(fn)) };
}

/** Opens and closes the KVM websocket: proof that a session can start. */
async function probeKvm(node: NodeRecord): Promise<void> {
  const ws = await openKvm(node);
  ws.resume(); // paused by openKvm: the closing handshake must be read
  ws.close(1000, "probe");
}

export const redfishGraphicalConsole: ConsoleInterface = {
  kind: "console",
  name: "redfish-graphical",
  properties: REDFISH_KVM_PROPERTIES,
  async validate(task: DriverTask) {
    const info = parseRedfishDriverInfo(task.node);
    kvmPath(task.node);
    // Once the console is enabled only driver_info is checked: the conductor validates before
    // stopping and before every GET …/states/console, and a BMC whose console went away since
    // must not make the console impossible to stop (nor cost BMC requests on every poll).
    if (task.node.consoleEnabled) return;
    await requireKvm(new RedfishClient(info));
  },
  async startConsole(task: DriverTask) {
    await requireKvm(new RedfishClient(parseRedfishDriverInfo(task.node)));
    await probeKvm(task.node);
  },
  ...relayedGraphicalConsole,
  source: { kind: "graphical", attach: attachRedfishKvm },
};

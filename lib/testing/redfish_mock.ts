// A Redfish service for tests, written from the DMTF Redfish schema (ServiceRoot, ComputerSystem,
// Bios + AttributeRegistry, Processor, Memory, EthernetInterface, SimpleStorage/Storage/Drive,
// Manager/VirtualMedia, SessionService/Session, TaskService/Task): a plain Node `http` server on
// 127.0.0.1 with an in-memory machine behind it. Power, boot override, BIOS pending settings and
// virtual media behave like a real BMC as far as a client can observe: ETags on every resource,
// If-Match checked on PATCH (412 on mismatch), pending BIOS settings applied at the next
// power-on/reset, one-time boot overrides consumed by a boot, async operations answered with a
// task monitor (202 + Location). Knobs make it misbehave like real BMCs do (slow answers, 5xx,
// dropped connections, missing optional resources, refused credentials).
// The BMC's KVM: RFB over a websocket at /kvm/0 (as OpenBMC's bmcweb), authenticated like any
// request (session token or Basic), serving a small fixed framebuffer; Manager.GraphicalConsole
// announces it (knobs: absent, disabled, without KVMIP, the upgrade refused).
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer, createWebSocketStream } from "ws";
import { Framebuffer } from "../core/sim/framebuffer.ts";
import { serveRfb } from "../core/sim/rfb.ts";

export const RESET_TYPES_ALL = [
  "On", "ForceOff", "GracefulShutdown", "GracefulRestart", "ForceRestart", "Nmi", "ForceOn", "PushPowerButton", "PowerCycle",
];
const BOOT_TARGETS = ["None", "Pxe", "Hdd", "Cd", "BiosSetup", "UefiHttp", "Usb"];

export type AttrType = "Enumeration" | "Integer" | "String" | "Boolean";
export interface MockBiosAttribute {
  AttributeName: string;
  Type: AttrType;
  DefaultValue: string | number | boolean;
  Value?: { ValueName: string; ValueDisplayName?: string }[];
  ReadOnly?: boolean;
  ResetRequired?: boolean;
  LowerBound?: number;
  UpperBound?: number;
  MinLength?: number;
  MaxLength?: number;
}

export const MOCK_BIOS_REGISTRY: MockBiosAttribute[] = [
  { AttributeName: "BootMode", Type: "Enumeration", DefaultValue: "Uefi", Value: [{ ValueName: "Uefi" }, { ValueName: "Bios" }], ResetRequired: true },
  { AttributeName: "ProcVirtualization", Type: "Enumeration", DefaultValue: "Enabled", Value: [{ ValueName: "Enabled" }, { ValueName: "Disabled" }], ResetRequired: true },
  { AttributeName: "ProcTurboMode", Type: "Enumeration", DefaultValue: "Enabled", Value: [{ ValueName: "Enabled" }, { ValueName: "Disabled" }], ResetRequired: true },
  { AttributeName: "NumaNodesPerSocket", Type: "Integer", DefaultValue: 1, LowerBound: 1, UpperBound: 4, ResetRequired: true },
  { AttributeName: "PowerOnDelay", Type: "Integer", DefaultValue: 0, LowerBound: 0, UpperBound: 300 },
  { AttributeName: "AssetTag", Type: "String", DefaultValue: "", MinLength: 0, MaxLength: 32 },
  { AttributeName: "ServiceTag", Type: "String", DefaultValue: "MOCK123", ReadOnly: true },
  { AttributeName: "SriovGlobalEnable", Type: "Boolean", DefaultValue: false, ResetRequired: true },
];

export interface MockSystemSpec {
  id?: string;
  /** Reset types the system advertises (default: all). */
  resetTypes?: string[];
  powerState?: "On" | "Off";
  /** Milliseconds a power transition takes (PowerState shows PoweringOn/PoweringOff meanwhile). */
  powerTransitionMs?: number;
  /** Answer Reset with 202 + a task monitor that completes after this many ms. */
  asyncResetMs?: number;
  bios?: boolean;
  secureBoot?: boolean;
  storage?: "Storage" | "SimpleStorage" | "both" | "none";
  nics?: { mac: string; enabled?: boolean; linkUp?: boolean; speedMbps?: number; ipv4?: string }[];
  bootTargets?: string[];
  /** BootSourceOverrideEnabled values the system accepts (default Once, Continuous, Disabled). */
  bootEnabledValues?: string[];
  /** Answer #Bios.ResetBios with 202 + a task monitor completing after this many ms. */
  asyncBiosResetMs?: number;
  /** A real (virtual) machine behind the system: power acts on it and PowerState follows it. */
  machine?: MockMachine;
}

/** What a system drives when it has a machine behind it (the test rig's VMs: RigVm.redfishMachine()). */
export interface MockMachine {
  /** Powers on, booting from what the system boots ("Pxe", "Hdd", "Cd:<url>", ...). */
  powerOn(bootFrom: string): void;
  powerOff(): void;
  isOn(): boolean;
}

export interface RedfishMockOptions {
  username?: string;
  password?: string;
  systems?: MockSystemSpec[];
  /** Without it, only Basic auth works (no SessionService in the service root). */
  sessionService?: boolean;
  /** Idle seconds after which a session expires (SessionService.SessionTimeout). */
  sessionTimeoutSeconds?: number;
  virtualMedia?: boolean;
  /** PATCH without If-Match → 428 (as some BMCs require). */
  requireIfMatch?: boolean;
  /** InsertMedia checks the image URL with a GET (as a BMC downloads it). Default true. */
  checkImageUrls?: boolean;
  /** Serve https with this key and certificate (PEM). */
  tls?: { key: string; cert: string };
  /** Path of the KVM websocket (default /kvm/0, as bmcweb). */
  kvmPath?: string;
}

export interface MockRequest {
  method: string;
  path: string;
  auth: "basic" | "session" | "none" | "bad";
  status: number;
}

interface Resource {
  version: number;
}

interface VirtualMediaState extends Resource {
  id: string;
  image: string | null;
  inserted: boolean;
}

interface Drive {
  id: string;
  name: string;
  model: string;
  capacity: number;
  mediaType: "HDD" | "SSD";
  serial: string;
  naa: string;
}

export interface MockTask {
  id: string;
  state: "Running" | "Completed" | "Exception";
  percent: number;
  messages: string[];
  /** Final answer of the task monitor once done. */
  finalStatus: number;
}

export class MockSystem implements Resource {
  version = 1;
  readonly id: string;
  readonly resetTypes: string[];
  powerState: "On" | "Off" | "PoweringOn" | "PoweringOff";
  powerTransitionMs: number;
  asyncResetMs: number;
  asyncBiosResetMs: number;
  boot = { target: "None", enabled: "Disabled", mode: "UEFI" };
  bootTargets: string[];
  bootEnabledValues: string[];
  hasBios: boolean;
  hasSecureBoot: boolean;
  storage: "Storage" | "SimpleStorage" | "both" | "none";
  secureBoot = { enable: false, current: "Disabled", version: 1 };
  bios: Record<string, string | number | boolean> = {};
  biosVersion = 1;
  pending: Record<string, string | number | boolean> = {};
  pendingVersion = 1;
  pendingResetBios = false;
  /** ApplyTime of the last pending-settings PATCH (@Redfish.SettingsApplyTime), null when absent. */
  lastApplyTime: string | null = null;
  /** What the machine booted last (e.g. "Cd:http://…/boot.iso", "Hdd", "Pxe"). */
  bootedFrom: string | null = null;
  boots = 0;
  nmis = 0;
  led: "Off" | "Lit" | "Blinking" = "Off";
  resets: string[] = [];
  readonly nics: NonNullable<MockSystemSpec["nics"]>;
  readonly drives: Drive[];
  readonly machine: MockMachine | null;

  constructor(spec: MockSystemSpec, index: number) {
    this.id = spec.id ?? String(index + 1);
    this.resetTypes = spec.resetTypes ?? RESET_TYPES_ALL;
    this.powerState = spec.powerState ?? "Off";
    this.powerTransitionMs = spec.powerTransitionMs ?? 0;
    this.asyncResetMs = spec.asyncResetMs ?? 0;
    this.asyncBiosResetMs = spec.asyncBiosResetMs ?? 0;
    this.hasBios = spec.bios ?? true;
    this.hasSecureBoot = spec.secureBoot ?? true;
    this.storage = spec.storage ?? "both";
    this.bootTargets = spec.bootTargets ?? BOOT_TARGETS;
    this.bootEnabledValues = spec.bootEnabledValues ?? ["Once", "Continuous", "Disabled"];
    this.machine = spec.machine ?? null;
    const n = index + 1;
    const nn = (n % 256).toString(16).padStart(2, "0");
    this.nics = spec.nics ?? [
      { mac: `52:54:00:aa:${nn}:01`, enabled: true, linkUp: true, speedMbps: 25000, ipv4: `192.0.2.${10 + n}` },
      { mac: `52:54:00:aa:${nn}:02`, enabled: true, linkUp: false, speedMbps: 25000 },
      { mac: `52:54:00:aa:${nn}:03`, enabled: false, linkUp: false },
    ];
    this.drives = [
      { id: "0", name: "Drive 0", model: "MOCK SSD 960", capacity: 960_197_124_096, mediaType: "SSD", serial: `S${n}0001`, naa: `5000c500a1b2c3${n}0` },
      { id: "1", name: "Drive 1", model: "MOCK HDD 4T", capacity: 4_000_787_030_016, mediaType: "HDD", serial: `S${n}0002`, naa: `5000c500a1b2c3${n}1` },
    ];
    for (const a of MOCK_BIOS_REGISTRY) this.bios[a.AttributeName] = a.DefaultValue;
  }

  get path() {
    return `/redfish/v1/Systems/${this.id}`;
  }

  /** Told of every completed power change (tests start and stop what runs on the machine). */
  onPowerChange: ((state: "On" | "Off") => void) | null = null;

  /** The operating system powers the machine off (no BMC request). */
  powerOffFromOs(): void {
    this.powerState = "Off";
    this.version++;
    this.onPowerChange?.("Off");
  }

  /** With a machine behind it: the power state the machine has (one that powered itself off reads Off). */
  syncPower(): void {
    if (!this.machine || this.powerState === "PoweringOn" || this.powerState === "PoweringOff") return;
    const actual = this.machine.isOn() ? "On" : "Off";
    if (actual !== this.powerState) {
      this.powerState = actual;
      this.version++;
    }
  }

  /** A boot: consumes a one-time override, applies pending BIOS and secure boot settings. */
  boot_(): void {
    this.boots++;
    if (this.pendingResetBios) {
      for (const a of MOCK_BIOS_REGISTRY) this.bios[a.AttributeName] = a.DefaultValue;
      this.pendingResetBios = false;
      this.biosVersion++;
    }
    if (Object.keys(this.pending).length) {
      Object.assign(this.bios, this.pending);
      this.pending = {};
      this.biosVersion++;
      this.pendingVersion++;
    }
    this.secureBoot.current = this.secureBoot.enable ? "Enabled" : "Disabled";
    this.bootedFrom = this.boot.enabled === "Disabled" ? "Hdd" : this.boot.target;
    if (this.boot.enabled === "Once") {
      this.boot.enabled = "Disabled";
      this.version++;
    }
  }
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  const text = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, {
    ...(body === undefined ? {} : { "Content-Type": "application/json; charset=utf-8" }),
    "OData-Version": "4.0",
    ...headers,
  });
  res.end(text);
};

/** A Redfish error body (Base.1.x messages with @Message.ExtendedInfo). */
const redfishError = (code: string, message: string) => ({
  error: {
    code: `Base.1.8.${code}`,
    message,
    "@Message.ExtendedInfo": [{ "@odata.type": "#Message.v1_1_1.Message", MessageId: `Base.1.8.${code}`, Message: message, Severity: "Warning", Resolution: "See the message." }],
  },
});

const etagOf = (r: Resource) => `W/"${r.version}"`;
const ref = (path: string) => ({ "@odata.id": path });

export class RedfishMock {
  readonly opts: Required<Omit<RedfishMockOptions, "systems" | "tls">>;
  /** The KVM's screen: 64×48, a fixed pattern of colour bars and a diagonal. */
  readonly kvmFramebuffer = kvmPattern();
  /** Open KVM websocket sessions. */
  readonly kvmSessions = new Set<WebSocket>();
  /** Keys typed on the KVM (keysym, down) and pointer events (mask, x, y), in order. */
  readonly kvmInput: { key?: [number, boolean]; pointer?: [number, number, number] }[] = [];
  /** KVM websocket upgrades seen, with how they authenticated. */
  readonly kvmRequests: { path: string; auth: MockRequest["auth"]; status: number }[] = [];
  private kvmServer: WebSocketServer | null = null;
  readonly tls: RedfishMockOptions["tls"];
  readonly systems: MockSystem[];
  readonly virtualMedia: VirtualMediaState[];
  readonly sessions = new Map<string, { id: string; user: string; token: string; lastUsed: number }>();
  readonly tasks = new Map<string, MockTask & { doneAt: number; onDone?: () => void }>();
  readonly requests: MockRequest[] = [];
  private server: Server | null = null;
  private sockets = new Set<Socket>();
  private nextId = 1;
  port = 0;

  // ---- knobs (change them between requests) ----
  /** Every answer waits this long first. */
  delayMs = 0;
  /** The next N requests (other than to the service root when `failRoot` is false) get this 5xx. */
  fail5xx = 0;
  failStatus = 503;
  /** The next N requests are answered by closing the connection. */
  dropConnections = 0;
  /** Bump the resource's ETag right before the next N PATCHes are checked (a concurrent change). */
  concurrentChanges = 0;
  /** What Manager.GraphicalConsole says: the KVM, nothing, ServiceEnabled false, or no KVMIP type. */
  graphicalConsole: "kvm" | "absent" | "disabled" | "no-kvmip" = "kvm";
  /** Answer KVM websocket upgrades with this HTTP status instead (0: accept). */
  kvmRefuseStatus = 0;
  /** Never answer KVM websocket upgrades (a hung BMC web server). */
  kvmHang = false;
  /** bmcweb's limit: a further session is opened and closed at once. */
  kvmMaxSessions = 4;

  constructor(options: RedfishMockOptions = {}) {
    this.opts = {
      username: options.username ?? "root",
      password: options.password ?? "calvin",
      sessionService: options.sessionService ?? true,
      sessionTimeoutSeconds: options.sessionTimeoutSeconds ?? 1800,
      virtualMedia: options.virtualMedia ?? true,
      requireIfMatch: options.requireIfMatch ?? false,
      checkImageUrls: options.checkImageUrls ?? true,
      kvmPath: options.kvmPath ?? "/kvm/0",
    };
    this.tls = options.tls;
    this.systems = (options.systems ?? [{}]).map((s, i) => new MockSystem(s, i));
    this.virtualMedia = [{ id: "Cd", image: null, inserted: false, version: 1 }, { id: "Floppy", image: null, inserted: false, version: 1 }];
  }

  get url(): string {
    return `${this.tls ? "https" : "http"}://127.0.0.1:${this.port}`;
  }

  system(id = this.systems[0].id): MockSystem {
    const s = this.systems.find((x) => x.id === id);
    if (!s) throw new Error(`no mock system ${id}`);
    return s;
  }

  /** driver_info for a node managed through this service. */
  driverInfo(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { redfish_address: this.url, redfish_username: this.opts.username, redfish_password: this.opts.password, ...extra };
  }

  /** Forgets every session (as a BMC reboot or a session timeout does). */
  expireSessions(): void {
    this.sessions.clear();
  }

  async start(port = this.port): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    const server: Server = this.tls ? createHttpsServer({ key: this.tls.key, cert: this.tls.cert }, handler) : createServer(handler);
    server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => this.kvmUpgrade(req, socket, head));
    server.on("connection", (s: Socket) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    for (const ws of this.kvmSessions) ws.terminate();
    this.kvmSessions.clear();
    this.kvmServer?.close();
    this.kvmServer = null;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Closes every KVM session from the BMC side (as a BMC reboot does). */
  closeKvmSessions(code = 1001, reason = "BMC going away"): void {
    for (const ws of this.kvmSessions) ws.close(code, reason);
  }

  // ---- the KVM websocket ----

  private kvmUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (req.url ?? "/").split("?")[0];
    const auth = this.auth(req);
    const log = { path, auth, status: 101 };
    this.kvmRequests.push(log);
    const refuse = (status: number, text: string) => {
      log.status = status;
      socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    };
    if (this.kvmHang) return void log;
    if (path !== this.opts.kvmPath) return refuse(404, "Not Found");
    if (auth !== "basic" && auth !== "session") return refuse(401, "Unauthorized");
    if (this.kvmRefuseStatus) return refuse(this.kvmRefuseStatus, "Service Unavailable");
    this.kvmServer ??= new WebSocketServer({ noServer: true, perMessageDeflate: false });
    this.kvmServer.handleUpgrade(req, socket, head, (ws) => {
      if (this.kvmSessions.size >= this.kvmMaxSessions) {
        ws.close(1011, "Max sessions are already connected");
        return;
      }
      this.kvmSessions.add(ws);
      const stream = createWebSocketStream(ws);
      stream.on("error", () => undefined);
      const session = serveRfb(stream, {
        framebuffer: this.kvmFramebuffer, name: "Mock BMC KVM",
        keyEvent: (down, keysym) => void this.kvmInput.push({ key: [keysym, down] }),
        pointerEvent: (mask, x, y) => void this.kvmInput.push({ pointer: [mask, x, y] }),
      });
      ws.on("close", () => {
        this.kvmSessions.delete(ws);
        session.close();
      });
    });
  }

  // ---- request handling ----

  private auth(req: IncomingMessage): MockRequest["auth"] {
    const token = req.headers["x-auth-token"];
    if (typeof token === "string") {
      for (const s of this.sessions.values()) {
        if (s.token !== token) continue;
        if (Date.now() - s.lastUsed > this.opts.sessionTimeoutSeconds * 1000) {
          this.sessions.delete(s.id);
          return "bad";
        }
        s.lastUsed = Date.now();
        return "session";
      }
      return "bad";
    }
    const header = req.headers.authorization;
    if (typeof header === "string" && header.startsWith("Basic ")) {
      const [user, ...rest] = Buffer.from(header.slice(6), "base64").toString().split(":");
      return user === this.opts.username && rest.join(":") === this.opts.password ? "basic" : "bad";
    }
    return "none";
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString();
    const method = req.method ?? "GET";
    const path = (req.url ?? "/").split("?")[0].replace(/\/+$/, "") || "/";
    const auth = this.auth(req);
    const log: MockRequest = { method, path, auth, status: 0 };
    this.requests.push(log);
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.dropConnections > 0) {
      this.dropConnections--;
      log.status = -1;
      req.socket.destroy();
      return;
    }
    if (this.fail5xx > 0) {
      this.fail5xx--;
      log.status = this.failStatus;
      json(res, this.failStatus, redfishError("InternalError", "The request failed due to an internal service error. The service is still operational."));
      return;
    }
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      log.status = status;
      if (res.writableEnded || res.destroyed) return;
      json(res, status, body, headers);
    };
    let body: Record<string, unknown> = {};
    if (raw) {
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        return send(400, redfishError("MalformedJSON", "The request body submitted was malformed JSON and could not be parsed by the receiving service."));
      }
    }
    const open = (method === "GET" && (path === "/redfish" || path === "/redfish/v1" || path === "/redfish/v1/odata" || path === "/redfish/v1/$metadata" || path === "/redirect-me")) ||
      (method === "POST" && path === "/redfish/v1/SessionService/Sessions" && this.opts.sessionService);
    if (!open && auth !== "basic" && auth !== "session") {
      return send(401, redfishError("NoValidSession", "There is no valid session established with the implementation."), { "WWW-Authenticate": 'Basic realm="RedfishService"' });
    }
    try {
      await this.route(method, path, body, req, send);
    } catch (err) {
      send(500, redfishError("InternalError", `mock failure: ${(err as Error).message}`));
    }
  }

  private notFound(send: Send, path: string) {
    return send(404, redfishError("ResourceMissingAtURI", `The resource at the URI ${path} was not found.`));
  }

  private checkIfMatch(req: IncomingMessage, r: Resource, send: Send): boolean {
    if (this.concurrentChanges > 0) {
      this.concurrentChanges--;
      r.version++;
    }
    const ifMatch = req.headers["if-match"];
    if (ifMatch === undefined) {
      if (this.opts.requireIfMatch) {
        send(428, redfishError("PreconditionRequired", "A precondition header or annotation is required to change the resource."));
        return false;
      }
      return true;
    }
    if (ifMatch !== "*" && ifMatch !== etagOf(r)) {
      send(412, redfishError("PreconditionFailed", "The ETag supplied did not match the ETag required to change this resource."));
      return false;
    }
    return true;
  }

  private startTask(ms: number, finalStatus: number, work: () => void): { status: number; headers: Record<string, string>; body: unknown } {
    const id = String(this.nextId++);
    const task = { id, state: "Running" as const, percent: 0, messages: [] as string[], finalStatus, doneAt: Date.now() + ms, onDone: work };
    this.tasks.set(id, task);
    return {
      status: 202,
      headers: { Location: `/redfish/v1/TaskService/TaskMonitors/${id}`, "Retry-After": "0" },
      body: this.taskBody(task),
    };
  }

  private pollTask(id: string): (MockTask & { doneAt: number }) | undefined {
    const t = this.tasks.get(id);
    if (t && t.state === "Running" && Date.now() >= t.doneAt) {
      try {
        t.onDone?.();
        (t as MockTask).state = "Completed";
        t.messages.push("The task completed successfully.");
      } catch (err) {
        (t as MockTask).state = "Exception";
        t.messages.push((err as Error).message);
        t.finalStatus = 500;
      }
      t.percent = 100;
    }
    return t;
  }

  private taskBody(t: MockTask) {
    return {
      "@odata.id": `/redfish/v1/TaskService/Tasks/${t.id}`, "@odata.type": "#Task.v1_7_0.Task", Id: t.id, Name: `Task ${t.id}`,
      TaskState: t.state, TaskStatus: t.state === "Exception" ? "Critical" : "OK", PercentComplete: t.percent,
      TaskMonitor: `/redfish/v1/TaskService/TaskMonitors/${t.id}`,
      Messages: t.messages.map((m) => ({ MessageId: "Task.1.0.Completed", Message: m })),
    };
  }

  private setPower(sys: MockSystem, target: "On" | "Off", then?: () => void): void {
    const finish = () => {
      const wasOff = sys.powerState !== "On";
      sys.powerState = target;
      sys.version++;
      if (target === "On" && wasOff) {
        sys.boot_();
        sys.machine?.powerOn(sys.bootedFrom ?? "Hdd");
      }
      if (target === "Off") sys.machine?.powerOff();
      sys.onPowerChange?.(target);
      then?.();
    };
    if (sys.powerTransitionMs > 0) {
      sys.powerState = target === "On" ? "PoweringOn" : "PoweringOff";
      sys.version++;
      setTimeout(finish, sys.powerTransitionMs);
    } else finish();
  }

  private reset(sys: MockSystem, type: string): void {
    sys.resets.push(type);
    const on = sys.powerState === "On" || sys.powerState === "PoweringOn";
    switch (type) {
      case "On": case "ForceOn":
        if (!on) this.setPower(sys, "On");
        return;
      case "ForceOff": case "GracefulShutdown":
        if (on) this.setPower(sys, "Off");
        return;
      case "PushPowerButton":
        this.setPower(sys, on ? "Off" : "On");
        return;
      case "ForceRestart": case "GracefulRestart": case "PowerCycle":
        if (on) this.setPower(sys, "Off", () => this.setPower(sys, "On"));
        else if (type === "PowerCycle") this.setPower(sys, "On");
        return;
      case "Nmi":
        sys.nmis++;
        return;
    }
  }

  private async route(method: string, path: string, body: Record<string, unknown>, req: IncomingMessage, send: Send): Promise<void> {
    for (const sys of this.systems) sys.syncPower();
    const V = "/redfish/v1";
    if (path === "/redfish") return send(200, { v1: `${V}/` });
    if (path === "/redirect-me") return send(301, undefined, { Location: `${V}/` });
    if (path === V) {
      if (method !== "GET") return send(405, redfishError("OperationNotAllowed", "The HTTP method is not allowed on this URI."));
      return send(200, this.serviceRoot());
    }
    if (path === `${V}/Systems` && method === "GET") {
      return send(200, {
        "@odata.id": `${V}/Systems`, "@odata.type": "#ComputerSystemCollection.ComputerSystemCollection", Name: "Computer System Collection",
        "Members@odata.count": this.systems.length, Members: this.systems.map((s) => ref(s.path)),
      });
    }
    if (path === `${V}/Registries` && method === "GET") {
      return send(200, {
        "@odata.id": `${V}/Registries`, "@odata.type": "#MessageRegistryFileCollection.MessageRegistryFileCollection", Name: "Registry File Collection",
        "Members@odata.count": 2, Members: [ref(`${V}/Registries/Base.1.8.0`), ref(`${V}/Registries/BiosAttributeRegistry.v1_0_0`)],
      });
    }
    if (path === `${V}/Registries/BiosAttributeRegistry.v1_0_0` && method === "GET") {
      return send(200, {
        "@odata.id": path, "@odata.type": "#MessageRegistryFile.v1_1_3.MessageRegistryFile", Id: "BiosAttributeRegistry.v1_0_0",
        Name: "BIOS Attribute Registry File", Registry: "BiosAttributeRegistry.v1_0_0", Languages: ["en"],
        Location: [{ Language: "en", Uri: `${V}/Registries/BiosAttributeRegistry.v1_0_0/BiosAttributeRegistry.json` }],
      });
    }
    if (path === `${V}/Registries/Base.1.8.0` && method === "GET") {
      return send(200, { "@odata.id": path, "@odata.type": "#MessageRegistryFile.v1_1_3.MessageRegistryFile", Id: "Base.1.8.0", Registry: "Base.1.8", Location: [] });
    }
    if (path === `${V}/Registries/BiosAttributeRegistry.v1_0_0/BiosAttributeRegistry.json` && method === "GET") {
      return send(200, {
        "@odata.type": "#AttributeRegistry.v1_3_6.AttributeRegistry", Id: "BiosAttributeRegistry.v1_0_0", Name: "BIOS Attribute Registry",
        Language: "en", RegistryVersion: "1.0.0", OwningEntity: "Mock",
        RegistryEntries: { Attributes: MOCK_BIOS_REGISTRY.map((a) => ({ ...a, DisplayName: a.AttributeName, ReadOnly: a.ReadOnly ?? false, ResetRequired: a.ResetRequired ?? false })) },
      });
    }
    if (path.startsWith(`${V}/SessionService`)) return this.sessionRoutes(method, path, body, req, send);
    if (path.startsWith(`${V}/TaskService`)) return this.taskRoutes(method, path, send);
    if (path.startsWith(`${V}/Managers`)) return this.managerRoutes(method, path, body, req, send);
    if (path.startsWith(`${V}/Chassis`)) {
      if (path === `${V}/Chassis` && method === "GET") {
        return send(200, { "@odata.id": path, Name: "Chassis Collection", "Members@odata.count": 1, Members: [ref(`${V}/Chassis/1`)] });
      }
      if (path === `${V}/Chassis/1` && method === "GET") {
        return send(200, { "@odata.id": path, "@odata.type": "#Chassis.v1_14_0.Chassis", Id: "1", Name: "Mock Chassis", ChassisType: "RackMount" });
      }
      return this.notFound(send, path);
    }
    const m = /^\/redfish\/v1\/Systems\/([^/]+)(\/.*)?$/.exec(path);
    if (m) {
      const sys = this.systems.find((s) => s.id === decodeURIComponent(m[1]));
      if (!sys) return this.notFound(send, path);
      return this.systemRoutes(sys, method, m[2] ?? "", path, body, req, send);
    }
    return this.notFound(send, path);
  }

  private serviceRoot() {
    const V = "/redfish/v1";
    const root: Record<string, unknown> = {
      "@odata.id": `${V}/`, "@odata.type": "#ServiceRoot.v1_11_0.ServiceRoot", Id: "RootService", Name: "Root Service",
      RedfishVersion: "1.15.0", UUID: "92384634-2938-2342-8820-489239905423", Product: "Ingot test BMC", Vendor: "Ingot",
      Systems: ref(`${V}/Systems`), Chassis: ref(`${V}/Chassis`), Managers: ref(`${V}/Managers`),
      TaskService: ref(`${V}/TaskService`), Registries: ref(`${V}/Registries`),
    };
    if (this.opts.sessionService) {
      root.SessionService = ref(`${V}/SessionService`);
      root.Links = { Sessions: ref(`${V}/SessionService/Sessions`) };
    } else root.Links = {};
    return root;
  }

  private sessionRoutes(method: string, path: string, body: Record<string, unknown>, req: IncomingMessage, send: Send) {
    const V = "/redfish/v1";
    if (!this.opts.sessionService) return this.notFound(send, path);
    if (path === `${V}/SessionService` && method === "GET") {
      return send(200, {
        "@odata.id": path, "@odata.type": "#SessionService.v1_1_8.SessionService", Id: "SessionService", Name: "Session Service",
        ServiceEnabled: true, SessionTimeout: this.opts.sessionTimeoutSeconds, Sessions: ref(`${V}/SessionService/Sessions`),
      });
    }
    if (path === `${V}/SessionService/Sessions`) {
      if (method === "GET") {
        return send(200, {
          "@odata.id": path, Name: "Session Collection", "Members@odata.count": this.sessions.size,
          Members: [...this.sessions.values()].map((s) => ref(`${path}/${s.id}`)),
        });
      }
      if (method === "POST") {
        if (body.UserName !== this.opts.username || body.Password !== this.opts.password) {
          return send(401, redfishError("NoValidSession", "There is no valid session established with the implementation."));
        }
        const id = String(this.nextId++);
        const token = randomBytes(16).toString("hex");
        this.sessions.set(id, { id, user: String(body.UserName), token, lastUsed: Date.now() });
        return send(201, { "@odata.id": `${path}/${id}`, "@odata.type": "#Session.v1_3_0.Session", Id: id, Name: "User Session", UserName: body.UserName }, {
          "X-Auth-Token": token, Location: `${path}/${id}`,
        });
      }
    }
    const sm = /^\/redfish\/v1\/SessionService\/Sessions\/([^/]+)$/.exec(path);
    if (sm && this.sessions.has(sm[1])) {
      const s = this.sessions.get(sm[1])!;
      if (method === "GET") return send(200, { "@odata.id": path, Id: s.id, UserName: s.user });
      if (method === "DELETE") {
        this.sessions.delete(s.id);
        return send(204);
      }
    }
    void req;
    return this.notFound(send, path);
  }

  private taskRoutes(method: string, path: string, send: Send) {
    const V = "/redfish/v1";
    if (path === `${V}/TaskService` && method === "GET") {
      return send(200, { "@odata.id": path, "@odata.type": "#TaskService.v1_2_0.TaskService", Id: "TaskService", ServiceEnabled: true, Tasks: ref(`${V}/TaskService/Tasks`) });
    }
    if (path === `${V}/TaskService/Tasks` && method === "GET") {
      return send(200, { "@odata.id": path, "Members@odata.count": this.tasks.size, Members: [...this.tasks.keys()].map((id) => ref(`${path}/${id}`)) });
    }
    const tm = /^\/redfish\/v1\/TaskService\/(Tasks|TaskMonitors)\/([^/]+)$/.exec(path);
    const t = tm ? this.pollTask(tm[2]) : undefined;
    if (!tm || !t || method !== "GET") return this.notFound(send, path);
    if (tm[1] === "Tasks") return send(200, this.taskBody(t));
    // The task monitor: 202 while running; afterwards the operation's own answer.
    if (t.state === "Running") return send(202, this.taskBody(t), { Location: path, "Retry-After": "0" });
    if (t.state === "Exception") return send(t.finalStatus, redfishError("InternalError", t.messages.join(" ")));
    return send(t.finalStatus, t.finalStatus === 204 ? undefined : this.taskBody(t));
  }

  private async managerRoutes(method: string, path: string, body: Record<string, unknown>, req: IncomingMessage, send: Send) {
    const V = "/redfish/v1";
    const M = `${V}/Managers/BMC`;
    if (path === `${V}/Managers` && method === "GET") {
      return send(200, { "@odata.id": path, Name: "Manager Collection", "Members@odata.count": 1, Members: [ref(M)] });
    }
    if (path === M && method === "GET") {
      const mgr: Record<string, unknown> = {
        "@odata.id": M, "@odata.type": "#Manager.v1_10_0.Manager", Id: "BMC", Name: "Manager", ManagerType: "BMC",
        FirmwareVersion: "1.00", Status: { State: "Enabled", Health: "OK" },
        Links: { ManagerForServers: this.systems.map((s) => ref(s.path)) },
      };
      if (this.opts.virtualMedia) mgr.VirtualMedia = ref(`${M}/VirtualMedia`);
      if (this.graphicalConsole !== "absent") {
        mgr.GraphicalConsole = {
          ServiceEnabled: this.graphicalConsole !== "disabled",
          MaxConcurrentSessions: this.kvmMaxSessions,
          ConnectTypesSupported: this.graphicalConsole === "no-kvmip" ? ["Oem"] : ["KVMIP"],
        };
      }
      return send(200, mgr);
    }
    if (!this.opts.virtualMedia) return this.notFound(send, path);
    if (path === `${M}/VirtualMedia` && method === "GET") {
      return send(200, {
        "@odata.id": path, Name: "Virtual Media Services", "Members@odata.count": this.virtualMedia.length,
        Members: this.virtualMedia.map((v) => ref(`${path}/${v.id}`)),
      });
    }
    const vm = /^\/redfish\/v1\/Managers\/BMC\/VirtualMedia\/([^/]+)(\/Actions\/VirtualMedia\.(InsertMedia|EjectMedia))?$/.exec(path);
    const dev = vm ? this.virtualMedia.find((v) => v.id === vm[1]) : undefined;
    if (!vm || !dev) return this.notFound(send, path);
    if (!vm[2]) {
      if (method !== "GET") return send(405, redfishError("OperationNotAllowed", "The HTTP method is not allowed on this URI."));
      return send(200, {
        "@odata.id": path, "@odata.type": "#VirtualMedia.v1_3_0.VirtualMedia", Id: dev.id, Name: `Virtual ${dev.id}`,
        MediaTypes: dev.id === "Cd" ? ["CD", "DVD"] : ["Floppy", "USBStick"], Image: dev.image, Inserted: dev.inserted,
        WriteProtected: true, ConnectedVia: dev.inserted ? "URI" : "NotConnected",
        Actions: {
          "#VirtualMedia.InsertMedia": { target: `${path}/Actions/VirtualMedia.InsertMedia` },
          "#VirtualMedia.EjectMedia": { target: `${path}/Actions/VirtualMedia.EjectMedia` },
        },
      }, { ETag: etagOf(dev) });
    }
    if (method !== "POST") return send(405, redfishError("OperationNotAllowed", "The HTTP method is not allowed on this URI."));
    if (vm[3] === "EjectMedia") {
      if (!dev.inserted) return send(400, redfishError("ActionNotSupported", "No media is inserted."));
      dev.image = null;
      dev.inserted = false;
      dev.version++;
      return send(204);
    }
    const image = body.Image;
    if (typeof image !== "string" || !/^https?:\/\//.test(image)) {
      return send(400, redfishError("ActionParameterValueFormatError", `The value '${String(image)}' for the parameter Image in the action InsertMedia is of a different format than the parameter can accept.`));
    }
    if (dev.inserted) return send(409, redfishError("ResourceInUse", "The change to the requested resource failed because the resource is in use or in transition: media is already inserted."));
    if (this.opts.checkImageUrls) {
      const problem = await fetch(image, { method: "GET", signal: AbortSignal.timeout(5000) })
        .then(async (r) => { await r.arrayBuffer(); return r.ok ? null : `HTTP ${r.status}`; })
        .catch((e: Error) => e.message);
      if (problem) return send(400, redfishError("ActionParameterValueError", `The image ${image} could not be downloaded: ${problem}.`));
    }
    dev.image = image;
    dev.inserted = body.Inserted === undefined ? true : Boolean(body.Inserted);
    dev.version++;
    void req;
    return send(204);
  }

  private systemRoutes(sys: MockSystem, method: string, sub: string, path: string, body: Record<string, unknown>, req: IncomingMessage, send: Send) {
    const member = (coll: string, ids: string[]) =>
      send(200, { "@odata.id": path, Name: `${coll} Collection`, "Members@odata.count": ids.length, Members: ids.map((id) => ref(`${path}/${id}`)) });
    if (sub === "") {
      if (method === "GET") return send(200, this.systemBody(sys), { ETag: etagOf(sys) });
      if (method === "PATCH") {
        if (!this.checkIfMatch(req, sys, send)) return;
        const boot = body.Boot as Record<string, unknown> | undefined;
        const extra = Object.keys(body).filter((k) => k !== "Boot" && k !== "IndicatorLED" && k !== "LocationIndicatorActive");
        if (extra.length) return send(400, redfishError("PropertyNotWritable", `The property ${extra[0]} is a read only property and cannot be assigned a value.`));
        if (boot) {
          if (boot.BootSourceOverrideTarget !== undefined && !sys.bootTargets.includes(String(boot.BootSourceOverrideTarget))) {
            return send(400, redfishError("PropertyValueNotInList", `The value ${String(boot.BootSourceOverrideTarget)} for the property BootSourceOverrideTarget is not in the list of acceptable values.`));
          }
          if (boot.BootSourceOverrideEnabled !== undefined && !sys.bootEnabledValues.includes(String(boot.BootSourceOverrideEnabled))) {
            return send(400, redfishError("PropertyValueNotInList", `The value ${String(boot.BootSourceOverrideEnabled)} for the property BootSourceOverrideEnabled is not in the list of acceptable values.`));
          }
          if (boot.BootSourceOverrideMode !== undefined && !["UEFI", "Legacy"].includes(String(boot.BootSourceOverrideMode))) {
            return send(400, redfishError("PropertyValueNotInList", `The value ${String(boot.BootSourceOverrideMode)} for the property BootSourceOverrideMode is not in the list of acceptable values.`));
          }
          if (boot.BootSourceOverrideTarget !== undefined) sys.boot.target = String(boot.BootSourceOverrideTarget);
          if (boot.BootSourceOverrideEnabled !== undefined) sys.boot.enabled = String(boot.BootSourceOverrideEnabled);
          if (boot.BootSourceOverrideMode !== undefined) sys.boot.mode = String(boot.BootSourceOverrideMode);
        }
        if (body.IndicatorLED !== undefined) sys.led = body.IndicatorLED as MockSystem["led"];
        sys.version++;
        return send(204);
      }
      return send(405, redfishError("OperationNotAllowed", "The HTTP method is not allowed on this URI."));
    }
    if (sub === "/Actions/ComputerSystem.Reset" && method === "POST") {
      const type = String(body.ResetType ?? "");
      if (!sys.resetTypes.includes(type)) {
        return send(400, redfishError("ActionParameterNotSupported", `The parameter ResetType for the action ComputerSystem.Reset is not supported on the target resource: ${type}.`));
      }
      if (sys.asyncResetMs > 0) {
        const t = this.startTask(sys.asyncResetMs, 204, () => this.reset(sys, type));
        return send(t.status, t.body, t.headers);
      }
      this.reset(sys, type);
      return send(204);
    }
    if (sub === "/SecureBoot") {
      if (!sys.hasSecureBoot) return this.notFound(send, path);
      const sb = sys.secureBoot as typeof sys.secureBoot & Resource;
      if (method === "GET") {
        return send(200, {
          "@odata.id": path, "@odata.type": "#SecureBoot.v1_1_0.SecureBoot", Id: "SecureBoot", Name: "UEFI Secure Boot",
          SecureBootEnable: sb.enable, SecureBootCurrentBoot: sb.current, SecureBootMode: "DeployedMode",
        }, { ETag: etagOf(sb) });
      }
      if (method === "PATCH") {
        if (!this.checkIfMatch(req, sb, send)) return;
        if (typeof body.SecureBootEnable !== "boolean") return send(400, redfishError("PropertyValueTypeError", "The value for the property SecureBootEnable is of a different type than the property can accept."));
        if (body.SecureBootEnable && sys.boot.mode !== "UEFI") return send(400, redfishError("PropertyValueConflict", "Secure boot needs UEFI boot mode."));
        sb.enable = body.SecureBootEnable;
        sb.version++;
        return send(204);
      }
    }
    if (sub.startsWith("/Bios")) {
      if (!sys.hasBios) return this.notFound(send, path);
      return this.biosRoutes(sys, method, sub, path, body, req, send);
    }
    if (sub === "/Processors" && method === "GET") return member("Processors", ["CPU1", "CPU2"]);
    const pm = /^\/Processors\/(CPU[12])$/.exec(sub);
    if (pm && method === "GET") {
      return send(200, {
        "@odata.id": path, "@odata.type": "#Processor.v1_10_0.Processor", Id: pm[1], Name: "Processor", Socket: pm[1],
        ProcessorType: "CPU", ProcessorArchitecture: "x86", InstructionSet: "x86-64", Manufacturer: "Intel(R) Corporation",
        Model: "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz", MaxSpeedMHz: 3200, TotalCores: 32, TotalThreads: 64, Status: { State: "Enabled", Health: "OK" },
      });
    }
    if (sub === "/Memory" && method === "GET") return member("Memory", ["DIMM0", "DIMM1", "DIMM2", "DIMM3"]);
    const mm = /^\/Memory\/(DIMM[0-3])$/.exec(sub);
    if (mm && method === "GET") {
      return send(200, {
        "@odata.id": path, "@odata.type": "#Memory.v1_11_0.Memory", Id: mm[1], Name: mm[1], CapacityMiB: 65536,
        MemoryDeviceType: "DDR4", OperatingSpeedMhz: 3200, Status: { State: "Enabled", Health: "OK" },
      });
    }
    if (sub === "/EthernetInterfaces" && method === "GET") return member("Ethernet Interface", sys.nics.map((_, i) => `NIC${i + 1}`));
    const em = /^\/EthernetInterfaces\/NIC(\d+)$/.exec(sub);
    if (em && method === "GET" && sys.nics[Number(em[1]) - 1]) {
      const nic = sys.nics[Number(em[1]) - 1];
      return send(200, {
        "@odata.id": path, "@odata.type": "#EthernetInterface.v1_6_0.EthernetInterface", Id: `NIC${em[1]}`, Name: `Ethernet ${em[1]}`,
        MACAddress: nic.mac.toUpperCase(), PermanentMACAddress: nic.mac.toUpperCase(), SpeedMbps: nic.speedMbps ?? null,
        LinkStatus: nic.linkUp ? "LinkUp" : "LinkDown", Status: { State: nic.enabled === false ? "Disabled" : "Enabled", Health: "OK" },
        IPv4Addresses: nic.ipv4 ? [{ Address: nic.ipv4, SubnetMask: "255.255.255.0", AddressOrigin: "DHCP" }] : [],
      });
    }
    if (sub === "/SimpleStorage" && (sys.storage === "SimpleStorage" || sys.storage === "both") && method === "GET") return member("Simple Storage", ["1"]);
    if (sub === "/SimpleStorage/1" && (sys.storage === "SimpleStorage" || sys.storage === "both") && method === "GET") {
      return send(200, {
        "@odata.id": path, "@odata.type": "#SimpleStorage.v1_3_0.SimpleStorage", Id: "1", Name: "Simple Storage Controller",
        Devices: sys.drives.map((d) => ({ Name: d.name, Manufacturer: "MOCK", Model: d.model, CapacityBytes: d.capacity, Status: { State: "Enabled", Health: "OK" } })),
      });
    }
    if (sub === "/Storage" && (sys.storage === "Storage" || sys.storage === "both") && method === "GET") return member("Storage", ["1"]);
    if (sub === "/Storage/1" && (sys.storage === "Storage" || sys.storage === "both") && method === "GET") {
      return send(200, {
        "@odata.id": path, "@odata.type": "#Storage.v1_9_0.Storage", Id: "1", Name: "RAID Controller",
        Drives: sys.drives.map((d) => ref(`${path}/Drives/${d.id}`)),
      });
    }
    const dm = /^\/Storage\/1\/Drives\/(\d+)$/.exec(sub);
    if (dm && (sys.storage === "Storage" || sys.storage === "both") && method === "GET") {
      const d = sys.drives.find((x) => x.id === dm[1]);
      if (!d) return this.notFound(send, path);
      return send(200, {
        "@odata.id": path, "@odata.type": "#Drive.v1_9_0.Drive", Id: d.id, Name: d.name, Model: d.model, Manufacturer: "MOCK",
        CapacityBytes: d.capacity, MediaType: d.mediaType, RotationSpeedRPM: d.mediaType === "HDD" ? 7200 : 0, SerialNumber: d.serial,
        Identifiers: [{ DurableNameFormat: "NAA", DurableName: d.naa }], Status: { State: "Enabled", Health: "OK" },
      });
    }
    return this.notFound(send, path);
  }

  private systemBody(sys: MockSystem) {
    const P = sys.path;
    const body: Record<string, unknown> = {
      "@odata.id": P, "@odata.type": "#ComputerSystem.v1_13_0.ComputerSystem", Id: sys.id, Name: `Mock system ${sys.id}`,
      SystemType: "Physical", Manufacturer: "Ingot", Model: "Mock Server 1U", SerialNumber: `MOCK-${sys.id}-0001`,
      UUID: `00000000-0000-4000-8000-${String(sys.id).padStart(12, "0").slice(-12)}`, HostName: `mock-${sys.id}`,
      BiosVersion: "2.11.2", PowerState: sys.powerState, IndicatorLED: sys.led, Status: { State: "Enabled", Health: "OK" },
      Boot: {
        BootSourceOverrideTarget: sys.boot.target, "BootSourceOverrideTarget@Redfish.AllowableValues": sys.bootTargets,
        BootSourceOverrideEnabled: sys.boot.enabled, "BootSourceOverrideEnabled@Redfish.AllowableValues": sys.bootEnabledValues,
        BootSourceOverrideMode: sys.boot.mode, "BootSourceOverrideMode@Redfish.AllowableValues": ["UEFI", "Legacy"],
      },
      ProcessorSummary: { Count: 2, LogicalProcessorCount: 128, Model: "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz", Status: { State: "Enabled" } },
      MemorySummary: { TotalSystemMemoryGiB: 256, Status: { State: "Enabled" } },
      Processors: ref(`${P}/Processors`), Memory: ref(`${P}/Memory`), EthernetInterfaces: ref(`${P}/EthernetInterfaces`),
      Links: { Chassis: [ref("/redfish/v1/Chassis/1")], ManagedBy: [ref("/redfish/v1/Managers/BMC")] },
      Actions: {
        "#ComputerSystem.Reset": { target: `${P}/Actions/ComputerSystem.Reset`, "ResetType@Redfish.AllowableValues": sys.resetTypes },
      },
    };
    if (sys.hasBios) body.Bios = ref(`${P}/Bios`);
    if (sys.hasSecureBoot) body.SecureBoot = ref(`${P}/SecureBoot`);
    if (sys.storage === "SimpleStorage" || sys.storage === "both") body.SimpleStorage = ref(`${P}/SimpleStorage`);
    if (sys.storage === "Storage" || sys.storage === "both") body.Storage = ref(`${P}/Storage`);
    return body;
  }

  private biosRoutes(sys: MockSystem, method: string, sub: string, path: string, body: Record<string, unknown>, req: IncomingMessage, send: Send) {
    const P = `${sys.path}/Bios`;
    const biosRes = { version: sys.biosVersion };
    const pendingRes = { version: sys.pendingVersion };
    if (sub === "/Bios" && method === "GET") {
      return send(200, {
        "@odata.id": P, "@odata.type": "#Bios.v1_1_0.Bios", Id: "Bios", Name: "BIOS Configuration Current Settings",
        AttributeRegistry: "BiosAttributeRegistry.v1_0_0", Attributes: { ...sys.bios },
        "@Redfish.Settings": { "@odata.type": "#Settings.v1_3_0.Settings", SettingsObject: ref(`${P}/Settings`), SupportedApplyTimes: ["OnReset"] },
        Actions: {
          "#Bios.ResetBios": { target: `${P}/Actions/Bios.ResetBios` },
          "#Bios.ChangePassword": { target: `${P}/Actions/Bios.ChangePassword` },
        },
      }, { ETag: etagOf(biosRes) });
    }
    if (sub === "/Bios/Settings") {
      if (method === "GET") {
        return send(200, {
          "@odata.id": `${P}/Settings`, "@odata.type": "#Bios.v1_1_0.Bios", Id: "Settings", Name: "BIOS Configuration Pending Settings",
          AttributeRegistry: "BiosAttributeRegistry.v1_0_0", Attributes: { ...sys.pending },
        }, { ETag: etagOf(pendingRes) });
      }
      if (method === "PATCH") {
        if (!this.checkIfMatch(req, pendingRes, send)) {
          sys.pendingVersion = pendingRes.version;
          return;
        }
        sys.pendingVersion = pendingRes.version;
        const applyTime = (body["@Redfish.SettingsApplyTime"] as { ApplyTime?: string } | undefined)?.ApplyTime;
        if (applyTime !== undefined && applyTime !== "OnReset") {
          return send(400, redfishError("PropertyValueNotInList", `The value ${applyTime} for the property ApplyTime is not in the list of acceptable values.`));
        }
        sys.lastApplyTime = applyTime ?? null;
        const attrs = body.Attributes;
        if (!attrs || typeof attrs !== "object") return send(400, redfishError("PropertyMissing", "The property Attributes is a required property and must be included in the request."));
        for (const [name, value] of Object.entries(attrs as Record<string, unknown>)) {
          const problem = biosValueProblem(name, value);
          if (problem) return send(400, redfishError("PropertyValueNotInList", problem));
        }
        Object.assign(sys.pending, attrs);
        sys.pendingVersion++;
        return send(204);
      }
    }
    if (sub === "/Bios/Actions/Bios.ResetBios" && method === "POST") {
      const work = () => {
        sys.pendingResetBios = true;
        sys.pending = {};
        sys.pendingVersion++;
      };
      if (sys.asyncBiosResetMs > 0) {
        const t = this.startTask(sys.asyncBiosResetMs, 204, work);
        return send(t.status, t.body, t.headers);
      }
      work();
      return send(204);
    }
    return this.notFound(send, path);
  }
}

type Send = (status: number, body?: unknown, headers?: Record<string, string>) => void;

/** What a BMC says about a BIOS value outside the registry (null = fine). */
function biosValueProblem(name: string, value: unknown): string | null {
  const a = MOCK_BIOS_REGISTRY.find((x) => x.AttributeName === name);
  if (!a) return `The property ${name} is not in the list of valid properties for the resource.`;
  if (a.ReadOnly) return `The property ${name} is a read only property and cannot be assigned a value.`;
  const bad = `The value ${JSON.stringify(value)} for the property ${name} is not in the list of acceptable values.`;
  switch (a.Type) {
    case "Enumeration":
      return a.Value!.some((v) => v.ValueName === value) ? null : bad;
    case "Integer":
      return typeof value === "number" && Number.isInteger(value) && value >= (a.LowerBound ?? -Infinity) && value <= (a.UpperBound ?? Infinity) ? null : bad;
    case "Boolean":
      return typeof value === "boolean" ? null : bad;
    case "String":
      return typeof value === "string" && value.length <= (a.MaxLength ?? Infinity) ? null : bad;
  }
}

// Standalone: `npx tsx lib/testing/redfish_mock.ts [port] [systems]` runs a test BMC on 127.0.0.1
// for trying the redfish driver by hand (dashboard, openstack client); Ctrl-C stops it.
if (process.argv[1] && /redfish_mock\.ts$/.test(process.argv[1])) {
  const port = Number(process.argv[2] ?? 8000);
  const count = Math.max(1, Number(process.argv[3] ?? 1));
  const mock = new RedfishMock({ systems: Array.from({ length: count }, () => ({})), checkImageUrls: false });
  void mock.start(port).then(() => {
    console.log(`Redfish test BMC on ${mock.url} (user ${mock.opts.username}, password ${mock.opts.password})`);
    for (const s of mock.systems) console.log(`  driver_info: ${JSON.stringify(mock.driverInfo({ redfish_system_id: s.path }))}`);
    console.log(`  KVM (console_interface "redfish-graphical"): ${mock.url.replace(/^http/, "ws")}${mock.opts.kvmPath}`);
  });
}

/** A fixed 64×48 screen: eight colour bars, a white diagonal, a black border. */
function kvmPattern(): Framebuffer {
  const fb = new Framebuffer(64, 48);
  const bars = [0xffffff, 0xffff00, 0x00ffff, 0x00ff00, 0xff00ff, 0xff0000, 0x0000ff, 0x202020];
  for (let i = 0; i < bars.length; i++) fb.fillRectQuiet(i * 8, 0, 8, 48, bars[i]);
  for (let i = 0; i < 48; i++) fb.fillRectQuiet(i, i, 1, 1, 0xffffff);
  fb.fillRectQuiet(0, 0, 64, 1, 0);
  fb.fillRectQuiet(0, 47, 64, 1, 0);
  return fb;
}

/**
 * A test service over https with a fresh self-signed certificate for 127.0.0.1 (made by `openssl`,
 * which npm test installs); `caFile` is that certificate, for redfish_verify_ca.
 */
export async function startTlsRedfishMock(): Promise<{ bmc: RedfishMock; caFile: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "rf-tls-"));
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
  ], { stdio: "ignore" });
  const bmc = new RedfishMock({ tls: { key: readFileSync(join(dir, "key.pem"), "utf8"), cert: readFileSync(join(dir, "cert.pem"), "utf8") } });
  await bmc.start();
  return {
    bmc,
    caFile: join(dir, "cert.pem"),
    async stop() {
      await bmc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// A test stand-in for the Ironic Python Agent (IPA, Zed) that speaks its protocol as its source
// does (ironic_python_agent/api/app.py, agent.py, extensions/{base,clean,deploy,standby,rescue,
// log}.py, hardware.py): it looks its node up and heartbeats to an Ironic API (Ingot's handlers
// in tests), serves its command API over HTTPS with a self-signed certificate made at start (sent
// as agent_verify_ca), checks the agent token, refuses a second command while one runs (409),
// runs asynchronous commands in the background and heartbeats when one ends. Images are really
// downloaded, checked against their hash and written onto a disk file (qcow2 through qemu-img).
// What the real agent does with hardware it cannot do here (erase disks, power the machine off)
// goes through hooks the test gives.
import { execFile } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** How the agent reaches Ironic's API (path relative to /baremetal, e.g. "/v1/lookup?…"). */
export type IronicCall = (method: "GET" | "POST", path: string, body?: unknown) => Promise<{ status: number; body: unknown }>;

/**
 * Ironic's API over HTTP at `apiUrl` (…/baremetal), as IPA calls it: no credentials, API 1.68
 * (IPA asks for the newest version it knows and Ironic answers within it).
 */
export function ironicOverHttp(apiUrl: string): IronicCall {
  return async (method, path, body) => {
    const headers: Record<string, string> = { "X-OpenStack-Ironic-API-Version": "1.68", Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const res = await fetch(`${apiUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null };
  };
}

/** A disk the agent sees; `path` is the file standing in for it. */
export interface TestDisk {
  name: string;
  size: number;
  path: string;
}

export interface TestAgentOptions {
  ironic: IronicCall;
  macs: string[];
  disks: TestDisk[];
  /** "https" (IPA's default with auto TLS) or "http" (listen_tls off). */
  scheme?: "https" | "http";
  /** Pause between lookups while Ironic answers 404 (IPA backs off from 1 s). */
  lookupIntervalMs?: number;
  /** Between heartbeats (IPA: heartbeat_timeout × 0.3–0.6); tests keep it short. */
  heartbeatIntervalMs?: number;
  /** Runs a clean or deploy step the agent is asked to execute; throws to fail it. */
  onStep?: (kind: "clean" | "deploy", step: Record<string, unknown>) => Promise<unknown>;
  /** standby.power_off: the machine goes off (the BMC's view); the agent is gone afterwards. */
  onPowerOff?: () => void | Promise<void>;
  /** Delays every asynchronous command by this much before it works (to see RUNNING). */
  asyncDelayMs?: number;
  /** Runs between the lookup (token in hand) and the first heartbeat: tests act while the agent is quiet. */
  afterLookup?: () => Promise<void>;
  /** IPA's image_download_connection_retries (9, every 10 s); tests keep both short. */
  imageDownloadRetries?: number;
  imageDownloadRetryIntervalMs?: number;
}

interface CommandResult {
  id: string;
  command_name: string;
  command_params: Record<string, unknown>;
  command_status: "RUNNING" | "SUCCEEDED" | "FAILED";
  command_error: Record<string, unknown> | null;
  command_result: unknown;
}

/** IPA's RESTError subclasses as they serialize: type, code, message, details. */
class RestError extends Error {
  constructor(readonly type: string, readonly code: number, readonly title: string, readonly details: string) {
    super(`${title}: ${details}`);
  }
  serialize() {
    return { type: this.type, code: this.code, message: this.title, details: this.details };
  }
}

const invalidParams = (details: string) => new RestError("InvalidCommandParamsError", 400, "Invalid command parameters", details);
const deviceNotFound = (details: string) => new RestError("DeviceNotFound", 404, "Error finding the disk or partition device to deploy the image onto", details);
/** errors.ImageDownloadError; secondary_message is what ImageDownload lists per URL. */
class ImageDownloadFailure extends RestError {
  constructor(id: string, readonly secondaryMessage: string) {
    super("ImageDownloadError", 500, "Error downloading image", `Download of image ${id} failed: ${secondaryMessage}`);
  }
}

/** errors.CommandExecutionError: what an async command's unexpected exception becomes (str(e)). */
class CommandExecutionError extends RestError {
  constructor(details: string) {
    super("CommandExecutionError", 500, "Command execution failed", details);
  }
}

/** Linux errno numbers and texts of the connection failures a download meets. */
const ERRNO: Record<string, [number, string]> = {
  ECONNREFUSED: [111, "Connection refused"], ECONNRESET: [104, "Connection reset by peer"], ETIMEDOUT: [110, "Connection timed out"],
  EHOSTUNREACH: [113, "No route to host"], ENETUNREACH: [101, "Network is unreachable"],
};

/** str() of the requests.ConnectionError that requests.get raises when it cannot connect. */
function requestsConnectionError(url: string, err: unknown): string {
  const u = new URL(url);
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const errno = cause?.code ? ERRNO[cause.code] : undefined;
  const reason = errno ? `[Errno ${errno[0]}] ${errno[1]}` : (cause?.message ?? String(err));
  const scheme = u.protocol === "https:" ? "HTTPS" : "HTTP";
  const port = u.port || (scheme === "HTTPS" ? "443" : "80");
  return `${scheme}ConnectionPool(host='${u.hostname}', port=${port}): Max retries exceeded with url: ${u.pathname}${u.search} ` +
    `(Caused by NewConnectionError('<urllib3.connection.${scheme}Connection object at 0x7f3c2a1b4d90>: Failed to establish a new connection: ${reason}'))`;
}

const HARDWARE_MANAGER = "GenericHardwareManager";
const HARDWARE_VERSIONS = { generic_hardware_manager: "1.1" };

const step = (name: string, priority: number, iface = "deploy", extra: Record<string, unknown> = {}) => ({
  step: name, priority, interface: iface, reboot_requested: false, ...extra,
});

/** GenericHardwareManager.get_clean_steps of IPA Zed. */
export const IPA_CLEAN_STEPS = [
  step("erase_devices", 10, "deploy", { abortable: true }),
  step("erase_devices_metadata", 99, "deploy", { abortable: true }),
  step("erase_devices_express", 0, "deploy", { abortable: true }),
  step("erase_pstore", 0, "deploy", { abortable: true }),
  step("delete_configuration", 0, "raid", { abortable: true }),
  step("create_configuration", 0, "raid", { abortable: true }),
  step("burnin_cpu", 0, "deploy", { abortable: true }),
  step("burnin_disk", 0, "deploy", { abortable: true }),
  step("burnin_memory", 0, "deploy", { abortable: true }),
  step("burnin_network", 0, "deploy", { abortable: true }),
];

/** GenericHardwareManager.get_deploy_steps of IPA Zed (argsinfo left out). */
export const IPA_DEPLOY_STEPS = [
  step("erase_devices_metadata", 0),
  step("apply_configuration", 0, "raid"),
  step("write_image", 0),
  step("inject_files", 0),
];

const GIB = 1024 ** 3;

export class TestIpaAgent {
  private server: Server | HttpServer | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private dir = "";
  readonly commands: CommandResult[] = [];
  readonly heartbeats: Record<string, unknown>[] = [];
  nodeUuid: string | null = null;
  token: string | null = null;
  certPem = "";
  callbackUrl = "";
  cachedNode: Record<string, unknown> | null = null;
  rescuePassword: { password: string; hashed: boolean } | null = null;
  /** What the last prepare_image wrote: the disk's name. */
  writtenTo: string | null = null;

  constructor(readonly opts: TestAgentOptions) {}

  /** Starts the API, looks the node up (retrying while 404) and starts heartbeating. */
  async start(): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), "ipa-test-"));
    const scheme = this.opts.scheme ?? "https";
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    if (scheme === "https") {
      // IPA's auto TLS (tls_utils.py): a P-256 key and a self-signed certificate whose only
      // extension is a critical subjectAltName with the advertised IP — no CA basic constraints.
      await writeFile(join(this.dir, "openssl.cnf"), [
        "[req]", "distinguished_name = dn", "prompt = no", "[dn]", "CN = test-agent",
        "[agent_cert]", "subjectAltName = critical, IP:127.0.0.1", "subjectKeyIdentifier = none", "authorityKeyIdentifier = none", "",
      ].join("\n"));
      await run("openssl", [
        "req", "-x509", "-config", join(this.dir, "openssl.cnf"), "-extensions", "agent_cert",
        "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "30",
        "-keyout", join(this.dir, "key.pem"), "-out", join(this.dir, "cert.pem"),
      ]);
      this.certPem = await readFile(join(this.dir, "cert.pem"), "utf8");
      this.server = createServer({ key: await readFile(join(this.dir, "key.pem")), cert: this.certPem }, handler);
    } else {
      this.server = createHttpServer(handler);
    }
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", () => r()));
    this.callbackUrl = `${scheme}://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    await this.lookup();
    await this.opts.afterLookup?.();
    await this.heartbeat();
    this.scheduleHeartbeat();
  }

  private async lookup(): Promise<void> {
    const q = `addresses=${encodeURIComponent(this.opts.macs.join(","))}`;
    for (;;) {
      if (this.stopped) throw new Error("agent stopped before lookup succeeded");
      const r = await this.opts.ironic("GET", `/v1/lookup?${q}`);
      if (r.status === 200) {
        const body = r.body as { node: { uuid: string }; config: { agent_token: string } };
        this.nodeUuid = body.node.uuid;
        this.token = body.config.agent_token;
        return;
      }
      await new Promise((res) => setTimeout(res, this.opts.lookupIntervalMs ?? 20));
    }
  }

  /** One heartbeat as IPA sends it (API 1.68 fields); the status Ironic answered. */
  async heartbeat(): Promise<number> {
    if (this.stopped || !this.nodeUuid) return 0;
    const body: Record<string, unknown> = { callback_url: this.callbackUrl, agent_token: this.token, agent_version: "9.0.0" };
    if (this.certPem) body.agent_verify_ca = this.certPem;
    this.heartbeats.push(body);
    const r = await this.opts.ironic("POST", `/v1/heartbeat/${this.nodeUuid}`, body);
    return r.status;
  }

  private scheduleHeartbeat(): void {
    if (this.stopped) return;
    this.heartbeatTimer = setTimeout(() => {
      void this.heartbeat().catch(() => undefined).finally(() => this.scheduleHeartbeat());
    }, this.opts.heartbeatIntervalMs ?? 200);
    this.heartbeatTimer.unref();
  }

  /** The machine went off or rebooted: the agent is gone. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.heartbeatTimer) clearTimeout(this.heartbeatTimer);
    const server = this.server;
    this.server = null;
    if (server) {
      server.closeAllConnections?.();
      await new Promise<void>((r) => server.close(() => r()));
    }
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }

  get running(): boolean {
    return !this.stopped;
  }

  // ---- the command API ----

  private send(res: ServerResponse, status: number, value: unknown): void {
    const text = JSON.stringify(value);
    res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) }).end(text);
  }

  /** app.py's format_exception: werkzeug errors read "<code> <Name>: <description>". */
  private fault(res: ServerResponse, status: number, faultstring: string): void {
    this.send(res, status, { faultcode: status >= 500 ? "Server" : "Client", faultstring });
  }

  private serialize(c: CommandResult) {
    return { id: c.id, command_name: c.command_name, command_status: c.command_status, command_error: c.command_error, command_result: c.command_result };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://agent");
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const path = url.pathname.replace(/^\/v1/, "");
    if (req.method === "GET" && path === "/commands/") {
      this.send(res, 200, { commands: this.commands.map((c) => this.serialize(c)) });
      return;
    }
    const one = /^\/commands\/([^/]+)$/.exec(path);
    if (req.method === "GET" && one) {
      const c = this.commands.find((x) => x.id === one[1]);
      if (!c) return this.fault(res, 404, `Not found: Command with id ${one[1]} not found.`);
      this.send(res, 200, this.serialize(c));
      return;
    }
    if (req.method !== "POST" || path !== "/commands/") return this.fault(res, 404, "404 Not Found: The requested URL was not found on the server.");
    let body: { name?: unknown; params?: unknown };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as typeof body;
    } catch {
      return this.fault(res, 400, "400 Bad Request: The browser (or proxy) sent a request that this server could not understand.");
    }
    if (typeof body !== "object" || body === null || !("name" in body) || !("params" in body) || typeof body.params !== "object" || body.params === null || Array.isArray(body.params)) {
      return this.fault(res, 400, "400 Bad Request: Missing or invalid name or params");
    }
    if (url.searchParams.get("agent_token") !== this.token) return this.fault(res, 401, "401 Unauthorized: Token invalid.");
    const last = this.commands.at(-1);
    if (last && last.command_status === "RUNNING") return this.fault(res, 409, `Agent is busy: executing command ${last.command_name}`);
    const name = String(body.name);
    const params = body.params as Record<string, unknown>;
    let result: CommandResult;
    try {
      result = this.execute(name, params);
    } catch (err) {
      if (err instanceof RestError) return this.fault(res, err.code, err.message);
      throw err;
    }
    this.commands.push(result);
    if (url.searchParams.get("wait")?.toLowerCase() === "true") await this.finishedOf(result);
    this.send(res, 200, this.serialize(result));
  }

  private pending = new Map<string, Promise<void>>();

  private async finishedOf(c: CommandResult): Promise<void> {
    await this.pending.get(c.id);
  }

  private record(name: string, params: Record<string, unknown>): CommandResult {
    return { id: randomUUID(), command_name: name.split(".")[1], command_params: params, command_status: "RUNNING", command_error: null, command_result: null };
  }

  /** base.py's execute_command: sync commands answer at once, async ones run in the background. */
  private execute(name: string, params: Record<string, unknown>): CommandResult {
    const [ext, cmd] = name.split(".", 2);
    if (cmd === undefined) throw new RestError("InvalidCommandError", 400, "Invalid command", "Command name must be of the form <extension>.<name>");
    const sync = SYNC_COMMANDS[ext];
    const asyncCmds = ASYNC_COMMANDS[ext];
    if (!sync && !asyncCmds) throw new RestError("RequestedObjectNotFoundError", 404, "Not found", `Extension with id ${ext} not found.`);
    const c = this.record(name, params);
    if (sync?.includes(cmd)) {
      try {
        c.command_result = this.runSync(cmd, ext, params);
        c.command_status = "SUCCEEDED";
      } catch (err) {
        c.command_status = "FAILED";
        c.command_error = err instanceof RestError ? err.serialize() : { type: "CommandExecutionError", code: 500, message: "Command execution failed", details: String(err) };
      }
      return c;
    }
    if (!asyncCmds?.includes(cmd)) throw new RestError("InvalidCommandError", 400, "Invalid command", `Unknown command: ${cmd}`);
    if (ext === "standby" && cmd === "prepare_image") validateImageInfo(params.image_info);
    const work = (async () => {
      if (this.opts.asyncDelayMs) await new Promise((r) => setTimeout(r, this.opts.asyncDelayMs));
      try {
        const out = await this.runAsync(ext, cmd, params);
        c.command_result = typeof out === "string" ? { result: `${cmd}: ${out}` } : out;
        c.command_status = "SUCCEEDED";
      } catch (err) {
        c.command_status = "FAILED";
        c.command_error = err instanceof RestError ? err.serialize() : { type: "CommandExecutionError", code: 500, message: "Command execution failed", details: err instanceof Error ? err.message : String(err) };
      }
      // AsyncCommandResult.run: the agent heartbeats as soon as a command ends.
      void this.heartbeat().catch(() => undefined);
    })();
    this.pending.set(c.id, work);
    return c;
  }

  private runSync(cmd: string, ext: string, params: Record<string, unknown>): unknown {
    switch (`${ext}.${cmd}`) {
      case "clean.get_clean_steps":
        this.cachedNode = params.node as Record<string, unknown>;
        return { clean_steps: { [HARDWARE_MANAGER]: IPA_CLEAN_STEPS }, hardware_manager_version: HARDWARE_VERSIONS };
      case "deploy.get_deploy_steps":
        this.cachedNode = params.node as Record<string, unknown>;
        return { deploy_steps: { [HARDWARE_MANAGER]: IPA_DEPLOY_STEPS }, hardware_manager_version: HARDWARE_VERSIONS };
      case "standby.sync":
        return null;
      case "rescue.finalize_rescue":
        this.rescuePassword = { password: String(params.rescue_password ?? ""), hashed: params.hashed === true };
        // The agent stops serving its API once the answer is out (serve_api = False).
        setTimeout(() => void this.stop(), 50).unref();
        return null;
      case "log.collect_system_logs":
        return { system_logs: Buffer.from("test agent logs").toString("base64") };
      default:
        throw new RestError("InvalidCommandError", 400, "Invalid command", `Unknown command: ${cmd}`);
    }
  }

  private async runAsync(ext: string, cmd: string, params: Record<string, unknown>): Promise<unknown> {
    switch (`${ext}.${cmd}`) {
      case "clean.execute_clean_step":
      case "deploy.execute_deploy_step": {
        const kind = ext === "clean" ? "clean" : "deploy";
        this.cachedNode = params.node as Record<string, unknown>;
        const s = params.step as Record<string, unknown>;
        if (!s || !("step" in s)) throw new Error(`Malformed ${kind}_step, no "step" key: ${JSON.stringify(s)}`);
        const result = await this.opts.onStep?.(kind, s);
        return { [`${kind}_result`]: result ?? null, [`${kind}_step`]: s };
      }
      case "standby.prepare_image":
        return this.prepareImage(params.image_info as Record<string, unknown>);
      case "standby.power_off":
        await this.opts.onPowerOff?.();
        setTimeout(() => void this.stop(), 10).unref();
        return null;
      default:
        throw new Error(`unhandled ${ext}.${cmd}`);
    }
  }

  /** hardware.get_os_install_device: root device hints, else the smallest disk of at least 4 GiB. */
  private installDevice(): TestDisk {
    const node = this.cachedNode as { instance_info?: Record<string, unknown>; properties?: Record<string, unknown> } | null;
    const hints = (node?.instance_info?.root_device ?? node?.properties?.root_device) as Record<string, unknown> | undefined;
    const disks = [...this.opts.disks].sort((a, b) => a.size - b.size || a.name.localeCompare(b.name));
    if (!hints || Object.keys(hints).length === 0) {
      const found = disks.find((d) => d.size >= 4 * GIB);
      if (!found) {
        throw deviceNotFound(`No suitable device was found for deployment - root device hints were not provided and all found block devices are smaller than ${4 * GIB}B.`);
      }
      return found;
    }
    const match = disks.find((d) => (hints.name === undefined || hints.name === d.name) && (hints.size === undefined || Number(hints.size) === Math.floor(d.size / GIB)));
    if (!match) throw deviceNotFound(`No suitable device was found for deployment using these hints ${pyDict(hints)}`);
    return match;
  }

  /**
   * standby._download_with_proxy: retries every failure (IPA Zed's "do not retry 4xx" test reads a
   * failed requests.Response as false, so 4xx are retried too); after the last attempt a bad status
   * is an ImageDownloadError and a connection failure is requests' own error.
   */
  private async download(id: string, url: string): Promise<Buffer> {
    const retries = this.opts.imageDownloadRetries ?? 1;
    for (let attempt = 0; ; attempt++) {
      try {
        let resp: Response;
        try {
          resp = await fetch(url);
        } catch (err) {
          throw new CommandExecutionError(requestsConnectionError(url, err));
        }
        const body = Buffer.from(await resp.arrayBuffer());
        if (resp.status !== 200) throw new ImageDownloadFailure(id, `Received status code ${resp.status} from ${url}, expected 200. Response body: ${body.toString("utf8")}`);
        return body;
      } catch (err) {
        if (attempt >= retries) throw err;
        await new Promise((r) => setTimeout(r, this.opts.imageDownloadRetryIntervalMs ?? 20));
      }
    }
  }

  private async prepareImage(info: Record<string, unknown>): Promise<string> {
    const id = String(info.id);
    const disk = this.installDevice();
    const algo = typeof info.os_hash_algo === "string" ? info.os_hash_algo : info.checksum ? "md5" : null;
    const expected = typeof info.os_hash_algo === "string" ? String(info.os_hash_value) : String(info.checksum ?? "");
    if (!algo) throw new RestError("RESTError", 500, "An error occurred", `Unable to verify image ${id} with available checksums.`);
    const details: string[] = [];
    let data: Buffer | null = null;
    const started = Date.now();
    for (const url of info.urls as string[]) {
      try {
        data = await this.download(id, url);
        break;
      } catch (err) {
        // ImageDownload.__init__ only tries the next URL after an ImageDownloadError; anything else
        // (requests' connection errors) fails the command as it is.
        if (!(err instanceof ImageDownloadFailure)) throw err;
        details.push(`URL: ${url}; time: ${(Date.now() - started) / 1000} seconds. Error: ${err.secondaryMessage}`);
      }
    }
    if (!data) throw new ImageDownloadFailure(id, details.join("\n "));
    const actual = createHash(algo).update(data).digest("hex");
    if (actual !== expected) {
      // As IPA calls ImageChecksumError (its arguments land swapped in the text).
      throw new RestError("ImageChecksumError", 500, "Error verifying image checksum",
        `Image failed to verify against checksum. location: ${id}; image ID: ${disk.name}; image checksum: ${expected}; verification checksum: ${actual}`);
    }
    if (info.disk_format === "qcow2") {
      const src = join(this.dir, `${id}.qcow2`);
      await writeFile(src, data);
      await run("qemu-img", ["convert", "-f", "qcow2", "-O", "raw", src, disk.path]);
    } else {
      await writeFile(disk.path, data);
    }
    this.writtenTo = disk.name;
    return `image (${id}) written to device ${disk.name} root_uuid=None`;
  }
}

const SYNC_COMMANDS: Record<string, string[]> = {
  clean: ["get_clean_steps"], deploy: ["get_deploy_steps"], standby: ["sync", "get_partition_uuids"],
  rescue: ["finalize_rescue"], log: ["collect_system_logs"],
};
const ASYNC_COMMANDS: Record<string, string[]> = {
  clean: ["execute_clean_step"], deploy: ["execute_deploy_step"], standby: ["prepare_image", "cache_image", "power_off", "run_image"],
};

/** standby._validate_image_info: checked before the command starts (HTTP 400). */
function validateImageInfo(info: unknown): void {
  const i = (info ?? {}) as Record<string, unknown>;
  for (const f of ["id", "urls"]) if (!(f in i)) throw invalidParams(`Image is missing '${f}' field.`);
  if (!Array.isArray(i.urls) || i.urls.length === 0) throw invalidParams("Image 'urls' must be a list with at least one element.");
  if (i.checksum !== undefined && (typeof i.checksum !== "string" || !i.checksum)) throw invalidParams("Image 'checksum' must be a non-empty string.");
  if (i.os_hash_algo || i.os_hash_value) {
    if (typeof i.os_hash_algo !== "string" || !i.os_hash_algo) throw invalidParams("Image 'os_hash_algo' must be a non-empty string.");
    if (typeof i.os_hash_value !== "string" || !i.os_hash_value) throw invalidParams("Image 'os_hash_value' must be a non-empty string.");
  }
  if (!i.checksum && !i.os_hash_value) {
    throw invalidParams("Image checksum is not available, either the 'checksum' field or the 'os_hash_algo' and 'os_hash_value' fields pair must be set for image verification.");
  }
}

function pyDict(d: Record<string, unknown>): string {
  return `{${Object.entries(d).map(([k, v]) => `'${k}': ${typeof v === "string" ? `'${v}'` : String(v)}`).join(", ")}}`;
}

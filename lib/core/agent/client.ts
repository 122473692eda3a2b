// A client for the HTTP API of the Ironic Python Agent running in a node's ramdisk (facts from
// IPA's api/app.py and extensions, and Ironic's agent_client.py): commands are POSTed to
// <agent_url>/v1/commands/ with the node's agent token; a synchronous one answers with its result
// (`wait=true`), an asynchronous one answers RUNNING; the agent heartbeats when it ends, and its
// result is read then from GET /v1/commands/ (as Ironic's steps do). The agent serves HTTPS with
// a certificate it made itself and sent in its heartbeat (agent_verify_ca): exactly that CA is
// trusted. A failed command's `command_error` becomes an AgentCommandFailed whose message is the
// agent's own text.
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Dict, NodeRecord } from "../db/nodes.ts";
import { DriverError } from "../errors.ts";
import { AGENT_TOKEN_KEY } from "./internal_info.ts";

/** Where and how to reach a node's agent: from what its heartbeat recorded. */
export interface AgentEndpoint {
  url: string;
  token: string | null;
  /** PEM of the CA the agent's certificate is signed with (its own, self-signed); null for http. */
  verifyCa: string | null;
}

/** Timeouts and retries (Ironic's [agent] command_timeout, max_command_attempts, command_wait_interval). */
export interface AgentClientOptions {
  /** Per HTTP call. */
  callTimeoutMs: number;
  /** Attempts of one call when the agent cannot be reached. */
  maxAttempts: number;
  /** Pause between attempts after a connection failure. */
  retryDelayMs: number;
}

export const DEFAULT_AGENT_CLIENT_OPTIONS: AgentClientOptions = { callTimeoutMs: 60_000, maxAttempts: 3, retryDelayMs: 2_000 };

/** The agent's asynchronous commands Ingot starts (extension.command). */
export const EXECUTE_STEP = { clean: "clean.execute_clean_step", deploy: "deploy.execute_deploy_step" } as const;
export const PREPARE_IMAGE = "standby.prepare_image";

/** One command as the agent reports it (IPA's BaseCommandResult.serialize). */
export interface AgentCommand {
  id: string;
  command_name: string;
  command_status: "RUNNING" | "SUCCEEDED" | "FAILED" | "CLEAN_VERSION_MISMATCH" | string;
  command_error: Dict | string | null;
  command_result: Dict | null;
}

/** The agent cannot be reached (refused, reset, timed out, TLS refused) after every attempt. */
export class AgentConnectionFailed extends DriverError {
  constructor(reason: string) {
    super(`Connection to agent failed: ${reason}`);
    this.name = "AgentConnectionFailed";
  }
}

/** The agent answered an HTTP error (bad token, busy, unknown command ...). */
export class AgentApiError extends DriverError {
  constructor(readonly status: number, readonly command: string, faultstring: string) {
    super(`Agent API for ${command} returned HTTP status code ${status} with error: ${faultstring}`);
    this.name = "AgentApiError";
  }
}

/** The command ran and failed: the message is the agent's error type and text. */
export class AgentCommandFailed extends DriverError {
  constructor(readonly command: string, readonly errorType: string | null, readonly agentMessage: string) {
    super(errorType ? `${errorType}: ${agentMessage}` : agentMessage);
    this.name = "AgentCommandFailed";
  }
}

/** The agent's text for a failed command (Ironic's get_command_error: details, else message). */
export function commandErrorText(cmd: AgentCommand): { type: string | null; text: string } {
  const err = cmd.command_error;
  if (err === null || err === undefined) return { type: null, text: "Invalid agent response" };
  if (typeof err === "string") return { type: null, text: err };
  const type = typeof err.type === "string" ? err.type : null;
  const details = typeof err.details === "string" && err.details ? err.details : null;
  const message = typeof err.message === "string" && err.message ? err.message : null;
  return { type, text: details ?? message ?? JSON.stringify(err) };
}

/** The endpoint recorded for the node's agent; AgentConnectionFailed when it has not called back. */
export function agentEndpoint(node: NodeRecord): AgentEndpoint {
  const dii = node.driverInternalInfo;
  const url = dii.agent_url;
  if (typeof url !== "string" || !url) throw new AgentConnectionFailed(`node ${node.uuid} has no agent_url: its agent has not called back`);
  const token = typeof dii[AGENT_TOKEN_KEY] === "string" ? (dii[AGENT_TOKEN_KEY] as string) : null;
  const verifyCa = typeof dii.agent_verify_ca === "string" && dii.agent_verify_ca ? dii.agent_verify_ca : null;
  return { url: url.replace(/\/+$/, ""), token, verifyCa };
}

/** Errors worth another attempt: the agent was not reached or did not answer in time. */
const CONNECTION_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EHOSTUNREACH", "ENETUNREACH", "ETIMEDOUT", "EPIPE", "ECONNABORTED", "EAI_AGAIN"]);

class CallTimeout extends Error {}

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class AgentClient {
  readonly options: AgentClientOptions;

  constructor(readonly endpoint: AgentEndpoint, options: Partial<AgentClientOptions> = {}) {
    this.options = { ...DEFAULT_AGENT_CLIENT_OPTIONS, ...options };
  }

  static forNode(node: NodeRecord, options: Partial<AgentClientOptions> = {}): AgentClient {
    return new AgentClient(agentEndpoint(node), options);
  }

  /** One HTTP exchange with the agent; JSON in and out. */
  private call(method: "GET" | "POST", path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const url = new URL(this.endpoint.url + path);
    const https = url.protocol === "https:";
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = (https ? httpsRequest : httpRequest)(url, {
        method,
        headers: { Accept: "application/json", ...(payload ? { "Content-Type": "application/json", "Content-Length": payload.length } : {}) },
        // Exactly the agent's own CA: no system CAs, no skipping verification.
        ...(https ? { ca: this.endpoint.verifyCa ?? undefined, rejectUnauthorized: true } : {}),
        timeout: this.options.callTimeoutMs,
      }, (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: unknown = null;
          try {
            json = text ? JSON.parse(text) : null;
          } catch {
            json = { faultstring: text };
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
      });
      req.on("timeout", () => req.destroy(new CallTimeout(`no answer within ${this.options.callTimeoutMs / 1000} s`)));
      req.on("error", reject);
      req.end(payload);
    });
  }

  /** call() with retries while the agent cannot be reached. */
  private async callWithRetries(method: "GET" | "POST", path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    let last: unknown;
    for (let attempt = 1; attempt <= this.options.maxAttempts; attempt++) {
      try {
        return await this.call(method, path, body);
      } catch (err) {
        last = err;
        const code = (err as NodeJS.ErrnoException).code;
        const retriable = err instanceof CallTimeout || (code !== undefined && CONNECTION_CODES.has(code));
        if (!retriable) break;
        if (attempt < this.options.maxAttempts) await pause(this.options.retryDelayMs);
      }
    }
    const reason = last instanceof Error ? last.message : String(last);
    throw new AgentConnectionFailed(`${this.endpoint.url}: ${reason}`);
  }

  private tokenQuery(): string {
    return this.endpoint.token === null ? "" : `&agent_token=${encodeURIComponent(this.endpoint.token)}`;
  }

  /** Starts a command; `wait` makes the agent answer only when it finished. */
  async startCommand(name: string, params: Dict, wait: boolean): Promise<AgentCommand> {
    const { status, json } = await this.callWithRetries("POST", `/v1/commands/?wait=${wait}${this.tokenQuery()}`, { name, params });
    if (status >= 400) {
      const fault = json && typeof json === "object" ? ((json as Dict).faultstring as string | undefined) : undefined;
      throw new AgentApiError(status, name, fault ?? JSON.stringify(json));
    }
    return json as AgentCommand;
  }

  /** Every command the agent ran since it started, oldest first. */
  async listCommands(): Promise<AgentCommand[]> {
    const { status, json } = await this.callWithRetries("GET", `/v1/commands/?${this.tokenQuery().slice(1)}`);
    if (status >= 400) throw new AgentApiError(status, "list commands", String((json as Dict | null)?.faultstring ?? status));
    return ((json as Dict | null)?.commands as AgentCommand[] | undefined) ?? [];
  }

  /** Throws AgentCommandFailed for a command that did not succeed. */
  private finished(cmd: AgentCommand): AgentCommand {
    if (cmd.command_status === "SUCCEEDED") return cmd;
    const { type, text } = commandErrorText(cmd);
    throw new AgentCommandFailed(cmd.command_name, type, text);
  }

  /**
   * Starts an asynchronous command; when the agent is busy running the same command (a step run
   * again after its conductor stopped), that run is the one answered instead of failing with 409.
   */
  private async startOrAdopt(name: string, params: Dict): Promise<AgentCommand> {
    try {
      return await this.startCommand(name, params, false);
    } catch (err) {
      if (!(err instanceof AgentApiError) || err.status !== 409) throw err;
      const running = (await this.listCommands()).at(-1);
      // IPA names results by the command alone ("prepare_image" for "standby.prepare_image").
      if (running?.command_status === "RUNNING" && running.command_name === name.split(".").pop()) return running;
      throw err;
    }
  }

  /** A synchronous command: its result, or AgentCommandFailed. */
  async runSync(name: string, params: Dict = {}): Promise<AgentCommand> {
    return this.finished(await this.startCommand(name, params, true));
  }

  /**
   * How the latest run of asynchronous command `name` ended: null while it runs, the command when
   * it succeeded; AgentCommandFailed when it failed. (What Ironic reads at a heartbeat.)
   */
  async commandResult(name: string): Promise<AgentCommand | null> {
    const short = name.split(".").pop();
    const cmd = (await this.listCommands()).findLast((c) => c.command_name === short);
    if (!cmd) throw new DriverError(`The agent has no record of command ${name}: did it restart?`);
    return cmd.command_status === "RUNNING" ? null : this.finished(cmd);
  }

  // ---- the commands Ingot uses (extension.command as IPA names them) ----

  /** {clean_steps: {<hardware manager>: [step…]}, hardware_manager_version} */
  async getCleanSteps(node: Dict, ports: Dict[]): Promise<Dict> {
    return (await this.runSync("clean.get_clean_steps", { node, ports })).command_result ?? {};
  }

  /** Also makes the agent cache the node (its root device hints) for later commands. */
  async getDeploySteps(node: Dict, ports: Dict[]): Promise<Dict> {
    return (await this.runSync("deploy.get_deploy_steps", { node, ports })).command_result ?? {};
  }

  /** Starts a clean step (asynchronous: see commandResult). */
  async startCleanStep(step: Dict, node: Dict, ports: Dict[], cleanVersion: Dict | null): Promise<AgentCommand> {
    return this.startOrAdopt(EXECUTE_STEP.clean, { step, node, ports, clean_version: cleanVersion });
  }

  /** Starts a deploy step (asynchronous: see commandResult). */
  async startDeployStep(step: Dict, node: Dict, ports: Dict[], deployVersion: Dict | null): Promise<AgentCommand> {
    return this.startOrAdopt(EXECUTE_STEP.deploy, { step, node, ports, deploy_version: deployVersion });
  }

  /** Starts downloading, verifying and writing the image (asynchronous: see commandResult). */
  async startPrepareImage(imageInfo: Dict): Promise<AgentCommand> {
    return this.startOrAdopt(PREPARE_IMAGE, { image_info: imageInfo });
  }

  /** Flushes the agent's file system buffers. */
  async sync(): Promise<AgentCommand> {
    return this.runSync("standby.sync");
  }

  /**
   * Asks the agent to power the machine off. It may go away before it reports back: only a
   * refusal is an error, the caller checks the power state.
   */
  async powerOff(): Promise<void> {
    await this.startCommand("standby.power_off", {}, false);
  }

  async collectSystemLogs(): Promise<Dict> {
    return (await this.runSync("log.collect_system_logs")).command_result ?? {};
  }

  /** Sets the rescue user's password; the agent stops serving its API afterwards. */
  async finalizeRescue(rescuePassword: string, hashed: boolean): Promise<AgentCommand> {
    return this.runSync("rescue.finalize_rescue", { rescue_password: rescuePassword, hashed });
  }
}

// Test helper: runs fakebmc.py (python3-pyghmi) on 127.0.0.1 and collects its events.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ipmitoolPath } from "../core/drivers/ipmi/ipmitool.ts";

const SCRIPT = fileURLToPath(new URL("./fakebmc.py", import.meta.url));
/** Debian's python (pyghmi is a Debian package; a pyenv/venv python on PATH would not see it). */
const PYTHON = process.env.INGOT_TEST_PYTHON ?? "/usr/bin/python3";

/** Why the real-IPMI tests cannot run here, or null when ipmitool and pyghmi are available. */
export function fakeBmcUnavailable(): string | null {
  const tool = spawnSync(ipmitoolPath(), ["-V"], { encoding: "utf8" });
  if (tool.error || tool.status !== 0) return "ipmitool is not installed (apt-get install ipmitool)";
  const py = spawnSync(PYTHON, ["-c", "import pyghmi.ipmi.bmc"], { encoding: "utf8" });
  if (py.error || py.status !== 0) return `python3-pyghmi is not importable by ${PYTHON} (apt-get install python3-pyghmi)`;
  return null;
}

export interface FakeBmcEvent {
  event: string;
  [key: string]: unknown;
}

export class FakeBmc {
  port = 0;
  readonly events: FakeBmcEvent[] = [];
  /** Told of every event as it happens (tests start what the machine boots). */
  onEvent: ((event: FakeBmcEvent) => void) | null = null;
  private child: ChildProcessWithoutNullStreams | null = null;

  /** solSilent: the machine prints nothing on SOL until typed at (no banner), as one idle at a prompt. */
  constructor(readonly opts: { user?: string; password?: string; power?: "on" | "off"; kg?: string; solDisabled?: boolean; solSilent?: boolean } = {}) {}

  get user(): string {
    return this.opts.user ?? "admin";
  }
  get password(): string {
    return this.opts.password ?? "secret";
  }

  /** Starts the BMC (on the previous port after a stop, else on a free one). */
  async start(): Promise<void> {
    const args = [SCRIPT, "--port", String(this.port), "--user", this.user, "--password", this.password, "--power", this.opts.power ?? "off"];
    if (this.opts.kg) args.push("--kg", this.opts.kg);
    if (this.opts.solDisabled) args.push("--no-sol");
    if (this.opts.solSilent) args.push("--sol-silent");
    const child = spawn(PYTHON, args, { stdio: ["pipe", "pipe", "pipe"] });
    this.child = child;
    let buffer = "";
    let stderr = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`fake BMC did not start within 10 s: ${stderr}`)), 10_000);
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
      child.stdout.setEncoding("utf8").on("data", (d: string) => {
        buffer += d;
        let nl;
        while ((nl = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          let event: FakeBmcEvent;
          try {
            event = JSON.parse(line) as FakeBmcEvent;
          } catch {
            continue;
          }
          if (event.event === "ready") {
            this.port = Number(event.port);
            clearTimeout(timer);
            resolve();
          } else {
            this.events.push(event);
            this.onEvent?.(event);
          }
        }
      });
      child.on("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`fake BMC exited (code ${code}) before it was ready: ${stderr}`));
      });
    });
  }

  /** Stops the BMC process (by its own pid) and waits until it is gone. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 2000).unref();
    });
  }

  /**
   * driver_info for a node managed through this BMC. The Python BMC can take seconds to answer on
   * a busy machine (2 s failed under load); tests about timeouts give their own.
   */
  driverInfo(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      ipmi_address: "127.0.0.1", ipmi_port: this.port, ipmi_username: this.user, ipmi_password: this.password,
      ipmi_timeout: 10, ipmi_retries: 1, ...extra,
    };
  }
}

// Child processes of the test rig: started with their output collected, stopped by their own pid.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";

export interface JsonEvent {
  event: string;
  [key: string]: unknown;
}

/** A child process whose stdout is read as JSON lines (events) and whose stderr is kept. */
export class RigProcess {
  readonly events: JsonEvent[] = [];
  stderr = "";
  stdout = "";
  private readonly listeners = new Set<(e: JsonEvent) => void>();
  readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcessWithoutNullStreams, readonly label: string) {
    let buffer = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      this.stdout += d;
      buffer += d;
      let nl;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (!line.startsWith("{")) continue;
        try {
          const event = JSON.parse(line) as JsonEvent;
          this.events.push(event);
          for (const l of this.listeners) l(event);
        } catch {
          // not an event line
        }
      }
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => (this.stderr += d));
    this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the first event (already seen or coming) that matches. */
  waitForEvent(match: (e: JsonEvent) => boolean, timeoutMs: number): Promise<JsonEvent> {
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const done = (fn: () => void) => {
        clearTimeout(timer);
        this.listeners.delete(listener);
        fn();
      };
      const listener = (e: JsonEvent) => {
        if (match(e)) done(() => resolve(e));
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`${this.label}: no matching event within ${timeoutMs} ms; stderr: ${this.stderr.slice(-2000)}`))),
        timeoutMs,
      );
      this.listeners.add(listener);
      void this.exited.then((code) =>
        done(() => reject(new Error(`${this.label} exited (code ${code}) before the event; stderr: ${this.stderr.slice(-2000)}`))),
      );
    });
  }

  /** SIGTERM, then SIGKILL after graceMs; resolves once the process is gone. */
  async stop(graceMs = 3000): Promise<void> {
    if (!this.running) return;
    const killer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    this.child.kill("SIGTERM");
    await this.exited;
    clearTimeout(killer);
  }
}

export function startProcess(command: string, args: string[], label = command): RigProcess {
  return new RigProcess(spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] }), label);
}

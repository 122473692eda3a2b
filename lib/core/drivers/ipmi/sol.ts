// IPMI Serial-over-LAN as a serial console source (the `ipmitool-sol` interface's source, console.ts):
// one long-lived `ipmitool … sol activate` child per node, shared and reference-counted by every
// websocket session and the console log capture of this process. Its stdout is the machine's
// serial output; its stdin takes the keystrokes. The password travels in IPMI_PASSWORD (-E),
// never on the command line (ipmitoolInvocation).
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync } from "node:fs";
import type { NodeRecord } from "../../db/nodes.ts";
import { fedChannel, leaseShared } from "../../console/lease.ts";
import type { SerialChannel, SerialLease } from "../../console/types.ts";
import { bmcLabel, parseIpmiDriverInfo, type IpmiInfo } from "./driver_info.ts";
import { classifyFailure, IpmiError, ipmitool, ipmitoolInvocation, ipmitoolPath } from "./ipmitool.ts";

/** ipmitool's escape character in a SOL session (`~.` ends it, `~^Z` suspends ipmitool, …). */
const ESCAPE = 0x7e; // "~"
/** The line ipmitool prints (stdout) once the session is up; not part of the machine's output. */
const OPERATIONAL = /\[SOL Session operational\.[^\]\n]*\]\r?\n?/;

// BMC answers specific to SOL (ipmitool prints them as "Info: …" and exits 1).
const ALREADY_ACTIVE = /SOL payload already active on another session/i;
const SOL_DISABLED = /SOL payload (type )?disabled/i;
const ALREADY_DEACTIVATED = /SOL payload already de-activated/i;

/** Readable error for a failed `sol activate` / `sol deactivate`. */
export function classifySolFailure(info: IpmiInfo, command: string, stdout: string, stderr: string, code: number | null, timedOut: boolean): IpmiError {
  const text = `${stderr}\n${stdout}`;
  const bmc = bmcLabel(info);
  if (ALREADY_ACTIVE.test(text)) {
    return new IpmiError(`The BMC ${bmc} reports that Serial-over-LAN is already active on another session (another client holds the console); it could not be taken over.`, "busy", false);
  }
  if (SOL_DISABLED.test(text)) {
    return new IpmiError(`Serial-over-LAN is disabled on the BMC ${bmc} (enable it, e.g. "ipmitool sol set enabled true", or in the BMC's settings).`, "command", false);
  }
  return classifyFailure(info, command, { stdout, stderr, timedOut, code, seconds: 0 });
}

/**
 * Frees the node's SOL payload on the BMC: a session left by another client (or by a killed
 * ipmitool) blocks activation until the BMC times it out. "Already de-activated" is success.
 * Also the start probe of the console: it opens an authenticated session.
 */
export async function deactivateSol(info: IpmiInfo): Promise<void> {
  try {
    await ipmitool(info, ["sol", "deactivate"]);
  } catch (err) {
    if (err instanceof IpmiError && err.kind === "command" && ALREADY_DEACTIVATED.test(err.message)) return;
    if (err instanceof IpmiError && err.kind === "command" && SOL_DISABLED.test(err.message)) {
      throw classifySolFailure(info, "sol deactivate", "", err.message, 1, false);
    }
    throw err;
  }
}

/**
 * Keystrokes → ipmitool stdin. ipmitool treats `~` right after CR/LF (or at the very start) as
 * its escape character; doubling it there sends one literal `~` to the machine, so no user input
 * can end, suspend or otherwise drive ipmitool. Elsewhere `~` is an ordinary character. We are
 * the only writer of the child's stdin, so mirroring its state is exact.
 */
export class SolInputEscaper {
  /** Whether ipmitool would read the next byte at the start of a line (it starts that way). */
  atLineStart = true;

  escape(data: Buffer): Buffer {
    const out: number[] = [];
    for (const b of data) {
      if (b === ESCAPE && this.atLineStart) out.push(ESCAPE);
      out.push(b);
      this.atLineStart = b === 0x0d || b === 0x0a;
    }
    return Buffer.from(out);
  }
}

/** coreutils' stdbuf (Essential on Debian); without it ipmitool runs as is. */
const STDBUF = "/usr/bin/stdbuf";

/**
 * The command line that runs `command` with stdout line-buffered. ipmitool prints "[SOL Session
 * operational…]" without flushing: on a pipe it would come out only with the machine's first byte,
 * so the console of a quiet machine (idle at a prompt, or off) would never open.
 */
function lineBuffered(command: string, args: string[]): [string, string[]] {
  return existsSync(STDBUF) ? [STDBUF, ["-oL", command, ...args]] : [command, args];
}

interface SolHub {
  channel: SerialChannel;
  refs: number;
  close(): void;
}

/** A map entry; its identity tells a hub whether the map still points at it. */
interface HubEntry {
  promise: Promise<SolHub>;
}
/** The open SOL hubs, by BMC. */
const solHubs = new Map<string, HubEntry>();
const forget = (key: string, entry: HubEntry) => {
  if (solHubs.get(key) === entry) solHubs.delete(key);
};

/** Graceful end: `~.` (only at a line start, else the bytes would reach the machine) + EOF, then signals. */
const CLOSE_TERM_MS = 2000;
const CLOSE_KILL_MS = 5000;

async function openSolHub(key: string, entry: HubEntry, info: IpmiInfo): Promise<SolHub> {
  await deactivateSol(info);
  const { args, env } = ipmitoolInvocation(info);
  const child: ChildProcessWithoutNullStreams = spawn(...lineBuffered(ipmitoolPath(), [...args, "sol", "activate"]), { env, stdio: ["pipe", "pipe", "pipe"] });
  const escaper = new SolInputEscaper();
  let operational = false;
  let closing = false;
  let head = Buffer.alloc(0); // stdout before the "operational" line
  let stderr = "";
  child.stdin.on("error", () => undefined); // EPIPE after ipmitool exits: the close handler reports it

  const fed = fedChannel((d) => {
    if (!closing && operational) child.stdin.write(escaper.escape(d));
  });
  const emit = (d: Buffer) => {
    // While closing, what comes is ipmitool's own goodbye ("[terminated ipmitool]"), not the machine.
    if (!d.length || closing) return;
    fed.push(d);
  };

  const close = () => {
    if (closing || fed.closed) return;
    closing = true;
    forget(key, entry);
    if (operational && escaper.atLineStart) child.stdin.write(Buffer.from("~."));
    child.stdin.end(); // ipmitool also deactivates and exits on end of input
    const term = setTimeout(() => child.kill("SIGTERM"), CLOSE_TERM_MS);
    const kill = setTimeout(() => child.kill("SIGKILL"), CLOSE_KILL_MS);
    term.unref();
    kill.unref();
    child.once("close", () => {
      clearTimeout(term);
      clearTimeout(kill);
    });
  };

  return new Promise<SolHub>((resolve, reject) => {
    // Activation opens a session and waits for the BMC: same budget as one command, plus slack.
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(classifySolFailure(info, "sol activate", head.toString("utf8"), stderr, null, true));
    }, (info.timeoutSeconds + 5) * 1000);
    child.stdout.on("data", (d: Buffer) => {
      if (operational) return emit(d);
      head = Buffer.concat([head, d]);
      const text = head.toString("latin1");
      const m = OPERATIONAL.exec(text);
      if (!m) return;
      operational = true;
      clearTimeout(timer);
      const rest = head.subarray(m.index + m[0].length);
      head = Buffer.alloc(0);
      resolve({ channel: fed.channel, refs: 0, close });
      emit(rest);
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr = (stderr + d).slice(-8192);
    });
    const notInstalled = () => new IpmiError(`ipmitool is not installed on this conductor (looked for "${ipmitoolPath()}"; install the Debian package ipmitool).`, "missing-tool", false);
    child.on("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(err.code === "ENOENT" ? notInstalled() : new IpmiError(`Could not run ipmitool: ${err.message}`, "missing-tool", false));
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      forget(key, entry);
      if (!operational && code === 127 && /stdbuf: failed to run command/.test(stderr)) reject(notInstalled());
      else if (!operational) reject(classifySolFailure(info, "sol activate", head.toString("utf8"), stderr, code, false));
      else if (!closing) {
        // The BMC (or someone's "sol deactivate") ended the session: say so on the console itself.
        const why = /SOL session closed by BMC|deactivated/i.test(stderr) ? "the BMC closed the Serial-over-LAN session" : `ipmitool exited (code ${code})`;
        emit(Buffer.from(`\r\n[ingot: ${why}]\r\n`));
      }
      fed.markClosed();
    });
  });
}

function hubKey(node: Pick<NodeRecord, "uuid">, info: IpmiInfo): string {
  return `${node.uuid}|${info.address}|${info.port}`;
}

/** Lease on the node's SOL session (started on first use, ended when the last lease goes). */
export async function acquireIpmiSol(node: NodeRecord): Promise<SerialLease> {
  const info = parseIpmiDriverInfo(node);
  const key = hubKey(node, info);
  let entry = solHubs.get(key);
  if (!entry) {
    // In the map before the first await, so concurrent acquirers share one child.
    const fresh = {} as HubEntry;
    fresh.promise = openSolHub(key, fresh, info);
    fresh.promise.catch(() => forget(key, fresh));
    solHubs.set(key, fresh);
    entry = fresh;
  }
  const hub = await entry.promise;
  return leaseShared(hub, () => hub.close());
}

/** Ends the node's SOL session in this process (console stopped), whoever holds leases. */
export async function closeIpmiSol(uuid: string): Promise<void> {
  for (const [key, entry] of [...solHubs]) {
    if (!key.startsWith(`${uuid}|`)) continue;
    solHubs.delete(key);
    await entry.promise.then((h) => h.close(), () => undefined);
  }
}

/** Whether this process holds a SOL session for the node (tests, diagnostics). */
export function hasIpmiSol(uuid: string): boolean {
  return [...solHubs.keys()].some((k) => k.startsWith(`${uuid}|`));
}

// Running ipmitool: one child process per command, the password in the environment (-E, never on
// the command line), a kill timeout, retries with exponential backoff for transient failures,
// one command at a time per BMC, and the BMC's failures turned into readable DriverError text.
import { spawn } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join } from "node:path";
import { DriverError, Invalid } from "../../errors.ts";
import { KeyedQueue } from "../../keyed_queue.ts";
import { bmcLabel, type IpmiInfo } from "./driver_info.ts";

/** The ipmitool binary (INGOT_IPMITOOL overrides the PATH lookup). */
export const ipmitoolPath = () => process.env.INGOT_IPMITOOL?.trim() || "ipmitool";

const missingTool = () => `ipmitool is not installed on this conductor (looked for "${ipmitoolPath()}"; install the Debian package ipmitool).`;

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Whether ipmitool can be run on this conductor: looked up as spawn does (PATH), nothing is run. */
export function ipmitoolInstalled(): boolean {
  const tool = ipmitoolPath();
  if (tool.includes("/")) return isExecutableFile(tool);
  return (process.env.PATH ?? "").split(delimiter).filter(Boolean).some((dir) => isExecutableFile(join(dir, tool)));
}

/**
 * For validation: a conductor without ipmitool still starts and serves ipmi nodes' other
 * requests; validating their interfaces says what is missing (400) instead.
 */
export function requireIpmitool(): void {
  if (!ipmitoolInstalled()) throw new Invalid(missingTool());
}

export interface IpmitoolResult {
  stdout: string;
  stderr: string;
}

/** What went wrong, so callers (and tests) can tell failures apart without parsing messages. */
export type IpmiFailureKind =
  | "auth" | "privilege" | "cipher" | "resolve" | "timeout" | "busy" | "missing-tool" | "command";

export class IpmiError extends DriverError {
  constructor(message: string, readonly kind: IpmiFailureKind, readonly retryable: boolean) {
    super(message);
  }
}

/** Builds the ipmitool argument list (without the command) and the child's environment. */
export function ipmitoolInvocation(info: IpmiInfo): { args: string[]; env: NodeJS.ProcessEnv } {
  const args = ["-I", info.protocolVersion === "2.0" ? "lanplus" : "lan", "-H", info.address, "-p", String(info.port), "-L", info.privLevel];
  if (info.username !== null) args.push("-U", info.username);
  if (info.cipherSuite !== null) args.push("-C", String(info.cipherSuite));
  // ipmitool's own retransmission: -N seconds per message, one retry; the kill timeout is the backstop.
  args.push("-N", String(Math.max(1, Math.floor(info.timeoutSeconds / 2))), "-R", "1");
  const env = { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C", LC_ALL: "C" } as unknown as NodeJS.ProcessEnv;
  env.IPMI_PASSWORD = info.password;
  args.push("-E");
  if (info.hexKgKey) {
    const bytes = Buffer.from(info.hexKgKey, "hex");
    // -K reads the key from IPMI_KGKEY, which can only carry 7-bit bytes without NUL; other keys
    // have to go on the command line (-y), as Ironic always does.
    if (bytes.every((b) => b > 0 && b < 0x80)) {
      env.IPMI_KGKEY = bytes.toString("latin1");
      args.push("-K");
    } else {
      args.push("-y", info.hexKgKey);
    }
  }
  const bridge: [string | null, string][] = [
    [info.localAddress, "-m"], [info.transitChannel, "-B"], [info.transitAddress, "-T"],
    [info.targetChannel, "-b"], [info.targetAddress, "-t"],
  ];
  for (const [value, flag] of bridge) if (value !== null) args.push(flag, value);
  // Verbose: the only way ipmitool says *why* a session failed (e.g. "RAKP 2 HMAC is invalid").
  // It writes to stderr only; stdout stays the command's answer.
  args.push("-v");
  return { args, env };
}

// ---- error classification ----

// Lines ipmitool -v prints on every run; not part of an error.
const CHATTER = [
  /^Loading IANA PEN Registry/i, /^Using best available cipher suite/i, /^Running Get VSO Capabilities/i,
  /^Discovered IPMB address/i, /^Invalid completion code received: Invalid command$/i, /^Get Session Challenge/i,
  /^\s*$/, /^>> /, /^Unable to read password from environment/i, /^Password:\s*$/,
];

function meaningfulLines(text: string): string[] {
  return text.split("\n").map((l) => l.replace(/^>\s*/, "").trim()).filter((l) => l && !CHATTER.some((re) => re.test(l)));
}

// Failures Ironic treats as transient (IPMITOOL_RETRYABLE_FAILURES), plus ours.
const BUSY = /insufficient resources for session|Node busy|Out of space|BMC initialization in progress|temporarily unavailable/i;
const NO_ANSWER = /no response from|Get Auth Capabilities error|Error issuing Get Channel Authentication Capabilities|Timeout|timed out|No response/i;
const AUTH = /RAKP 2 HMAC is invalid|RAKP 4 message has invalid integrity check|unauthorized name|invalid (user ?name|password)|Activate Session error|Authentication type .* not supported|password (is )?invalid|illegal or unrecognized parameter.*(user|name)/i;
const PRIV = /invalid role|Requested privilege level exceeds|Insufficient privilege level|privilege level .* not available/i;
const CIPHER = /no matching cipher suite|Unsupported cipher suite/i;
const SESSION_FAILED = /Unable to establish (IPMI v2 \/ RMCP\+|LAN|IPMI v1\.5 \/ RMCP) session/i;
const RESOLVE = /Address lookup for .* failed|Could not open socket|Name or service not known/i;

export function classifyFailure(
  info: IpmiInfo, command: string, result: IpmitoolResult & { timedOut: boolean; code: number | null; seconds: number },
): IpmiError {
  const text = `${result.stderr}\n${result.stdout}`;
  const bmc = bmcLabel(info);
  const user = info.username ?? "(NULL user)";
  if (RESOLVE.test(text)) {
    return new IpmiError(`Cannot reach the BMC of this node: ipmi_address "${info.address}" could not be resolved. Check ipmi_address.`, "resolve", false);
  }
  if (AUTH.test(text) && !PRIV.test(text)) {
    const kg = info.hexKgKey ? " / ipmi_hex_kg_key" : "";
    return new IpmiError(`IPMI authentication failed for ${bmc}: check ipmi_username / ipmi_password${kg} (the BMC rejected user "${user}").`, "auth", false);
  }
  if (PRIV.test(text)) {
    return new IpmiError(
      `IPMI user "${user}" may not open a session at privilege level ${info.privLevel} on ${bmc}: check ipmi_priv_level and the user's privilege on the BMC.`,
      "privilege", false,
    );
  }
  if (CIPHER.test(text)) {
    const cs = info.cipherSuite === null ? "the cipher suite ipmitool chose" : `cipher suite ${info.cipherSuite}`;
    return new IpmiError(`The BMC ${bmc} does not support ${cs}: set ipmi_cipher_suite (17 or 3).`, "cipher", false);
  }
  if (BUSY.test(text)) {
    const line = meaningfulLines(text).find((l) => BUSY.test(l)) ?? "BMC busy";
    return new IpmiError(`The BMC ${bmc} is busy (${line}) while running "${command}".`, "busy", true);
  }
  const sessionFailed = SESSION_FAILED.test(text);
  if (result.timedOut || NO_ANSWER.test(text)) {
    return new IpmiError(
      `IPMI timeout: the BMC ${bmc} did not answer "${command}" within ${info.timeoutSeconds} s. Check ipmi_address / ipmi_port and that the BMC is reachable from conductor.`,
      "timeout", true,
    );
  }
  if (sessionFailed) {
    // A quick refusal without a reason: nearly always credentials (some BMCs say nothing more).
    return new IpmiError(
      `IPMI authentication failed for ${bmc}: check ipmi_username / ipmi_password (the BMC refused the session for user "${user}"; also check ipmi_priv_level and ipmi_cipher_suite).`,
      "auth", false,
    );
  }
  const lines = meaningfulLines(text);
  const detail = lines.slice(-2).join("; ") || `exit code ${result.code}`;
  return new IpmiError(`IPMI command "${command}" failed on BMC ${bmc}: ${detail}`, "command", false);
}

// ---- running ----

/** One command at a time per BMC: BMCs have few session slots and dislike parallel sessions. */
const bmcQueue = new KeyedQueue<string>();

function runOnce(info: IpmiInfo, command: string[]): Promise<IpmitoolResult & { timedOut: boolean; code: number | null; seconds: number }> {
  const { args, env } = ipmitoolInvocation(info);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(ipmitoolPath(), [...args, ...command], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, info.timeoutSeconds * 1000);
    child.on("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (err.code === "ENOENT") {
        reject(new IpmiError(missingTool(), "missing-tool", false));
      } else {
        reject(new IpmiError(`Could not run ipmitool: ${err.message}`, "missing-tool", false));
      }
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, timedOut, code, seconds: (Date.now() - started) / 1000 });
    });
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Base of the backoff between attempts (ms); INGOT_IPMI_RETRY_BACKOFF_MS overrides (tests). */
function backoffMs(attempt: number): number {
  const base = Number(process.env.INGOT_IPMI_RETRY_BACKOFF_MS ?? 1000);
  return Math.min((Number.isFinite(base) && base >= 0 ? base : 1000) * 2 ** attempt, 8000);
}

/**
 * Runs `ipmitool <command...>` against the node's BMC. Retries timeouts and "BMC busy" answers
 * (info.retries more times, backoff 1 s, 2 s, 4 s, ... capped at 8 s); everything else fails at
 * once (a wrong password is never retried: BMCs lock users out). Throws IpmiError.
 */
export async function ipmitool(info: IpmiInfo, command: string[]): Promise<IpmitoolResult> {
  const label = command.join(" ");
  return bmcQueue.run(`${info.address}:${info.port}`, async () => {
    for (let attempt = 0; ; attempt++) {
      const result = await runOnce(info, command);
      // ipmitool exits 0 from some commands ("power status", "power on") even when no session
      // could be opened: a session failure on stderr is a failure whatever the exit code.
      if (!result.timedOut && result.code === 0 && !SESSION_FAILED.test(result.stderr)) return { stdout: result.stdout, stderr: result.stderr };
      const failure = classifyFailure(info, label, result);
      if (!failure.retryable || attempt >= info.retries) {
        if (attempt > 0 && failure.kind === "timeout") {
          throw new IpmiError(failure.message.replace(/ within (\S+) s\./, ` within $1 s (${attempt + 1} attempts).`), failure.kind, false);
        }
        throw failure;
      }
      await sleep(backoffMs(attempt));
    }
  });
}

// Drives the real `openstack baremetal` client (Debian's python3-openstackclient and
// python3-ironicclient, run with /usr/bin/python3) against an endpoint, for end-to-end tests.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";

const run = promisify(execFile);
export const OPENSTACK = "/usr/bin/openstack";

/** Fails loudly when the client is missing: `npm test` installs it, so a missing client is a bug. */
export function requireOpenstackCli(): void {
  if (!existsSync(OPENSTACK)) throw new Error(`${OPENSTACK} is missing: npm test installs python3-openstackclient`);
}

export interface OpenstackCli {
  /** `openstack baremetal <args>`; resolves to stdout, rejects with the client's error. */
  os(...args: string[]): Promise<string>;
  /** The same with `-f json`, parsed. */
  osJson<T = any>(...args: string[]): Promise<T>;
  /** The client's error output for a command that must fail. */
  osFails(...args: string[]): Promise<string>;
}

/** A client bound to an endpoint (a function, so it can be known only after the server starts). */
export function openstackCli(endpoint: () => string, timeoutMs = 180_000): OpenstackCli {
  const os = async (...args: string[]): Promise<string> => {
    const { stdout } = await run("/usr/bin/python3", [OPENSTACK, "baremetal", ...args], {
      env: { ...process.env, OS_AUTH_TYPE: "none", OS_ENDPOINT: endpoint() },
      timeout: timeoutMs,
    });
    return stdout;
  };
  return {
    os,
    osJson: async <T = any>(...args: string[]): Promise<T> => JSON.parse(await os(...args, "-f", "json")) as T,
    async osFails(...args: string[]): Promise<string> {
      try {
        await os(...args);
      } catch (err) {
        return String((err as { stderr?: string }).stderr ?? err);
      }
      throw new Error(`expected "${args.join(" ")}" to fail`);
    },
  };
}

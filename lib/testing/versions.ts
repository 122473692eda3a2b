// Behaviour of microversions above the maximum Ingot announces (MAX_MINOR). The code gates each
// feature at the microversion where Ironic added it, so some features are in place before MAX_MINOR
// reaches them (it is raised only once every feature up to it is done): unreachable through the
// API, they are tested with this test-only override of lib/api/version.ts, in the test file:
//
//   vi.mock("../version.ts", async (original) =>
//     (await import("../../testing/versions.ts")).versionsAboveMax(await original()));
//
// Requests for 1.(MAX_MINOR+1) … 1.NEWEST_IRONIC_MINOR are then served at that version; the
// rest (no header, `latest`, older or unknown versions) are read as the real server reads them.
import type * as Version from "../api/version.ts";

/** The newest microversion of Ironic the reference describes (master, reference §3). */
export const NEWEST_IRONIC_MINOR = 115;

export function versionsAboveMax(real: typeof Version): typeof Version {
  return {
    ...real,
    requestedMinor(headers: Headers): number {
      const m = /^1\.(\d+)$/.exec(headers.get("X-OpenStack-Ironic-API-Version") ?? "");
      const minor = m ? Number(m[1]) : 0;
      if (minor > real.MAX_MINOR && minor <= NEWEST_IRONIC_MINOR) return minor;
      return real.requestedMinor(headers);
    },
  };
}

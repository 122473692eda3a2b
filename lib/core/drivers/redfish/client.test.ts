// The Redfish client against the test Redfish service: authentication (basic, session, auto),
// session reuse and renewal, retries, timeouts, unreachable BMCs, ETags, task monitors, TLS.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RedfishMock, startTlsRedfishMock } from "../../../testing/redfish_mock.ts";
import { forgetRedfishSessions, RedfishClient } from "./client.ts";
import { parseRedfishDriverInfo } from "./driver_info.ts";

const bmc = new RedfishMock({ systems: [{ asyncResetMs: 0 }] });
const client = (extra: Record<string, unknown> = {}, mock: RedfishMock = bmc) =>
  new RedfishClient(parseRedfishDriverInfo({
    uuid: "11111111-2222-3333-4444-555555555555",
    driverInfo: mock.driverInfo({ redfish_connection_attempts: 3, redfish_connection_retry_interval: 0.02, redfish_timeout: 2, ...extra }),
  }));
const count = (pred: (r: { method: string; path: string; auth: string }) => boolean) => bmc.requests.filter(pred).length;
const logins = () => count((r) => r.method === "POST" && r.path === "/redfish/v1/SessionService/Sessions");

beforeAll(() => bmc.start());
afterAll(() => bmc.stop());
afterEach(() => {
  forgetRedfishSessions();
  bmc.delayMs = 0;
  bmc.fail5xx = 0;
  bmc.dropConnections = 0;
  bmc.concurrentChanges = 0;
});

describe("Redfish client authentication", () => {
  it("auto: logs in once and reuses the session across clients; renews it after expiry", async () => {
    const before = logins();
    const sys = await client().system("read the system");
    expect(sys.path).toBe("/redfish/v1/Systems/1");
    await client().system("read the system");
    expect(logins() - before).toBe(1);
    expect(bmc.requests.at(-1)!.auth).toBe("session");

    bmc.expireSessions();
    expect((await client().system("read the system")).body.Id).toBe("1");
    expect(logins() - before).toBe(2);
    expect(bmc.requests.at(-1)!.auth).toBe("session");
  });

  it("a session that expires at the BMC (idle timeout) is renewed; concurrent requests share one login", async () => {
    const short = new RedfishMock({ sessionTimeoutSeconds: 1 });
    await short.start();
    try {
      const posts = () => short.requests.filter((r) => r.method === "POST" && r.path.endsWith("/Sessions")).length;
      await Promise.all([1, 2, 3, 4].map(() => client({}, short).system("read the system")));
      expect(posts()).toBe(1);
      await new Promise((r) => setTimeout(r, 1200));
      expect((await client({}, short).system("read the system")).body.Id).toBe("1");
      expect(posts()).toBe(2);
      expect(short.requests.filter((r) => r.auth === "bad")).toHaveLength(1); // the expired token, once
    } finally {
      await short.stop();
    }
  });

  it("basic: sends credentials on every request, no session", async () => {
    const before = logins();
    await client({ redfish_auth_type: "basic" }).system("read the system");
    expect(logins()).toBe(before);
    expect(bmc.requests.at(-1)!.auth).toBe("basic");
  });

  it("wrong credentials give a readable error (session and basic)", async () => {
    await expect(client({ redfish_password: "wrong" }).system("read the system")).rejects.toThrow(
      new RegExp(`^Redfish BMC ${bmc.url.replace(/[.]/g, "\\.")} refused login for user "root": 401 There is no valid session`),
    );
    await expect(client({ redfish_password: "wrong", redfish_auth_type: "basic" }).system("read the system")).rejects.toThrow(/refused login for user "root": 401/);
  });

  it("auto falls back to basic without a SessionService; session then refuses", async () => {
    const bare = new RedfishMock({ sessionService: false });
    await bare.start();
    try {
      expect((await client({}, bare).system("read the system")).body.Id).toBe("1");
      expect(bare.requests.at(-1)!.auth).toBe("basic");
      await expect(client({ redfish_auth_type: "session" }, bare).system("read the system")).rejects.toThrow(
        /has no SessionService, so redfish_auth_type "session" cannot work/,
      );
    } finally {
      await bare.stop();
    }
  });

  it("logout deletes the session at the BMC", async () => {
    const c = client();
    await c.system("read the system");
    expect(bmc.sessions.size).toBeGreaterThan(0);
    const n = bmc.sessions.size;
    await c.logout();
    expect(bmc.sessions.size).toBe(n - 1);
  });
});

describe("Redfish client failures and retries", () => {
  it("retries 5xx and succeeds; 5xx forever becomes a readable error", async () => {
    const c = client({ redfish_auth_type: "basic" });
    bmc.fail5xx = 2;
    expect((await c.system("read the system")).body.Id).toBe("1");
    bmc.fail5xx = 100;
    await expect(client({ redfish_auth_type: "basic", redfish_system_id: "/redfish/v1/Systems/1" }).system("read the system")).rejects.toThrow(
      /^Redfish BMC http:\/\/127\.0\.0\.1:\d+ failed read the system \(GET \/redfish\/v1\/Systems\/1\): HTTP 503 The request failed due to an internal service error\. The service is still operational\. \(after 3 attempts\)\.$/,
    );
  });

  it("retries dropped connections", async () => {
    bmc.dropConnections = 2;
    expect((await client({ redfish_auth_type: "basic" }).system("read the system")).body.Id).toBe("1");
  });

  it("a slow BMC times out with a readable error", async () => {
    bmc.delayMs = 400;
    await expect(client({ redfish_auth_type: "basic", redfish_timeout: 0.15, redfish_connection_attempts: 2 }).system("read the system")).rejects.toThrow(
      /^Redfish BMC http:\/\/127\.0\.0\.1:\d+ did not answer finding the system \(GET \/redfish\/v1\/\) within 0\.15 s \(2 attempts\)/,
    );
  });

  it("connection refused becomes a readable error", async () => {
    const gone = new RedfishMock();
    await gone.start();
    await gone.stop();
    await expect(client({ redfish_connection_attempts: 2 }, gone).system("read the system")).rejects.toThrow(
      /^Redfish BMC http:\/\/127\.0\.0\.1:\d+ is unreachable \(connection refused\) during finding the system \(2 attempts\)\.$/,
    );
  });

  it("follows a redirect of the service root on the same BMC", async () => {
    const c = client({ redfish_address: `${bmc.url}/redirect-me` });
    expect(c.info.rootPrefix).toBe("/redirect-me/");
    expect((await c.system("read the system")).body.Id).toBe("1");
  });

  it("asks for redfish_system_id when the BMC manages several systems", async () => {
    const two = new RedfishMock({ systems: [{}, { id: "B" }] });
    await two.start();
    try {
      await expect(client({}, two).system("read the system")).rejects.toThrow(
        /manages 2 systems \(\/redfish\/v1\/Systems\/1, \/redfish\/v1\/Systems\/B\): set driver_info\/redfish_system_id/,
      );
      expect((await client({ redfish_system_id: "/redfish/v1/Systems/B" }, two).system("read")).body.Id).toBe("B");
      await expect(client({ redfish_system_id: "/redfish/v1/Systems/C" }, two).system("read")).rejects.toThrow(/has no system \/redfish\/v1\/Systems\/C: check driver_info\/redfish_system_id/);
    } finally {
      await two.stop();
    }
  });
});

describe("Redfish client ETags and tasks", () => {
  it("PATCH sends If-Match; a concurrent change is re-read and retried once, twice is an error", async () => {
    const c = client();
    bmc.concurrentChanges = 1;
    await c.patch("/redfish/v1/Systems/1", { Boot: { BootSourceOverrideTarget: "Cd" } }, "set the boot device");
    expect(bmc.system().boot.target).toBe("Cd");
    bmc.concurrentChanges = 2;
    await expect(c.patch("/redfish/v1/Systems/1", { Boot: { BootSourceOverrideTarget: "Pxe" } }, "set the boot device")).rejects.toThrow(
      /refused set the boot device \(PATCH \/redfish\/v1\/Systems\/1\): the resource kept changing \(ETag mismatch twice, HTTP 412\)/,
    );
    expect(bmc.system().boot.target).toBe("Cd");
  });

  it("a BMC error body becomes the message", async () => {
    await expect(client().patch("/redfish/v1/Systems/1", { Boot: { BootSourceOverrideTarget: "Floppy" } }, "set the boot device")).rejects.toThrow(
      /refused set the boot device \(PATCH \/redfish\/v1\/Systems\/1\): HTTP 400 The value Floppy for the property BootSourceOverrideTarget is not in the list of acceptable values\./,
    );
  });

  it("follows a task monitor to completion", async () => {
    const sys = bmc.system();
    sys.asyncResetMs = 300;
    sys.powerState = "Off";
    try {
      const res = await client().post("/redfish/v1/Systems/1/Actions/ComputerSystem.Reset", { ResetType: "On" }, "power on");
      expect(res.status).toBe(204);
      expect(sys.powerState).toBe("On");
      expect(count((r) => r.path.startsWith("/redfish/v1/TaskService/TaskMonitors/"))).toBeGreaterThan(0);
    } finally {
      sys.asyncResetMs = 0;
    }
  });
});

describe("Redfish client over TLS", () => {
  let tls: Awaited<ReturnType<typeof startTlsRedfishMock>>;
  let tlsBmc: RedfishMock;
  let caFile: string;
  beforeAll(async () => {
    tls = await startTlsRedfishMock();
    ({ bmc: tlsBmc, caFile } = tls);
  });
  afterAll(async () => tls?.stop());

  it("verifies the certificate: refused by default, accepted with the CA bundle or verify off", async () => {
    await expect(client({}, tlsBmc).system("read the system")).rejects.toThrow(
      /^Redfish BMC https:\/\/127\.0\.0\.1:\d+: the TLS certificate was not accepted \(.*\) during finding the system\. Set redfish_verify_ca/,
    );
    expect((await client({ redfish_verify_ca: caFile }, tlsBmc).system("read")).body.Id).toBe("1");
    forgetRedfishSessions();
    expect((await client({ redfish_verify_ca: "false" }, tlsBmc).system("read")).body.Id).toBe("1");
  });
});

// The test Redfish service itself (lib/testing/redfish_mock.ts): what a client observes of it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedfishMock } from "../../../testing/redfish_mock.ts";

const bmc = new RedfishMock({ systems: [{}, { resetTypes: ["On", "ForceOff"] }] });
const basic = { Authorization: `Basic ${Buffer.from("root:calvin").toString("base64")}` };
const req = async (method: string, path: string, body?: unknown, headers: Record<string, string> = basic) => {
  const res = await fetch(bmc.url + path, { method, headers: { ...headers, "Content-Type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
};

beforeAll(() => bmc.start());
afterAll(() => bmc.stop());

describe("Redfish test service", () => {
  it("serves the service root without auth and refuses the rest without credentials", async () => {
    const root = await req("GET", "/redfish/v1/", undefined, {});
    expect(root.status).toBe(200);
    expect(root.body.Systems).toEqual({ "@odata.id": "/redfish/v1/Systems" });
    expect((await req("GET", "/redfish/v1/Systems", undefined, {})).status).toBe(401);
    expect((await req("GET", "/redfish/v1/Systems", undefined, { Authorization: "Basic " + Buffer.from("root:x").toString("base64") })).status).toBe(401);
    const systems = await req("GET", "/redfish/v1/Systems");
    expect(systems.body.Members).toHaveLength(2);
  });

  it("creates, uses and ends sessions", async () => {
    const login = await req("POST", "/redfish/v1/SessionService/Sessions", { UserName: "root", Password: "calvin" }, {});
    expect(login.status).toBe(201);
    const token = login.headers.get("x-auth-token")!;
    const location = login.headers.get("location")!;
    expect((await req("GET", "/redfish/v1/Systems/1", undefined, { "X-Auth-Token": token })).status).toBe(200);
    expect((await req("DELETE", location, undefined, { "X-Auth-Token": token })).status).toBe(204);
    expect((await req("GET", "/redfish/v1/Systems/1", undefined, { "X-Auth-Token": token })).status).toBe(401);
    expect((await req("POST", "/redfish/v1/SessionService/Sessions", { UserName: "root", Password: "no" }, {})).status).toBe(401);
  });

  it("checks If-Match on PATCH and changes the ETag", async () => {
    const sys = await req("GET", "/redfish/v1/Systems/1");
    const etag = sys.headers.get("etag")!;
    expect((await req("PATCH", "/redfish/v1/Systems/1", { Boot: { BootSourceOverrideTarget: "Pxe" } }, { ...basic, "If-Match": 'W/"999"' })).status).toBe(412);
    expect((await req("PATCH", "/redfish/v1/Systems/1", { Boot: { BootSourceOverrideTarget: "Pxe", BootSourceOverrideEnabled: "Once" } }, { ...basic, "If-Match": etag })).status).toBe(204);
    const after = await req("GET", "/redfish/v1/Systems/1");
    expect(after.headers.get("etag")).not.toBe(etag);
    expect(after.body.Boot).toMatchObject({ BootSourceOverrideTarget: "Pxe", BootSourceOverrideEnabled: "Once" });
  });

  it("resets with advertised types only; a boot consumes a one-time override and applies pending BIOS", async () => {
    expect((await req("POST", "/redfish/v1/Systems/2/Actions/ComputerSystem.Reset", { ResetType: "ForceRestart" })).status).toBe(400);
    expect((await req("PATCH", "/redfish/v1/Systems/1/Bios/Settings", { Attributes: { NumaNodesPerSocket: 9 } })).status).toBe(400);
    expect((await req("PATCH", "/redfish/v1/Systems/1/Bios/Settings", { Attributes: { ProcTurboMode: "Disabled" } })).status).toBe(204);
    expect((await req("GET", "/redfish/v1/Systems/1/Bios/Settings")).body.Attributes).toEqual({ ProcTurboMode: "Disabled" });
    expect((await req("POST", "/redfish/v1/Systems/1/Actions/ComputerSystem.Reset", { ResetType: "On" })).status).toBe(204);
    const sys = (await req("GET", "/redfish/v1/Systems/1")).body;
    expect(sys.PowerState).toBe("On");
    expect(sys.Boot.BootSourceOverrideEnabled).toBe("Disabled");
    expect(bmc.system("1").bootedFrom).toBe("Pxe");
    expect((await req("GET", "/redfish/v1/Systems/1/Bios")).body.Attributes.ProcTurboMode).toBe("Disabled");
    expect((await req("GET", "/redfish/v1/Systems/1/Bios/Settings")).body.Attributes).toEqual({});
  });

  it("answers an async operation with a task monitor", async () => {
    bmc.system("1").asyncBiosResetMs = 50;
    const started = await req("POST", "/redfish/v1/Systems/1/Bios/Actions/Bios.ResetBios", {});
    expect(started.status).toBe(202);
    const monitor = started.headers.get("location")!;
    expect((await req("GET", monitor)).status).toBe(202);
    await new Promise((r) => setTimeout(r, 80));
    expect((await req("GET", monitor)).status).toBe(204);
    expect(bmc.system("1").pendingResetBios).toBe(true);
    bmc.system("1").asyncBiosResetMs = 0;
  });

  it("misbehaves on request: 5xx, dropped connections, missing resources", async () => {
    bmc.fail5xx = 1;
    expect((await req("GET", "/redfish/v1/Systems")).status).toBe(503);
    expect((await req("GET", "/redfish/v1/Systems")).status).toBe(200);
    bmc.dropConnections = 1;
    await expect(req("GET", "/redfish/v1/Systems")).rejects.toThrow();
    const bare = new RedfishMock({ systems: [{ bios: false, secureBoot: false, storage: "none" }], virtualMedia: false, sessionService: false });
    await bare.start();
    try {
      const sys = await fetch(`${bare.url}/redfish/v1/Systems/1`, { headers: basic }).then((r) => r.json());
      expect([sys.Bios, sys.SecureBoot, sys.Storage, sys.SimpleStorage]).toEqual([undefined, undefined, undefined, undefined]);
      const root = await fetch(`${bare.url}/redfish/v1/`).then((r) => r.json());
      expect(root.SessionService).toBeUndefined();
    } finally {
      await bare.stop();
    }
  });
});

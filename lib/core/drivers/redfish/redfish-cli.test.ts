// The real `openstack baremetal` client enrolling a redfish node against the test Redfish
// service: driver listing and properties, create with driver_info (password masked), validate,
// manage (reads the power state from the BMC), power on through the API, BIOS settings listed.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { openstackCli, requireOpenstackCli } from "../../../testing/openstack.ts";
import { RedfishMock } from "../../../testing/redfish_mock.ts";
import { startClientTarget, type ClientTarget } from "../../../testing/server.ts";
import { setConfig } from "../../config.ts";
import { forgetRedfishSessions } from "./client.ts";

// Each step runs the Python client (a second or more per call, several on a busy machine).
vi.setConfig({ testTimeout: 180_000 });

let target: ClientTarget | undefined;
const bmc = new RedfishMock();
const { os, osJson } = openstackCli(() => target!.url);

beforeAll(async () => {
  requireOpenstackCli();
  setConfig({ enabledHardwareTypes: ["fake-hardware", "redfish"] });
  await bmc.start();
  target = await startClientTarget();
}, 60_000);

afterAll(async () => {
  await target?.stop();
  await bmc.stop();
  forgetRedfishSessions();
  setConfig();
});

describe("openstack baremetal with a redfish node", () => {
  it("enrolls, validates, manages and powers a redfish node; reads its power state", async () => {
    const drivers = await osJson<{ "Supported driver(s)": string }[]>("driver", "list");
    expect(drivers.map((d) => d["Supported driver(s)"])).toContain("redfish");
    const props = await osJson<{ Property: string; Description: string }[]>("driver", "property", "list", "redfish");
    expect(props.map((p) => p.Property)).toEqual(expect.arrayContaining(["redfish_address", "redfish_password", "redfish_verify_ca", "redfish_auth_type"]));

    const created = await osJson(
      "node", "create", "--driver", "redfish", "--name", "rf-cli",
      "--driver-info", `redfish_address=${bmc.url}`, "--driver-info", "redfish_username=root",
      "--driver-info", "redfish_password=calvin", "--driver-info", "redfish_connection_retry_interval=0.05",
    );
    expect(created.driver_info).toMatchObject({ redfish_address: bmc.url, redfish_username: "root", redfish_password: "******" });

    const validation = await osJson<{ Interface: string; Result: boolean; Reason: string | null }[]>("node", "validate", "rf-cli");
    const byIface = Object.fromEntries(validation.map((v) => [v.Interface, v.Result]));
    expect(byIface).toMatchObject({ power: true, management: true, boot: true, bios: true, inspect: true, deploy: false });

    await os("node", "manage", "rf-cli", "--wait", "60");
    let node = await osJson("node", "show", "rf-cli");
    expect([node.provision_state, node.power_state, node.last_error]).toEqual(["manageable", "power off", null]);

    await os("node", "power", "on", "rf-cli", "--power-timeout", "30");
    node = await osJson("node", "show", "rf-cli", "--fields", "power_state", "last_error");
    expect([node.power_state, node.last_error]).toEqual(["power on", null]);
    expect(bmc.system().powerState).toBe("On");

    const bios = await osJson<Record<string, string>[]>("node", "bios", "setting", "list", "rf-cli");
    expect(bios.find((b) => b["BIOS setting name"] === "ProcTurboMode")?.["BIOS setting value"]).toBe("Enabled");

    const boot = await osJson("node", "boot", "device", "show", "rf-cli");
    expect(boot).toMatchObject({ boot_device: null });
    await os("node", "boot", "device", "set", "rf-cli", "pxe", "--persistent");
    expect(await osJson("node", "boot", "device", "show", "rf-cli")).toMatchObject({ boot_device: "pxe", persistent: true });
    expect(bmc.system().boot).toMatchObject({ target: "Pxe", enabled: "Continuous" });
  }, 240_000);
});

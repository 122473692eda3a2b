// An `ipmi` node driven by the stock `openstack baremetal` client, against the pyghmi fake BMC:
// enroll with driver_info on the command line, validate, manage / provide / deploy with --wait,
// power, the Serial-over-LAN console's info, and a wrong password's error as the client shows it.
// The node boots through `ipxe` (the default): Ingot serves its iPXE script while it is deployed.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { handleBootRequest } from "../../../server/boot_http.ts";
import { setConfig } from "../../config.ts";
import { setNetbootSettings } from "../../netboot/settings.ts";
import { openstackCli, requireOpenstackCli } from "../../../testing/openstack.ts";
import { startClientTarget, type ClientTarget } from "../../../testing/server.ts";
import { FakeBmc, fakeBmcUnavailable } from "../../../testing/fake_bmc.ts";

// Each step runs the Python client (a second or more per call, several on a busy machine).
vi.setConfig({ testTimeout: 180_000 });

const bmc = new FakeBmc({ password: "cli-s3cret" });
let target: ClientTarget;
let dir: string;
const BASE = "http://192.0.2.20:3000";
const cli = openstackCli(() => target.url, 120_000);

describe("openstack baremetal with an ipmi node", () => {
  it("has the real peers (openstack client, ipmitool, pyghmi)", () => {
    requireOpenstackCli();
    expect(fakeBmcUnavailable()).toBeNull();
  });

  beforeAll(async () => {
    process.env.INGOT_IPMI_RETRY_BACKOFF_MS = "100";
    setConfig({ conductorHostname: "ipmi-cli-host", enabledHardwareTypes: ["fake-hardware", "ipmi"], automatedClean: true });
    dir = mkdtempSync(join(tmpdir(), "ingot-ipmi-cli-"));
    for (const f of ["deploy_kernel", "deploy_ramdisk", "kernel", "ramdisk"]) writeFileSync(join(dir, f), f);
    setNetbootSettings({ provisioningUrl: BASE, agentApiUrl: `${BASE}/baremetal`, httpRoot: join(dir, "httpboot"), imageCacheDir: join(dir, "cache"), dhcpProvider: "none" });
    await bmc.start();
    target = await startClientTarget({ hostname: "ipmi-cli-host" });
  }, 60_000);
  afterAll(async () => {
    await target?.stop();
    await bmc.stop();
    setConfig();
    setNetbootSettings();
    rmSync(dir, { recursive: true, force: true });
    delete process.env.INGOT_IPMI_RETRY_BACKOFF_MS;
  });

  it("enroll → validate → manage → provide → deploy → active, power and the SOL console", async () => {
    const info = bmc.driverInfo({ deploy_kernel: join(dir, "deploy_kernel"), deploy_ramdisk: join(dir, "deploy_ramdisk") });
    const driverInfo = Object.entries(info).flatMap(([k, v]) => ["--driver-info", `${k}=${v}`]);
    const created = await cli.osJson("node", "create", "--driver", "ipmi", "--name", "cli-ipmi-01", "--console-interface", "ipmitool-sol", ...driverInfo);
    expect(created.driver_info.ipmi_password).toBe("******");
    expect(created.driver_info.ipmi_address).toBe(info.ipmi_address);
    expect(created.boot_interface).toBe("ipxe");
    await cli.osJson("port", "create", "52:54:00:cc:11:01", "--node", created.uuid);
    // The `ramdisk` deploy boots this kernel and ramdisk from Ingot.
    await cli.os("node", "set", "cli-ipmi-01", "--instance-info", `kernel=${join(dir, "kernel")}`, "--instance-info", `ramdisk=${join(dir, "ramdisk")}`);

    const validation = await cli.osJson<{ Interface: string; Result: boolean; Reason: string }[]>("node", "validate", "cli-ipmi-01");
    const result = Object.fromEntries(validation.map((v) => [v.Interface, v.Result]));
    expect(result).toMatchObject({ power: true, management: true, boot: true, deploy: true, console: true });

    await cli.os("node", "manage", "cli-ipmi-01", "--wait", "60");
    let node = await cli.osJson("node", "show", "cli-ipmi-01");
    expect([node.provision_state, node.power_state, node.last_error]).toEqual(["manageable", "power off", null]);

    await cli.os("node", "power", "on", "cli-ipmi-01", "--power-timeout", "30");
    node = await cli.osJson("node", "show", "cli-ipmi-01");
    expect(node.power_state).toBe("power on");

    await cli.os("node", "provide", "cli-ipmi-01", "--wait", "60");
    await cli.os("node", "deploy", "cli-ipmi-01", "--wait", "60");
    node = await cli.osJson("node", "show", "cli-ipmi-01");
    expect([node.provision_state, node.power_state, node.last_error]).toEqual(["active", "power on", null]);
    expect(await cli.osJson("node", "boot", "device", "show", "cli-ipmi-01")).toEqual({ boot_device: "pxe", persistent: true });
    const script = await handleBootRequest(new Request(`http://127.0.0.1/boot/mac/52-54-00-cc-11-01`));
    expect(await script.text()).toContain(`kernel ${BASE}/boot/${created.uuid}/kernel root=/dev/ram0 text`);

    await cli.os("node", "console", "enable", "cli-ipmi-01");
    let consoleInfo: any = null;
    for (let i = 0; i < 100 && !consoleInfo?.console_enabled; i++) {
      consoleInfo = await cli.osJson("node", "console", "show", "cli-ipmi-01");
      if (!consoleInfo.console_enabled) await new Promise((r) => setTimeout(r, 100));
    }
    expect(consoleInfo.console_enabled).toBe(true);
    expect(consoleInfo.console_info).toMatchObject({ type: "ws" });
    expect(String(consoleInfo.console_info.url)).toMatch(/\/ws\/nodes\/[0-9a-f-]{36}\/serial$/);
    await cli.os("node", "console", "disable", "cli-ipmi-01");

    await cli.os("node", "undeploy", "cli-ipmi-01", "--wait", "60");
    node = await cli.osJson("node", "show", "cli-ipmi-01");
    expect([node.provision_state, node.power_state]).toEqual(["available", "power off"]);
    expect((await handleBootRequest(new Request(`http://127.0.0.1/boot/mac/52-54-00-cc-11-01`))).status).toBe(404);
    await cli.os("node", "delete", "cli-ipmi-01");
    // ~17 client calls (ports and instance_info for ipxe too): 108 s alone, over 180 s beside other tests.
  }, 300_000);

  it("a wrong password: manage ends with the BMC's refusal in last_error", async () => {
    const driverInfo = Object.entries(bmc.driverInfo({ ipmi_password: "wrong" })).flatMap(([k, v]) => ["--driver-info", `${k}=${v}`]);
    await cli.osJson("node", "create", "--driver", "ipmi", "--name", "cli-ipmi-bad", ...driverInfo);
    // The client's --wait gives up when the node falls back to enroll; the error is the node's.
    await cli.osFails("node", "manage", "cli-ipmi-bad", "--wait", "60");
    const node = await cli.osJson("node", "show", "cli-ipmi-bad");
    expect(node.provision_state).toBe("enroll");
    expect(node.last_error).toMatch(/IPMI authentication failed for 127\.0\.0\.1:\d+: check ipmi_username \/ ipmi_password/);
  }, 120_000);
});

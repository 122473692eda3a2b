// End to end with the real agent: a real Ingot server (conductor, Bare Metal API and /boot/ on
// 127.0.0.1, its dnsmasq DHCP provider inside the rig's namespace on the bridge) provisions a QEMU
// VM behind an IPMI vBMC through the stock `openstack baremetal` client: enroll → manage →
// inspect (the real IPA's inventory) → provide (agent cleaning) → deploy (the agent writes the
// rig's disk image, served over http on the bridge; the VM boots it from disk) → rescue →
// unrescue → undeploy (cleaning again) → available; while active, the deployed VM's serial console
// through Ingot (ipmitool-sol: Serial-over-LAN from the vBMC, Ingot's websocket as the dashboard
// uses it). Every ramdisk boot is a real one: the VM's NIC ROM iPXE gets Ingot's chain script from
// Ingot's dnsmasq, then the node's script from Ingot.
//
// The environment (namespace, bridge, dnsmasq, Ingot, the image server, the VMs) is environment.ts's.
//
// Elsewhere the VM's serial log is read directly (the `redfish` node has no serial console here).
//
// Runs only as root with the rig's tools (lib/testing/rig/README.md); each VM boot under TCG takes
// minutes, so the whole test takes 25–60 min. Phase durations are printed at the end.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { openstackCli, requireOpenstackCli } from "../openstack.ts";
import { RedfishMock } from "../redfish_mock.ts";
import { RIG_PHASE_SECONDS as PHASE_SECONDS, RigEnvironment, rigUnavailable } from "./environment.ts";
import type { RigVm } from "./vm.ts";

const unavailable = rigUnavailable();

const timings: [string, number][] = [];
async function phase<T>(name: string, body: () => Promise<T>): Promise<T> {
  const started = Date.now();
  console.log(`[provision] ${new Date().toISOString()} ${name} ...`);
  try {
    return await body();
  } catch (err) {
    console.log(`[provision] ${name} failed: ${String((err as { stderr?: string }).stderr || err)}`);
    throw err;
  } finally {
    const secs = (Date.now() - started) / 1000;
    timings.push([name, secs]);
    console.log(`[provision] ${name}: ${secs.toFixed(0)} s`);
  }
}

describe.skipIf(unavailable !== null)(`provisioning a VM with the real agent${unavailable ? ` (skipped: ${unavailable})` : ""}`, () => {
  let env: RigEnvironment | undefined;
  /** The Redfish case's VM (on tap1) and its BMC. */
  let redfishVm: RigVm | undefined;
  let redfishBmc: RedfishMock | undefined;
  // `--wait` commands last as long as their phase.
  const cli = openstackCli(() => env!.apiUrl, (PHASE_SECONDS + 120) * 1000);
  const started = Date.now();

  beforeAll(async () => {
    requireOpenstackCli();
    env = await RigEnvironment.start({ vms: 1, taps: 2 });
  }, 30 * 60_000);

  afterAll(async () => {
    const total = (Date.now() - started) / 1000;
    console.log(`[provision] phases:\n${timings.map(([n, s]) => `  ${n.padEnd(44)} ${s.toFixed(0).padStart(5)} s`).join("\n")}\n  total (with setup) ${total.toFixed(0)} s`);
    try {
      for (const n of await cli.osJson<{ Name: string }[]>("node", "list")) {
        const shown = await cli.osJson("node", "show", n.Name);
        console.log(`[provision] ${n.Name}: ${shown.provision_state}, ${shown.power_state}, last_error: ${shown.last_error}`);
      }
    } catch (err) {
      console.log(`[provision] could not list the nodes: ${String(err)}`);
    }
    for (const v of env?.vms ?? []) console.log(`[provision] ${v.name} serial log tail:\n${v.serialText().slice(-3000)}`);
    await redfishBmc?.stop();
    await env?.stop(); // the server (conductor, dnsmasq), the VMs, the namespace, the veth pair
    if (env) expect(env.leftovers()).toEqual([]);
  }, 120_000);

  async function show(name: string) {
    return cli.osJson("node", "show", name);
  }

  /** Waits until `openstack baremetal node console show` says enabled (or disabled); returns it. */
  async function consoleState(name: string, enabled: boolean) {
    for (const end = Date.now() + 60_000; ; await new Promise((r) => setTimeout(r, 1000))) {
      const state = await cli.osJson("node", "console", "show", name);
      if (state.console_enabled === enabled) return state;
      const node = await show(name);
      if (node.last_error || Date.now() > end) throw new Error(`console_enabled is ${state.console_enabled}, not ${enabled}; last_error: ${node.last_error}`);
    }
  }

  /**
   * A serial console websocket as the dashboard opens it (components/SerialConsole.tsx): a logged-in
   * admin's session cookie with the upgrade, the hello first, then output as binary frames.
   */
  async function serialConsole(url: string) {
    const { createUser } = await import("../../core/users.ts");
    const { sessionCookie } = await import("../session_cookie.ts");
    const admin = await createUser(env!.db!.sql, { username: `rig-admin-${randomBytes(3).toString("hex")}`, password: "rig-admin-password", systemRole: "admin" });
    const ws = new WebSocket(url, { headers: { cookie: await sessionCookie(admin.id, admin.username) } });
    const chunks: Buffer[] = [];
    let closed = "";
    const hello = new Promise<{ type: string; readOnly: boolean }>((resolve, reject) => {
      ws.on("message", (data: Buffer, isBinary) => {
        if (isBinary) chunks.push(Buffer.from(data));
        else resolve(JSON.parse(data.toString()));
      });
      ws.on("close", (code, reason) => {
        closed = `${code} ${reason.toString()}`;
        reject(new Error(`the console websocket closed: ${closed}`));
      });
      ws.on("error", reject);
    });
    expect(await hello).toMatchObject({ type: "hello", readOnly: false });
    const text = () => Buffer.concat(chunks).toString("latin1");
    return {
      text,
      send: (keys: string) => ws.send(Buffer.from(keys)),
      close: () => ws.close(),
      async waitFor(pattern: RegExp, from: number, seconds: number) {
        for (const end = Date.now() + seconds * 1000; !pattern.test(text().slice(from)); await new Promise((r) => setTimeout(r, 200))) {
          if (closed || Date.now() > end) throw new Error(`${pattern} not through Ingot's console within ${seconds} s${closed ? ` (closed: ${closed})` : ""}; received: ${JSON.stringify(text().slice(-1500))}`);
        }
      },
    };
  }

  /** Waits for the VM's serial output after `from` to match. */
  const serialAfter = (on: RigVm, from: number, pattern: RegExp, seconds = PHASE_SECONDS) => on.waitForSerial(pattern, seconds * 1000, from);

  it("enroll → manage → inspect → provide → deploy → console → rescue → unrescue → undeploy → available, through the openstack client", async () => {
    const v = env!.vms[0];
    const name = "rig-ipmi-01";
    const node = await phase("enroll (node + port)", () => env!.enrollIpmiNode(cli, v, name));
    expect(node.driver_info.ipmi_password).toBe("******");

    await phase("manage", () => cli.os("node", "manage", name, "--wait", "120"));
    expect((await show(name)).provision_state).toBe("manageable");

    await phase("inspect (ramdisk boot + agent inventory)", () => cli.os("node", "inspect", name, "--wait", String(PHASE_SECONDS)));
    let shown = await show(name);
    expect([shown.provision_state, shown.last_error]).toEqual(["manageable", null]);
    // The real agent's inventory: the VM's 4 GiB virtio disk, its NIC, its 2 GiB of RAM.
    const inventory = (await (await fetch(`${env!.apiUrl}/v1/nodes/${node.uuid}/inventory`, { headers: { "X-OpenStack-Ironic-API-Version": "1.81" } })).json()).inventory;
    console.log(`[provision] inventory: disks ${JSON.stringify(inventory.disks.map((d: { name: string; size: number }) => [d.name, d.size]))}, ` +
      `interfaces ${JSON.stringify(inventory.interfaces.map((i: { name: string; mac_address: string }) => [i.name, i.mac_address]))}, memory ${JSON.stringify(inventory.memory)}; properties ${JSON.stringify(shown.properties)}`);
    expect(inventory.disks.some((d: { size: number }) => d.size === 4 * 1024 ** 3)).toBe(true);
    expect(inventory.interfaces.map((i: { mac_address: string }) => i.mac_address.toLowerCase())).toContain(v.mac.toLowerCase());
    expect(inventory.memory.physical_mb).toBeGreaterThanOrEqual(2048);
    expect(Number(shown.properties.memory_mb)).toBeGreaterThanOrEqual(1900);
    expect(Number(shown.properties.local_gb)).toBeGreaterThanOrEqual(3);

    await phase("provide (agent cleaning: erase_devices_metadata)", () => cli.os("node", "provide", name, "--wait", String(PHASE_SECONDS)));
    shown = await show(name);
    expect([shown.provision_state, shown.last_error]).toEqual(["available", null]);
    expect(v.serialText()).toMatch(/erase_devices_metadata/);

    const imageId = env!.image.id;
    await env!.setImage(cli, name);
    let from = v.serialText().length;
    await phase("deploy --wait (ramdisk boot + write_image + reboot to disk)", () => cli.os("node", "deploy", name, "--wait", String(PHASE_SECONDS)));
    shown = await show(name);
    expect([shown.provision_state, shown.power_state, shown.last_error]).toEqual(["active", "power on", null]);
    await phase("active → image's marker and prompt on the serial port", async () => {
      await serialAfter(v, from, new RegExp(`INGOT-IMAGE-BOOTED ${imageId}`), 300);
      await serialAfter(v, from, /INGOT-IMAGE-BOOTED[\s\S]*\n\/ # /, 120); // busybox sh's prompt
    });

    await phase("console: enable (ipmitool-sol), the prompt and a command through Ingot's websocket, disable", async () => {
      await cli.os("node", "console", "enable", name);
      const enabled = await consoleState(name, true);
      expect(enabled.console_info).toMatchObject({ type: "ws" });
      // As the dashboard: the websocket URL from console_info, a logged-in user's session cookie.
      const ws = await serialConsole(String((enabled.console_info as { url: string }).url));
      try {
        // busybox's prompt (its line editor may follow it with a cursor position query, ESC [6n)
        const prompt = /\n\/ # /;
        let from = ws.text().length;
        ws.send("\r");
        await ws.waitFor(prompt, from, 60);
        const token = `ingot-console-${randomBytes(4).toString("hex")}`;
        from = ws.text().length;
        // The arithmetic tells the shell's output from the echo of what was typed.
        ws.send(`echo ${token}-$((6*7))-ok\r`);
        await ws.waitFor(new RegExp(`\n${token}-42-ok\r?\n`), from, 60);
        await ws.waitFor(new RegExp(`${token}-42-ok\r?\n/ # `), from, 30);
        expect(v.serialText()).toContain(`${token}-42-ok`); // the VM's own serial log has it too
      } finally {
        ws.close();
      }
      await cli.os("node", "console", "disable", name);
      const disabled = await consoleState(name, false);
      expect(disabled.console_info).toBeNull();
      await v.waitForEvent((e) => e.event === "sol_deactivate", 30_000); // the BMC's SOL session ended
    });

    from = v.serialText().length;
    await phase("rescue --wait (ramdisk boot + finalize_rescue)", () => cli.os("node", "rescue", name, "--rescue-password", "rig-rescue", "--wait", String(PHASE_SECONDS)));
    shown = await show(name);
    expect([shown.provision_state, shown.last_error]).toEqual(["rescue", null]);
    expect(v.serialText().slice(from)).toContain("ingot-ramdisk: starting ironic-python-agent");
    // The agent stopped after finalize_rescue and the ramdisk gave its password to `rescue`.
    await serialAfter(v, from, /rescue mode: user rescue has the rescue password/, 300);

    from = v.serialText().length;
    await phase("unrescue --wait (boot the disk again)", () => cli.os("node", "unrescue", name, "--wait", String(PHASE_SECONDS)));
    shown = await show(name);
    expect([shown.provision_state, shown.last_error]).toEqual(["active", null]);
    await serialAfter(v, from, new RegExp(`INGOT-IMAGE-BOOTED ${imageId}`), 300);

    await phase("undeploy --wait (tear down + agent cleaning)", () => cli.os("node", "undeploy", name, "--wait", String(PHASE_SECONDS)));
    shown = await show(name);
    expect([shown.provision_state, shown.power_state, shown.last_error]).toEqual(["available", "power off", null]);
  }, 4 * 3600_000);

  it("a wrong image checksum fails the deploy with the agent's words in last_error", async () => {
    const v = env!.vms[0];
    const name = "rig-ipmi-01";
    const { setConfig } = await import("../../core/config.ts");
    // Cleaning is proven above; here it would only add a VM boot before and after.
    setConfig({ automatedClean: false });
    try {
      const exists = (await cli.osJson<{ Name: string }[]>("node", "list")).some((n) => n.Name === name);
      if (!exists) {
        await env!.enrollIpmiNode(cli, v, name);
        await cli.os("node", "manage", name, "--wait", "120");
        await cli.os("node", "provide", name, "--wait", "120");
      }
      expect((await show(name)).provision_state).toBe("available");
      const wrong = "0".repeat(64);
      await env!.setImage(cli, name, wrong);
      const failure = await phase("deploy with a wrong checksum → deploy failed", async () => {
        await cli.os("node", "deploy", name);
        for (const end = Date.now() + PHASE_SECONDS * 1000; Date.now() < end; await new Promise((r) => setTimeout(r, 5000))) {
          const n = await show(name);
          if (!["deploying", "wait call-back"].includes(n.provision_state)) return n;
        }
        throw new Error("the deploy did not end");
      });
      console.log(`[provision] wrong checksum: ${failure.provision_state}: ${failure.last_error}`);
      expect(failure.provision_state).toBe("deploy failed");
      expect(failure.last_error).toMatch(/checksum/i);
      expect(failure.last_error).toContain(wrong);
      await phase("undeploy from deploy failed", () => cli.os("node", "undeploy", name, "--wait", String(PHASE_SECONDS)));
      expect((await show(name)).provision_state).toBe("available");
    } finally {
      setConfig({ automatedClean: true });
    }
  }, 2 * 3600_000);

  it("a redfish node deploys the same way: ipxe through the Redfish boot override, the agent writes the image, the VM boots it", async () => {
    redfishVm = await env!.addVm({ memory: 2048 });
    const v = redfishVm;
    redfishBmc = new RedfishMock({ systems: [{ machine: v.redfishMachine() }] });
    await redfishBmc.start();
    const name = "rig-redfish-01";
    const { setConfig } = await import("../../core/config.ts");
    // Agent cleaning is proven on the ipmi node; here it would only add two VM boots.
    setConfig({ automatedClean: false });
    try {
      await phase("redfish: enroll, manage, provide", async () => {
        const info = redfishBmc!.driverInfo({
          redfish_system_id: redfishBmc!.system().path,
          ...env!.ramdiskDriverInfo(),
        });
        const created = await cli.osJson("node", "create", "--driver", "redfish", "--name", name, "--boot-interface", "ipxe", "--deploy-interface", "direct",
          ...Object.entries(info).flatMap(([k, val]) => ["--driver-info", `${k}=${val}`]));
        expect(created.driver_info.redfish_password).toBe("******");
        await cli.osJson("port", "create", v.mac, "--node", created.uuid);
        await cli.os("node", "manage", name, "--wait", "120");
        await cli.os("node", "provide", name, "--wait", "120");
      });
      const imageId = env!.image.id;
      await env!.setImage(cli, name);
      const from = v.serialText().length;
      await phase("redfish: deploy --wait", () => cli.os("node", "deploy", name, "--wait", String(PHASE_SECONDS)));
      const shown = await show(name);
      expect([shown.provision_state, shown.power_state, shown.last_error]).toEqual(["active", "power on", null]);
      expect(v.serialText().slice(from)).toContain("ingot-ramdisk: starting ironic-python-agent");
      await phase("redfish: active → image's marker and prompt", () => serialAfter(v, from, new RegExp(`INGOT-IMAGE-BOOTED ${imageId}[\\s\\S]*\\n/ # `), 300));
      await phase("redfish: undeploy --wait", () => cli.os("node", "undeploy", name, "--wait", String(PHASE_SECONDS)));
      expect((await show(name)).provision_state).toBe("available");
    } finally {
      setConfig({ automatedClean: true });
    }
  }, 2 * 3600_000);
});

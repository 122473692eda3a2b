// End to end with the real agent: a real Ingot server (conductor, Bare Metal API and /boot/ on
// 127.0.0.1, its dnsmasq DHCP provider inside the rig's namespace on the bridge) provisions a QEMU
// VM behind an IPMI vBMC through the stock `openstack baremetal` client: enroll → manage →
// inspect (the real IPA's inventory) → provide (agent cleaning) → deploy (the agent writes the
// rig's disk image, served over http on the bridge; the VM boots it from disk) → rescue →
// unrescue → undeploy (cleaning again) → available. The ipmi node's deploy is started and watched
// in the dashboard, in Chromium (Playwright's library): the deploy dialog with the image's URL and
// sha256, the deploy steps live on the node page's Steps tab, then, once active, the deployed VM's
// serial console on the Consoles tab (ipmitool-sol: Serial-over-LAN from the vBMC), typed at in
// the browser's terminal. Every ramdisk boot is a real one: the VM's NIC ROM iPXE gets Ingot's
// chain script from Ingot's dnsmasq, then the node's script from Ingot.
//
// The environment (namespace, bridge, dnsmasq, Ingot with its dashboard, the image server, the
// VMs) is environment.ts's; the dashboard needs the production build (`npm run build` first: in
// `npm test` the rig step runs after the build step).
//
// Elsewhere the VM's serial log is read directly (the `redfish` node has no serial console here).
//
// Runs only as root with the rig's tools (lib/testing/rig/README.md); each VM boot under TCG takes
// minutes, so the whole test takes 25–60 min. Phase durations are printed at the end.
import { randomBytes } from "node:crypto";
import { chromium, expect as playwrightExpect, type Browser, type Page } from "@playwright/test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM_LAUNCH_OPTIONS, logIn, terminalText, waitForTerminalText } from "../browser.ts";
import { openstackCli, requireOpenstackCli } from "../openstack.ts";
import { RedfishMock } from "../redfish_mock.ts";
import { RIG_PHASE_SECONDS as PHASE_SECONDS, RigEnvironment, rigUnavailable } from "./environment.ts";
import type { RigVm } from "./vm.ts";

const unavailable = rigUnavailable();
/** Assertions on the dashboard, waiting longer than Playwright's 5 s: QEMU without KVM takes both cores. */
const expectOnPage = playwrightExpect.configure({ timeout: 30_000 });

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
  /** Chromium on Ingot's dashboard (open from the deploy to the end of the console phase). */
  let browser: Browser | undefined;
  let page: Page | undefined;
  // `--wait` commands last as long as their phase.
  const cli = openstackCli(() => env!.apiUrl, (PHASE_SECONDS + 120) * 1000);
  const started = Date.now();

  beforeAll(async () => {
    requireOpenstackCli();
    env = await RigEnvironment.start({ vms: 1, taps: 2, web: true });
  }, 30 * 60_000);

  afterAll(async () => {
    const total = (Date.now() - started) / 1000;
    const width = Math.max(18, ...timings.map(([n]) => n.length));
    console.log(`[provision] phases:\n${timings.map(([n, s]) => `  ${n.padEnd(width)} ${s.toFixed(0).padStart(5)} s`).join("\n")}\n  ${"total (with setup)".padEnd(width)} ${total.toFixed(0).padStart(5)} s`);
    try {
      for (const n of await cli.osJson<{ Name: string }[]>("node", "list")) {
        const shown = await cli.osJson("node", "show", n.Name);
        console.log(`[provision] ${n.Name}: ${shown.provision_state}, ${shown.power_state}, last_error: ${shown.last_error}`);
      }
    } catch (err) {
      console.log(`[provision] could not list the nodes: ${String(err)}`);
    }
    for (const v of env?.vms ?? []) console.log(`[provision] ${v.name} serial log tail:\n${v.serialText().slice(-3000)}`);
    // Still open: a browser phase failed; what the page showed then.
    await page?.screenshot({ path: "test-results/rig-dashboard.png", fullPage: true }).then(() => console.log("[provision] the dashboard at the failure: test-results/rig-dashboard.png"), () => undefined);
    await browser?.close();
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

  /** Chromium on the dashboard (Ingot's own port), logged in through the login page as a new admin. */
  async function openDashboard(): Promise<Page> {
    const { createUser } = await import("../../core/users.ts");
    const username = `rig-admin-${randomBytes(3).toString("hex")}`;
    const password = "rig-admin-password";
    await createUser(env!.db!.sql, { username, password, systemRole: "admin" });
    browser = await chromium.launch(CHROMIUM_LAUNCH_OPTIONS);
    const opened = await browser.newPage({ baseURL: env!.server!.url, viewport: { width: 1280, height: 900 } });
    opened.setDefaultTimeout(60_000); // clicks and fills (no limit otherwise outside Playwright's runner)
    await logIn(opened, username, password, { timeout: 30_000 });
    return opened;
  }

  /**
   * Records in the page every change of the Steps tab's list of running steps
   * (`interface.step:state ...`), as the page shows it, so no change is missed between two looks;
   * the record lives as long as the page does (a reload would lose it).
   */
  async function recordSteps(on: Page): Promise<() => Promise<string[] | null>> {
    await on.evaluate(() => {
      const w = window as unknown as { rigSteps: string[]; rigStepsObserver: MutationObserver };
      w.rigSteps = [];
      const look = () => {
        const steps = [...document.querySelectorAll('[data-testid="run-progress"] [data-testid="operation-step"]')]
          .map((e) => `${e.getAttribute("data-step")}:${e.getAttribute("data-state")}`).join(" ");
        if (steps && w.rigSteps[w.rigSteps.length - 1] !== steps) w.rigSteps.push(steps);
      };
      w.rigStepsObserver = new MutationObserver(look);
      w.rigStepsObserver.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-state"] });
      look();
    });
    return () => on.evaluate(() => (window as unknown as { rigSteps?: string[] }).rigSteps ?? null);
  }

  /** Waits for the VM's serial output after `from` to match. */
  const serialAfter = (on: RigVm, from: number, pattern: RegExp, seconds = PHASE_SECONDS) => on.waitForSerial(pattern, seconds * 1000, from);

  it("enroll → manage → inspect → provide → deploy → console → rescue → unrescue → undeploy → available, through the openstack client and the dashboard", async () => {
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
    const dashboard = await phase("dashboard: log in, the node's Steps tab", async () => {
      const opened = await openDashboard();
      page = opened;
      await opened.goto(`/nodes/${node.uuid}?tab=steps`);
      await expectOnPage(opened.getByTestId("run-idle")).toContainText("the node is available");
      return opened;
    });
    const steps = await recordSteps(dashboard);
    let from = v.serialText().length;
    await phase("deploy from the dashboard, its steps live on the node page (ramdisk boot + write_image + reboot to disk)", async () => {
      await dashboard.locator('[data-action="deploy"]').click();
      const dialog = dashboard.getByRole("dialog", { name: "Deploy" });
      await dialog.getByLabel("Image source").fill(env!.image.url);
      await dialog.getByLabel("Checksum algorithm").selectOption("sha256");
      await dialog.getByLabel("Image checksum", { exact: true }).fill(env!.image.sha256);
      await dialog.getByRole("button", { name: "Deploy", exact: true }).click();
      await expectOnPage(dialog).toHaveCount(0);
      // The page follows the deploy by itself: the conductor's first step boots the ramdisk, the
      // agent writes the image once it called back, the later steps boot the disk.
      const shows = (testId: string) => dashboard.evaluate((id) => document.querySelector(`[data-testid="${id}"]`)?.textContent ?? "", testId);
      /** Waits until the page shows what `check` looks for; a deploy failing on the page ends the wait at once. */
      const until = (what: string, seconds: number, check: () => Promise<boolean>) =>
        expectOnPage.poll(async () => {
          const badges = await shows("node-badges");
          if (/fail/.test(badges)) throw new Error(`the node page says ${JSON.stringify(badges)}; last_error: ${(await show(name)).last_error}`);
          return check();
        }, { timeout: seconds * 1000, message: `the node page shows ${what}` }).toBe(true);
      const listed = (re: RegExp, seconds: number) =>
        until(`the steps ${re}`, seconds, async () => {
          const record = await steps();
          if (!record) throw new Error("the node page was reloaded");
          return record.some((s) => re.test(s));
        });
      await expectOnPage(dashboard.getByTestId("run-progress")).toHaveAttribute("data-kind", "deploy", { timeout: 60_000 });
      await listed(/^deploy\.deploy:running .*deploy\.write_image:pending/, 120);
      await listed(/^deploy\.deploy:done .*deploy\.write_image:running .*deploy\.boot_instance:pending/, PHASE_SECONDS);
      await listed(/deploy\.write_image:done/, 600);
      await until("the node active, nothing running", 600, async () => (await shows("run-idle")).includes("the node is active"));
      await expectOnPage(dashboard.getByTestId("node-badges")).toHaveText(/^active/);
    });
    // In the order they happened, in one page that was never reloaded.
    const record = (await steps())!;
    console.log(`[provision] the Steps tab during the deploy:\n  ${record.join("\n  ")}`);
    const at = (re: RegExp) => record.findIndex((s) => re.test(s));
    expect(at(/deploy\.deploy:running/)).toBeGreaterThanOrEqual(0);
    expect(at(/deploy\.write_image:running/)).toBeGreaterThan(at(/deploy\.deploy:running/));
    expect(at(/deploy\.write_image:done/)).toBeGreaterThan(at(/deploy\.write_image:running/));
    await dashboard.evaluate(() => (window as unknown as { rigStepsObserver: MutationObserver }).rigStepsObserver.disconnect());
    shown = await show(name);
    expect([shown.provision_state, shown.power_state, shown.last_error]).toEqual(["active", "power on", null]);
    // What the dialog sent: the image and its sha256 as image_os_hash_*, which the agent verified.
    expect(shown.instance_info).toMatchObject({ image_source: env!.image.url, image_os_hash_algo: "sha256", image_os_hash_value: env!.image.sha256 });
    await phase("active → image's marker and prompt on the serial port", async () => {
      await serialAfter(v, from, new RegExp(`INGOT-IMAGE-BOOTED ${imageId}`), 300);
      await serialAfter(v, from, /INGOT-IMAGE-BOOTED[\s\S]*\n\/ # /, 120); // busybox sh's prompt
    });

    await phase("console in the dashboard: enabled on the Consoles tab (ipmitool-sol), a command typed in its terminal, disabled there", async () => {
      await dashboard.getByRole("tab", { name: "Consoles" }).click();
      await expectOnPage(dashboard.getByTestId("console-disabled")).toBeVisible();
      await dashboard.getByTestId("console-toggle").click();
      await expectOnPage(dashboard.getByTestId("console-enabled")).toHaveText("enabled", { timeout: 60_000 });
      const enabled = await consoleState(name, true);
      expect(enabled.console_info).toMatchObject({ type: "ws" });
      await expectOnPage(dashboard.getByTestId("serial-phase")).toHaveText("connected", { timeout: 30_000 });
      await expectOnPage(dashboard.getByTestId("serial-readonly")).toHaveCount(0);
      // busybox sh's prompt, a new one for the Enter typed (its line editor may follow it with a
      // cursor position query, which the terminal answers).
      const prompts = async () => (await terminalText(dashboard)).match(/^\/ #/gm)?.length ?? 0;
      const before = await prompts();
      await dashboard.getByTestId("serial-terminal").click();
      await dashboard.keyboard.press("Enter");
      await expectOnPage.poll(prompts, { timeout: 60_000, message: "a new prompt in the terminal" }).toBeGreaterThan(before);
      // The arithmetic tells the shell's output from the echo of what was typed.
      const token = `pw-${randomBytes(4).toString("hex")}`;
      await dashboard.keyboard.type(`echo ${token}-$((6*7))`);
      await dashboard.keyboard.press("Enter");
      await waitForTerminalText(dashboard, new RegExp(`^${token}-42$`, "m"), 60_000);
      expect(v.serialText()).toContain(`${token}-42`); // the VM's own serial log has it too

      // Off again from the page: the client sees it off, the BMC's SOL session ends.
      await dashboard.getByTestId("console-toggle").click();
      await expectOnPage(dashboard.getByTestId("console-enabled")).toHaveText("disabled", { timeout: 60_000 });
      const disabled = await consoleState(name, false);
      expect(disabled.console_info).toBeNull();
      await v.waitForEvent((e) => e.event === "sol_deactivate", 30_000); // the BMC's SOL session ended
      // The same page all along: nothing reloaded it.
      expect(await steps()).not.toBeNull();
    });
    await browser?.close();
    [browser, page] = [undefined, undefined];

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

// The sim hardware type end to end through the conductor (real flows, a temporary database).
import { connect } from "node:net";
import { once } from "node:events";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "../../../testing/env.ts";
import { settleNode } from "../../../testing/settle.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadBiosCache, pendingBios } from "../../bios.ts";
import { readConsoleLog, resetConsoleLogs, startConsoleCapture } from "../../console/log.ts";
import { setConfig } from "../../config.ts";
import { Conductor } from "../../conductor/conductor.ts";
import { PeriodicTasks } from "../../conductor/periodic.ts";
import { installAgentHeartbeat } from "../../conductor/agent_heartbeat.ts";
import type { Actor } from "../../conductor/types.ts";
import { getNodeById, insertNode, type NewNode, type NodeRecord } from "../../db/nodes.ts";
import { listHistory } from "../../history.ts";
import { disposeAllSimMachines, findSimMachine, getSimMachine } from "../../sim/machine.ts";
import { ENCODING, listenVnc } from "../../sim/rfb.ts";
import { RfbTestClient } from "../../../testing/rfb_client.ts";
import { setSimSpeed } from "../../sim/timing.ts";
import { driverDetail, hardwareTypeNames, interfacesFor } from "../registry.ts";
import { closeAllSimConsoles } from "./console.ts";

let db: TestDb;
let conductor: Conductor;
const actor: Actor = { user: "alice", project: "proj-1" };
const MINOR = 115;

beforeAll(async () => {
  db = await createTestDb();
  setConfig({ enabledHardwareTypes: ["fake-hardware", "sim"], automatedClean: true, powerSyncMaxRetries: 2 });
  setSimSpeed(0.002);
});
afterAll(async () => {
  await conductor?.pool.drain();
  await closeAllSimConsoles();
  disposeAllSimMachines();
  setSimSpeed(undefined);
  setConfig();
  await db.cleanup();
});
beforeEach(() => {
  conductor = new Conductor({ hostname: "sim-conductor", workers: 10 });
  installAgentHeartbeat(conductor);
});

async function newNode(data: Partial<NewNode> = {}): Promise<NodeRecord> {
  return insertNode(db.sql, { driver: "sim", provisionState: "enroll", ...data });
}

/** Waits for the conductor's work, including what the deploy agent's heartbeat resumes. */
const settle = (id: number): Promise<NodeRecord> => settleNode(conductor, db.sql, id);

async function act(id: number, verb: Parameters<Conductor["provision"]>[1], params = {}): Promise<NodeRecord> {
  await conductor.provision(id, verb, params, actor, MINOR);
  return settle(id);
}

const serial = (n: NodeRecord) => getSimMachine(n).serial.history().toString("utf8");

describe("sim hardware type", () => {
  it("is registered but only enabled when listed", () => {
    expect(hardwareTypeNames()).toEqual(["fake-hardware", "sim"]);
    setConfig({ enabledHardwareTypes: ["fake-hardware"] });
    expect(hardwareTypeNames()).toEqual(["fake-hardware"]);
    setConfig({ enabledHardwareTypes: ["fake-hardware", "sim"] });
    const d = driverDetail("sim");
    expect(d.default_power_interface).toBe("sim");
    expect(d.enabled_console_interfaces).toEqual(["sim-serial", "sim-graphical", "no-console", "tcp-serial", "vnc-graphical"]);
  });

  it("manage → provide → deploy → active, with the phases on the serial console", async () => {
    const n = await newNode({ name: "web-01", instanceInfo: { image_source: "http://images/centos-stream-9.qcow2", sim_root_password: "pw" } });
    let node = await act(n.id, "manage");
    expect(node.provisionState).toBe("manageable");
    expect(node.powerState).toBe("power off");
    const bios = await loadBiosCache(db.sql, n.id);
    expect(bios.length).toBeGreaterThanOrEqual(40);
    expect(bios.find((b) => b.name === "BootMode")).toMatchObject({ value: "Uefi", attributeType: "Enumeration", resetRequired: true });

    node = await act(n.id, "provide");
    expect(node.provisionState).toBe("available");
    expect(node.lastError).toBeNull();
    expect(node.powerState).toBe("power off"); // cleaning ends with the machine off
    expect(serial(node)).toContain("Erasing metadata");
    expect(serial(node)).toContain("Executing clean step {'interface': 'deploy', 'step': 'erase_devices_metadata'");

    const progress: unknown[] = [];
    const poll = setInterval(() => {
      void getNodeById(db.sql, n.id).then((r) => r?.driverInternalInfo.deploy_progress && progress.push(r.driverInternalInfo.deploy_progress));
    }, 2);
    const captured: string[] = [];
    const stopCapture = getSimMachine(node).serial.subscribe((d) => captured.push(d.toString()));
    node = await act(n.id, "active");
    stopCapture();
    clearInterval(poll);
    expect(node.provisionState).toBe("active");
    expect(node.lastError).toBeNull();
    expect(node.powerState).toBe("power on");
    expect(node.driverInternalInfo.deploy_progress).toBeUndefined();
    expect(progress.some((p) => (p as { step: string }).step === "write_image")).toBe(true);
    const out = captured.join("");
    const order = [
      "Start PXE over IPv4", "Starting ironic-python-agent", "Executing deploy step {'interface': 'deploy', 'step': 'write_image'",
      "Writing image to /dev/", "Installing the boot loader", "Powering off the node", "GRUB loading.",
      "Linux version 5.14.0-547.el9", "web-01 login: ",
    ];
    let at = out.indexOf(node.name ? "F12 = PXE Boot" : "");
    expect(at).toBeGreaterThan(-1);
    for (const s of order) {
      const next = out.indexOf(s, at);
      expect(next, s).toBeGreaterThan(at);
      at = next;
    }
    const m = getSimMachine(node);
    expect(m.phase).toBe("os");
    expect(m.bootDevice).toEqual({ boot_device: "disk", persistent: true });
    const steps = (await listHistory(db.sql, n.id)).map((h) => h.event).filter((e) => e.startsWith("Finished deploy step"));
    expect(steps).toEqual([
      "Finished deploy step deploy.deploy", "Finished deploy step deploy.write_image", "Finished deploy step deploy.prepare_instance_boot",
      "Finished deploy step deploy.tear_down_agent", "Finished deploy step deploy.switch_to_tenant_network", "Finished deploy step deploy.boot_instance",
    ]);

    // The conductor's own power changes are in the history (the timeline's power lane), in order:
    // cleaning boots the agent and ends powered off, the deploy boots the agent, its
    // tear_down_agent step powers off and boot_instance powers on.
    const powerRows = (await listHistory(db.sql, n.id)).filter((h) => h.kind === "power_change").map((h) => `${h.toState} (${h.event.replace(/^.*\((.*)\)$/, "$1")})`);
    expect(powerRows).toEqual([
      "power on (cleaning)", "power off (cleaning)", "power on (deploying)", "power off (deploying)", "power on (deploying)",
    ]);

    // log in on the instance's console
    const typed: string[] = [];
    const off = m.serial.subscribe((d) => typed.push(d.toString()));
    m.serial.write("root\rpw\rcat /etc/os-release\r");
    off();
    expect(typed.join("")).toContain('PRETTY_NAME="CentOS Stream 9"');

    // power through the API changes the machine
    await conductor.setPowerState(n.id, "power off", undefined, actor);
    node = await settle(n.id);
    expect(node.powerState).toBe("power off");
    expect(m.power).toBe("power off");

    // undeploy: cleaning erases the disk
    node = await act(n.id, "deleted");
    expect(node.provisionState).toBe("available");
    expect(m.disk).toBeNull();
  });

  it("a failing deploy step fails the deployment with a readable last_error", async () => {
    const n = await newNode({ provisionState: "available", driverInfo: { sim_fail_step: "deploy.write_image" } });
    const node = await act(n.id, "active");
    expect(node.provisionState).toBe("deploy failed");
    expect(node.lastError).toMatch(/^Deploy step deploy\.write_image failed on node .*: Error writing image to device \/dev\/\S+: \[Errno 5\] Input\/output error \(simulated failure requested by driver_info\.sim_fail_step\)$/);
    expect(node.driverInternalInfo.deploy_progress).toMatchObject({ step: "write_image", percent: 30 });
    expect(serial(node)).toContain("ERROR ironic_python_agent");

    const n2 = await newNode({ provisionState: "available", driverInfo: { sim_fail_step: "deploy.boot_instance" } });
    const node2 = await act(n2.id, "active");
    expect(node2.provisionState).toBe("deploy failed");
    expect(node2.lastError).toContain("Simulated failure of deploy step deploy.boot_instance");
  });

  it("a BMC that stops answering puts the node into maintenance with fault power failure", async () => {
    const n = await newNode({ provisionState: "manageable", powerState: "power off" });
    const periodic = new PeriodicTasks(conductor);
    await db.sql.run(`UPDATE "Node" SET "driverInfo" = ? WHERE "id" = ?`, [JSON.stringify({ sim_bmc_down: true }), n.id]);
    await periodic.syncPowerStates();
    expect((await getNodeById(db.sql, n.id))!.maintenance).toBe(false);
    await periodic.syncPowerStates();
    let node = (await getNodeById(db.sql, n.id))!;
    expect(node.maintenance).toBe(true);
    expect(node.fault).toBe("power failure");
    expect(node.lastError).toMatch(/BMC 10\.20\.\d+\.\d+ did not answer get_power_state: timed out/);
    // power requests fail the same way
    await db.sql.run(`UPDATE "Node" SET "maintenance" = ?, "fault" = NULL WHERE "id" = ?`, [false, n.id]);
    await conductor.setPowerState(n.id, "power on", undefined, actor);
    node = await settle(n.id);
    expect(node.lastError).toMatch(/Failed to change power state to "power on".*did not answer/);
    // once it answers again, recovery clears the fault
    await db.sql.run(`UPDATE "Node" SET "maintenance" = ?, "fault" = ?, "driverInfo" = ? WHERE "id" = ?`, [true, "power failure", "{}", n.id]);
    await periodic.recoverPowerFailures();
    node = (await getNodeById(db.sql, n.id))!;
    expect(node.maintenance).toBe(false);
    expect(node.fault).toBeNull();
  });

  it("out-of-band power changes from the OS are noticed by power sync", async () => {
    const n = await newNode({ provisionState: "active", powerState: "power on", instanceInfo: { image_source: "ubuntu.img" } });
    const m = getSimMachine(n);
    expect(m.phase).toBe("os");
    m.serial.write(`root\r${"ingot"}\rpoweroff\r`);
    await m.waitFor(["off"], "power off");
    await new PeriodicTasks(conductor).syncPowerStates();
    const node = (await getNodeById(db.sql, n.id))!;
    expect(node.powerState).toBe("power off");
    expect((await listHistory(db.sql, n.id)).some((h) => h.event.includes('out of band from "power on" to "power off"'))).toBe(true);
  });

  it("BIOS apply_configuration is checked against the registry; reset_required settings apply at reboot", async () => {
    const n = await newNode({ provisionState: "enroll" });
    await act(n.id, "manage");
    await expect(conductor.provision(n.id, "clean", {
      clean_steps: [{ interface: "bios", step: "apply_configuration", args: { settings: [{ name: "BootMode", value: "Legacy" }] } }],
    }, actor, MINOR)).rejects.toThrow(/BootMode/);
    let node = await act(n.id, "clean", {
      clean_steps: [{ interface: "bios", step: "apply_configuration", args: { settings: [
        { name: "ProcTurboMode", value: "Disabled" }, { name: "BootMode", value: "Bios" },
      ] } }],
    });
    expect(node.provisionState).toBe("manageable");
    expect(node.lastError).toBeNull();
    let cache = await loadBiosCache(db.sql, n.id);
    expect(cache.find((b) => b.name === "ProcTurboMode")!.value).toBe("Disabled");
    expect(cache.find((b) => b.name === "BootMode")!.value).toBe("Uefi"); // staged: the machine was off
    const m = getSimMachine(node);
    expect(m.bios.pending()).toEqual({ BootMode: "Bios" });
    // the next boot applies it; the ramdisk-using cleaning refreshes the cache afterwards
    node = await act(n.id, "clean", { clean_steps: [{ interface: "deploy", step: "erase_devices_metadata" }] });
    expect(node.lastError).toBeNull();
    cache = await loadBiosCache(db.sql, n.id);
    expect(cache.find((b) => b.name === "BootMode")!.value).toBe("Bios");
    expect(m.bootMode).toBe("bios");
    expect(serial(node)).toContain("Applying 1 pending BIOS setting(s): BootMode");
  });

  it("BIOS settings staged for the next reboot are pending on the node until a power on applies them; the cache is re-read then", async () => {
    const n = await newNode({ provisionState: "enroll" });
    await act(n.id, "manage");
    let node = await act(n.id, "clean", {
      clean_steps: [{ interface: "bios", step: "apply_configuration", args: { settings: [
        { name: "ProcVirtualization", value: "Disabled" }, { name: "AssetTag", value: "rack-7" },
      ] } }],
    });
    expect(node.lastError).toBeNull();
    expect(node.powerState).toBe("power off");
    let cache = await loadBiosCache(db.sql, n.id);
    expect(cache.find((b) => b.name === "AssetTag")!.value).toBe("rack-7");
    expect(cache.find((b) => b.name === "ProcVirtualization")!.value).toBe("Enabled");
    // Only the staged one is pending, with since when.
    expect(pendingBios(node)).toEqual([{ name: "ProcVirtualization", value: "Disabled", since: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) }]);

    // The power on that applies it re-reads the settings: the cache shows the new value, nothing is pending.
    await conductor.setPowerState(n.id, "power on", undefined, actor);
    node = await settle(n.id);
    expect(node.powerState).toBe("power on");
    cache = await loadBiosCache(db.sql, n.id);
    expect(cache.find((b) => b.name === "ProcVirtualization")!.value).toBe("Disabled");
    expect(pendingBios(node)).toEqual([]);
    expect(node.driverInternalInfo).not.toHaveProperty("bios_pending_settings");
    expect((await listHistory(db.sql, n.id)).map((h) => h.event)).toContain("Pending BIOS settings took effect: ProcVirtualization");
  });

  it("the console log has the instance's boot at the end of a deploy (as the live console shows it), not the agent's work", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "ingot-simlog-"));
    const before = process.env.INGOT_DATA_DIR;
    process.env.INGOT_DATA_DIR = dataDir;
    await startConsoleCapture();
    try {
      const n = await newNode({ name: "log-01", provisionState: "available", instanceInfo: { image_source: "http://images/centos-stream-9.qcow2" } });
      const node = await act(n.id, "active");
      expect(node.provisionState).toBe("active");
      const deadline = Date.now() + 10_000;
      while (!readConsoleLog(n.uuid).toString().includes("log-01 login: ") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const log = readConsoleLog(n.uuid).toString();
      // The instance's boot, from its firmware on: what the serial console showed while it deployed.
      for (const line of ["F12 = PXE Boot", "GRUB loading.", "Linux version 5.14.0-547.el9", "log-01 login: "]) expect(log, line).toContain(line);
      // Not the agent's part of the deploy.
      expect(log).not.toContain("Starting ironic-python-agent");
      expect(log).not.toContain("Writing image to /dev/");
    } finally {
      await resetConsoleLogs();
      if (before === undefined) delete process.env.INGOT_DATA_DIR;
      else process.env.INGOT_DATA_DIR = before;
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("inspection reports the machine's inventory and creates its ports", async () => {
    const n = await newNode({ provisionState: "manageable" });
    const node = await act(n.id, "inspect");
    expect(node.provisionState).toBe("manageable");
    const m = getSimMachine(node);
    expect(node.properties).toMatchObject({ cpus: m.hw.cpu.threads, memory_mb: m.hw.memoryMb, cpu_arch: "x86_64" });
    const ports = await db.sql.all<{ address: string }>(`SELECT "address" FROM "Port" WHERE "nodeId" = ? ORDER BY "address"`, [n.id]);
    expect(ports.map((p) => p.address)).toEqual(m.hw.nics.map((x) => x.mac).sort());
  });

  it("rescue boots the rescue ramdisk with the rescue password; unrescue boots the instance", async () => {
    const n = await newNode({ provisionState: "active", powerState: "power on", instanceInfo: { image_source: "debian.img" } });
    let node = await act(n.id, "rescue", { rescue_password: "letmein" });
    expect(node.provisionState).toBe("rescue");
    const m = getSimMachine(node);
    expect(m.phase).toBe("agent");
    const out: string[] = [];
    const off = m.serial.subscribe((d) => out.push(d.toString()));
    m.serial.write("rescue\rletmein\rwhoami\r");
    off();
    expect(out.join("")).toContain("rescue@rescue:~$ whoami\r\nrescue\r\n");
    node = await act(n.id, "unrescue");
    expect(node.provisionState).toBe("active");
    expect(m.phase).toBe("os");
  });

  it("management: boot devices, boot mode, secure boot, indicators", async () => {
    const n = await newNode({ provisionState: "manageable" });
    expect(await conductor.getSupportedBootDevices(n.id)).toEqual(["pxe", "disk", "cdrom", "bios", "uefihttp"]);
    await conductor.setBootDevice(n.id, "pxe", true, actor);
    expect(await conductor.getBootDevice(n.id)).toEqual({ boot_device: "pxe", persistent: true });
    await expect(conductor.setBootDevice(n.id, "floppy", false, actor)).rejects.toThrow(/Invalid boot device/);
    await conductor.setSecureBoot(n.id, true, actor);
    let node = await settle(n.id);
    expect(node.secureBoot).toBe(true);
    await conductor.setBootMode(n.id, "bios", actor);
    node = await settle(n.id);
    expect(node.bootMode).toBe("bios");
    expect(getSimMachine(node).secureBoot).toBe(false);
    await conductor.setIndicatorState(n.id, "system", "led", "blinking", actor);
    expect(await conductor.getIndicatorState(n.id, "system", "led")).toBe("blinking");
  });

  it("RAID create/delete through the BMC sets raid_config", async () => {
    const n = await newNode({ provisionState: "manageable", targetRaidConfig: { logical_disks: [{ size_gb: "MAX", raid_level: "1", is_root_volume: true }] } });
    let node = await act(n.id, "clean", { clean_steps: [{ interface: "raid", step: "create_configuration" }] });
    expect(node.lastError).toBeNull();
    expect(node.raidConfig).toMatchObject({ logical_disks: [{ raid_level: "1", controller: "RAID.Integrated.1-1" }] });
    node = await act(n.id, "clean", { clean_steps: [{ interface: "raid", step: "delete_configuration" }] });
    expect(node.raidConfig).toEqual({});
  });

  it("consoles: sim-serial and sim-graphical answer websocket relay paths and open no TCP listener", async () => {
    const n = await newNode({ provisionState: "active", powerState: "power on", consoleInterface: "sim-graphical", instanceInfo: { image_source: "ubuntu.img" } });
    await conductor.setConsoleMode(n.id, true, actor);
    await settle(n.id);
    const info = await conductor.getConsole(n.id);
    expect(info.console_enabled).toBe(true);
    expect(info.console_info).toEqual({ type: "vnc", path: `/nodes/${n.uuid}/console/graphical` });
    await conductor.setConsoleMode(n.id, false, actor);
    expect((await settle(n.id)).consoleEnabled).toBe(false);

    const s = await newNode({ provisionState: "active", powerState: "power on", instanceInfo: { image_source: "ubuntu.img" } });
    expect(interfacesFor(s).console.name).toBe("sim-serial");
    await conductor.setConsoleMode(s.id, true, actor);
    await settle(s.id);
    expect((await conductor.getConsole(s.id)).console_info).toEqual({ type: "ws", path: `/ws/nodes/${s.uuid}/serial` });
    // listenVnc stays available for tests and manual debugging
    const l = await listenVnc(getSimMachine(s), 0);
    const sock = connect(l.port, "127.0.0.1");
    await once(sock, "connect");
    const c = await RfbTestClient.connect(sock, { encodings: [ENCODING.ZRLE] });
    c.requestUpdate(false);
    await c.nextUpdate();
    expect(Buffer.from(c.pixels.buffer).equals(Buffer.from(getSimMachine(s).screen.framebuffer.pixels.buffer))).toBe(true);
    c.close();
    await l.close();
  });

  it("deleting a node disposes its machine", async () => {
    const n = await newNode({ provisionState: "manageable" });
    const m = getSimMachine(n);
    await conductor.destroyNode(n.id, actor);
    expect(m.isDisposed).toBe(true);
    expect(findSimMachine(n.uuid)).toBeUndefined();
  });
});

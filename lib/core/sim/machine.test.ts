import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inventoryProblems, propertiesFromInventory } from "../inspection/inventory.ts";
import { publishNodeChange } from "../events.ts";
import type { NodeRecord } from "../db/nodes.ts";
import {
  disposeAllSimMachines, faultsFrom, findSimMachine, getSimMachine, keysymToBytes, SimMachine, type MachinePhase,
} from "./machine.ts";
import { PHASE_SECONDS, phaseMs, setSimSpeed, simSpeed } from "./timing.ts";

const UUID = "3f1d2c4b-5a69-4780-9a1b-2c3d4e5f6a7b";
const SPEED = 0.002;

beforeAll(() => setSimSpeed(SPEED));
afterAll(() => {
  disposeAllSimMachines();
  setSimSpeed(undefined);
});

function machine(extra: Partial<ConstructorParameters<typeof SimMachine>[1]> = {}, uuid = UUID): SimMachine {
  return new SimMachine(uuid, { uuid, name: "db-07", ...extra });
}

function phases(m: SimMachine): MachinePhase[] {
  const seen: MachinePhase[] = [];
  m.onPhase((p) => seen.push(p));
  return seen;
}

const text = (m: SimMachine) => m.serial.history().toString("utf8");

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe("timing", () => {
  it("scales realistic seconds by INGOT_SIM_SPEED and sim_slow", () => {
    expect(simSpeed()).toBe(SPEED);
    expect(phaseMs("post")).toBeCloseTo(PHASE_SECONDS.post * 1000 * SPEED);
    expect(phaseMs("post", 5)).toBeCloseTo(PHASE_SECONDS.post * 1000 * SPEED * 5);
    setSimSpeed(undefined);
    process.env.INGOT_SIM_SPEED = "0.5";
    expect(simSpeed()).toBe(0.5);
    delete process.env.INGOT_SIM_SPEED;
    expect(simSpeed()).toBe(1);
    setSimSpeed(SPEED);
  });

  it("reads failure injection from driver_info", () => {
    expect(faultsFrom({ sim_fail_step: "deploy.write_image, bios.apply_configuration", sim_bmc_down: "true", sim_slow: 5 }))
      .toEqual({ failSteps: ["deploy.write_image", "bios.apply_configuration"], bmcDown: true, slow: 5 });
    expect(faultsFrom({ sim_fail_step: ["power.set_power_state"], sim_slow: "x" })).toEqual({ failSteps: ["power.set_power_state"], bmcDown: false, slow: 1 });
    expect(faultsFrom(null)).toEqual({ failSteps: [], bmcDown: false, slow: 1 });
  });
});

describe("hardware", () => {
  it("is deterministic per uuid with stable, distinct MACs and an IPA inventory", () => {
    const a = machine();
    const b = machine();
    const c = machine({}, "9f1d2c4b-5a69-4780-9a1b-2c3d4e5f6a7b");
    expect(a.hw).toEqual(b.hw);
    expect(a.hw.nics.map((n) => n.mac)).not.toEqual(c.hw.nics.map((n) => n.mac));
    for (const n of a.hw.nics) expect(n.mac).toMatch(/^02(:[0-9a-f]{2}){5}$/);
    const { inventory, pluginData } = a.inventory();
    expect(inventoryProblems(inventory)).toEqual([]);
    expect(inventory.interfaces.map((i) => i.mac_address)).toEqual(a.hw.nics.map((n) => n.mac));
    expect(inventory.system_vendor.manufacturer).toBe(a.hw.manufacturer);
    expect(inventory.bmc_address).toBe(a.hw.bmcAddress);
    const props = propertiesFromInventory(inventory, pluginData, {});
    expect(props).toMatchObject({ cpus: a.hw.cpu.threads, memory_mb: a.hw.memoryMb, cpu_arch: "x86_64" });
    expect(props.local_gb).toBeGreaterThan(100);
    expect(machine({ driverInfo: { sim_bmc_address: "192.0.2.9" } }).hw.bmcAddress).toBe("192.0.2.9");
    for (const m of [a, b, c]) m.dispose();
  });
});

describe("power and boot", () => {
  it("POSTs, finds nothing to boot on a blank disk and halts", async () => {
    const m = machine();
    const seen = phases(m);
    const started = Date.now();
    m.powerOn();
    expect(m.power).toBe("power on");
    await expect(m.waitFor(["os"], "an OS")).rejects.toThrow(/no bootable device/);
    const took = Date.now() - started;
    // POST + a disk attempt + a PXE timeout, at SPEED
    expect(took).toBeGreaterThanOrEqual((PHASE_SECONDS.post + PHASE_SECONDS.pxeTimeout) * 1000 * SPEED * 0.9);
    expect(seen).toEqual(["post", "netboot", "halted"]);
    const out = text(m);
    expect(out).toContain(m.hw.product);
    expect(out).toContain(`Memory:    ${m.hw.memoryMb / 1024} GB`);
    expect(out).toContain("PXE-E18");
    expect(out).toContain("No bootable option or device was found");
    expect(out).not.toMatch(/[^\r]\n/); // CRLF only
    m.powerOff();
    expect(m.phase).toBe("off");
    expect(m.screen.lines().every((l) => l === "")).toBe(true);
    m.dispose();
  });

  it("netboots the agent, writes an image with progress, then boots the OS to a login prompt", async () => {
    const m = machine({ instanceInfo: { display_name: "DB 07" } });
    const seen = phases(m);
    await m.bootIntoAgent("agent");
    expect(m.phase).toBe("agent");
    expect(m.bootDevice).toEqual({ boot_device: "disk", persistent: true }); // one-time pxe consumed
    const progress: number[] = [];
    const os = await m.writeImage("http://images/rocky-9.qcow2", (p) => progress.push(p));
    expect(os.prettyName).toMatch(/Rocky Linux 9/);
    expect(progress).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    await m.installBootloader();
    await m.agentPowerOff();
    expect(m.power).toBe("power off");
    await m.bootIntoOs();
    expect(seen).toEqual(["post", "netboot", "agent", "off", "post", "loader", "os"]);
    const out = text(m);
    for (const s of ["Start PXE over IPv4", "deploy_ramdisk", "Starting ironic-python-agent", "Writing image to /dev/", "GRUB", "Linux version 5.14", "db-07 login: "]) {
      expect(out).toContain(s);
    }
    expect(m.screen.lines().some((l) => l.startsWith("db-07 login:"))).toBe(true);
    m.dispose();
  });

  it("applies staged BIOS settings during the next POST", async () => {
    const m = machine();
    m.applyBios([{ name: "BootMode", value: "Bios" }, { name: "MemTest", value: true }]);
    expect(m.bootMode).toBe("uefi");
    m.powerOn();
    await expect(m.waitFor(["os", "agent"], "boot")).rejects.toThrow();
    expect(m.bootMode).toBe("bios");
    expect(text(m)).toContain("Applying 1 pending BIOS setting(s): BootMode");
    expect(text(m)).toContain("Testing memory");
    expect(text(m)).toContain("No boot device available");
    m.dispose();
  });

  it("enters firmware setup for boot device bios, and a reset interrupts waiters", async () => {
    const m = machine();
    m.setBootDevice("bios", false);
    m.powerOn();
    await expect(m.waitFor(["os"], "an OS")).rejects.toThrow(/firmware setup/);
    expect(m.screen.lines().join("\n")).toContain("System Setup");
    m.powerOff();
    m.dispose();
  });

  it("BMC calls answer, or time out when the BMC is down", async () => {
    const m = machine();
    expect(await m.bmc("get_power_state", () => m.power)).toBe("power off");
    m.configure({ uuid: UUID, driverInfo: { sim_bmc_down: true } });
    const started = Date.now();
    await expect(m.bmc("get_power_state", () => m.power)).rejects.toThrow(/did not answer get_power_state: timed out/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(PHASE_SECONDS.bmcTimeout * 1000 * SPEED * 0.9);
    m.dispose();
  });

  it("fails writing the image at 40% when sim_fail_step asks for it", async () => {
    const m = machine({ driverInfo: { sim_fail_step: "deploy.write_image" } });
    await m.bootIntoAgent("agent");
    const progress: number[] = [];
    await expect(m.writeImage("http://images/ubuntu.img", (p) => progress.push(p))).rejects.toThrow(/Input\/output error/);
    expect(progress).toEqual([10, 20, 30]);
    expect(m.disk).toBeNull();
    expect(text(m)).toMatch(/ERROR ironic_python_agent.* Error writing image/);
    m.dispose();
  });
});

describe("console shell", () => {
  async function booted(): Promise<SimMachine> {
    const m = machine({ instanceInfo: { sim_root_password: "pw1" } });
    m.disk = { id: "ubuntu", name: "Ubuntu", prettyName: "Ubuntu 24.04.1 LTS", versionId: "24.04", kernel: "6.8.0-49-generic", image: "x" };
    await m.bootIntoOs();
    return m;
  }

  it("logs in with the instance's root password and runs commands with echo and line editing", async () => {
    const m = await booted();
    const out: string[] = [];
    m.serial.subscribe((d) => out.push(d.toString()));
    m.serial.write("root\r");
    m.serial.write("wrong\r");
    expect(out.join("")).toContain("Login incorrect");
    expect(out.join("")).not.toContain("wrong"); // passwords are not echoed
    m.serial.write("root\r\npw1\r\n"); // a terminal's CRLF is one Enter
    expect(out.join("")).toContain("root@db-07:~# ");
    out.length = 0;
    m.serial.write("hostnamX\x7fe\r");
    expect(out.join("")).toBe("hostnamX\b \be\r\ndb-07\r\nroot@db-07:~# ");
    out.length = 0;
    m.serial.write("ip addr\r");
    for (const n of m.hw.nics) expect(out.join("")).toContain(`link/ether ${n.mac}`);
    out.length = 0;
    m.serial.write("cat /etc/os-release\r");
    expect(out.join("")).toContain('PRETTY_NAME="Ubuntu 24.04.1 LTS"');
    out.length = 0;
    m.serial.write("uname -a\r");
    expect(out.join("")).toContain("Linux db-07 6.8.0-49-generic");
    out.length = 0;
    for (const cmd of ["uptime", "echo hello world", "help", "ls /", "frobnicate", "\x1b[Als /etc"]) m.serial.write(`${cmd}\r`);
    const all = out.join("");
    expect(all).toMatch(/up \d+ min/);
    expect(all).toContain("hello world\r\n");
    expect(all).toContain("Available commands:");
    expect(all).toContain("boot  dev  etc");
    expect(all).toContain("-bash: frobnicate: command not found");
    expect(all).toContain("os-release");
    // the screen shows the same session
    expect(m.screen.lines().join("\n")).toContain("-bash: frobnicate: command not found");
    m.dispose();
  });

  it("poweroff and reboot really change the machine's power", async () => {
    const m = await booted();
    m.serial.write("root\rpw1\rpoweroff\r");
    await until(() => m.power === "power off", "power off");
    expect(text(m)).toContain("reboot: Power down");
    await m.bootIntoOs();
    const seen = phases(m);
    m.serial.write("root\rpw1\rreboot\r");
    await m.waitFor(["post"], "reboot");
    await m.waitFor(["os"], "os again");
    expect(seen).toEqual(["shutdown", "post", "loader", "os"]);
    m.dispose();
  });

  it("maps VNC keysyms to console bytes", () => {
    expect(keysymToBytes(0x61)).toEqual(Buffer.from("a"));
    expect(keysymToBytes(0xff0d)).toEqual(Buffer.from("\r"));
    expect(keysymToBytes(0xff08)).toEqual(Buffer.from([0x7f]));
    expect(keysymToBytes(0x63, true)).toEqual(Buffer.from([3]));
    expect(keysymToBytes(0xffe1)).toBeNull();
  });
});

describe("registry", () => {
  it("creates machines lazily, resumes a running instance, and disposes on node delete", async () => {
    const uuid = "5a5a5a5a-0000-4000-8000-000000000001";
    const node = { uuid, name: "web-1", powerState: "power on", provisionState: "active", instanceInfo: { image_source: "debian-12.qcow2" }, driverInfo: {} };
    expect(findSimMachine(uuid)).toBeUndefined();
    const m = getSimMachine(node);
    expect(getSimMachine(node)).toBe(m);
    expect(m.phase).toBe("os"); // running since before the server started: no boot
    expect(m.disk?.id).toBe("debian");
    expect(m.screen.lines().join("\n")).toContain("web-1 login:");
    getSimMachine({ ...node, driverInfo: { sim_slow: 3 } });
    expect(m.faults.slow).toBe(3);
    publishNodeChange({ id: 1, uuid, name: "web-1", provisionState: "active" } as NodeRecord, { deleted: true });
    expect(findSimMachine(uuid)).toBeUndefined();
    expect(m.isDisposed).toBe(true);
    expect(getSimMachine(node)).not.toBe(m);
  });
});

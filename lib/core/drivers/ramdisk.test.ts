// The one `ramdisk` deploy: whichever hardware type uses it, it works through the node's own power
// and boot interfaces, and refuses a boot interface that cannot boot an instance by itself.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setConfig } from "../config.ts";
import type { NodeChanges, NodeRecord } from "../db/nodes.ts";
import type { BootInterface, DriverTask, PowerInterface } from "./base.ts";
import { directDeploy } from "./direct.ts";
import { ramdiskDeploy } from "./generic.ts";
import ipmiHardware from "./ipmi/index.ts";
import redfishHardware from "./redfish/index.ts";
import { getInterface, registerDriverModule } from "./registry.ts";

const calls: string[] = [];
let power = "power on";

const testPower: PowerInterface = {
  kind: "power", name: "ramdisk-test", validate: async () => undefined,
  getPowerState: async () => power,
  async setPowerState(_task, target) {
    calls.push(`power:${target}`);
    power = target;
  },
  supportedPowerStates: () => ["power on", "power off"],
};

const bootBase = {
  kind: "boot", validate: async () => undefined, prepareRamdisk: async () => undefined, cleanUpRamdisk: async () => undefined,
  cleanUpInstance: async () => undefined,
} as const;

const testBoot: BootInterface = {
  ...bootBase, name: "ramdisk-test",
  async prepareInstance() {
    calls.push("boot:prepare_instance");
  },
  async validateRamdiskDeploy(task) {
    if (!task.node.instanceInfo?.ramdisk_ok) throw new Error("the boot interface wants instance_info/ramdisk_ok");
  },
};

// Boots from a written image only: no validateRamdiskDeploy.
const imageOnlyBoot: BootInterface = { ...bootBase, name: "image-only", prepareInstance: async () => undefined };

function taskFor(bootInterface: string, instanceInfo: Record<string, unknown> = {}): DriverTask {
  const task: DriverTask = {
    sql: undefined as never, conductor: "test",
    node: {
      id: 1, uuid: "b3f1d7a0-0c55-4b0e-8f43-6a1f2d9e4c21", driver: "ramdisk-test", bootInterface, powerInterface: "ramdisk-test",
      instanceInfo, driverInfo: {}, driverInternalInfo: {}, powerState: power,
    } as unknown as NodeRecord,
    async update(changes: NodeChanges) {
      task.node = { ...task.node, ...(changes as Partial<NodeRecord>) };
      return task.node;
    },
  };
  return task;
}

beforeAll(() => {
  const supported = Object.fromEntries(
    ["bios", "console", "firmware", "inspect", "raid", "rescue", "vendor"].map((k) => [k, [`no-${k}`]]),
  );
  registerDriverModule({
    hardwareTypes: [{ name: "ramdisk-test", supported: {
      ...supported, network: ["noop"], storage: ["noop"], management: ["fake"],
      boot: ["ramdisk-test", "image-only"], deploy: ["ramdisk"], power: ["ramdisk-test"],
    } as never }],
    interfaces: [testPower, testBoot, imageOnlyBoot],
  });
  setConfig({ enabledHardwareTypes: ["fake-hardware", "ramdisk-test"] });
});
afterAll(() => setConfig());

describe("the ramdisk deploy", () => {
  it("is one implementation, whichever driver module registered it last (so is direct)", () => {
    expect(getInterface("deploy", "ramdisk")).toBe(ramdiskDeploy);
    expect(getInterface("deploy", "direct")).toBe(directDeploy);
    for (const mod of [ipmiHardware, redfishHardware]) {
      expect(mod.interfaces.filter((i) => i.kind === "deploy")).toEqual([ramdiskDeploy, directDeploy]);
    }
  });

  it("powers off, asks the node's boot interface to prepare the instance, powers on; tear-down powers off", async () => {
    calls.length = 0;
    const task = taskFor("ramdisk-test", { ramdisk_ok: true });
    await ramdiskDeploy.validate(task);
    await ramdiskDeploy.steps![0].run(task, {});
    expect(calls).toEqual(["power:power off", "boot:prepare_instance", "power:power on"]);
    expect(task.node.powerState).toBe("power on");
    await ramdiskDeploy.tearDown(task);
    expect(calls.slice(3)).toEqual(["power:power off"]);
    expect(task.node.powerState).toBe("power off");
  });

  it("validates with the boot interface, and refuses one that cannot boot an instance by itself", async () => {
    await expect(ramdiskDeploy.validate(taskFor("ramdisk-test"))).rejects.toThrow("the boot interface wants instance_info/ramdisk_ok");
    const imageOnly = taskFor("image-only");
    await expect(ramdiskDeploy.validate(imageOnly)).rejects.toThrow(
      `The ramdisk deploy of node ${imageOnly.node.uuid} cannot boot an instance through boot interface image-only.`,
    );
    calls.length = 0;
    await expect(ramdiskDeploy.steps![0].run(imageOnly, {})).rejects.toThrow(/cannot boot an instance/);
    expect(calls).toEqual([]);
  });
});

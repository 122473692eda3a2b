// Inspection driven by the real `openstack baremetal` client (Debian's, API ≤1.78: no inventory
// command, so the inventory is checked through the in-process API).
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { fakeInspectionData } from "../core/inspection/inventory.ts";
import { api } from "../testing/api.ts";
import { openstackCli, requireOpenstackCli } from "../testing/openstack.ts";
import { startClientTarget, type ClientTarget } from "../testing/server.ts";

// Each step runs the Python client (a second or more per call, several on a busy machine).
vi.setConfig({ testTimeout: 180_000 });

let target: ClientTarget | undefined;
const { os, osJson } = openstackCli(() => target!.url);

beforeAll(async () => {
  requireOpenstackCli();
  process.env.INGOT_INSPECTED_RESOURCE_CLASS = "bm-{memory_mb}-{cpus}-{cpu_arch}";
  target = await startClientTarget();
}, 60_000);

afterAll(async () => {
  delete process.env.INGOT_INSPECTED_RESOURCE_CLASS;
  await target?.stop();
});

describe("openstack baremetal node inspect", () => {
  const name = `insp-${process.pid}`;

  it("inspects with --wait, sets properties and resource class, creates ports", async () => {
    // driver_info.fake_inventory: the fake machine reports an inventory (Ironic's fake inspect changes nothing).
    const created = await osJson("node", "create", "--driver", "fake-hardware", "--name", name, "--driver-info", "fake_inventory={}");
    expect(created.resource_class).toBeNull();
    await os("node", "manage", name, "--wait", "30");
    await os("node", "inspect", name, "--wait", "60");
    const node = await osJson("node", "show", name);
    const inv = fakeInspectionData({ uuid: created.uuid, name, driverInfo: {} });
    expect(node.provision_state).toBe("manageable");
    expect(node.last_error).toBeNull();
    expect(node.inspection_finished_at).not.toBeNull();
    expect(node.properties).toMatchObject({ cpus: inv.inventory.cpu.count, memory_mb: inv.inventory.memory.physical_mb, cpu_arch: "x86_64" });
    expect(node.properties.local_gb).toBeGreaterThan(0);
    expect(node.resource_class).toBe(`bm-${inv.inventory.memory.physical_mb}-${inv.inventory.cpu.count}-x86_64`);

    const ports = await osJson<{ Address: string }[]>("port", "list", "--node", name);
    expect(ports.map((p) => p.Address).sort()).toEqual(inv.inventory.interfaces.map((i) => i.mac_address).sort());

    const inventory = await api("GET", `/v1/nodes/${name}/inventory`, { version: 81 });
    expect(inventory.body.inventory).toEqual(inv.inventory);

    // Inspecting again keeps the ports (no duplicates, no failure).
    await os("node", "inspect", name, "--wait", "60");
    expect(await osJson("port", "list", "--node", name)).toHaveLength(inv.inventory.interfaces.length);
  }, 240_000);

  it("a failed inspection ends in inspect failed, shown by the client", async () => {
    const bad = `${name}-bad`;
    await os("node", "create", "--driver", "fake-hardware", "--name", bad, "--driver-info", "fake_fail=inspect.inspect_hardware");
    await os("node", "manage", bad, "--wait", "30");
    await expect(os("node", "inspect", bad, "--wait", "60")).rejects.toThrow(/inspect failed/);
    const node = await osJson("node", "show", bad);
    expect(node.provision_state).toBe("inspect failed");
    expect(node.last_error).toContain("Fake failure of inspect.inspect_hardware");
  }, 240_000);
});

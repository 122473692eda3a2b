// The acceptance flow, driven by the real `openstack baremetal` client (Debian's
// python3-openstackclient + python3-ironicclient) against Ingot on a loopback port.
// INGOT_CLIENT_TEST_ENDPOINT=http://127.0.0.1:6385 runs the same checks against a real Ironic.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { openstackCli, requireOpenstackCli } from "../testing/openstack.ts";
import { startClientTarget, type ClientTarget } from "../testing/server.ts";

// Each step runs the Python client (a second or more per call, several on a busy machine).
vi.setConfig({ testTimeout: 180_000 });

let target: ClientTarget | undefined;
let endpoint = process.env.INGOT_CLIENT_TEST_ENDPOINT ?? "";
const { os, osJson } = openstackCli(() => endpoint);

beforeAll(async () => {
  requireOpenstackCli();
  if (endpoint) return;
  target = await startClientTarget();
  endpoint = target.url;
}, 60_000);

afterAll(async () => {
  await target?.stop();
});

describe("openstack baremetal, end to end", () => {
  const name = `node-${process.pid}`;
  let uuid = "";

  it("creates a node", async () => {
    const node = await osJson(
      "node", "create", "--driver", "fake-hardware", "--name", name, "--property", "cpus=4",
      "--property", "memory_mb=8192", "--property", "local_gb=100", "--resource-class", "baremetal",
    );
    uuid = node.uuid;
    expect(uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(node).toMatchObject({
      name, driver: "fake-hardware", provision_state: "enroll", power_state: null, resource_class: "baremetal",
      properties: { cpus: 4, memory_mb: 8192, local_gb: 100 }, maintenance: false, traits: [],
      deploy_interface: "fake", network_interface: "noop", conductor_group: "",
    });
  });

  it("manages and provides it, waiting for each", async () => {
    await os("node", "manage", name, "--wait", "30");
    expect((await osJson("node", "show", name)).provision_state).toBe("manageable");
    await os("node", "provide", name, "--wait", "60");
    const node = await osJson("node", "show", name);
    expect(node.provision_state).toBe("available");
    expect(node.target_provision_state).toBeNull();
  });

  it("adds and lists traits", async () => {
    const out = await os("node", "add", "trait", name, "CUSTOM_GPU", "CUSTOM_FOO");
    expect(out).toContain("Added trait CUSTOM_GPU");
    const traits = await osJson<{ Traits: string }[]>("node", "trait", "list", name);
    expect(traits.map((t) => t.Traits)).toEqual(["CUSTOM_FOO", "CUSTOM_GPU"]);
  });

  it("creates and lists a deploy template", async () => {
    const steps = '[{"interface":"bios","step":"apply_configuration","args":{"settings":[{"name":"LogicalProc","value":"Enabled"}]},"priority":150}]';
    const tname = `CUSTOM_GPU_${process.pid}`;
    const created = await osJson("deploy", "template", "create", tname, "--steps", steps);
    expect(created.name).toBe(tname);
    const list = await osJson<Record<string, unknown>[]>("deploy", "template", "list", "--long");
    const mine = list.find((t) => t.Name === tname);
    expect(mine).toBeDefined();
    expect(mine!.Steps).toEqual(JSON.parse(steps));
  });

  it("deploys with --wait and returns quickly", async () => {
    await os("node", "set", name, "--instance-info", "image_source=http://127.0.0.1/img.qcow2");
    const started = Date.now();
    await os("node", "deploy", name, "--wait", "120");
    const elapsed = Date.now() - started;
    const node = await osJson("node", "show", name);
    expect(node.provision_state).toBe("active");
    expect(node.instance_info.image_source).toBe("http://127.0.0.1/img.qcow2");
    // Not a timing assertion on Ingot's speed: just that --wait did not time out.
    expect(elapsed).toBeLessThan(120_000);
  });

  it("rescues and unrescues with --wait", async () => {
    await os("node", "rescue", name, "--rescue-password", "s3cret-rescue", "--wait", "60");
    const rescued = await osJson("node", "show", name);
    expect(rescued.provision_state).toBe("rescue");
    expect(JSON.stringify(rescued)).not.toContain("s3cret-rescue");
    await os("node", "unrescue", name, "--wait", "60");
    expect((await osJson("node", "show", name)).provision_state).toBe("active");
  });

  it("adopts a manageable node with --wait", async () => {
    const n = await osJson("node", "create", "--driver", "fake-hardware", "--name", `${name}-adopt`);
    await os("node", "manage", n.uuid, "--wait", "30");
    await os("node", "set", n.uuid, "--instance-info", "image_source=http://127.0.0.1/img.qcow2");
    await os("node", "adopt", n.uuid, "--wait", "60");
    expect((await osJson("node", "show", n.uuid)).provision_state).toBe("active");
    await os("node", "maintenance", "set", n.uuid);
    await os("node", "delete", n.uuid);
  });

  it("powers on", async () => {
    await os("node", "power", "on", name);
    let power = "";
    for (let i = 0; i < 50 && power !== "power on"; i++) {
      power = (await osJson("node", "show", name, "--fields", "power_state")).power_state;
    }
    expect(power).toBe("power on");
  });

  it("lists nodes --long", async () => {
    const list = await osJson<Record<string, unknown>[]>("node", "list", "--long");
    const mine = list.find((n) => n.UUID === uuid);
    expect(mine).toMatchObject({ Name: name, "Provisioning State": "active", "Power State": "power on", Maintenance: false });
  });

  it("undeploys with --wait", async () => {
    await os("node", "undeploy", name, "--wait", "120");
    const node = await osJson("node", "show", name);
    expect(node.provision_state).toBe("available");
    expect(node.instance_info).toEqual({});
    expect(node.instance_uuid).toBeNull();
  });

  it("creates a port on the node", async () => {
    const mac = `52:54:00:${[process.pid >> 8, process.pid, 0x56].map((b) => (b & 255).toString(16).padStart(2, "0")).join(":")}`;
    const port = await osJson("port", "create", mac, "--node", uuid);
    expect(port).toMatchObject({ address: mac, node_uuid: uuid, pxe_enabled: true });
  });

  it("sets maintenance with a reason", async () => {
    await os("node", "maintenance", "set", name, "--reason", "test");
    const node = await osJson("node", "show", name);
    expect(node.maintenance).toBe(true);
    expect(node.maintenance_reason).toBe("test");
  });

  it("deletes the node", async () => {
    const out = await os("node", "delete", name);
    expect(out).toContain(`Deleted node ${name}`);
    await expect(os("node", "show", name)).rejects.toThrow(/could not be found/);
  });

  it("shows history for a node", async () => {
    const n = await osJson("node", "create", "--driver", "fake-hardware", "--name", `${name}-h`);
    await os("node", "manage", n.uuid, "--wait", "30");
    const history = await osJson<Record<string, unknown>[]>("node", "history", "list", n.uuid);
    // Ironic records only failures; Ingot records every transition (the dashboard's timeline).
    if (!process.env.INGOT_CLIENT_TEST_ENDPOINT) {
      expect(history.length).toBeGreaterThan(0);
      // `--long` asks for /history/detail, which real Ironic 21.4 answers with a 404.
      const detailed = await osJson<Record<string, unknown>[]>("node", "history", "list", n.uuid, "--long");
      expect(detailed.length).toBe(history.length);
      expect(Object.keys(detailed[0])).toEqual(expect.arrayContaining(["Event Origin Type", "User"]));
    }
    await os("node", "delete", n.uuid);
  });
});

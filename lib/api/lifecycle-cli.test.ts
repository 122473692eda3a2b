// The steps / BIOS / deploy template part of the node lifecycle, driven by the real
// `openstack baremetal` client (Debian's, speaks up to 1.78) against Ingot on a loopback port.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { findNode } from "../core/db/nodes.ts";
import { sql } from "../core/db/sql.ts";
import { cacheTestBiosRegistry } from "../testing/bios_registry.ts";
import { openstackCli, requireOpenstackCli } from "../testing/openstack.ts";
import { startClientTarget, type ClientTarget } from "../testing/server.ts";

// Each step runs the Python client (a second or more per call, several on a busy machine).
vi.setConfig({ testTimeout: 180_000 });

let target: ClientTarget | undefined;
const { os, osJson, osFails } = openstackCli(() => target!.url);

beforeAll(async () => {
  requireOpenstackCli();
  target = await startClientTarget({ hostname: "cli-steps-conductor" });
}, 60_000);

afterAll(async () => {
  await target?.stop();
});

describe("openstack baremetal: steps, BIOS, deploy templates, history", () => {
  const name = `steps-${process.pid}`;
  const tname = `CUSTOM_CLI_${process.pid}`;

  it("creates and manages a node; the fake BIOS lists nothing until settings are applied (as Ironic's)", async () => {
    await osJson("node", "create", "--driver", "fake-hardware", "--name", name);
    await os("node", "manage", name, "--wait", "30");
    expect(await osJson<Record<string, string>[]>("node", "bios", "setting", "list", name)).toEqual([]);
  });

  it("node bios setting list --long shows the registry fields a BIOS interface cached", async () => {
    const db = await sql();
    await cacheTestBiosRegistry(db, (await findNode(db, name, true))!.id);
    const long = await osJson<Record<string, unknown>[]>("node", "bios", "setting", "list", name, "--long");
    const delay = long.find((s) => s.Name === "PowerOnDelay")!;
    expect(delay).toMatchObject({ Value: "0", "Attribute Type": "Integer", "Lower Bound": 0, "Upper Bound": 300, "Read Only": false });
  });

  it("bad clean steps are refused with a message naming the step and setting", async () => {
    const steps = JSON.stringify([{ interface: "bios", step: "apply_configuration", args: { settings: [{ name: "ServiceTag", value: "ABCDEFGH" }] } }]);
    const err = await osFails("node", "clean", name, "--clean-steps", steps);
    expect(err).toContain("BIOS setting 'ServiceTag' is read-only");
    expect((await osJson("node", "show", name)).provision_state).toBe("manageable");
  });

  it("node clean --clean-steps --wait applies BIOS settings", async () => {
    const steps = JSON.stringify([
      { interface: "bios", step: "apply_configuration", args: { settings: [{ name: "LogicalProc", value: "Disabled" }, { name: "PowerOnDelay", value: 30 }] } },
    ]);
    await os("node", "clean", name, "--clean-steps", steps, "--wait", "60");
    const node = await osJson("node", "show", name);
    expect(node.provision_state).toBe("manageable");
    expect(node.clean_step).toEqual({});
    const show = await osJson("node", "bios", "setting", "show", name, "LogicalProc");
    expect(show).toMatchObject({ name: "LogicalProc", value: "Disabled" });
    expect(show.updated_at).not.toBeNull();
    // The fake BIOS keeps exactly what was applied.
    const list = await osJson<Record<string, string>[]>("node", "bios", "setting", "list", name);
    expect(list.map((s) => [s["BIOS setting name"], s["BIOS setting value"]])).toEqual([["LogicalProc", "Disabled"], ["PowerOnDelay", "30"]]);
  });

  it("deploy template create / set / deploy with it / delete", async () => {
    const steps = JSON.stringify([{ interface: "bios", step: "apply_configuration", args: { settings: [{ name: "ProcTurboMode", value: "Disabled" }] }, priority: 150 }]);
    const created = await osJson("deploy", "template", "create", tname, "--steps", steps);
    expect(created.name).toBe(tname);
    const newSteps = JSON.stringify([{ interface: "bios", step: "apply_configuration", args: { settings: [{ name: "ProcTurboMode", value: "Disabled" }, { name: "AssetTag", value: "cli" }] }, priority: 150 }]);
    await os("deploy", "template", "set", tname, "--steps", newSteps, "--extra", "team=hpc");
    const shown = await osJson("deploy", "template", "show", tname);
    expect(shown.steps).toEqual(JSON.parse(newSteps));
    expect(shown.extra).toEqual({ team: "hpc" });

    await os("node", "provide", name, "--wait", "60");
    await os("node", "add", "trait", name, tname);
    await os("node", "set", name, "--instance-info", `traits=["${tname}"]`, "--instance-info", "image_source=http://127.0.0.1/img.qcow2");
    await os("node", "deploy", name, "--wait", "120");
    expect((await osJson("node", "show", name)).provision_state).toBe("active");
    expect((await osJson("node", "bios", "setting", "show", name, "ProcTurboMode")).value).toBe("Disabled");
    expect((await osJson("node", "bios", "setting", "show", name, "AssetTag")).value).toBe("cli");

    const out = await os("deploy", "template", "delete", tname);
    expect(out).toContain(`Deleted deploy template ${tname}`);
    await expect(os("deploy", "template", "show", tname)).rejects.toThrow(/could not be found/);
  });

  it("node history list shows each step with its start and finish", async () => {
    const history = await osJson<Record<string, string>[]>("node", "history", "list", name, "--long");
    const events = history.map((h) => h["Description of the event"]);
    expect(events).toContain("Started clean step bios.apply_configuration");
    expect(events).toContain("Finished clean step bios.apply_configuration");
    expect(events).toContain("Finished deploy step bios.apply_configuration");
    expect(events).toContain("Finished deploy step deploy.deploy");
  });
});

// The rig's environment without booting a VM (seconds): Ingot answers on its API and, through the
// relay, at the bridge address inside the namespace; the image is served there with the checksum
// the environment reports; an ipmi node enrolls for a VM through the openstack client; stop()
// leaves nothing behind and puts Ingot's environment back.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openstackCli, requireOpenstackCli } from "../openstack.ts";
import { RigEnvironment, rigUnavailable } from "./environment.ts";

const unavailable = rigUnavailable();

describe.skipIf(unavailable !== null)(`rig environment${unavailable ? ` (skipped: ${unavailable})` : ""}`, () => {
  let env: RigEnvironment | undefined;
  afterAll(async () => {
    await env?.stop();
  }, 120_000);

  it("starts Ingot, the image server and the VMs' BMCs in a namespace, enrolls a VM's node, and removes it all", async () => {
    requireOpenstackCli();
    const dataDirBefore = process.env.INGOT_DATA_DIR;
    env = await RigEnvironment.start({ vms: 1, taps: 2, config: { automatedClean: false } });
    const net = env.net!;
    expect(env.vms).toHaveLength(1);
    expect(env.vms[0].powerState()).toBe("off");

    // What the machines reach, from inside the namespace: Ingot's API root and the image.
    const fetchInside = (url: string) =>
      net.run("python3", ["-c", `import sys, urllib.request; sys.stdout.buffer.write(urllib.request.urlopen('${url}', timeout=10).read())`]);
    expect(JSON.parse(await fetchInside(`${env.provisioningUrl}/baremetal/`)).default_version.id).toBe("v1");
    const image = readFileSync(join(env.image.dir, "disk.raw"));
    expect(createHash("sha256").update(image).digest("hex")).toBe(env.image.sha256);
    const served = await net.run("python3", ["-c", `import hashlib, urllib.request; print(hashlib.sha256(urllib.request.urlopen('${env.image.url}', timeout=10).read()).hexdigest())`]);
    expect(served.trim()).toBe(env.image.sha256);

    const cli = openstackCli(() => env!.apiUrl);
    const created = await env.enrollIpmiNode(cli, env.vms[0], "env-ipmi-0");
    expect([created.boot_interface, created.deploy_interface, created.driver_info.ipmi_password]).toEqual(["ipxe", "direct", "******"]);
    expect(created.driver_info.deploy_ramdisk).toBe(env.ramdisk.initramfs);
    const ports = await cli.osJson<{ Address: string }[]>("port", "list", "--node", created.uuid);
    expect(ports.map((p) => p.Address)).toEqual([env.vms[0].mac]);
    await cli.os("node", "manage", "env-ipmi-0", "--wait", "60");
    await cli.os("node", "provide", "env-ipmi-0", "--wait", "60");
    await env.setImage(cli, "env-ipmi-0");
    const node = await cli.osJson("node", "show", "env-ipmi-0");
    expect([node.provision_state, node.instance_info]).toEqual(["available", { image_source: env.image.url, image_checksum: env.image.sha256 }]);

    // A second VM takes the free tap; a third has none.
    expect((await env.addVm({ memory: 256 })).opts.tap).toBe("tap1");
    await expect(env.addVm()).rejects.toThrow(/all 2 taps/);

    await env.stop();
    expect(env.leftovers()).toEqual([]);
    expect(process.env.INGOT_DATA_DIR).toBe(dataDirBefore);
  }, 300_000);
});

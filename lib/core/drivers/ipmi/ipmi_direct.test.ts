// An `ipmi` node deployed by the `direct` deploy through the pyghmi fake BMC: the boot device the
// conductor sets decides what the machine boots at power on — the network (a test agent speaking
// IPA's protocol starts, lib/testing/ipa_agent.ts) or its disk. This agent cannot power the fake
// BMC off, so the deploy falls back to a hard power off through ipmitool, as Ironic does.
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api } from "../../../testing/api.ts";
import { createTestDb, type TestDb } from "../../../testing/env.ts";
import { FakeBmc, fakeBmcUnavailable, type FakeBmcEvent } from "../../../testing/fake_bmc.ts";
import { TestIpaAgent } from "../../../testing/ipa_agent.ts";
import { setConfig } from "../../config.ts";
import { getConductor, startConductor, stopConductor } from "../../conductor/index.ts";

const unavailable = fakeBmcUnavailable();
const MAC = "52:54:00:12:34:56";
const IMAGE = Buffer.alloc(4096, 0x5a);
let db: TestDb;
let dir = "";
let files: Server;
let filesUrl = "";
const bmc = new FakeBmc({ password: "s3cret" });
let agent: TestIpaAgent | null = null;
const booted: string[] = [];

async function settle(uuid: string) {
  for (let i = 0; i < 1000; i++) {
    await getConductor().pool.drain();
    const node = (await api("GET", `/v1/nodes/${uuid}`)).body;
    if (!["deploying", "wait call-back", "cleaning", "clean wait", "deleting"].includes(node.provision_state) && node.reservation === null) return node;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("node did not settle");
}

async function provision(uuid: string, target: string) {
  const res = await api("PUT", `/v1/nodes/${uuid}/states/provision`, { body: { target } });
  expect(res.status, res.error ?? "").toBe(202);
  return settle(uuid);
}

describe("ipmi node, direct deploy", () => {
  it("has the real IPMI peer (ipmitool, pyghmi)", () => {
    expect(unavailable).toBeNull();
  });

  beforeAll(async () => {
    process.env.INGOT_API_AUTH = "noauth";
    process.env.INGOT_IPMI_RETRY_BACKOFF_MS = "100";
    db = await createTestDb();
    dir = await mkdtemp(join(tmpdir(), "ipmi-direct-"));
    files = createServer((req, res) => (req.url === "/disk.raw" ? res.writeHead(200).end(IMAGE) : res.writeHead(404).end()));
    await new Promise<void>((r) => files.listen(0, "127.0.0.1", () => r()));
    filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
    setConfig({
      conductorHostname: "ipmi-direct", enabledHardwareTypes: ["fake-hardware", "ipmi"], automatedClean: false,
      agentCommandWaitIntervalSeconds: 0.02, agentPowerOffWaitSeconds: 1,
    });
    // The machine: what the boot device says is booted at each power on.
    let device = "none";
    bmc.onEvent = (e: FakeBmcEvent) => {
      if (e.event === "bootdev") device = String(e.device);
      if (e.event !== "power") return;
      void agent?.stop();
      agent = null;
      if (e.state !== "on") return;
      booted.push(device);
      if (device !== "pxe") return;
      agent = new TestIpaAgent({
        ironic: async (method, path, body) => {
          const r = await api(method, path, { body, version: 68 });
          return { status: r.status, body: r.body };
        },
        macs: [MAC], disks: [{ name: "/dev/sda", size: 16 * 1024 ** 3, path: join(dir, "sda") }], heartbeatIntervalMs: 100,
      });
      void agent.start().catch(() => undefined);
    };
    await bmc.start();
    await startConductor({ periodic: false });
  });
  afterAll(async () => {
    await stopConductor();
    await agent?.stop();
    await bmc.stop();
    await new Promise<void>((r) => files.close(() => r()));
    setConfig();
    delete process.env.INGOT_IPMI_RETRY_BACKOFF_MS;
    await rm(dir, { recursive: true, force: true });
    await db.cleanup();
  });

  it("boots the ramdisk from the network, writes the image, then boots the disk (persistent)", async () => {
    const created = await api("POST", "/v1/nodes", {
      body: {
        driver: "ipmi", name: "ipmi-direct-01", deploy_interface: "direct", driver_info: bmc.driverInfo(),
        instance_info: { image_source: `${filesUrl}/disk.raw`, image_checksum: createHash("sha256").update(IMAGE).digest("hex"), image_disk_format: "raw" },
      },
    });
    expect(created.status, created.error ?? "").toBe(201);
    const uuid = created.body.uuid as string;
    expect((await api("POST", "/v1/ports", { body: { node_uuid: uuid, address: MAC } })).status).toBe(201);
    await provision(uuid, "manage");
    await provision(uuid, "provide");
    const node = await provision(uuid, "active");
    expect([node.provision_state, node.last_error, node.power_state]).toEqual(["active", null, "power on"]);
    expect((await readFile(join(dir, "sda"))).equals(IMAGE)).toBe(true);
    expect(booted).toEqual(["pxe", "disk"]);
    const boot = await api("GET", `/v1/nodes/${uuid}/management/boot_device`);
    expect(boot.body).toEqual({ boot_device: "disk", persistent: true });
    const history = (await api("GET", `/v1/nodes/${uuid}/history`)).body.history as { event: string }[];
    expect(history.map((h) => h.event).join("\n")).toMatch(/the agent's power off did not take within 1 s; powering off through the power interface/);
  });
});

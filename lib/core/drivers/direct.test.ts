// The `direct` deploy and agent cleaning through the API and the conductor, on a `redfish` node
// of the test Redfish service: when the machine boots the deploy ISO, a test agent speaking IPA's
// protocol (lib/testing/ipa_agent.ts) starts, looks the node up, heartbeats over the ramdisk API
// and serves its command API over HTTPS with its own certificate; when the machine goes off, the
// agent is gone. The image is really downloaded, checked and written to the agent's disk file.
// How deploys fail otherwise (unreachable image, silent agent, ...): ipmi/direct_failures.test.ts.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, powerChangeRows } from "../../testing/api.ts";
import { createTestDb, type TestDb } from "../../testing/env.ts";
import { TestIpaAgent } from "../../testing/ipa_agent.ts";
import { RedfishMock, type MockSystem } from "../../testing/redfish_mock.ts";
import { setConfig } from "../config.ts";
import { setNetbootSettings } from "../netboot/settings.ts";
import { getConductor, startConductor, stopConductor } from "../conductor/index.ts";
import { forgetRedfishSessions } from "./redfish/client.ts";

const run = promisify(execFile);
let db: TestDb;
let dir = "";
const bmc = new RedfishMock({ systems: Array.from({ length: 10 }, (_, i) => ({ id: String(i + 1) })) });
let nextSystem = 0;
let files: Server;
let filesUrl = "";
// A whole number of sectors: qemu-img pads a raw image to them.
const IMAGE = Buffer.concat([Buffer.from("BOOTABLE-MARKER "), Buffer.alloc(64 * 1024 - 16, 7)]);
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");
let qcow2: Buffer;
/** The agent running on each machine (by system id), while it runs. */
const agents = new Map<string, TestIpaAgent>();
const agentsStarted: TestIpaAgent[] = [];
/** What the agent does when asked to run a step (tests change it). */
let onStep: (kind: "clean" | "deploy", step: Record<string, unknown>) => Promise<unknown> = async () => null;
const DISK = { name: "/dev/vda", size: 8 * 1024 ** 3 };
/** Every power change the machines went through, as `system:On|Off`. */
const powerSeen: string[] = [];

async function settle(uuid: string, wanted: (n: Record<string, unknown>) => boolean, ms = 20_000) {
  const until = Date.now() + ms;
  for (;;) {
    await getConductor().pool.drain();
    const node = (await api("GET", `/v1/nodes/${uuid}`)).body;
    if (wanted(node) || Date.now() > until) return node;
    await new Promise((r) => setTimeout(r, 20));
  }
}
const stable = (n: Record<string, unknown>) => !["deploying", "wait call-back", "cleaning", "clean wait", "deleting", "rescuing", "rescue wait", "unrescuing"].includes(n.provision_state as string) && n.reservation === null;

async function provision(uuid: string, target: string, extra: Record<string, unknown> = {}) {
  const res = await api("PUT", `/v1/nodes/${uuid}/states/provision`, { body: { target, ...extra } });
  expect(res.status, res.error ?? "").toBe(202);
  return settle(uuid, stable);
}

/** Wires a machine of the BMC: booting the deploy ISO starts an agent on it, going off ends it. */
function wireMachine(sys: MockSystem): void {
  const disk = join(dir, `disk-${sys.id}`);
  sys.onPowerChange = (state) => {
    powerSeen.push(`${sys.id}:${state}`);
    void agents.get(sys.id)?.stop();
    agents.delete(sys.id);
    if (state === "Off" || !(sys.bootedFrom ?? "").startsWith("Cd")) return;
    const agent = new TestIpaAgent({
      ironic: async (method, path, body) => {
        const r = await api(method, path, { body, version: 68 });
        return { status: r.status, body: r.body };
      },
      macs: [sys.nics[0].mac],
      disks: [{ ...DISK, path: disk }],
      heartbeatIntervalMs: 100,
      onStep: (kind, step) => onStep(kind, step),
      onPowerOff: () => sys.powerOffFromOs(),
    });
    agents.set(sys.id, agent);
    agentsStarted.push(agent);
    void agent.start().catch(() => undefined);
  };
}

/** A node on the next unused machine; its disk file and the machine. */
async function enroll(name: string, instanceInfo: Record<string, unknown> = {}): Promise<{ uuid: string; sys: MockSystem; disk: string }> {
  const sys = bmc.systems[nextSystem++];
  wireMachine(sys);
  const created = await api("POST", "/v1/nodes", {
    body: {
      driver: "redfish", name, deploy_interface: "direct",
      driver_info: bmc.driverInfo({ redfish_system_id: sys.path, deploy_iso: `${filesUrl}/ipa.iso`, redfish_connection_attempts: 2, redfish_connection_retry_interval: 0.05, redfish_timeout: 2 }),
      instance_info: instanceInfo,
      properties: { root_device: { name: "/dev/vda" } },
    },
  });
  expect(created.status, created.error ?? "").toBe(201);
  const uuid = created.body.uuid as string;
  const port = await api("POST", "/v1/ports", { body: { node_uuid: uuid, address: sys.nics[0].mac } });
  expect(port.status, port.error ?? "").toBe(201);
  return { uuid, sys, disk: join(dir, `disk-${sys.id}`) };
}

describe("direct deploy and agent cleaning (redfish node, test agent)", () => {
  beforeAll(async () => {
    process.env.INGOT_API_AUTH = "noauth";
    db = await createTestDb();
    dir = await mkdtemp(join(tmpdir(), "direct-deploy-"));
    await writeFile(join(dir, "image.raw"), IMAGE);
    await run("qemu-img", ["convert", "-f", "raw", "-O", "qcow2", join(dir, "image.raw"), join(dir, "image.qcow2")]);
    qcow2 = await readFile(join(dir, "image.qcow2"));
    files = createServer((req, res) => {
      if (req.url === "/image.raw") res.writeHead(200).end(IMAGE);
      else if (req.url === "/image.qcow2") res.writeHead(200).end(qcow2);
      else if (req.url === "/ipa.iso") res.writeHead(200).end("ISO");
      else res.writeHead(404).end("Not Found");
    });
    await new Promise<void>((r) => files.listen(0, "127.0.0.1", () => r()));
    filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
    setConfig({
      conductorHostname: "direct-host", enabledHardwareTypes: ["fake-hardware", "redfish"], automatedClean: true,
      agentCommandWaitIntervalSeconds: 0.02, agentPowerOffWaitSeconds: 1, agentMaxCommandAttempts: 2,
    });
    await bmc.start();
    await startConductor({ periodic: false });
  });
  afterAll(async () => {
    await stopConductor();
    for (const a of agents.values()) await a.stop();
    await bmc.stop();
    await new Promise<void>((r) => files.close(() => r()));
    forgetRedfishSessions();
    setConfig();
    await rm(dir, { recursive: true, force: true });
    await db.cleanup();
  });

  it("validation: direct needs an http(s) whole-disk image with a checksum (400 at deploy)", async () => {
    const { uuid } = await enroll("dd-validate", { image_source: `${filesUrl}/image.raw` });
    await api("PATCH", `/v1/nodes/${uuid}`, { body: [{ op: "replace", path: "/automated_clean", value: false }] });
    await provision(uuid, "manage");
    await provision(uuid, "provide");
    const v = (await api("GET", `/v1/nodes/${uuid}/validate`)).body;
    expect(v.deploy.result).toBe(false);
    expect(v.deploy.reason).toMatch(/an image checksum is required: set instance_info\/image_checksum/);
    await api("PATCH", `/v1/nodes/${uuid}`, { body: [{ op: "add", path: "/instance_info/kernel", value: `${filesUrl}/vmlinuz` }, { op: "add", path: "/instance_info/image_checksum", value: sha256(IMAGE) }] });
    const partition = await api("PUT", `/v1/nodes/${uuid}/states/provision`, { body: { target: "active" } });
    expect(partition.status).toBe(400);
    expect(partition.error).toMatch(/partition images .* are not supported; give a whole-disk image/);
    await api("PATCH", `/v1/nodes/${uuid}`, { body: [{ op: "remove", path: "/instance_info/kernel" }, { op: "add", path: "/instance_info/image_download_source", value: "swift" }] });
    const swift = await api("PUT", `/v1/nodes/${uuid}/states/provision`, { body: { target: "active" } });
    expect([swift.status, swift.error]).toEqual([400, expect.stringMatching(/image_download_source "swift" is not supported; use "http" .* or "local"/)]);
    // local: Ingot serves the image, so it needs the address the machines reach it at.
    setNetbootSettings({ provisioningUrl: null });
    await api("PATCH", `/v1/nodes/${uuid}`, { body: [{ op: "replace", path: "/instance_info/image_download_source", value: "local" }] });
    const local = await api("PUT", `/v1/nodes/${uuid}/states/provision`, { body: { target: "active" } });
    setNetbootSettings();
    expect([local.status, local.error]).toEqual([400, expect.stringMatching(/image_download_source "local" needs INGOT_PROVISIONING_URL/)]);
  });

  it("manage → provide runs the agent's clean steps in priority order; deploy writes the image and boots the disk; undeploy cleans again", async () => {
    const { uuid, sys, disk } = await enroll("dd-1", { image_source: `${filesUrl}/image.qcow2`, image_disk_format: "qcow2", image_os_hash_algo: "sha256", image_os_hash_value: sha256(qcow2) });
    await provision(uuid, "manage");
    const ran: string[] = [];
    onStep = async (kind, step) => {
      ran.push(`${kind}:${step.step}`);
      return null;
    };
    let node = await provision(uuid, "provide");
    expect([node.provision_state, node.last_error]).toEqual(["available", null]);
    // IPA's erase_devices_metadata (99) before erase_devices (10); its priority-0 steps are not run.
    expect(ran).toEqual(["clean:erase_devices_metadata", "clean:erase_devices"]);
    expect(node.power_state).toBe("power off");
    expect(agents.has(sys.id)).toBe(false);
    // The steps the agent reported are in the available-steps cache, with its priorities.
    const steps = (await api("GET", `/v1/nodes/${uuid}/cleaning/steps`)).body;
    expect(steps.updated_at).toEqual(expect.any(String));
    const names = (steps.steps as { step: string; priority: number }[]).map((s) => `${s.step}:${s.priority}`);
    expect(names).toEqual(expect.arrayContaining(["erase_devices_metadata:99", "erase_devices:10", "burnin_cpu:0"]));

    ran.length = 0;
    node = await provision(uuid, "active");
    expect([node.provision_state, node.last_error]).toEqual(["active", null]);
    // The disk holds the image (converted from qcow2 by the agent), found by the root device hint.
    expect((await readFile(disk)).equals(IMAGE)).toBe(true);
    const last = agentsStarted.at(-1)!;
    expect(last.writtenTo).toBe("/dev/vda");
    // The agent was called over HTTPS trusting its own certificate; its token and CA were recorded meanwhile.
    expect(last.callbackUrl).toMatch(/^https:\/\//);
    const prepare = last.commands.find((c) => c.command_name === "prepare_image")!;
    expect(prepare.command_params.image_info).toMatchObject({ urls: [`${filesUrl}/image.qcow2`], disk_format: "qcow2", os_hash_algo: "sha256", image_type: "whole-disk" });
    // Booted from disk after: persistent disk override, powered off by the agent, on again.
    expect(sys.bootedFrom).toBe("Hdd");
    expect(sys.boot).toMatchObject({ target: "Hdd", enabled: "Continuous" });
    expect(node.power_state).toBe("power on");
    expect(last.commands.map((c) => c.command_name)).toEqual(expect.arrayContaining(["get_deploy_steps", "prepare_image", "sync", "power_off"]));
    // The agent's one-boot facts are gone once it powered off.
    expect(node.driver_internal_info.agent_url).toBeUndefined();
    expect(node.driver_internal_info.agent_secret_token).toBeUndefined();
    const history = (await api("GET", `/v1/nodes/${uuid}/history`)).body.history as { event: string }[];
    expect(history.map((h) => h.event).join("\n")).toMatch(/write_image/);

    node = await provision(uuid, "deleted");
    expect([node.provision_state, node.last_error]).toEqual(["available", null]);
    expect(ran).toEqual(["clean:erase_devices_metadata", "clean:erase_devices"]);

    // Every power change the conductor made (no one asked through the power API) is a history row,
    // as for sim nodes: the machine's own sequence, and the history's, are the same.
    const seen = powerSeen.filter((p) => p.startsWith(`${sys.id}:`)).map((p) => (p.endsWith(":On") ? "power on" : "power off"));
    const rows = await powerChangeRows(uuid);
    expect(rows.map((r) => r.to_state)).toEqual(seen);
    expect(rows.every((r) => r.kind === "power_change" && r.from_state !== r.to_state)).toBe(true);
  });

  it("agent rescue: the rescue ramdisk's agent gets the hashed password; unrescue boots the disk again", async () => {
    const { uuid, sys } = await enroll("dd-rescue", { image_source: `${filesUrl}/image.raw`, image_checksum: sha256(IMAGE) });
    await api("PATCH", `/v1/nodes/${uuid}`, { body: [{ op: "replace", path: "/automated_clean", value: false }, { op: "add", path: "/rescue_interface", value: "agent" }] });
    await provision(uuid, "manage");
    await provision(uuid, "provide");
    let node = await provision(uuid, "active");
    expect(node.provision_state).toBe("active");
    node = await provision(uuid, "rescue", { rescue_password: "s3cret" });
    expect([node.provision_state, node.last_error]).toEqual(["rescue", null]);
    const rescueAgent = agentsStarted.at(-1)!;
    expect(rescueAgent.rescuePassword?.hashed).toBe(true);
    expect(rescueAgent.rescuePassword?.password).toMatch(/^\$5\$/);
    expect(sys.bootedFrom).toBe("Cd");
    node = await provision(uuid, "unrescue");
    expect([node.provision_state, node.last_error, node.power_state]).toEqual(["active", null, "power on"]);
    expect(sys.bootedFrom).toBe("Hdd");
    expect(node.instance_info.rescue_password).toBeUndefined();
  });

  it("a wrong checksum: deploy failed with the agent's own text", async () => {
    onStep = async () => null;
    const { uuid } = await enroll("dd-bad-sum", { image_source: `${filesUrl}/image.raw`, image_checksum: "0".repeat(64) });
    await api("PATCH", `/v1/nodes/${uuid}`, { body: [{ op: "replace", path: "/automated_clean", value: false }] });
    await provision(uuid, "manage");
    await provision(uuid, "provide");
    const node = await provision(uuid, "active");
    expect(node.provision_state).toBe("deploy failed");
    expect(node.last_error).toMatch(/^Deploy step deploy\.write_image failed on node .*: ImageChecksumError: Image failed to verify against checksum\. .*image checksum: 0{64}; verification checksum: [0-9a-f]{64}$/);
  });

  it("manual cleaning runs the named agent step in the agent", async () => {
    const { uuid } = await enroll("dd-manual");
    await provision(uuid, "manage");
    const ran: string[] = [];
    onStep = async (kind, step) => {
      ran.push(`${kind}:${step.step}:${JSON.stringify(step.args ?? {})}`);
      return null;
    };
    const node = await provision(uuid, "clean", { clean_steps: [{ interface: "deploy", step: "erase_devices_express" }] });
    expect([node.provision_state, node.last_error, node.power_state]).toEqual(["manageable", null, "power off"]);
    expect(ran).toEqual(["clean:erase_devices_express:{}"]);
    onStep = async () => null;
  });

  it("while the agent runs a step the node waits unlocked in clean wait: heartbeats keep it alive, and an abortable step can be aborted", async () => {
    const { uuid } = await enroll("dd-abort");
    await provision(uuid, "manage");
    let finishErase = () => {};
    const erasing = new Promise<void>((resolve) => (finishErase = resolve));
    onStep = async (_kind, step) => {
      if (step.step === "erase_devices") await erasing;
      return null;
    };
    try {
      const res = await api("PUT", `/v1/nodes/${uuid}/states/provision`, { body: { target: "clean", clean_steps: [{ interface: "deploy", step: "erase_devices" }] } });
      expect(res.status, res.error ?? "").toBe(202);
      const running = (n: Record<string, unknown>) => n.provision_state === "clean wait" && (n.clean_step as { step?: string }).step === "erase_devices" && n.reservation === null;
      let node = await settle(uuid, running);
      expect(running(node)).toBe(true);
      // Each heartbeat while the command runs counts as a sign of life (the callback timeout restarts).
      const since = node.provision_updated_at;
      node = await settle(uuid, (n) => n.provision_updated_at !== since, 5_000);
      expect([node.provision_state, node.provision_updated_at === since]).toEqual(["clean wait", false]);

      const abort = await api("PUT", `/v1/nodes/${uuid}/states/provision`, { body: { target: "abort" } });
      expect(abort.status, abort.error ?? "").toBe(202);
      node = await settle(uuid, stable);
      expect(node.provision_state).toBe("clean failed");
      expect(node.last_error).toBe('By request, the clean operation was aborted during or after the completion of step "deploy.erase_devices"');
    } finally {
      finishErase();
      onStep = async () => null;
    }
  });

  it("a clean step failing in the agent: clean failed, maintenance, the agent's text", async () => {
    const { uuid } = await enroll("dd-clean-fail");
    await provision(uuid, "manage");
    onStep = async (kind, step) => {
      if (step.step === "erase_devices") throw new Error("Failed to erase /dev/vda: device busy");
      return null;
    };
    const node = await provision(uuid, "provide");
    expect(node.provision_state).toBe("clean failed");
    expect(node.maintenance).toBe(true);
    expect(node.last_error).toMatch(/^Clean step deploy\.erase_devices failed on node .*: CommandExecutionError: Failed to erase \/dev\/vda: device busy$/);
    onStep = async () => null;
  });
});

// How a deploy fails, as users see it: `ipmi` nodes (pyghmi fake BMC) booting Ingot's iPXE scripts
// with the `direct` deploy, through Ingot's HTTP server (the Bare Metal API and /boot/ on a real
// port). The machine behind the BMC fetches its script from /boot/ and its test agent
// (lib/testing/ipa_agent.ts) talks to the API over HTTP as IPA does. Each failure ends in
// `deploy failed` with a readable last_error, the lock released. The full virtual-machine path
// (real IPA, wrong checksum) is lib/testing/rig/provision.test.ts.
import { createHash } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api } from "../../../testing/api.ts";
import { createTestDb, type TestDb } from "../../../testing/env.ts";
import { FakeBmc, fakeBmcUnavailable } from "../../../testing/fake_bmc.ts";
import { ironicOverHttp } from "../../../testing/ipa_agent.ts";
import { enrollIpmiNode, ipxeAgentKernel, startTestBmc, stopTestBmc, TestMachine } from "../../../testing/ipmi_node.ts";
import { startApiServer, type ApiServer } from "../../../testing/server.ts";
import { setConfig } from "../../config.ts";
import { getConductor, runPeriodicTasksOnce, startConductor, stopConductor } from "../../conductor/index.ts";
import { DnsmasqProvider } from "../../dhcp/dnsmasq.ts";
import { setDhcpProvider } from "../../dhcp/provider.ts";
import { macFileName } from "../../netboot/ipxe_script.ts";
import { setNetbootSettings } from "../../netboot/settings.ts";

type ApiNode = Record<string, any>;

const IMAGE = Buffer.alloc(4096, 0x3c);
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const bmc = new FakeBmc({ password: "s3cret" });
let db: TestDb;
let dir = "";
let server: ApiServer;
/** Where machines reach Ingot (its /boot/ and, under /baremetal, the API). */
let ingotUrl = "";
let files: Server;
let filesUrl = "";
/** An http URL on a loopback port nothing listens on. */
let closedUrl = "";
let machine: TestMachine;
let macs = 0;
/** dnsmasq's files: a host entry per port of a node booting from the network. */
let dhcpDir = "";

/** Each node gets a MAC of its own (a failed node keeps its port). */
function nextMac(): string {
  macs++;
  return `52:54:00:fa:11:${macs.toString(16).padStart(2, "0")}`;
}

/** A machine running iPXE gets the agent when Ingot serves a deploy ramdisk for its MAC. */
const ingotServesAgent = async () => (await ipxeAgentKernel(ingotUrl, machine.opts.mac)) !== null;

/** The node as GET /v1/nodes/{uuid} shows it, over HTTP. */
async function getNode(uuid: string): Promise<ApiNode> {
  const res = await fetch(`${server.url}/v1/nodes/${uuid}`, { headers: { "X-OpenStack-Ironic-API-Version": "latest" } });
  expect(res.status).toBe(200);
  return (await res.json()) as ApiNode;
}

const AT_REST = (n: ApiNode) => !["deploying", "wait call-back", "cleaning", "clean wait", "deleting", "verifying"].includes(n.provision_state) && n.reservation === null;

async function waitFor(uuid: string, wanted: (n: ApiNode) => boolean, ms = 60_000): Promise<ApiNode> {
  const until = Date.now() + ms;
  for (;;) {
    await getConductor().pool.drain();
    const node = await getNode(uuid);
    if (wanted(node)) return node;
    if (Date.now() > until) throw new Error(`node ${uuid} stayed ${node.provision_state} (reservation ${node.reservation}): ${node.last_error}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function provision(uuid: string, target: string): Promise<void> {
  const res = await fetch(`${server.url}/v1/nodes/${uuid}/states/provision`, {
    method: "PUT", headers: { "X-OpenStack-Ironic-API-Version": "latest", "Content-Type": "application/json" }, body: JSON.stringify({ target }),
  });
  expect(res.status, await res.text()).toBe(202);
}

/** An available ipmi node (ipxe, direct) for the machine, which now has its MAC. */
async function availableNode(name: string, instanceInfo: Record<string, unknown>, driverInfo: Record<string, unknown> = {}): Promise<string> {
  machine.opts.mac = nextMac();
  const { uuid, node } = await enrollIpmiNode(bmc, {
    name, macs: [machine.opts.mac],
    driverInfo: { deploy_kernel: `${filesUrl}/ipa.kernel`, deploy_ramdisk: join(dir, "deploy_ramdisk"), ...driverInfo },
    fields: { deploy_interface: "direct", automated_clean: false, instance_info: instanceInfo },
  });
  expect(node.boot_interface).toBe("ipxe");
  await provision(uuid, "manage");
  await waitFor(uuid, (n) => n.provision_state === "manageable");
  await provision(uuid, "provide");
  await waitFor(uuid, (n) => n.provision_state === "available");
  return uuid;
}

/** The decoded Ironic error body of a response. */
async function ironicError(res: Response): Promise<Record<string, unknown>> {
  const body = (await res.json()) as { error_message: string };
  expect(Object.keys(body)).toEqual(["error_message"]);
  return JSON.parse(body.error_message) as Record<string, unknown>;
}

/**
 * Whether the node's history has an ERROR row saying what last_error says: a failed step's own
 * row ("Failed deploy step <step>: <cause>"), else a row with the message. Long rows are stored
 * cut short, ending "...".
 */
async function historyHasError(uuid: string, lastError: string): Promise<boolean> {
  const step = /^Deploy step (\S+) failed on node \S+: (.*)$/s.exec(lastError);
  const text = step ? `Failed deploy step ${step[1]}: ${step[2]}` : lastError;
  const rows = (await api("GET", `/v1/nodes/${uuid}/history`)).body.history as { event: string; severity: string }[];
  return rows.some((r) => r.severity === "ERROR" && (r.event.includes(text) || (r.event.endsWith("...") && text.startsWith(r.event.slice(0, -3)))));
}

/** Nothing of the node's ramdisk boot (nor its image) is served or given to DHCP any more. */
async function expectRamdiskBootGone(uuid: string, mac: string): Promise<void> {
  for (const path of [`/boot/${uuid}/boot.ipxe`, `/boot/mac/${macFileName(mac)}`, `/boot/agent_images/${uuid}`]) {
    expect((await fetch(`${ingotUrl}${path}`)).status, path).toBe(404);
  }
  const hosts = join(dhcpDir, "hosts");
  expect(existsSync(hosts) ? readdirSync(hosts).filter((f) => f.startsWith(uuid)) : []).toEqual([]);
}

describe("direct deploy failures (ipmi, ipxe, over HTTP)", () => {
  it("has the real IPMI peer (ipmitool, pyghmi)", () => {
    expect(fakeBmcUnavailable()).toBeNull();
  });

  beforeAll(async () => {
    process.env.INGOT_API_AUTH = "noauth";
    db = await createTestDb();
    dir = await mkdtemp(join(tmpdir(), "direct-failures-"));
    await writeFile(join(dir, "deploy_ramdisk"), "ramdisk bytes");
    files = createServer((req, res) => {
      if (req.url === "/disk.raw") res.writeHead(200).end(IMAGE);
      else if (req.url === "/ipa.kernel") res.writeHead(200).end("kernel bytes");
      else res.writeHead(404).end("Not Found");
    });
    await new Promise<void>((r) => files.listen(0, "127.0.0.1", () => r()));
    filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", () => r()));
    closedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/disk.raw`;
    await new Promise<void>((r) => closed.close(() => r()));

    server = await startApiServer();
    ingotUrl = `http://127.0.0.1:${server.port}`;
    dhcpDir = join(dir, "dnsmasq");
    const netboot = setNetbootSettings({
      provisioningUrl: ingotUrl, agentApiUrl: server.url, httpRoot: join(dir, "httpboot"), imageCacheDir: join(dir, "cache"),
      dhcpProvider: "dnsmasq", dnsmasqDir: dhcpDir, deployKernel: null, deployRamdisk: null, rescueKernel: null, rescueRamdisk: null,
    });
    setDhcpProvider(new DnsmasqProvider(netboot));
    setConfig({
      conductorHostname: "direct-failures", enabledHardwareTypes: ["ipmi"], automatedClean: false,
      agentCommandWaitIntervalSeconds: 0.02, agentPowerOffWaitSeconds: 1,
    });
    machine = new TestMachine(bmc, {
      mac: "", disks: [{ name: "/dev/sda", size: 16 * 1024 ** 3, path: join(dir, "sda") }],
      ironic: ironicOverHttp(server.url), networkServesAgent: ingotServesAgent,
      agent: { imageDownloadRetries: 1, imageDownloadRetryIntervalMs: 20 },
    });
    await startTestBmc(bmc);
    await startConductor({ periodic: false });
  }, 60_000);

  afterAll(async () => {
    await stopConductor();
    await machine.stop();
    await stopTestBmc(bmc);
    await server.close();
    await new Promise<void>((r) => files.close(() => r()));
    setConfig();
    setNetbootSettings();
    setDhcpProvider();
    await rm(dir, { recursive: true, force: true });
    await db.cleanup();
  });

  const unreachable: { source: "http" | "local"; what: string; url: () => string; error: (url: string) => RegExp }[] = [
    {
      source: "http", what: "a closed port", url: () => closedUrl,
      // IPA (Zed) lets requests' connection error through: a CommandExecutionError with its text.
      error: (url) => new RegExp(`: The agent could not download and write image ${re(url)}: CommandExecutionError: HTTPConnectionPool\\(host='127\\.0\\.0\\.1', port=${new URL(url).port}\\): Max retries exceeded with url: /disk\\.raw .*\\[Errno 111\\] Connection refused'\\)\\)$`),
    },
    {
      source: "http", what: "a 404", url: () => `${filesUrl}/missing.raw`,
      error: (url) => new RegExp(`: The agent could not download and write image ${re(url)}: ImageDownloadError: Download of image missing\\.raw failed: URL: ${re(url)}; time: [0-9.]+ seconds\\. Error: Received status code 404 from ${re(url)}, expected 200\\. Response body: Not Found$`),
    },
    {
      source: "local", what: "a closed port", url: () => closedUrl,
      error: (url) => new RegExp(`: Downloading ${re(url)} failed: connect ECONNREFUSED 127\\.0\\.0\\.1:${new URL(url).port}$`),
    },
    {
      source: "local", what: "a 404", url: () => `${filesUrl}/missing.raw`,
      error: (url) => new RegExp(`: Downloading ${re(url)} failed: HTTP 404 Not Found\\.$`),
    },
  ];

  it.each(unreachable)("image_download_source=$source, image on $what: deploy failed, last_error names the URL", async ({ source, url, error }) => {
    const imageUrl = url();
    const uuid = await availableNode(`unreachable-${source}-${macs + 1}`, { image_source: imageUrl, image_checksum: sha256(IMAGE), image_download_source: source });
    const mac = machine.opts.mac;
    await provision(uuid, "active");
    const node = await waitFor(uuid, AT_REST);
    expect([node.provision_state, node.target_provision_state, node.reservation]).toEqual(["deploy failed", "active", null]);
    expect(node.last_error).toMatch(new RegExp(`^Deploy step deploy\\.write_image failed on node ${uuid}`));
    expect(node.last_error).toMatch(error(imageUrl));
    expect(node.last_error).not.toMatch(/\n\s+at /);
    expect(await historyHasError(uuid, node.last_error)).toBe(true);
    // As Ironic's deploy failure: the ramdisk boot is taken back; the machine is left as it is.
    await expectRamdiskBootGone(uuid, mac);
    expect(node.power_state).toBe("power on");
    await machine.stop();
  }, 60_000);

  it("unknown MAC at lookup: 404 in Ironic's words; the node waiting for its agent is untouched", async () => {
    // The machine boots the ramdisk, but its agent does not start: the node waits.
    machine.opts.networkServesAgent = async () => false;
    try {
      const uuid = await availableNode("lookup-unknown", { image_source: `${filesUrl}/disk.raw`, image_checksum: sha256(IMAGE) });
      await provision(uuid, "active");
      const before = await waitFor(uuid, (n) => n.provision_state === "wait call-back" && n.reservation === null);
      const res = await fetch(`${server.url}/v1/lookup?addresses=52:54:00:ff:ee:dd`, { headers: { "X-OpenStack-Ironic-API-Version": "1.68" } });
      expect(res.status).toBe(404);
      expect(await ironicError(res)).toEqual({ faultcode: "Client", faultstring: "Resource could not be found.", debuginfo: null });
      const after = await getNode(uuid);
      expect(after).toEqual(before);
      expect(after.driver_internal_info.agent_secret_token).toBeUndefined();
    } finally {
      machine.opts.networkServesAgent = ingotServesAgent;
    }
  }, 60_000);

  it("an agent that never calls back: the callback timeout fails the deploy in Ironic's words, power left on", async () => {
    machine.opts.networkServesAgent = async () => false;
    try {
      const uuid = await availableNode("silent-agent", { image_source: `${filesUrl}/disk.raw`, image_checksum: sha256(IMAGE) });
      const mac = machine.opts.mac;
      await provision(uuid, "active");
      const waiting = await waitFor(uuid, (n) => n.provision_state === "wait call-back" && n.reservation === null);
      expect(waiting.power_state).toBe("power on");
      // The timeout counts from when the node started waiting: a second or more from now.
      const since = Date.parse(waiting.provision_updated_at);
      const timeoutSeconds = Math.ceil((Date.now() - since) / 1000) + 1;
      setConfig({ callbackTimeoutSeconds: timeoutSeconds });
      await runPeriodicTasksOnce();
      expect((await getNode(uuid)).provision_state).toBe("wait call-back");
      await new Promise((r) => setTimeout(r, since + timeoutSeconds * 1000 + 100 - Date.now()));
      await runPeriodicTasksOnce();
      const node = await waitFor(uuid, AT_REST);
      expect([node.provision_state, node.reservation]).toEqual(["deploy failed", null]);
      expect(node.last_error).toBe(`Timeout reached while waiting for callback for node ${uuid}`);
      // Ironic's deploying_error_handler does not touch the power; it cleans up the ramdisk boot.
      expect(node.power_state).toBe("power on");
      await expectRamdiskBootGone(uuid, mac);
      expect(await historyHasError(uuid, node.last_error)).toBe(true);
    } finally {
      setConfig({ callbackTimeoutSeconds: 1800 });
      machine.opts.networkServesAgent = ingotServesAgent;
    }
  }, 60_000);

  it("a heartbeat with a wrong agent token: 400 in Ironic's format, nothing changes, the right token continues to active", async () => {
    let refused: { status: number; error: Record<string, unknown> } | null = null;
    let before: ApiNode | null = null;
    let after: ApiNode | null = null;
    // Between the agent's lookup (the token minted) and its first heartbeat, someone else heartbeats.
    machine.opts.agent = {
      ...machine.opts.agent,
      afterLookup: async () => {
        const uuid = machine.agent!.nodeUuid!;
        before = await getNode(uuid);
        const res = await fetch(`${server.url}/v1/heartbeat/${uuid}`, {
          method: "POST", headers: { "X-OpenStack-Ironic-API-Version": "1.68", "Content-Type": "application/json" },
          body: JSON.stringify({ callback_url: "https://192.0.2.66:9999", agent_token: "not-the-token", agent_version: "9.0.0" }),
        });
        refused = { status: res.status, error: await ironicError(res) };
        after = await getNode(uuid);
      },
    };
    try {
      const uuid = await availableNode("wrong-token", { image_source: `${filesUrl}/disk.raw`, image_checksum: sha256(IMAGE) });
      await provision(uuid, "active");
      const node = await waitFor(uuid, AT_REST);
      expect(refused).toEqual({ status: 400, error: { faultcode: "Client", faultstring: "Invalid or missing agent token received.", debuginfo: null } });
      expect(before).not.toBeNull();
      expect(after).toEqual(before);
      expect([node.provision_state, node.last_error, node.power_state]).toEqual(["active", null, "power on"]);
    } finally {
      delete machine.opts.agent!.afterLookup;
      await machine.stop();
    }
  }, 60_000);

  it("the BMC gone while the node waits for its agent: deploy failed with the IPMI error, lock released, an ERROR in history", async () => {
    // 5 s: the Python BMC can be slow to answer on a busy machine while it is alive.
    const uuid = await availableNode("bmc-gone", { image_source: `${filesUrl}/disk.raw`, image_checksum: sha256(IMAGE) }, { ipmi_timeout: 5, ipmi_retries: 1 });
    // The BMC dies once the machine has booted the ramdisk; the agent starts and writes the image,
    // and the boot to disk that follows needs the BMC.
    machine.opts.networkServesAgent = async () => {
      await waitFor(uuid, (n) => n.provision_state === "wait call-back");
      await bmc.stop();
      return ingotServesAgent();
    };
    try {
      await provision(uuid, "active");
      const node = await waitFor(uuid, AT_REST);
      // The agent wrote the image before the boot to disk met the dead BMC.
      expect(machine.agents.at(-1)?.writtenTo).toBe("/dev/sda");
      expect([node.provision_state, node.reservation, node.power_state]).toEqual(["deploy failed", null, "power on"]);
      expect(node.last_error).toMatch(new RegExp(
        `^Deploy step deploy\\.prepare_instance_boot failed on node ${uuid}: IPMI timeout: the BMC 127\\.0\\.0\\.1:${bmc.port} did not answer ".+" within 5 s \\(2 attempts\\)\\. Check ipmi_address / ipmi_port and that the BMC is reachable from conductor\\.$`,
      ));
      expect(await historyHasError(uuid, node.last_error)).toBe(true);
    } finally {
      machine.opts.networkServesAgent = ingotServesAgent;
      await machine.stop();
      await bmc.start(); // same port, for afterAll
    }
  }, 90_000);
});

/** A string as a literal inside a RegExp. */
function re(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// The agent client against the test agent (lib/testing/ipa_agent.ts), which speaks IPA's protocol:
// HTTPS trusting exactly the agent's own certificate, sync commands, async ones started and their end read back, the agent's
// error text, token refusal, retries while the agent is unreachable.
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestIpaAgent, type IronicCall } from "../../testing/ipa_agent.ts";
import { AgentApiError, AgentClient, AgentCommandFailed, AgentConnectionFailed, EXECUTE_STEP, PREPARE_IMAGE, type AgentCommand } from "./client.ts";

const NODE_UUID = "1be26c0b-03f2-4d2e-ae87-c02d7f33c123";
let dir = "";
let imageServer: Server;
let imageBase = "";
const IMAGE = Buffer.from("a whole disk image ".repeat(100));
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** An Ironic that knows one node and accepts every heartbeat. */
const ironic: IronicCall = async (method, path) => {
  if (method === "GET" && path.startsWith("/v1/lookup")) return { status: 200, body: { node: { uuid: NODE_UUID }, config: { agent_token: "tok-1" } } };
  return { status: 202, body: null };
};

async function startAgent(extra: Partial<ConstructorParameters<typeof TestIpaAgent>[0]> = {}) {
  const agent = new TestIpaAgent({ ironic, macs: ["52:54:00:00:00:01"], disks: [{ name: "/dev/vda", size: 8 * 1024 ** 3, path: join(dir, "vda") }], heartbeatIntervalMs: 10_000, ...extra });
  await agent.start();
  return agent;
}

const fast = { retryDelayMs: 20, callTimeoutMs: 2000 };

/** Waits until the latest run of asynchronous command `name` ended: the command, or its AgentCommandFailed. */
async function ended(client: AgentClient, name: string): Promise<AgentCommand> {
  for (;;) {
    const result = await client.commandResult(name);
    if (result) return result;
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function prepareImage(client: AgentClient, imageInfo: Record<string, unknown>): Promise<AgentCommand> {
  await client.startPrepareImage(imageInfo);
  return ended(client, PREPARE_IMAGE);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "agent-client-"));
  imageServer = createServer((req, res) => {
    if (req.url === "/disk.raw") res.writeHead(200).end(IMAGE);
    else res.writeHead(404).end("no such image");
  });
  await new Promise<void>((r) => imageServer.listen(0, "127.0.0.1", () => r()));
  imageBase = `http://127.0.0.1:${(imageServer.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => imageServer.close(() => r()));
  await rm(dir, { recursive: true, force: true });
});

describe("agent client", () => {
  it("talks HTTPS trusting exactly the agent's certificate; a sync command answers its result", async () => {
    const agent = await startAgent();
    try {
      expect(agent.callbackUrl.startsWith("https://")).toBe(true);
      const client = new AgentClient({ url: agent.callbackUrl, token: "tok-1", verifyCa: agent.certPem }, fast);
      const steps = await client.getCleanSteps({ uuid: NODE_UUID, properties: {} }, []);
      expect(Object.values(steps.clean_steps as Record<string, unknown[]>)[0]).toContainEqual(expect.objectContaining({ step: "erase_devices_metadata", priority: 99 }));
      // Without the agent's CA (system CAs only) the certificate is refused: no silent trust.
      const untrusting = new AgentClient({ url: agent.callbackUrl, token: "tok-1", verifyCa: null }, { ...fast, maxAttempts: 1 });
      await expect(untrusting.sync()).rejects.toThrow(AgentConnectionFailed);
    } finally {
      await agent.stop();
    }
  });

  it("a wrong token: the agent's 401 text", async () => {
    const agent = await startAgent();
    try {
      const client = new AgentClient({ url: agent.callbackUrl, token: "wrong", verifyCa: agent.certPem }, fast);
      const err = await client.sync().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AgentApiError);
      expect((err as AgentApiError).status).toBe(401);
      expect((err as Error).message).toContain("401 Unauthorized: Token invalid.");
    } finally {
      await agent.stop();
    }
  });

  it("an async command answers RUNNING and its result is read when it ended; its failure carries the agent's type and text", async () => {
    const agent = await startAgent({ asyncDelayMs: 100 });
    try {
      const client = new AgentClient({ url: agent.callbackUrl, token: "tok-1", verifyCa: agent.certPem }, fast);
      await client.getDeploySteps({ uuid: NODE_UUID, properties: {}, instance_info: {} }, []);
      const started = await client.startPrepareImage({ id: "img", urls: [`${imageBase}/disk.raw`], disk_format: "raw", os_hash_algo: "sha256", os_hash_value: sha256(IMAGE), image_type: "whole-disk" });
      expect(started.command_status).toBe("RUNNING");
      expect(await client.commandResult(PREPARE_IMAGE)).toBeNull(); // still running (asyncDelayMs)
      const ok = await prepareImage(client, { id: "img", urls: [`${imageBase}/disk.raw`], disk_format: "raw", os_hash_algo: "sha256", os_hash_value: sha256(IMAGE), image_type: "whole-disk" });
      expect(ok.command_status).toBe("SUCCEEDED");
      expect(ok.command_result).toEqual({ result: "prepare_image: image (img) written to device /dev/vda root_uuid=None" });
      expect((await readFile(join(dir, "vda"))).equals(IMAGE)).toBe(true);
      // get_deploy_steps (caches the node and its root device hints), then prepare_image (the
      // second start adopted the run under way).
      expect(agent.commands.length).toBe(2);

      const bad = await prepareImage(client, { id: "img", urls: [`${imageBase}/disk.raw`], disk_format: "raw", os_hash_algo: "sha256", os_hash_value: "0".repeat(64) })
        .catch((e: unknown) => e);
      expect(bad).toBeInstanceOf(AgentCommandFailed);
      expect((bad as Error).message).toMatch(/^ImageChecksumError: Image failed to verify against checksum\. .*image checksum: 0{64}; verification checksum: [0-9a-f]{64}$/);

      const missing = await prepareImage(client, { id: "img", urls: [`${imageBase}/gone.raw`], os_hash_algo: "sha256", os_hash_value: "x" }).catch((e: unknown) => e);
      expect((missing as Error).message).toContain("ImageDownloadError: Download of image img failed: URL: ");
      expect((missing as Error).message).toContain("Received status code 404");

      // Refused before it runs (IPA's validator): an HTTP 400 with its text.
      const invalid = await prepareImage(client, { id: "img", urls: [] }).catch((e: unknown) => e);
      expect([(invalid as AgentApiError).status, (invalid as Error).message]).toEqual([400, expect.stringContaining("Image 'urls' must be a list with at least one element.")]);
    } finally {
      await agent.stop();
    }
  });

  it("the agent refuses a second command while one runs (409)", async () => {
    const agent = await startAgent({ asyncDelayMs: 300 });
    try {
      const client = new AgentClient({ url: agent.callbackUrl, token: "tok-1", verifyCa: agent.certPem }, fast);
      await client.startCommand("clean.execute_clean_step", { step: { step: "erase_devices_metadata", interface: "deploy" }, node: {}, ports: [] }, false);
      const busy = await client.sync().catch((e: unknown) => e);
      expect([(busy as AgentApiError).status, (busy as Error).message]).toEqual([409, expect.stringContaining("Agent is busy: executing command execute_clean_step")]);
    } finally {
      await agent.stop();
    }
  });

  it("an async command already running (a step run again) is awaited, not refused", async () => {
    const agent = await startAgent({ asyncDelayMs: 200 });
    try {
      const client = new AgentClient({ url: agent.callbackUrl, token: "tok-1", verifyCa: agent.certPem }, fast);
      const step = { step: "erase_devices_metadata", interface: "deploy" };
      const first = await client.startCommand("clean.execute_clean_step", { step, node: {}, ports: [] }, false);
      const again = await client.startCleanStep(step, {}, [], null);
      expect([again.id, again.command_status]).toEqual([first.id, "RUNNING"]);
      const done = await ended(client, EXECUTE_STEP.clean);
      expect([done.id, done.command_status]).toEqual([first.id, "SUCCEEDED"]);
      expect(agent.commands.length).toBe(1);
      // A different command while one runs is still the agent's 409.
      await client.startCommand("clean.execute_clean_step", { step, node: {}, ports: [] }, false);
      await expect(client.startPrepareImage({ id: "i", urls: [`${imageBase}/disk.raw`], checksum: "x" })).rejects.toThrow(/409/);
    } finally {
      await agent.stop();
    }
  });

  it("plain http when the agent says so; retries while unreachable, then says so", async () => {
    const agent = await startAgent({ scheme: "http" });
    try {
      const client = new AgentClient({ url: agent.callbackUrl, token: "tok-1", verifyCa: null }, fast);
      expect((await client.collectSystemLogs()).system_logs).toBeTruthy();
    } finally {
      await agent.stop();
    }
    const gone = new AgentClient({ url: agent.callbackUrl, token: "tok-1", verifyCa: null }, { ...fast, maxAttempts: 3 });
    const t0 = Date.now();
    const err = await gone.sync().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentConnectionFailed);
    expect((err as Error).message).toMatch(/Connection to agent failed: http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(40); // two pauses between three attempts
  });

  it("finalize_rescue hands the password over; the agent stops serving afterwards", async () => {
    const agent = await startAgent();
    const client = new AgentClient({ url: agent.callbackUrl, token: "tok-1", verifyCa: agent.certPem }, { ...fast, maxAttempts: 1 });
    await client.finalizeRescue("$5$salt$hash", true);
    expect(agent.rescuePassword).toEqual({ password: "$5$salt$hash", hashed: true });
    await new Promise((r) => setTimeout(r, 150));
    await expect(client.sync()).rejects.toThrow(AgentConnectionFailed);
  });
});

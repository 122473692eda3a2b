// Test helper: `ipmi` nodes managed through the pyghmi fake BMC (fake_bmc.ts), enrolled through the
// API, and the machine behind such a BMC: at each power on it boots what the boot device says —
// from the network (the test agent of ipa_agent.ts starts when the network serves the deploy
// ramdisk) or from its disk; a power change ends the agent.
import { macFileName } from "../core/netboot/ipxe_script.ts";
import { api } from "./api.ts";
import type { FakeBmc, FakeBmcEvent } from "./fake_bmc.ts";
import { TestIpaAgent, type IronicCall, type TestAgentOptions, type TestDisk } from "./ipa_agent.ts";

/** Starts the BMC, with ipmitool's retry backoff short (a test waits for every retry). */
export async function startTestBmc(bmc: FakeBmc): Promise<void> {
  process.env.INGOT_IPMI_RETRY_BACKOFF_MS = "100";
  await bmc.start();
}

export async function stopTestBmc(bmc: FakeBmc): Promise<void> {
  await bmc.stop();
  delete process.env.INGOT_IPMI_RETRY_BACKOFF_MS;
}

export interface IpmiNodeSpec {
  name?: string;
  /** Merged over the BMC's driver_info (address, port, credentials, timeout). */
  driverInfo?: Record<string, unknown>;
  /** A port is created for each. */
  macs?: string[];
  /** Other node fields of the create request (interfaces, instance_info, ...). */
  fields?: Record<string, unknown>;
}

/** POST /v1/nodes (driver ipmi, managed through `bmc`) and its ports; the created node's body. */
export async function enrollIpmiNode(bmc: FakeBmc, spec: IpmiNodeSpec = {}): Promise<{ uuid: string; node: Record<string, any> }> {
  const body: Record<string, unknown> = { driver: "ipmi", ...spec.fields, driver_info: bmc.driverInfo(spec.driverInfo ?? {}) };
  if (spec.name !== undefined) body.name = spec.name;
  const created = await api("POST", "/v1/nodes", { body });
  if (created.status !== 201) throw new Error(`creating ipmi node ${spec.name ?? ""} answered ${created.status}: ${created.error}`);
  const uuid = created.body.uuid as string;
  for (const address of spec.macs ?? []) {
    const port = await api("POST", "/v1/ports", { body: { node_uuid: uuid, address } });
    if (port.status !== 201) throw new Error(`creating port ${address} answered ${port.status}: ${port.error}`);
  }
  return { uuid, node: created.body };
}

/**
 * What a machine running iPXE gets from Ingot's /boot/ (`bootUrl`) for its MAC: the deploy or
 * rescue kernel its script boots with the agent's API URL, or null when Ingot serves it nothing.
 */
export async function ipxeAgentKernel(bootUrl: string, mac: string): Promise<string | null> {
  const res = await fetch(`${bootUrl}/boot/mac/${macFileName(mac)}`);
  const script = await res.text();
  const kernel = /\/(deploy|rescue)_kernel\b/.exec(script)?.[0].slice(1);
  return res.status === 200 && kernel && script.includes("ipa-api-url=") ? kernel : null;
}

export interface TestMachineOptions {
  mac: string;
  disks: TestDisk[];
  /** How its agent reaches Ingot's API. */
  ironic: IronicCall;
  /** Whether a network boot gets the deploy ramdisk (the site's PXE: always; ipxe: ask Ingot). */
  networkServesAgent: () => Promise<boolean>;
  /** More options for each agent it starts. */
  agent?: Partial<TestAgentOptions>;
}

/** The machine behind a fake BMC; owns the BMC's onEvent. */
export class TestMachine {
  /** The agent running now, if any. */
  agent: TestIpaAgent | null = null;
  /** Every agent it started, in order. */
  readonly agents: TestIpaAgent[] = [];
  /** The boot device of each power on. */
  readonly booted: string[] = [];
  private device = "none";

  constructor(bmc: FakeBmc, readonly opts: TestMachineOptions) {
    bmc.onEvent = (e: FakeBmcEvent) => this.onBmcEvent(e);
  }

  private onBmcEvent(e: FakeBmcEvent): void {
    if (e.event === "bootdev") this.device = String(e.device);
    if (e.event !== "power") return;
    void this.agent?.stop();
    this.agent = null;
    if (e.state !== "on") return;
    this.booted.push(this.device);
    if (this.device === "pxe") void this.startAgentIfServed();
  }

  private async startAgentIfServed(): Promise<void> {
    if (!(await this.opts.networkServesAgent())) return;
    const agent = new TestIpaAgent({ ironic: this.opts.ironic, macs: [this.opts.mac], disks: this.opts.disks, heartbeatIntervalMs: 100, ...this.opts.agent });
    this.agent = agent;
    this.agents.push(agent);
    void agent.start().catch(() => undefined);
  }

  async stop(): Promise<void> {
    await this.agent?.stop();
    this.agent = null;
  }
}

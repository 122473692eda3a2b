// `npm run bench:rig`: a real deploy on the test rig (lib/testing/rig/README.md), timed from the
// deploy request to the image's login prompt on the VM's serial port (issue 13), per phase:
//   boot to agent  — the deploy request until the ramdisk's agent looks the node up (the VM
//                    powered on, its NIC ROM's iPXE, the kernel and ramdisk over HTTP, the agent's start);
//   write image    — the lookup until the conductor records write_image finished (the agent's
//                    first heartbeat, then the agent downloading, checking and writing the image);
//   reboot to disk — write_image done until the image's marker and busybox's prompt are on the
//                    serial port (the agent powers the VM off, Ingot powers it on from its disk).
// One VM alone, then two VMs deployed at once (both timed). `ipmi` nodes (`ipxe` boot, `direct`
// deploy) behind the rig's vBMCs, automated cleaning off (not part of this measure).
// Milestones come from the node's history (the conductor's own timestamps: power changes, deploy
// steps), from polling the node (the agent token minted at lookup, the agent_url of its first
// heartbeat) and from polling the VM's serial log (the ramdisk's and the image's lines), both every
// POLL_MS. Writes (or replaces) the "Deploying a VM" section of docs/benchmarks.md. Options: --no-write.
// Skips with one line when the rig cannot run here (not root, no QEMU, ...).
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { sleep, writeBenchSection } from "./common.ts";
import type { ApiHistoryEvent } from "../shared/wire.ts";
import { OPENSTACK, openstackCli, type OpenstackCli } from "../testing/openstack.ts";
import { RIG_PHASE_SECONDS, RigEnvironment, rigUnavailable } from "../testing/rig/environment.ts";
import type { RigVm } from "../testing/rig/vm.ts";

const WRITE = !process.argv.includes("--no-write");
const POLL_MS = 500;
/** A deploy round (one or two VMs) that has not reached the prompt by then has failed. */
const ROUND_SECONDS = 2 * RIG_PHASE_SECONDS;
const HEADERS = { "X-OpenStack-Ironic-API-Version": "latest", "Content-Type": "application/json" };

interface Target {
  name: string;
  uuid: string;
  vm: RigVm;
}

/** Milestones of one deploy, in ms since its request (undefined: not seen). */
interface Milestones {
  powerOn?: number;
  ramdiskInit?: number;
  agentStarted?: number;
  lookup?: number;
  heartbeat?: number;
  writeStarted?: number;
  writeFinished?: number;
  poweredOff?: number;
  diskPowerOn?: number;
  active?: number;
  marker?: number;
  prompt?: number;
}

const MILESTONES: [keyof Milestones, string, "history" | "node" | "serial"][] = [
  ["powerOn", "VM powered on (ramdisk boot)", "history"],
  ["ramdiskInit", "ramdisk /init started", "serial"],
  ["agentStarted", "ironic-python-agent started", "serial"],
  ["lookup", "agent lookup (token minted)", "node"],
  ["heartbeat", "agent's first heartbeat (agent_url)", "node"],
  ["writeStarted", "write_image started", "history"],
  ["writeFinished", "write_image finished", "history"],
  ["poweredOff", "VM powered off (by the agent)", "history"],
  ["diskPowerOn", "VM powered on (from disk)", "history"],
  ["active", "provision state active", "history"],
  ["marker", "image's INGOT-IMAGE-BOOTED marker", "serial"],
  ["prompt", "image's shell prompt", "serial"],
];

/** A round of deploys, and the most QEMU VMs of other work seen running during it. */
interface Round {
  timed: Timed[];
  otherVms: number;
}

interface Timed {
  target: Target;
  requestedAt: number;
  m: Milestones;
}

async function api<T>(env: RigEnvironment, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${env.apiUrl}${path}`, { method, headers: HEADERS, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/**
 * Deploys the targets at once (one request each, sent together) and follows each until its
 * image's prompt is on the serial port; resolves with every deploy's milestones.
 */
async function timedDeploy(env: RigEnvironment, targets: Target[]): Promise<Round> {
  const serialFrom = targets.map((t) => t.vm.serialText().length);
  const timed: Timed[] = await Promise.all(targets.map(async (target) => {
    const requestedAt = Date.now();
    await api(env, "PUT", `/v1/nodes/${target.uuid}/states/provision`, { target: "active" });
    return { target, requestedAt, m: {} };
  }));
  const markerRe = new RegExp(`INGOT-IMAGE-BOOTED ${env.image.id}`);
  const end = Date.now() + ROUND_SECONDS * 1000;
  let otherVms = 0;
  const seen = (t: Timed, key: keyof Milestones) => {
    if (t.m[key] !== undefined) return;
    t.m[key] = Date.now() - t.requestedAt;
    console.log(`[bench:rig] ${t.target.name}: ${MILESTONES.find(([k]) => k === key)![1]} at ${(t.m[key]! / 1000).toFixed(1)} s`);
  };
  for (;;) {
    for (const [i, t] of timed.entries()) {
      if (t.m.prompt !== undefined) continue;
      const node = await api<{ provision_state: string; last_error: string | null; driver_internal_info: Record<string, unknown> }>(env, "GET", `/v1/nodes/${t.target.uuid}`);
      if (["deploy failed", "error"].includes(node.provision_state)) throw new Error(`${t.target.name}: ${node.provision_state}: ${node.last_error}`);
      if (node.driver_internal_info.agent_secret_token) seen(t, "lookup");
      if (node.driver_internal_info.agent_url) seen(t, "heartbeat");
      const serial = t.target.vm.serialText().slice(serialFrom[i]);
      if (serial.includes("ingot-ramdisk: init started")) seen(t, "ramdiskInit");
      if (serial.includes("ingot-ramdisk: starting ironic-python-agent")) seen(t, "agentStarted");
      const marker = serial.match(markerRe);
      if (marker) {
        seen(t, "marker");
        if (/\n\/ # /.test(serial.slice(marker.index))) seen(t, "prompt"); // busybox sh's prompt
      }
    }
    otherVms = Math.max(otherVms, otherQemuCount(env));
    if (timed.every((t) => t.m.prompt !== undefined)) break;
    if (Date.now() > end) {
      const tails = timed.map((t) => `${t.target.name}: ${JSON.stringify(t.m)}\n${t.target.vm.serialText().slice(-2000)}`).join("\n");
      throw new Error(`the deploy did not reach the image's prompt within ${ROUND_SECONDS} s:\n${tails}`);
    }
    await sleep(POLL_MS);
  }
  for (const t of timed) addHistoryMilestones(t, await api<{ history: ApiHistoryEvent[] }>(env, "GET", `/v1/nodes/${t.target.uuid}/history?detail=True&structured=True`));
  return { timed, otherVms };
}

/** The conductor's own timestamps of this deploy: its power changes, write_image, the move to active. */
function addHistoryMilestones(t: Timed, { history }: { history: ApiHistoryEvent[] }): void {
  const rows = history
    .map((h) => ({ at: Date.parse(h.created_at) - t.requestedAt, s: h.structured! }))
    .filter((r) => r.at >= -1000); // this deploy's (the clocks are one: the server runs in this process)
  const first = (match: (r: (typeof rows)[number]) => boolean, after = -Infinity) => rows.find((r) => r.at >= after && match(r))?.at;
  const power = (to: string) => (r: (typeof rows)[number]) => r.s.kind === "power_change" && r.s.to_state === to;
  const writeStep = (kind: string) => (r: (typeof rows)[number]) => r.s.kind === kind && r.s.step === "write_image";
  t.m.powerOn = first(power("power on"));
  t.m.writeStarted = first(writeStep("step_started"));
  t.m.writeFinished = first(writeStep("step_finished"));
  t.m.poweredOff = first(power("power off"), t.m.writeFinished);
  t.m.diskPowerOn = first(power("power on"), t.m.poweredOff);
  t.m.active = first((r) => r.s.kind === "provision_transition" && r.s.to_state === "active");
}

const secs = (ms: number | undefined) => (ms === undefined ? "–" : `${(ms / 1000).toFixed(1)} s`);
const span = (from: number | undefined, to: number | undefined) => (from === undefined || to === undefined ? undefined : to - from);

/** One row a deploy: the three phases and the whole. */
function phaseRow(label: string, t: Timed): string {
  const { lookup, writeFinished, prompt } = t.m;
  return `| ${label} | ${secs(lookup)} | ${secs(span(lookup, writeFinished))} | ${secs(span(writeFinished, prompt))} | **${secs(prompt)}** |`;
}

async function enroll(env: RigEnvironment, cli: OpenstackCli, vm: RigVm, name: string): Promise<Target> {
  const node = await env.enrollIpmiNode(cli, vm, name);
  await cli.os("node", "manage", name, "--wait", "120");
  await cli.os("node", "provide", name, "--wait", "120");
  return { name, uuid: node.uuid as string, vm };
}

/** QEMU VMs on the machine that are not this rig's (other work shares the 2 cores); theirs run in other namespaces. */
function otherQemuCount(env?: RigEnvironment): number {
  const lines = (spawnSync("pgrep", ["-a", "-f", "^qemu-system"], { encoding: "utf8" }).stdout ?? "").split("\n").filter(Boolean);
  // A rig VM's files (disk, serial log) are under its network's directory, named after the namespace.
  return lines.filter((l) => !env?.net || !l.includes(`/${env.net.name}-`)).length;
}

async function main(): Promise<void> {
  const unavailable = rigUnavailable() ?? (existsSync(OPENSTACK) ? null : `${OPENSTACK} is missing (apt-get install python3-openstackclient python3-ironicclient)`);
  if (unavailable) {
    console.log(`bench:rig SKIPPED — the rig cannot run here: ${unavailable}`);
    return;
  }
  const loadBefore = loadavg();
  const othersBefore = otherQemuCount();
  const started = Date.now();
  const env = await RigEnvironment.start({ vms: 2, config: { automatedClean: false } });
  let singleRound: Round;
  let pairRound: Round;
  try {
    console.log(`[bench:rig] environment up in ${((Date.now() - started) / 1000).toFixed(0)} s; Ingot at ${env.apiUrl}`);
    const cli = openstackCli(() => env.apiUrl, (RIG_PHASE_SECONDS + 120) * 1000);
    const targets = [await enroll(env, cli, env.vms[0], "bench-rig-0"), await enroll(env, cli, env.vms[1], "bench-rig-1")];

    console.log("[bench:rig] one VM alone");
    await env.setImage(cli, targets[0].name);
    singleRound = await timedDeploy(env, [targets[0]]);
    // Back to available (no cleaning: the tear-down powers it off) for the round of two; the
    // undeploy clears instance_info, as Ironic's does.
    await cli.os("node", "undeploy", targets[0].name, "--wait", String(RIG_PHASE_SECONDS));
    for (const t of targets) await env.setImage(cli, t.name);
    console.log("[bench:rig] two VMs at once");
    pairRound = await timedDeploy(env, targets);
  } catch (err) {
    for (const vm of env.vms) console.log(`[bench:rig] ${vm.name} serial log tail:\n${vm.serialText().slice(-3000)}`);
    throw err;
  } finally {
    await env.stop();
  }
  const leftovers = env.leftovers();
  if (leftovers.length) throw new Error(`the rig environment left: ${leftovers.join(", ")}`);
  const loadAfter = loadavg();
  const [single] = singleRound.timed;
  const pair = pairRound.timed;

  const table = [
    "| deploy | boot to agent (request → lookup) | write image (lookup → write_image done) | reboot to disk (→ prompt) | request → login prompt |",
    "|---|---|---|---|---|",
    phaseRow("one VM alone", single),
    ...pair.map((t, i) => phaseRow(`two at once: VM ${i + 1}`, t)),
  ].join("\n");
  const all = [single, ...pair];
  const detail = [
    `| milestone (since the deploy request) | source | one VM | ${pair.map((_, i) => `two at once: VM ${i + 1}`).join(" | ")} |`,
    `|---|---|---|${pair.map(() => "---|").join("")}`,
    ...MILESTONES.map(([key, label, source]) => `| ${label} | ${source} | ${all.map((t) => secs(t.m[key])).join(" | ")} |`),
  ].join("\n");
  console.log(`${table}\n\n${detail}\n\nQEMU VMs of other work: ${othersBefore} at the start, at most ${singleRound.otherVms} during one VM, ${pairRound.otherVms} during two; load average ${loadBefore.map((x) => x.toFixed(1)).join(" / ")} before, ${loadAfter.map((x) => x.toFixed(1)).join(" / ")} after`);

  if (WRITE) {
    const pairMean = pair.reduce((sum, t) => sum + (t.m.prompt ?? NaN), 0) / pair.length;
    const ratio = pairMean / (single.m.prompt ?? NaN);
    const pairNote = `Two at once took ${secs(pairMean)} each on average, ${ratio.toFixed(2)}× one alone: each VM has one vCPU, the machine ${cpus().length} cores.`;
    const busy = loadBefore[0] >= 1;
    const date = new Date().toISOString().slice(0, 10);
    const load = (l: number[]) => l.map((x) => x.toFixed(1)).join(" / ");
    const initramfsMb = (statSync(env.ramdisk.initramfs).size / 1e6).toFixed(0);
    const imageMib = (statSync(join(env.image.dir, "disk.raw")).size / 2 ** 20).toFixed(0);
    const section = `<!-- rig-bench:start -->
## Deploying a VM: request → login prompt

Made by \`npm run bench:rig\` (lib/bench/rig.ts, as root) on ${date}, on this machine: ${cpus().length} cores,
${Math.round(totalmem() / 2 ** 30)} GiB; load average (1 / 5 / 15 min) ${load(loadBefore)} before, ${load(loadAfter)} after;
QEMU VMs of other work running: ${othersBefore} at the start, at most ${singleRound.otherVms} during the one-VM deploy and
${pairRound.otherVms} during the two. The rig of
lib/testing/rig/ (\`RigEnvironment\`): a real Ingot (conductor and Bare Metal API in the bench's
process, SQLite, its dnsmasq in the rig's network namespace), \`ipmi\` nodes behind the rig's vBMCs
(\`ipxe\` boot, \`direct\` deploy, automated cleaning off), QEMU VMs under TCG (1 vCPU, 2048 MiB,
BIOS; KVM cannot run a Linux guest here), the rig's deploy ramdisk (real IPA, initramfs ${initramfsMb} MB)
and its ${imageMib} MiB whole-disk image over http with its sha256. One VM deployed alone, then two
deployed at once (both requests sent together).

${table}

${detail}

- Sources: "history" is the conductor's timestamp of the node's history row; "node" and "serial"
  are when polling (every ${POLL_MS} ms) first saw the agent token (minted at lookup) or
  \`agent_url\` (first heartbeat) on the node, or the line on the VM's serial port.
- TCG emulates every guest instruction: on hardware (or with KVM) the boot phases are far shorter.
- ${pairNote}
${busy ? "- Other work was running when the bench began (load average ≥ 1): the figures are inflated by it.\n" : ""}<!-- rig-bench:end -->
`;
    writeBenchSection("rig-bench", section);
    console.log("docs/benchmarks.md updated");
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);

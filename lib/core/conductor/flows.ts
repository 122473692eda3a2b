// Provisioning flows: what happens in a worker after an accepted request. Interfaces do their
// piece; the order of things, state changes, step bookkeeping and failure handling live here.
import { AGENT_BOOT_KEYS, agentCalledBack, withoutAgentBootInfo } from "../agent/internal_info.ts";
import { pendingBios, refreshBiosCache } from "../bios.ts";
import { config } from "../config.ts";
import type { Dict, NodeChanges } from "../db/nodes.ts";
import type { StepKind, StepOutcome } from "../drivers/base.ts";
import { INSTANCE_ON_LOCAL_DISK_KEY, sleep } from "../drivers/base.ts";
import { interfacesFor } from "../drivers/registry.ts";
import { DriverError } from "../errors.ts";
import type { HistoryEventType } from "../history.ts";
import type { PowerTarget } from "../states.ts";
import { POWER_TARGETS, ProvisionState as S } from "../states.ts";
import { automatedCleanSteps, findStepImpl, isReservedStep, type NodeStep, refreshStepCache, stepRecord } from "../steps.ts";
import type { NodeTask } from "./task.ts";
import type { InspectionData } from "../inspection/inventory.ts";
import { inspectionSummary, processInspectionData } from "../inspection/process.ts";
import { BOOT_FROM_VOLUME_DEVICE, BOOT_FROM_VOLUME_KEY, bootVolumeOf } from "../volumes.ts";

export const STEP_FIELD = { clean: "cleanStep", deploy: "deployStep", service: "serviceStep" } as const;
export const stepsKey = (kind: StepKind) => `${kind}_steps`;
export const indexKey = (kind: StepKind) => `${kind}_step_index`;
/** driver_internal_info key: when the current step started (ISO), for its duration in history. */
export const startedKey = (kind: StepKind) => `${kind}_step_started_at`;
/**
 * driver_internal_info key: true once the step at <kind>_step_index has finished (until the next
 * one starts), so an operation resumed after its conductor stopped neither repeats a finished step
 * (a hold the operator released, a step that must not run twice) nor skips an unfinished one.
 */
export const finishedKey = (kind: StepKind) => `${kind}_step_finished`;

/** last_error after an abort (Ironic's wording for cleaning, reused for the other operations). */
export function abortMessage(what: string, step: Record<string, unknown>): string {
  const on = step.interface ? ` during or after the completion of step "${step.interface}.${step.step}"` : "";
  return `By request, the ${what} operation was aborted${on}`;
}

const round3 = (seconds: number) => Math.round(seconds * 1000) / 1000;

function stepSeconds(task: NodeTask, kind: StepKind): number | null {
  const started = task.node.driverInternalInfo[startedKey(kind)];
  if (typeof started !== "string") return null;
  const t = Date.parse(started);
  return Number.isFinite(t) ? round3(Math.max(0, (Date.now() - t) / 1000)) : null;
}

/** Records in history that the node's current step of `kind` finished (after a wait or hold). */
async function recordStepFinished(task: NodeTask, kind: StepKind, how: "step_finished" | "step_released" = "step_finished"): Promise<void> {
  const steps = (task.node.driverInternalInfo[stepsKey(kind)] as NodeStep[] | null) ?? [];
  const index = task.node.driverInternalInfo[indexKey(kind)];
  const step = typeof index === "number" ? steps[index] : undefined;
  if (!step) return;
  await task.history({ kind: how, step: { kind, interface: step.interface, step: step.step } }, "provisioning", "INFO", stepSeconds(task, kind));
}

/** driver_internal_info keys that belong to a deployment and go away on tear-down. */
export const DEPLOY_INTERNAL_KEYS = [
  "deploy_steps", "deploy_step_index", "agent_url", "agent_last_heartbeat", "agent_version", "is_whole_disk_image",
  "root_uuid_or_disk_id", "deployment_reboot", "steps_validated", "automatic_lessee", BOOT_FROM_VOLUME_KEY,
  INSTANCE_ON_LOCAL_DISK_KEY, ...AGENT_BOOT_KEYS,
];

/** A failure while a step was executing (cleaning failures then also set maintenance). */
export class StepFailure extends Error {
  constructor(
    readonly kind: StepKind,
    readonly step: NodeStep,
    readonly cause: unknown,
    nodeUuid: string,
  ) {
    super(`${capitalize(kind)} step ${step.interface}.${step.step} failed on node ${nodeUuid}: ${errorMessage(cause)}`);
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Runs a power target through the node's power interface and records the result. */
export async function powerAction(task: NodeTask, target: PowerTarget, timeoutSeconds?: number): Promise<void> {
  const result = POWER_TARGETS[target].result;
  const before = task.node.powerState;
  const started = Date.now();
  if (task.node.targetPowerState !== result) await task.update({ targetPowerState: result });
  try {
    await interfacesFor(task.node).power.setPowerState(task, target, timeoutSeconds);
  } catch (err) {
    const msg = `Failed to change power state to "${target}" for node ${task.node.uuid}: ${errorMessage(err)}`;
    await task.update({ targetPowerState: null, lastError: msg });
    await task.history({ kind: "power_change_failed", target, error: errorMessage(err), message: msg }, "transition", "ERROR");
    throw new DriverError(msg);
  }
  // A power off or reboot ends the running agent: its URL, token and certificate are stale.
  const agentGone = result === "power off" || target === "rebooting" || target === "soft rebooting";
  const dii = agentGone ? withoutAgentBootInfo(task.node.driverInternalInfo) : { ...task.node.driverInternalInfo };
  await task.update({
    powerState: result,
    targetPowerState: null,
    driverInternalInfo: { ...dii, last_power_state_change: new Date().toISOString() },
  });
  await task.history({ kind: "power_change", from: before, to: result, target }, "transition", "INFO", (Date.now() - started) / 1000);
  if (result === "power on") await awaitPendingBios(task);
}

/** How long a power on waits for pending BIOS settings to take effect (power sync checks later ones). */
const PENDING_BIOS_WAIT_MS = 120_000;
const PENDING_BIOS_POLL_MS = 1_000;

/**
 * The machine was just switched on or reset: BIOS settings staged for this reboot take effect
 * while it starts (the firmware applies them during POST), so the cache is re-read until they
 * show, or for PENDING_BIOS_WAIT_MS; power sync keeps checking those still pending after that.
 */
async function awaitPendingBios(task: NodeTask): Promise<void> {
  if (!pendingBios(task.node).length) return;
  const bios = interfacesFor(task.node).bios;
  const deadline = Date.now() + PENDING_BIOS_WAIT_MS;
  try {
    while ((await refreshBiosCache(task, bios)).length && Date.now() < deadline) await sleep(PENDING_BIOS_POLL_MS);
  } catch (err) {
    // The power action itself succeeded; a BIOS read failing is for power sync to retry.
    console.error(`reading the BIOS settings of node ${task.node.uuid} after a power on failed:`, err);
  }
}

export type StepsOutcome = "done" | "hold" | "wait";

/** How a flow runs its stored steps: `rerunCurrent` runs the step at <kind>_step_index again (resume). */
export interface StepsRun {
  rerunCurrent?: boolean;
}

/**
 * Runs the steps stored in driver_internal_info.<kind>_steps, from the one after
 * <kind>_step_index (or the first; or that one again with rerunCurrent). Reserved steps are
 * handled here.
 */
export async function runSteps(task: NodeTask, kind: StepKind, run: StepsRun = {}): Promise<StepsOutcome> {
  const steps = (task.node.driverInternalInfo[stepsKey(kind)] as NodeStep[] | null) ?? [];
  const last = task.node.driverInternalInfo[indexKey(kind)];
  const start = typeof last !== "number" ? 0 : run.rerunCurrent ? last : last + 1;
  for (let i = start; i < steps.length; i++) {
    const step = steps[i];
    const started = Date.now();
    const dii: Dict = { ...task.node.driverInternalInfo, [indexKey(kind)]: i, [startedKey(kind)]: new Date(started).toISOString() };
    delete dii[finishedKey(kind)];
    await task.update({ [STEP_FIELD[kind]]: stepRecord(step), driverInternalInfo: dii } as NodeChanges);
    const stepRef = { kind, interface: step.interface, step: step.step };
    await task.history({ kind: "step_started", step: stepRef }, "provisioning");
    try {
      if (isReservedStep(step.step)) {
        switch (step.step) {
          case "hold":
            await task.transition("hold", { eventType: "provisioning", note: `${kind} step ${step.interface}.hold` });
            return "hold";
          case "wait": {
            const seconds = Math.min(Number(step.args?.seconds ?? 0) || 0, config().maxWaitStepSeconds);
            await sleep(seconds * 1000);
            break;
          }
          case "power_on":
            await powerAction(task, "power on");
            break;
          case "power_off":
            await powerAction(task, "power off");
            break;
          case "reboot":
            await powerAction(task, "rebooting");
            break;
        }
      } else {
        const impl = findStepImpl(task.node, kind, step.interface, step.step);
        if (!impl) throw new DriverError(`node does not support this ${kind} step`);
        const outcome = await impl.run(task, (step.args ?? {}) as Dict);
        if (outcome === "wait") {
          await task.transition("wait", { eventType: "provisioning", note: `waiting for ${step.interface}.${step.step}` });
          return "wait";
        }
      }
    } catch (err) {
      throw await stepFailed(task, kind, step, err);
    }
    await task.updateDriverInternalInfo({ [finishedKey(kind)]: true });
    await task.history({ kind: "step_finished", step: stepRef }, "provisioning", "INFO", round3((Date.now() - started) / 1000));
  }
  return "done";
}

/** Records in history that `step` failed with `err`; the StepFailure to throw. */
async function stepFailed(task: NodeTask, kind: StepKind, step: NodeStep, err: unknown): Promise<StepFailure> {
  const failure = err instanceof StepFailure ? err : new StepFailure(kind, step, err, task.node.uuid);
  const stepRef = { kind, interface: step.interface, step: step.step };
  await task.history({ kind: "step_failed", step: stepRef, error: errorMessage(failure.cause) }, "provisioning", "ERROR", stepSeconds(task, kind))
    .catch(() => undefined);
  return failure;
}

/**
 * At a callback, asks the waiting step whether its work is done (onCallback: the command its
 * agent runs). "wait" while it runs: the callback counts as a sign of life (the callback timeout
 * starts again, as Ironic's heartbeat touches provisioning). A failure fails the step.
 */
async function waitingStepOutcome(task: NodeTask, kind: StepKind): Promise<StepOutcome> {
  const steps = (task.node.driverInternalInfo[stepsKey(kind)] as NodeStep[] | null) ?? [];
  const index = task.node.driverInternalInfo[indexKey(kind)];
  const step = typeof index === "number" ? steps[index] : undefined;
  const impl = step && !isReservedStep(step.step) ? findStepImpl(task.node, kind, step.interface, step.step) : undefined;
  if (!step || !impl?.onCallback) return;
  let outcome: StepOutcome;
  try {
    outcome = await impl.onCallback(task);
  } catch (err) {
    throw await stepFailed(task, kind, step, err);
  }
  if (outcome === "wait") await task.update({ provisionUpdatedAt: new Date() });
  return outcome;
}

/** Clears step bookkeeping once all steps ran (Ironic leaves the lists as null). */
async function finishSteps(task: NodeTask, kind: StepKind): Promise<void> {
  const dii = { ...task.node.driverInternalInfo, [stepsKey(kind)]: null };
  delete dii[indexKey(kind)];
  delete dii[startedKey(kind)];
  delete dii[finishedKey(kind)];
  await task.update({ [STEP_FIELD[kind]]: {}, driverInternalInfo: dii } as NodeChanges);
}

const EVENT_TYPE_FOR_STATE: Record<string, HistoryEventType> = {
  [S.VERIFYING]: "verify",
  [S.INSPECTING]: "introspection",
  [S.INSPECTWAIT]: "introspection",
  [S.ADOPTING]: "adoption",
  [S.DELETING]: "unprovision",
};

/**
 * A failed deployment's clean-up, as Ironic's deploying_error_handler: the deploy interface takes
 * back what it prepared (the ramdisk's network boot and DHCP entries, an image served to the
 * agent); the power is left as it is. A clean-up failure is added to the message, not thrown.
 */
async function cleanUpFailedDeploy(task: NodeTask, message: string): Promise<string> {
  try {
    await interfacesFor(task.node).deploy.cleanUp(task);
    return message;
  } catch (err) {
    return `${message}. Also failed to clean up due to: ${errorMessage(err)}`;
  }
}

/** Moves a failed operation's node to the table's failure state with last_error set. */
export async function failNode(
  task: NodeTask,
  message: string,
  opts: { stepWasExecuting?: boolean; eventType?: HistoryEventType } = {},
): Promise<void> {
  await task.refresh();
  const state = task.node.provisionState;
  if (state === S.DEPLOYING || state === S.DEPLOYWAIT) message = await cleanUpFailedDeploy(task, message);
  const changes: NodeChanges = { lastError: message, cleanStep: {}, deployStep: {}, serviceStep: {}, targetPowerState: null };
  const executing = opts.stepWasExecuting ?? (Object.keys(task.node.cleanStep).length > 0 || Object.keys(task.node.serviceStep).length > 0);
  if (executing && (state === S.CLEANING || state === S.CLEANWAIT)) {
    Object.assign(changes, { maintenance: true, maintenanceReason: message, fault: "clean failure" });
  }
  if (executing && (state === S.SERVICING || state === S.SERVICEWAIT)) {
    Object.assign(changes, { maintenance: true, maintenanceReason: message, fault: "service failure" });
  }
  const eventType = opts.eventType ?? EVENT_TYPE_FOR_STATE[state] ?? "provisioning";
  if (task.can("fail")) {
    await task.transition("fail", { changes, eventType, severity: "ERROR", note: message });
  } else {
    await task.update(changes);
    await task.history({ kind: "operation_failed", message }, eventType, "ERROR");
  }
}

/** Runs a flow in the worker: failures go to failNode, the lock is always released. */
export async function guarded(task: NodeTask, failurePrefix: string, flow: () => Promise<void>): Promise<void> {
  try {
    await flow();
  } catch (err) {
    const message = err instanceof StepFailure ? err.message : `${failurePrefix} failed on node ${task.node.uuid}: ${errorMessage(err)}`;
    try {
      await failNode(task, message, { stepWasExecuting: err instanceof StepFailure });
    } catch (inner) {
      console.error(`could not record failure of node ${task.node.uuid}:`, inner, "original:", err);
    }
  } finally {
    await task.release();
  }
}

// ---- flows (each starts with the node already in its transitional state) ----

export async function verifyFlow(task: NodeTask): Promise<void> {
  const ifaces = interfacesFor(task.node);
  await ifaces.power.validate(task);
  const power = await ifaces.power.getPowerState(task);
  if (power !== task.node.powerState) await task.update({ powerState: power });
  await refreshBiosCache(task, ifaces.bios);
  await task.transition("done", { eventType: "verify" });
}

/** Cleaning (automated or manual) from the stored steps; also resumes after unhold. */
export async function cleanFlow(task: NodeTask, run: StepsRun = {}): Promise<void> {
  const manual = task.node.targetProvisionState === S.MANAGEABLE;
  const ifaces = interfacesFor(task.node);
  const steps = (task.node.driverInternalInfo.clean_steps as NodeStep[] | null) ?? [];
  const fresh = typeof task.node.driverInternalInfo.clean_step_index !== "number";
  const needsRamdisk = !task.node.driverInternalInfo.cleaning_disable_ramdisk && steps.some((s) => s.requires_ramdisk);
  if (fresh) await refreshStepCache(task.sql, task.node, "clean");
  if (fresh && needsRamdisk) {
    if (ifaces.deploy.prepareCleaning) {
      // Steps run in the agent: boot its ramdisk and wait for it to call back; then ask it which
      // steps it has (automated cleaning runs those, in their priority order).
      if (!agentCalledBack(task.node.driverInternalInfo)) {
        if ((await ifaces.deploy.prepareCleaning(task)) === "wait") {
          await task.transition("wait", { eventType: "provisioning", note: "waiting for the agent to boot" });
          return;
        }
      }
      await ifaces.deploy.refreshCleanSteps?.(task);
      await refreshStepCache(task.sql, task.node, "clean");
      if (!manual) await task.updateDriverInternalInfo({ clean_steps: automatedStepsFor(task) });
    } else {
      await ifaces.boot.prepareRamdisk(task);
    }
  }
  const outcome = await runSteps(task, "clean", run);
  if (outcome !== "done") return;
  if (needsRamdisk) {
    if (ifaces.deploy.tearDownCleaning) await ifaces.deploy.tearDownCleaning(task);
    else await ifaces.boot.cleanUpRamdisk(task);
  }
  await finishSteps(task, "clean");
  await refreshBiosCache(task, ifaces.bios);
  // A retired node is not offered for scheduling again: it goes back to manageable.
  if (manual || task.node.retired) await task.transition("manage", { eventType: "provisioning" });
  else await task.transition("done", { eventType: "provisioning" });
}

export async function deployFlow(task: NodeTask, run: StepsRun = {}): Promise<void> {
  const ifaces = interfacesFor(task.node);
  if (typeof task.node.driverInternalInfo.deploy_step_index !== "number") {
    await refreshStepCache(task.sql, task.node, "deploy");
    await ifaces.deploy.prepare(task);
    await ifaces.storage.attachVolumes(task);
    const volume = bootVolumeOf(task);
    if (volume) {
      // Boot from volume: the image-writing steps were dropped when the request was accepted; the
      // node boots over the network from the SAN target (iPXE sanboot, as Ironic's pxe/ipxe boot).
      await ifaces.management.setBootDevice(task, BOOT_FROM_VOLUME_DEVICE, true);
      await task.history({
        kind: "storage",
        message: `Node boots from volume ${volume.volume_id} (${volume.volume_type} target ${volume.target_uuid}, storage interface ${ifaces.storage.name}): volumes attached, image not written, boot device ${BOOT_FROM_VOLUME_DEVICE} (persistent)`,
      }, "provisioning");
    }
  }
  const outcome = await runSteps(task, "deploy", run);
  if (outcome !== "done") return;
  await ifaces.boot.prepareInstance(task);
  await finishSteps(task, "deploy");
  await task.transition("done", { eventType: "provisioning" });
}

export async function serviceFlow(task: NodeTask, run: StepsRun = {}): Promise<void> {
  if (typeof task.node.driverInternalInfo.service_step_index !== "number") await refreshStepCache(task.sql, task.node, "service");
  const outcome = await runSteps(task, "service", run);
  if (outcome !== "done") return;
  await finishSteps(task, "service");
  await task.transition("done", { eventType: "provisioning" });
}

/** Tear-down: undo the deployment, forget the instance, then automated cleaning. */
export async function tearDownFlow(task: NodeTask): Promise<void> {
  const ifaces = interfacesFor(task.node);
  await ifaces.deploy.tearDown(task);
  await ifaces.storage.detachVolumes(task);
  const volume = bootVolumeOf(task);
  if (volume) {
    await task.history({ kind: "storage", message: `Detached volumes (boot volume ${volume.volume_id}) through storage interface ${ifaces.storage.name}` }, "unprovision");
  }
  for (const vif of await ifaces.network.vifList(task)) await ifaces.network.vifDetach(task, vif.id);
  await ifaces.boot.cleanUpInstance(task);
  await ifaces.deploy.cleanUp(task);

  const dii: Dict = { ...task.node.driverInternalInfo };
  const automaticLessee = dii.automatic_lessee === true;
  for (const k of DEPLOY_INTERNAL_KEYS) delete dii[k];
  dii.deploy_steps = null;
  const changes: NodeChanges = {
    instanceInfo: {}, instanceUuid: null, instanceName: null, deployStep: {}, driverInternalInfo: dii, allocationId: null,
  };
  if (automaticLessee) changes.lessee = null;
  await task.sql.run(`DELETE FROM "Allocation" WHERE "nodeId" = ?`, [task.node.id]);
  if (task.node.allocationId !== null) await task.sql.run(`DELETE FROM "Allocation" WHERE "id" = ?`, [task.node.allocationId]);
  await task.update(changes);

  await task.transition("clean", { eventType: "unprovision", changes: cleaningStartChanges(task, automatedStepsFor(task)) });
  await cleanFlow(task);
}

/** Automated clean steps, or none when automated cleaning is off for this node. */
export function automatedStepsFor(task: NodeTask): NodeStep[] {
  const node = task.node;
  const skip = node.automatedClean === false || (node.automatedClean !== true && !config().automatedClean);
  return skip ? [] : automatedCleanSteps(node);
}

/** driver_internal_info for starting a cleaning run with `steps`. */
export function cleaningStartChanges(task: NodeTask, steps: NodeStep[], disableRamdisk = false): NodeChanges {
  // A new cleaning talks to an agent booted for it, never to one left from an earlier operation.
  const dii: Dict = { ...withoutAgentBootInfo(task.node.driverInternalInfo), clean_steps: steps, cleaning_disable_ramdisk: disableRamdisk };
  delete dii.clean_step_index;
  return { driverInternalInfo: dii, cleanStep: {}, lastError: null };
}

/**
 * Inspection: the inspect interface reports the hardware (or "wait" for a callback); the data is
 * processed (inventory stored, ports, properties, inspection rules, resource class) and the node
 * goes back to manageable. Any failure → "inspect failed" with last_error (via guarded()).
 */
export async function inspectFlow(task: NodeTask): Promise<void> {
  const ifaces = interfacesFor(task.node);
  const started = task.node.inspectionStartedAt ?? new Date();
  await task.history({ kind: "inspection", message: `Inspection started (inspect interface ${ifaces.inspect.name})` }, "introspection");
  await ifaces.inspect.validate(task);
  const outcome = await ifaces.inspect.inspectHardware(task);
  if (outcome === "wait") {
    await task.transition("wait", { eventType: "introspection" });
    return;
  }
  if (outcome === "done") {
    await task.history({ kind: "inspection", message: "Inspection finished: the inspect interface reported no hardware data; nothing changed" }, "introspection", "INFO", secondsSince(started));
    await task.transition("done", { eventType: "introspection", changes: { inspectionFinishedAt: new Date(), inspectionStartedAt: null } });
    return;
  }
  await finishInspection(task, outcome, started);
}

function secondsSince(started: Date | null): number | null {
  return started ? Math.round(Math.max(0, Date.now() - started.getTime())) / 1000 : null;
}

/** Processes inspection data and completes the inspection (also the entry point for callbacks). */
export async function finishInspection(task: NodeTask, data: InspectionData, started: Date | null = task.node.inspectionStartedAt): Promise<void> {
  const result = await processInspectionData(task, data);
  await task.history({ kind: "inspection", message: `Inspection finished: ${inspectionSummary(data.inventory, result)}` }, "introspection", "INFO", secondsSince(started));
  await task.transition("done", {
    eventType: "introspection",
    changes: { inspectionFinishedAt: new Date(), inspectionStartedAt: null },
  });
}

export async function rescueFlow(task: NodeTask): Promise<void> {
  const ifaces = interfacesFor(task.node);
  await ifaces.rescue.validate(task);
  const outcome = await ifaces.rescue.rescue(task);
  if (outcome === "wait") await task.transition("wait", { eventType: "provisioning" });
  else await task.transition("done", { eventType: "provisioning" });
}

/** The rescue ramdisk's agent called back: it gets the rescue password, the node is in rescue. */
export async function finishRescueFlow(task: NodeTask): Promise<void> {
  await task.transition("resume", { eventType: "provisioning" });
  await interfacesFor(task.node).rescue.finishRescue!(task);
  await task.transition("done", { eventType: "provisioning" });
}

export async function unrescueFlow(task: NodeTask): Promise<void> {
  const ifaces = interfacesFor(task.node);
  await ifaces.rescue.unrescue(task);
  const instanceInfo = { ...task.node.instanceInfo };
  delete instanceInfo.rescue_password;
  delete instanceInfo.hashed_rescue_password;
  await task.transition("done", { eventType: "provisioning", changes: { instanceInfo } });
}

export async function adoptFlow(task: NodeTask): Promise<void> {
  const ifaces = interfacesFor(task.node);
  await ifaces.boot.validate(task);
  await ifaces.deploy.takeOver(task);
  await task.transition("done", { eventType: "adoption" });
}

/** After unhold (node now in a *wait state): resume into the running state and continue its steps. */
export async function resumeStepsFlow(task: NodeTask, kind: StepKind): Promise<void> {
  await recordStepFinished(task, kind, "step_released");
  await task.transition("resume", { eventType: "provisioning", changes: stepFinishedChanges(task, kind) });
  await runRemaining(task, kind);
}

/** Marks the current step finished (its callback came, or its hold was released). */
function stepFinishedChanges(task: NodeTask, kind: StepKind): NodeChanges {
  return { driverInternalInfo: { ...task.node.driverInternalInfo, [finishedKey(kind)]: true } };
}

async function runRemaining(task: NodeTask, kind: StepKind, run: StepsRun = {}): Promise<void> {
  if (kind === "clean") await cleanFlow(task, run);
  else if (kind === "deploy") await deployFlow(task, run);
  else await serviceFlow(task, run);
}

/**
 * The callback ending an asynchronous step (node in a *wait state): a step whose work still runs
 * goes on waiting; else the step is recorded as finished, then the operation aborts if an abort
 * was flagged on a non-abortable step and steps remain (reference §1.3), or resumes and runs the rest.
 */
export async function continueStepsFlow(task: NodeTask, kind: StepKind): Promise<void> {
  if ((await waitingStepOutcome(task, kind)) === "wait") return;
  await recordStepFinished(task, kind);
  const current = task.node[STEP_FIELD[kind]] as Dict;
  const steps = (task.node.driverInternalInfo[stepsKey(kind)] as NodeStep[] | null) ?? [];
  const index = task.node.driverInternalInfo[indexKey(kind)];
  const more = typeof index === "number" && index + 1 < steps.length;
  if (current.abort_after === true && more) {
    const what = kind === "service" ? "service" : kind;
    const lastError = abortMessage(what, current);
    await task.transition("fail", {
      eventType: "provisioning", severity: "ERROR", note: lastError,
      changes: { lastError, [STEP_FIELD[kind]]: {} } as NodeChanges,
    });
    return;
  }
  await task.transition("resume", { eventType: "provisioning", changes: stepFinishedChanges(task, kind) });
  await runRemaining(task, kind);
}

export const FAILURE_PREFIX: Record<string, string> = {
  [S.VERIFYING]: "Verification",
  [S.CLEANING]: "Cleaning",
  [S.DEPLOYING]: "Deployment",
  [S.DELETING]: "Tear down",
  [S.INSPECTING]: "Inspection",
  [S.RESCUING]: "Rescue",
  [S.UNRESCUING]: "Unrescue",
  [S.ADOPTING]: "Adoption",
  [S.SERVICING]: "Servicing",
};

/** The step kind each step-running state runs. */
const STEP_KIND_OF_STATE: Partial<Record<string, StepKind>> = { [S.DEPLOYING]: "deploy", [S.CLEANING]: "clean", [S.SERVICING]: "service" };

/** The flows of the other running states: each is written to be run again from its start. */
const RESTARTABLE_FLOW: Partial<Record<string, (task: NodeTask) => Promise<void>>> = {
  [S.VERIFYING]: verifyFlow, [S.INSPECTING]: inspectFlow, [S.ADOPTING]: adoptFlow, [S.RESCUING]: rescueFlow,
  [S.UNRESCUING]: unrescueFlow, [S.DELETING]: tearDownFlow,
};

/** How the interrupted operation of a node in a running state goes on, or why it cannot. */
export type ResumePlan =
  | { resume: true; what: string; flow: () => Promise<void> }
  | { resume: false; reason: string };

/**
 * The operation of a node left in a running state by a conductor that stopped (died or restarted)
 * mid-flow, as the node's new owner resumes it: deploying, cleaning and servicing continue from
 * the interrupted step, run again unless it had finished (a step that declares itself not
 * re-runnable is refused); the other running states run their flow again from the start.
 */
export function planResume(task: NodeTask): ResumePlan {
  const state = task.node.provisionState;
  const operation = (FAILURE_PREFIX[state] ?? state).toLowerCase();
  const kind = STEP_KIND_OF_STATE[state];
  if (!kind) {
    const flow = RESTARTABLE_FLOW[state];
    if (!flow) return { resume: false, reason: `the "${state}" state has no operation to resume` };
    return { resume: true, what: `the ${operation} starts again`, flow: () => flow(task) };
  }
  const dii = task.node.driverInternalInfo;
  const steps = dii[stepsKey(kind)];
  const index = dii[indexKey(kind)];
  // finishSteps leaves null once every step ran; a list never stored leaves nothing to go on.
  if (steps === null) {
    return { resume: true, what: `its ${kind} steps had all run; the ${operation} is completed`, flow: () => runRemaining(task, kind) };
  }
  if (!Array.isArray(steps)) return { resume: false, reason: `the node has no record of its ${kind} steps` };
  if (typeof index !== "number") {
    return { resume: true, what: `no ${kind} step had started; the ${operation} starts again`, flow: () => runRemaining(task, kind) };
  }
  const step = (steps as NodeStep[])[index];
  if (!step) return { resume: true, what: `the ${operation} continues after its last step`, flow: () => runRemaining(task, kind) };
  const name = `${kind} step ${step.interface}.${step.step}`;
  if (dii[finishedKey(kind)] === true) {
    return { resume: true, what: `${name} had finished; the ${operation} continues with the next step`, flow: () => runRemaining(task, kind) };
  }
  if (!isReservedStep(step.step)) {
    const decl = findStepImpl(task.node, kind, step.interface, step.step);
    if (!decl) return { resume: false, reason: `${name} was running and the node's interfaces no longer offer it` };
    if (decl.rerunnable === false) {
      return { resume: false, reason: `${name} was running and is not re-runnable (running it again after an interruption is not safe)` };
    }
  }
  return { resume: true, what: `${name} was interrupted and runs again`, flow: () => runRemaining(task, kind, { rerunCurrent: true }) };
}

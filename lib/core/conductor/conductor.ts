// The conductor: takes node locks, validates requests, and hands accepted work to the worker pool.
// Implements ConductorApi (what the API calls).
import { config, type IngotConfig } from "../config.ts";
import { readConsoleLog } from "../console/log.ts";
import { deleteNodeRow, getNodeById, updateNode, type Dict, type NodeChanges, type NodeRecord } from "../db/nodes.ts";
import { sql as processSql, type Sql } from "../db/sql.ts";
import type { StepKind } from "../drivers/base.ts";
import { UnsupportedDriverExtension } from "../drivers/base.ts";
import { interfacesFor } from "../drivers/registry.ts";
import {
  Conflict, DriverError, Invalid, InvalidStateRequested, NodeInMaintenance, NodeNotFound, NodeProtected,
} from "../errors.ts";
import { publishNodeChange } from "../events.ts";
import { recordHistory } from "../history.ts";
import { imageTypeOf } from "../images.ts";
import type { InspectionData } from "../inspection/inventory.ts";
import type { PowerTarget, ProvisionState, Verb } from "../states.ts";
import {
  DELETE_ALLOWED_STATES, isProvisionState, POWER_TARGETS, ProvisionState as S, UNSTABLE_STATES, VERBS, verbAllowedFrom,
} from "../states.ts";
import { checkRunbookMatchesNode, getRunbook, runbookStepRequests } from "../runbooks.ts";
import { sha256Crypt } from "../shacrypt.ts";
import { assembleDeploySteps, findStepImpl, validateAndCheckSteps, type NodeStep } from "../steps.ts";
import { BOOT_FROM_VOLUME_KEY, checkVolumeConnectors } from "../volumes.ts";
import {
  abortMessage, adoptFlow, automatedStepsFor, cleanFlow, cleaningStartChanges, continueStepsFlow, deployFlow, errorMessage,
  FAILURE_PREFIX, finishInspection, finishRescueFlow, guarded, inspectFlow, powerAction, rescueFlow, resumeStepsFlow, serviceFlow, tearDownFlow, unrescueFlow,
  verifyFlow,
} from "./flows.ts";
import { WorkerPool } from "./pool.ts";
import { NodeTask, type LockOptions } from "./task.ts";
import type {
  Actor, BootDevice, ConductorApi, ConsoleInfo, Indicator, ProvisionParams, ValidationResult, VirtualMediaRequest,
} from "./types.ts";
import { deleteNodePortgroups } from "../db/portgroups.ts";
import { deleteNodePorts } from "../db/ports.ts";

/** The interfaces GET /validate reports, in Ironic's order (core first). */
export const VALIDATE_INTERFACES = [
  "boot", "deploy", "management", "network", "power", "bios", "console", "firmware", "inspect", "raid", "rescue", "storage",
] as const;

const HOLD_KIND: Partial<Record<string, StepKind>> = {
  [S.CLEANHOLD]: "clean", [S.DEPLOYHOLD]: "deploy", [S.SERVICEHOLD]: "service",
};

const ABORT_MESSAGE: Partial<Record<string, string>> = {
  [S.CLEANWAIT]: "clean", [S.CLEANHOLD]: "clean", [S.DEPLOYWAIT]: "deploy", [S.DEPLOYHOLD]: "deploy",
  [S.INSPECTWAIT]: "inspection", [S.RESCUEWAIT]: "rescue", [S.SERVICEWAIT]: "service", [S.SERVICEHOLD]: "service",
};

/** Wait states whose running step may be non-abortable (abort then only flags abort_after). */
const WAIT_KIND: Partial<Record<string, StepKind>> = {
  [S.CLEANWAIT]: "clean", [S.DEPLOYWAIT]: "deploy", [S.SERVICEWAIT]: "service",
};
const STEP_FIELD_OF = { clean: "cleanStep", deploy: "deployStep", service: "serviceStep" } as const;

/** How long API-facing calls wait for a node's lock (see lock()). */
export const API_LOCK_WAIT: LockOptions = { retries: 100, retryIntervalMs: 5 };

export interface ConductorOptions {
  hostname?: string;
  workers?: number;
  /** Database to use (default: the process-wide sql()). */
  sql?: Sql;
}

export class Conductor implements ConductorApi {
  readonly hostname: string;
  readonly pool: WorkerPool;
  private readonly explicitSql?: Sql;

  constructor(opts: ConductorOptions = {}, cfg: IngotConfig = config()) {
    this.hostname = opts.hostname ?? cfg.conductorHostname;
    this.pool = new WorkerPool(opts.workers ?? cfg.workers);
    this.explicitSql = opts.sql;
  }

  db(): Promise<Sql> {
    return this.explicitSql ? Promise.resolve(this.explicitSql) : processSql();
  }

  /**
   * Locks a node for this conductor. A lock that is about to be released (a flow writing its last
   * state) is waited for briefly, so a client acting right after `--wait` does not get a 409 and
   * a 2 s retry; a node that stays locked answers 409 within half a second.
   */
  async lock(nodeId: number, actor: Actor, opts: LockOptions = {}): Promise<NodeTask> {
    return NodeTask.acquire(await this.db(), nodeId, this.hostname, actor, { ...API_LOCK_WAIT, ...opts });
  }

  private async readNode(nodeId: number): Promise<NodeRecord> {
    const node = await getNodeById(await this.db(), nodeId);
    if (!node) throw new NodeNotFound(String(nodeId));
    return node;
  }

  /** Runs `fn` holding the lock and releases it afterwards (synchronous operations). */
  private async withLock<T>(nodeId: number, actor: Actor, fn: (task: NodeTask) => Promise<T>): Promise<T> {
    const task = await this.lock(nodeId, actor);
    try {
      return await fn(task);
    } finally {
      await task.release();
    }
  }

  /**
   * Reserves a worker, runs `prepare` (synchronous state changes) and then `work` in the
   * worker, which releases the lock when done. On any error before the work starts, the slot
   * and lock are given back and the error is thrown to the caller.
   */
  private async startAsync(task: NodeTask, prepare: () => Promise<void>, work: () => Promise<void>): Promise<void> {
    let slot;
    try {
      slot = this.pool.reserve();
    } catch (err) {
      await task.release();
      throw err;
    }
    try {
      await prepare();
    } catch (err) {
      slot.cancel();
      await task.release();
      throw err;
    }
    slot.start(work);
  }

  // ---- provisioning ----

  async provision(nodeId: number, verb: Verb, params: ProvisionParams, actor: Actor, minor: number): Promise<void> {
    const def = VERBS[verb];
    if (!def) throw new InvalidStateRequested(String(verb), String(nodeId), "unknown");
    const task = await this.lock(nodeId, actor);
    try {
      const node = task.node;
      const state = node.provisionState as ProvisionState;
      if ((verb === "active" || verb === "deploy" || verb === "rebuild" || verb === "clean") && node.maintenance) {
        throw new NodeInMaintenance(verb, node.uuid);
      }
      if (!isProvisionState(state) || !verbAllowedFrom(verb, state, minor)) {
        throw new InvalidStateRequested(verb, node.uuid, state);
      }
      if ((verb === "rebuild" || verb === "deleted" || verb === "undeploy") && node.protected) {
        throw new NodeProtected(node.uuid);
      }
      if (verb === "provide" && node.retired) {
        throw new Invalid(`The providing operation can't be performed on node ${node.uuid} because it is retired.`);
      }
      await this.dispatch(task, verb, params, minor);
    } catch (err) {
      // Refused before any work was handed to a worker: give the lock back (idempotent).
      await task.release();
      throw err;
    }
  }

  /**
   * The validated steps of a manual clean or a service request: the given steps, or a runbook's
   * (reference §5.4: trait match, its disable_ramdisk). Throws Invalid naming each bad step.
   */
  private async requestedSteps(task: NodeTask, kind: "clean" | "service", params: ProvisionParams, minor: number): Promise<{ steps: NodeStep[]; disableRamdisk: boolean }> {
    const node = task.node;
    const given = (kind === "clean" ? params.clean_steps : params.service_steps) ?? [];
    let requests = given;
    let disableRamdisk = params.disable_ramdisk === true;
    if (params.runbook !== undefined && params.runbook !== null) {
      if (given.length) throw new Invalid(`Cannot specify both ${kind}_steps and runbook.`);
      const runbook = await getRunbook(task.sql, params.runbook);
      checkRunbookMatchesNode(runbook, node, minor);
      requests = runbookStepRequests(runbook);
      disableRamdisk = disableRamdisk || runbook.disableRamdisk;
    }
    if (requests.length === 0) throw new Invalid(`Cannot ${kind} node ${node.uuid}: no ${kind} steps were given.`);
    const steps = await validateAndCheckSteps(task.sql, node, kind, requests, { disableRamdisk });
    return { steps, disableRamdisk };
  }

  private async dispatch(task: NodeTask, verb: Verb, params: ProvisionParams, minor: number): Promise<void> {
    const node = task.node;
    const state = node.provisionState;
    const run = (prefix: string, flow: () => Promise<void>) => () => guarded(task, prefix, flow);
    const syncOnly = async (fn: () => Promise<void>) => {
      try {
        await fn();
      } finally {
        await task.release();
      }
    };

    switch (verb) {
      case "manage":
        if (state === S.ENROLL) {
          return this.startAsync(task, async () => {
            await task.transition("manage", { eventType: "verify", changes: { lastError: null } });
          }, run("Verification", () => verifyFlow(task)));
        }
        // available / clean failed / inspect failed / adopt failed → manageable at once.
        return syncOnly(async () => {
          await task.transition("manage", { eventType: "provisioning" });
        });

      case "provide": {
        const steps = automatedStepsFor(task);
        return this.startAsync(task, async () => {
          await task.transition("provide", { eventType: "provisioning", changes: cleaningStartChanges(task, steps) });
        }, run("Cleaning", () => cleanFlow(task)));
      }

      case "clean": {
        const { steps, disableRamdisk } = await this.requestedSteps(task, "clean", params, minor);
        return this.startAsync(task, async () => {
          await task.transition("clean", {
            eventType: "provisioning", target: S.MANAGEABLE,
            changes: cleaningStartChanges(task, steps, disableRamdisk),
          });
        }, run("Cleaning", () => cleanFlow(task)));
      }

      case "inspect":
        return this.startAsync(task, async () => {
          await interfacesFor(node).inspect.validate(task);
          await task.transition("inspect", {
            eventType: "introspection",
            changes: { lastError: null, inspectionStartedAt: new Date(), inspectionFinishedAt: null },
          });
        }, run("Inspection", () => inspectFlow(task)));

      case "active":
      case "deploy":
      case "rebuild": {
        const ifaces = interfacesFor(node);
        await ifaces.power.validate(task);
        await ifaces.deploy.validate(task);
        await ifaces.boot.validate(task);
        await ifaces.storage.validate(task);
        // Boot from volume (reference §10): the storage interface decides; the node then needs a
        // connector reaching its boot target, and the steps that write the local disk are dropped.
        const bootVolume = (await ifaces.storage.shouldWriteImage(task))
          ? null
          : await checkVolumeConnectors(task.sql, node, ifaces.storage.name);
        let steps = await assembleDeploySteps(task.sql, node, params.deploy_steps ?? []);
        if (bootVolume) steps = steps.filter((s) => !findStepImpl(node, "deploy", s.interface, s.step)?.writesImage);
        return this.startAsync(task, async () => {
          const instanceInfo = { ...node.instanceInfo };
          if (params.configdrive !== undefined) instanceInfo.configdrive = params.configdrive;
          const dii: Dict = { ...node.driverInternalInfo, deploy_steps: steps };
          delete dii.deploy_step_index;
          // Recorded as Ironic's update_image_type does when a deployment starts.
          const imageType = imageTypeOf(instanceInfo);
          if (imageType) {
            instanceInfo.image_type = imageType;
            dii.is_whole_disk_image = imageType === "whole-disk";
          }
          if (bootVolume) {
            dii[BOOT_FROM_VOLUME_KEY] = { volume_id: bootVolume.volume_id, volume_type: bootVolume.volume_type, target_uuid: bootVolume.uuid };
          } else {
            delete dii[BOOT_FROM_VOLUME_KEY];
          }
          const changes: NodeChanges = { lastError: null, instanceInfo, driverInternalInfo: dii, deployStep: {} };
          // Automatic lessee (reference §7.3): from instance_info.project_id when none is set.
          const project = instanceInfo.project_id;
          if (!node.lessee && typeof project === "string" && project) {
            changes.lessee = project;
            dii.automatic_lessee = true;
          }
          await task.transition(VERBS[verb].event, { eventType: "provisioning", changes });
        }, run("Deployment", () => deployFlow(task)));
      }

      case "deleted":
      case "undeploy":
        return this.startAsync(task, async () => {
          await task.transition("delete", { eventType: "unprovision", changes: { lastError: null } });
        }, run("Tear down", () => tearDownFlow(task)));

      case "rescue": {
        const password = params.rescue_password;
        if (typeof password !== "string" || password.trim() === "") {
          throw new Invalid('A non-empty "rescue_password" is required when setting target provision state to rescue.');
        }
        await interfacesFor(node).rescue.validate(task);
        return this.startAsync(task, async () => {
          await task.transition("rescue", {
            eventType: "provisioning",
            // The ramdisk gets the password hashed (Ironic: crypt with sha256); both are secrets.
            changes: { lastError: null, instanceInfo: { ...node.instanceInfo, rescue_password: password, hashed_rescue_password: sha256Crypt(password) } },
          });
        }, run("Rescue", () => rescueFlow(task)));
      }

      case "unrescue":
        await interfacesFor(node).rescue.validate(task);
        return this.startAsync(task, async () => {
          await task.transition("unrescue", { eventType: "provisioning", changes: { lastError: null } });
        }, run("Unrescue", () => unrescueFlow(task)));

      case "adopt":
        return this.startAsync(task, async () => {
          await task.transition("adopt", { eventType: "adoption", changes: { lastError: null } });
        }, run("Adoption", () => adoptFlow(task)));

      case "service": {
        const { steps, disableRamdisk } = await this.requestedSteps(task, "service", params, minor);
        return this.startAsync(task, async () => {
          const dii: Dict = { ...node.driverInternalInfo, service_steps: steps, servicing_disable_ramdisk: disableRamdisk };
          delete dii.service_step_index;
          await task.transition("service", { eventType: "provisioning", changes: { lastError: null, driverInternalInfo: dii, serviceStep: {} } });
        }, run("Servicing", () => serviceFlow(task)));
      }

      case "unhold": {
        const kind = HOLD_KIND[state];
        if (!kind) throw new InvalidStateRequested(verb, node.uuid, state);
        return this.startAsync(task, async () => {
          await task.transition("unhold", { eventType: "provisioning", changes: { lastError: null } });
        }, run(FAILURE_PREFIX[kind === "clean" ? S.CLEANING : kind === "deploy" ? S.DEPLOYING : S.SERVICING], () => resumeStepsFlow(task, kind)));
      }

      case "abort":
        return syncOnly(() => this.abort(task));
    }
  }

  private async abort(task: NodeTask): Promise<void> {
    const node = task.node;
    const state = node.provisionState;
    if (state === S.SERVICEFAIL) {
      await task.transition("abort", { eventType: "provisioning", changes: { serviceStep: {} } });
      return;
    }
    const what = ABORT_MESSAGE[state] ?? "current";
    const step = { ...node.cleanStep, ...node.deployStep, ...node.serviceStep } as Record<string, unknown>;
    // A running step that cannot be interrupted: finish it, then abort (reference §1.3).
    const waitKind = WAIT_KIND[state];
    if (waitKind) {
      const running = node[STEP_FIELD_OF[waitKind]] as Record<string, unknown>;
      if (running.step && running.abortable !== true) {
        if (running.abort_after !== true) {
          await task.update({ [STEP_FIELD_OF[waitKind]]: { ...running, abort_after: true } } as NodeChanges);
          await task.history({
            kind: "note",
            message: `Abort requested while ${waitKind} step ${running.interface}.${running.step} runs; it is not abortable, so the ${waitKind} operation will be aborted once it completes`,
          }, "provisioning", "WARNING");
        }
        return;
      }
    }
    const changes: NodeChanges = {
      lastError: abortMessage(what, step),
      cleanStep: {}, deployStep: {}, serviceStep: {},
    };
    if (state === S.RESCUEWAIT) {
      const instanceInfo = { ...node.instanceInfo };
      delete instanceInfo.rescue_password;
      delete instanceInfo.hashed_rescue_password;
      changes.instanceInfo = instanceInfo;
    }
    await task.transition("abort", { eventType: state === S.INSPECTWAIT ? "introspection" : "provisioning", changes });
  }

  /**
   * The callback that ends an asynchronous step (what an agent heartbeat does): the node must be
   * in clean wait / wait call-back / service wait; the running step is recorded as finished and
   * the remaining steps run (or the operation is aborted if abort_after was flagged).
   */
  async continueSteps(nodeId: number, actor: Actor): Promise<void> {
    const task = await this.lock(nodeId, actor);
    const kind = WAIT_KIND[task.node.provisionState];
    const rescue = interfacesFor(task.node).rescue;
    if (task.node.provisionState === S.RESCUEWAIT && rescue.finishRescue) {
      await this.startAsync(task, async () => undefined, () => guarded(task, FAILURE_PREFIX[S.RESCUING], () => finishRescueFlow(task)));
      return;
    }
    if (!kind) {
      await task.release();
      throw new InvalidStateRequested("continue", task.node.uuid, task.node.provisionState);
    }
    await this.startAsync(task, async () => undefined, () => guarded(task, FAILURE_PREFIX[
      kind === "clean" ? S.CLEANING : kind === "deploy" ? S.DEPLOYING : S.SERVICING
    ], () => continueStepsFlow(task, kind)));
  }

  /**
   * Inspection data posted by a ramdisk for a node in "inspect wait": processed in a worker
   * (inventory, ports, properties, rules) and the node moves on to manageable, or to inspect
   * failed with the reason.
   */
  async continueInspection(nodeId: number, data: InspectionData, actor: Actor): Promise<void> {
    const task = await this.lock(nodeId, actor);
    if (task.node.provisionState !== S.INSPECTWAIT) {
      await task.release();
      throw new InvalidStateRequested("continue_inspection", task.node.uuid, task.node.provisionState);
    }
    await this.startAsync(task, async () => undefined, () => guarded(task, FAILURE_PREFIX[S.INSPECTING], async () => {
      await task.transition("resume", { eventType: "introspection" });
      await interfacesFor(task.node).inspect.afterInspection?.(task);
      await finishInspection(task, data);
    }));
  }

  // ---- power, boot mode, console, maintenance ----

  async setPowerState(nodeId: number, target: PowerTarget, timeoutSeconds: number | undefined, actor: Actor): Promise<void> {
    if (!POWER_TARGETS[target]) throw new Invalid(`Invalid power target ${target}.`);
    const task = await this.lock(nodeId, actor);
    const node = task.node;
    const fail = async (err: Error) => {
      await task.release();
      throw err;
    };
    if (node.provisionState === S.CLEANING || node.provisionState === S.CLEANWAIT) {
      return fail(new Invalid(`Can not change power state of node ${node.uuid} while it is in state "${node.provisionState}".`));
    }
    if (node.disablePowerOff && POWER_TARGETS[target].result === "power off") {
      return fail(new Conflict(`Node ${node.uuid} does not allow being powered off (disable_power_off is set).`));
    }
    const ifaces = interfacesFor(node);
    try {
      await ifaces.power.validate(task);
    } catch (err) {
      return fail(err as Error);
    }
    if (!ifaces.power.supportedPowerStates(task).includes(target)) {
      return fail(new Invalid(`The requested power target "${target}" is not supported by the power interface of node ${node.uuid}.`));
    }
    await this.startAsync(task, async () => {
      await task.update({ targetPowerState: POWER_TARGETS[target].result, lastError: null });
    }, async () => {
      try {
        await powerAction(task, target, timeoutSeconds);
      } catch {
        // powerAction already recorded last_error and history.
      } finally {
        await task.release();
      }
    });
  }

  private async unstableGuard(task: NodeTask, what: string): Promise<void> {
    if ((UNSTABLE_STATES as readonly string[]).includes(task.node.provisionState)) {
      throw new Conflict(`The ${what} of node ${task.node.uuid} can not be changed while it is in state "${task.node.provisionState}".`);
    }
  }

  async setBootMode(nodeId: number, mode: "uefi" | "bios", actor: Actor): Promise<void> {
    const task = await this.lock(nodeId, actor);
    const mgmt = interfacesFor(task.node).management;
    await this.startAsync(task, async () => {
      await this.unstableGuard(task, "boot mode");
      if (!mgmt.setBootMode) throw new UnsupportedDriverExtension(task.node.driver, "set_boot_mode");
    }, () => guardedSimple(task, `Setting boot mode to ${mode}`, async () => {
      await mgmt.setBootMode!(task, mode);
      await task.update({ bootMode: mode, lastError: null });
      await task.history({ kind: "management", message: `Boot mode set to "${mode}"` }, "provisioning");
    }));
  }

  async setSecureBoot(nodeId: number, enabled: boolean, actor: Actor): Promise<void> {
    const task = await this.lock(nodeId, actor);
    const mgmt = interfacesFor(task.node).management;
    await this.startAsync(task, async () => {
      await this.unstableGuard(task, "secure boot state");
      if (!mgmt.setSecureBoot) throw new UnsupportedDriverExtension(task.node.driver, "set_secure_boot_state");
    }, () => guardedSimple(task, `Setting secure boot to ${enabled}`, async () => {
      await mgmt.setSecureBoot!(task, enabled);
      await task.update({ secureBoot: enabled, lastError: null });
      await task.history({ kind: "management", message: `Secure boot ${enabled ? "enabled" : "disabled"}` }, "provisioning");
    }));
  }

  async setConsoleMode(nodeId: number, enabled: boolean, actor: Actor): Promise<void> {
    const node = await this.readNode(nodeId);
    const console_ = interfacesFor(node).console;
    await console_.validate(NodeTask.shared(await this.db(), node, this.hostname));
    if (node.consoleEnabled === enabled) return; // already there: nothing to do
    const task = await this.lock(nodeId, actor);
    await this.startAsync(task, async () => undefined, async () => {
      try {
        if (enabled) await console_.startConsole(task);
        else await console_.stopConsole(task);
        await task.update({ consoleEnabled: enabled, lastError: null });
        await task.history({ kind: "console", message: `Console ${enabled ? "enabled" : "disabled"}` }, "console");
      } catch (err) {
        const msg = `Failed to ${enabled ? "start" : "stop"} the console of node ${task.node.uuid}: ${errorMessage(err)}`;
        await task.update({ lastError: msg }).catch(() => undefined);
        await task.history({ kind: "console", message: msg }, "console", "ERROR").catch(() => undefined);
      } finally {
        await task.release();
      }
    });
  }

  async getConsole(nodeId: number): Promise<ConsoleInfo> {
    const node = await this.readNode(nodeId);
    const console_ = interfacesFor(node).console;
    const shared = NodeTask.shared(await this.db(), node, this.hostname);
    await console_.validate(shared);
    if (!node.consoleEnabled) return { console_enabled: false, console_info: null };
    return { console_enabled: true, console_info: await console_.getConsole(shared) };
  }

  async readConsoleLog(nodeId: number, bytes: number | null): Promise<string> {
    const node = await this.readNode(nodeId);
    return readConsoleLog(node.uuid, bytes ?? Infinity).toString("base64");
  }

  /** Sets or clears maintenance without the lock (it is how operators rescue stuck nodes). */
  async setMaintenance(nodeId: number, on: boolean, reason: string | null, actor: Actor): Promise<void> {
    const db = await this.db();
    const node = await this.readNode(nodeId);
    const changes: NodeChanges = on
      ? { maintenance: true, maintenanceReason: reason ?? null }
      : { maintenance: false, maintenanceReason: null, fault: null };
    const fresh = await updateNode(db, node.id, changes);
    if (!fresh) throw new NodeNotFound(node.uuid);
    publishNodeChange(fresh);
    await recordHistory(db, fresh, {
      event: { kind: "maintenance", message: on ? `Maintenance set${reason ? `: ${reason}` : ""}` : "Maintenance cleared" },
      eventType: "conductor", user: actor.user, project: actor.project, conductor: this.hostname,
    });
  }

  // ---- management ----

  async getBootDevice(nodeId: number): Promise<BootDevice> {
    const node = await this.readNode(nodeId);
    const task = NodeTask.shared(await this.db(), node, this.hostname);
    const mgmt = interfacesFor(node).management;
    await mgmt.validate(task);
    return mgmt.getBootDevice(task);
  }

  async getSupportedBootDevices(nodeId: number): Promise<string[]> {
    const node = await this.readNode(nodeId);
    return interfacesFor(node).management.getSupportedBootDevices(NodeTask.shared(await this.db(), node, this.hostname));
  }

  async setBootDevice(nodeId: number, device: string, persistent: boolean, actor: Actor): Promise<void> {
    await this.withLock(nodeId, actor, async (task) => {
      const mgmt = interfacesFor(task.node).management;
      await mgmt.validate(task);
      const supported = await mgmt.getSupportedBootDevices(task);
      if (!supported.includes(device)) throw new Invalid(`Invalid boot device ${device} specified.`);
      await mgmt.setBootDevice(task, device, persistent);
    });
  }

  async injectNmi(nodeId: number, actor: Actor): Promise<void> {
    await this.withLock(nodeId, actor, async (task) => {
      const mgmt = interfacesFor(task.node).management;
      if (!mgmt.injectNmi) throw new UnsupportedDriverExtension(task.node.driver, "inject_nmi");
      await mgmt.injectNmi(task);
      await task.history({ kind: "management", message: "NMI injected" }, "provisioning");
    });
  }

  async getIndicators(nodeId: number): Promise<Indicator[]> {
    const node = await this.readNode(nodeId);
    const mgmt = interfacesFor(node).management;
    if (!mgmt.getIndicators) throw new UnsupportedDriverExtension(node.driver, "get_supported_indicators");
    return mgmt.getIndicators(NodeTask.shared(await this.db(), node, this.hostname));
  }

  async getIndicatorState(nodeId: number, component: string, indicator: string): Promise<string> {
    const node = await this.readNode(nodeId);
    const mgmt = interfacesFor(node).management;
    if (!mgmt.getIndicatorState) throw new UnsupportedDriverExtension(node.driver, "get_indicator_state");
    return mgmt.getIndicatorState(NodeTask.shared(await this.db(), node, this.hostname), component, indicator);
  }

  async setIndicatorState(nodeId: number, component: string, indicator: string, state: string, actor: Actor): Promise<void> {
    await this.withLock(nodeId, actor, async (task) => {
      const mgmt = interfacesFor(task.node).management;
      if (!mgmt.setIndicatorState) throw new UnsupportedDriverExtension(task.node.driver, "set_indicator_state");
      await mgmt.setIndicatorState(task, component, indicator, state);
    });
  }

  async validate(nodeId: number): Promise<Record<string, ValidationResult>> {
    const node = await this.readNode(nodeId);
    const ifaces = interfacesFor(node);
    const task = NodeTask.shared(await this.db(), node, this.hostname);
    const out: Record<string, ValidationResult> = {};
    for (const kind of VALIDATE_INTERFACES) {
      try {
        await ifaces[kind].validate(task);
        out[kind] = { result: true };
      } catch (err) {
        out[kind] = { result: false, reason: errorMessage(err) };
      }
    }
    return out;
  }

  // ---- VIFs ----

  async vifList(nodeId: number): Promise<{ id: string }[]> {
    const node = await this.readNode(nodeId);
    return interfacesFor(node).network.vifList(NodeTask.shared(await this.db(), node, this.hostname));
  }

  async vifAttach(nodeId: number, vif: { id: string; port_uuid?: string; portgroup_uuid?: string }, actor: Actor): Promise<void> {
    await this.withLock(nodeId, actor, async (task) => {
      const net = interfacesFor(task.node).network;
      await net.validate(task);
      await net.vifAttach(task, vif);
      publishNodeChange(task.node);
    });
  }

  async vifDetach(nodeId: number, vifId: string, actor: Actor): Promise<void> {
    await this.withLock(nodeId, actor, async (task) => {
      await interfacesFor(task.node).network.vifDetach(task, vifId);
      publishNodeChange(task.node);
    });
  }

  // ---- virtual media ----

  async vmediaAttach(nodeId: number, media: VirtualMediaRequest, actor: Actor): Promise<void> {
    await this.withLock(nodeId, actor, async (task) => {
      const mgmt = interfacesFor(task.node).management;
      if (!mgmt.attachVirtualMedia) throw new UnsupportedDriverExtension(task.node.driver, "attach_virtual_media");
      await this.unstableGuard(task, "virtual media");
      await mgmt.validate(task);
      await mgmt.attachVirtualMedia(task, { ...media });
      await task.history({ kind: "management", message: `Virtual media ${media.device_type} attached from ${media.image_url}` }, "provisioning");
    });
  }

  async vmediaDetach(nodeId: number, deviceTypes: string[] | null, actor: Actor): Promise<void> {
    await this.withLock(nodeId, actor, async (task) => {
      const mgmt = interfacesFor(task.node).management;
      if (!mgmt.detachVirtualMedia) throw new UnsupportedDriverExtension(task.node.driver, "detach_virtual_media");
      await this.unstableGuard(task, "virtual media");
      await mgmt.validate(task);
      await mgmt.detachVirtualMedia(task, deviceTypes ?? undefined);
      await task.history({ kind: "management", message: `Virtual media detached (${deviceTypes ? deviceTypes.join(", ") : "all devices"})` }, "provisioning");
    });
  }

  async vmediaGet(nodeId: number): Promise<VirtualMediaRequest[]> {
    const node = await this.readNode(nodeId);
    const mgmt = interfacesFor(node).management;
    if (!mgmt.getVirtualMedia) throw new UnsupportedDriverExtension(node.driver, "get_virtual_media");
    return mgmt.getVirtualMedia(NodeTask.shared(await this.db(), node, this.hostname));
  }

  // ---- delete ----

  async destroyNode(nodeId: number, actor: Actor): Promise<void> {
    const task = await this.lock(nodeId, actor);
    let deleted = false;
    try {
      const node = task.node;
      if (node.protected) throw new NodeProtected(node.uuid);
      if (!node.maintenance && !(DELETE_ALLOWED_STATES as readonly string[]).includes(node.provisionState)) {
        const valid = `(${DELETE_ALLOWED_STATES.map((s) => `'${s}'`).join(", ")})`;
        throw new Conflict(
          `Can not delete node "${node.uuid}" while it is in provision state "${node.provisionState}". Valid provision states to perform deletion are: "${valid}", or set the node into maintenance mode`,
        );
      }
      if (node.consoleEnabled) {
        try {
          await interfacesFor(node).console.stopConsole(task);
        } catch (err) {
          throw new DriverError(`Failed to stop the console of node ${node.uuid} before deleting it: ${errorMessage(err)}`);
        }
      }
      await task.sql.tx(async (tx) => {
        await tx.run(`DELETE FROM "Allocation" WHERE "nodeId" = ?`, [node.id]);
        if (node.allocationId !== null) await tx.run(`DELETE FROM "Allocation" WHERE "id" = ?`, [node.allocationId]);
        await deleteNodePorts(tx, node.id);
        await deleteNodePortgroups(tx, node.id);
        await deleteNodeRow(tx, node.id); // traits, history, BIOS, inventory, volumes cascade
      });
      deleted = true;
      publishNodeChange(node, { deleted: true, reservation: null });
    } finally {
      if (!deleted) await task.release();
    }
  }

  // ---- vendor passthru ----

  async vendorPassthruMethods(nodeId: number): Promise<Record<string, unknown>> {
    const node = await this.readNode(nodeId);
    const vendor = interfacesFor(node).vendor;
    const out: Record<string, unknown> = {};
    for (const [name, m] of Object.entries(vendor.methods)) {
      out[name] = {
        http_methods: m.httpMethods, async: m.async, description: m.description, attach: m.attach,
        require_exclusive_lock: m.requireExclusiveLock,
      };
    }
    return out;
  }

  async vendorPassthru(nodeId: number, method: string, httpMethod: string, body: unknown, actor: Actor): Promise<{ async: boolean; result: unknown }> {
    const node = await this.readNode(nodeId);
    const vendor = interfacesFor(node).vendor;
    const db = await this.db();
    await vendor.validate(NodeTask.shared(db, node, this.hostname));
    const m = Object.prototype.hasOwnProperty.call(vendor.methods, method) ? vendor.methods[method] : undefined;
    if (!m) throw new Invalid(`No handler for method ${method}`);
    if (!m.httpMethods.includes(httpMethod.toUpperCase())) throw new Invalid(`The method ${method} does not support HTTP ${httpMethod.toUpperCase()}`);
    const args = (body && typeof body === "object" ? body : {}) as Record<string, unknown>;
    m.validateArgs?.(NodeTask.shared(db, node, this.hostname), args);
    if (!m.requireExclusiveLock) {
      const shared = NodeTask.shared(db, node, this.hostname);
      if (!m.async) return { async: false, result: await m.run(shared, httpMethod, args) };
      const slot = this.pool.reserve();
      slot.start(async () => {
        await m.run(shared, httpMethod, args);
      });
      return { async: true, result: null };
    }
    const task = await this.lock(nodeId, actor);
    if (!m.async) {
      try {
        return { async: false, result: await m.run(task, httpMethod, args) };
      } finally {
        await task.release();
      }
    }
    await this.startAsync(task, async () => undefined, () => guardedSimple(task, `Vendor method ${method}`, async () => {
      await m.run(task, httpMethod, args);
    }));
    return { async: true, result: null };
  }
}

/** For non-provisioning async work: a failure sets last_error and history, the lock is released. */
async function guardedSimple(task: NodeTask, what: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    const msg = `${what} failed on node ${task.node.uuid}: ${errorMessage(err)}`;
    await task.update({ lastError: msg }).catch(() => undefined);
    await task.history({ kind: "operation_failed", message: msg }, "provisioning", "ERROR").catch(() => undefined);
  } finally {
    await task.release();
  }
}

/** Steps currently stored for a node (used by the dashboard to show progress). */
export function storedSteps(node: NodeRecord, kind: StepKind): unknown[] {
  const steps = node.driverInternalInfo[`${kind}_steps`];
  return Array.isArray(steps) ? steps : [];
}


// How a bulk job performs one node's action: the same services the API's handlers call, as the
// job's creator, so each node gets exactly the policy, state checks and messages a direct API
// call would. A refusal (IronicError) becomes ActionFailed with the API's message and status.
import type { Dict, JobAction, JobExecutor } from "../jobs.ts";
import { ActionFailed } from "../jobs.ts";
import { IronicError } from "../errors.ts";
import { MAX_MINOR } from "../microversion.ts";
import { lastErrorSeenBy } from "../node_redaction.ts";
import type { Principal } from "../policy.ts";
import type { PatchOperation } from "../jsonpatch.ts";
import { visibleNode } from "./access.ts";
import { setPowerState, setProvisionState } from "./node_states.ts";
import { addTrait, clearMaintenance, removeTrait, setMaintenance } from "./node_subresources.ts";
import { deleteNode, patchNode, publishNodeWrite } from "./nodes.ts";

type Perform = (principal: Principal, nodeUuid: string, args: Dict) => Promise<void>;

const provision = (target: string, extra: (args: Dict) => Dict = () => ({})): Perform =>
  (principal, uuid, args) => setProvisionState(principal, uuid, { target, ...extra(args) });

const power = (target: string): Perform => (principal, uuid) => setPowerState(principal, uuid, { target });

/** A PATCH as the API would apply it; open dashboards hear of it as they do of the API's writes. */
async function patch(principal: Principal, uuid: string, ops: PatchOperation[]): Promise<void> {
  const node = await patchNode(principal, uuid, ops, { minor: MAX_MINOR });
  await publishNodeWrite(node.id);
}

function setField(field: string, value: unknown): PatchOperation[] {
  return value === null || value === undefined ? [{ op: "remove", path: `/${field}` }] : [{ op: "replace", path: `/${field}`, value }];
}

async function eachTrait(principal: Principal, uuid: string, args: Dict, change: typeof addTrait): Promise<void> {
  const node = await visibleNode(principal, uuid);
  for (const trait of args.traits as string[]) await change(principal, node.uuid, trait);
  await publishNodeWrite(node.id);
}

const PERFORM: Record<JobAction, Perform> = {
  manage: provision("manage"),
  provide: provision("provide"),
  inspect: provision("inspect"),
  clean: provision("clean", (args) => ({
    clean_steps: args.clean_steps as Dict[],
    ...(args.disable_ramdisk !== undefined ? { disable_ramdisk: args.disable_ramdisk as boolean } : {}),
  })),
  async deploy(principal, uuid, args) {
    // As `openstack baremetal node set --instance-info …` then `node deploy` would.
    await patch(principal, uuid, Object.entries(args).map(([k, value]) => ({ op: "add", path: `/instance_info/${k}`, value })));
    await setProvisionState(principal, uuid, { target: "active" });
  },
  undeploy: provision("deleted"),
  power_on: power("power on"),
  power_off: power("power off"),
  reboot: power("rebooting"),
  maintenance_on: (principal, uuid, args) => setMaintenance(principal, uuid, (args.reason as string | undefined) ?? null),
  maintenance_off: (principal, uuid) => clearMaintenance(principal, uuid),
  set_owner: (principal, uuid, args) => patch(principal, uuid, setField("owner", args.owner)),
  set_lessee: (principal, uuid, args) => patch(principal, uuid, setField("lessee", args.lessee)),
  add_traits: (principal, uuid, args) => eachTrait(principal, uuid, args, addTrait),
  remove_traits: (principal, uuid, args) => eachTrait(principal, uuid, args, removeTrait),
  async delete(principal, uuid) {
    await deleteNode(principal, await visibleNode(principal, uuid));
  },
};

export const serviceJobExecutor: JobExecutor = {
  async perform(action, args, nodeUuid, principal) {
    try {
      await PERFORM[action](principal, nodeUuid, args);
    } catch (err) {
      if (err instanceof IronicError) throw new ActionFailed(err.message, err.status);
      throw err;
    }
  },
  async lastError(nodeUuid, principal) {
    return lastErrorSeenBy(await visibleNode(principal, nodeUuid), principal);
  },
};

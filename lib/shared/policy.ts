// One policy engine for the API, the dashboard, server actions and websockets (reference §7).
// Rules name who may act: a system role, or a role in the project that owns or leases the target.
// Pure (lib/shared): the dashboard decides what to offer with the same rules the API enforces.

export type Role = "admin" | "member" | "reader";

export interface Principal {
  userId: string | null;
  username: string;
  /** System-scoped role, or null for project-scoped callers. */
  systemRole: Role | null;
  /** The project the caller acts in (null for system scope). */
  projectId: string | null;
  projectRole: Role | null;
  /** INGOT_API_AUTH=noauth: every rule passes (secrets stay masked). */
  noauth?: boolean;
}

export const NOAUTH_PRINCIPAL: Principal = {
  userId: null, username: "noauth", systemRole: "admin", projectId: null, projectRole: null, noauth: true,
};

/** What a rule is checked against: the owner/lessee project of the node (or other resource). */
export interface PolicyTarget {
  owner?: string | null;
  lessee?: string | null;
}

const RANK: Record<Role, number> = { reader: 1, member: 2, admin: 3 };

/** Role implication: admin ⊇ member ⊇ reader. */
export function hasRole(actual: Role | null, needed: Role): boolean {
  return actual !== null && RANK[actual] >= RANK[needed];
}

type Who = "system" | "owner" | "lessee" | "project";
type Grant = `${Who}:${Role}`;

// sys:X = system role X; owner:X / lessee:X = role X in the target's owner / lessee project;
// project:X = role X in any project (used for create-in-own-project and lists).
const SYS_READER: Grant[] = ["system:reader"];
const NODE_READ: Grant[] = ["system:reader", "owner:reader", "lessee:reader"];
const NODE_MEMBER: Grant[] = ["system:member", "owner:member", "lessee:member"];
const OWNER_MEMBER: Grant[] = ["system:member", "owner:member"];
const OWNER_MEMBER_LESSEE_ADMIN: Grant[] = ["system:member", "owner:member", "lessee:admin"];
const OWNER_ADMIN: Grant[] = ["system:member", "owner:admin"];
const SYS_MEMBER: Grant[] = ["system:member"];
const SYS_ADMIN: Grant[] = ["system:admin"];
const OWNER_READER: Grant[] = ["system:reader", "owner:reader"];

export const RULES: Record<string, Grant[]> = {
  "baremetal:node:get": NODE_READ,
  "baremetal:node:list": ["system:reader", "project:reader"],
  "baremetal:node:list_all": SYS_READER,
  "baremetal:node:create": ["system:admin", "project:admin"],
  "baremetal:node:delete": ["system:admin", "owner:admin"],
  "baremetal:node:update": NODE_MEMBER,
  "baremetal:node:update_extra": NODE_MEMBER,
  "baremetal:node:update_instance_info": OWNER_MEMBER_LESSEE_ADMIN,
  "baremetal:node:update:driver_info": OWNER_MEMBER,
  "baremetal:node:update:properties": OWNER_MEMBER,
  "baremetal:node:update:chassis_uuid": SYS_ADMIN,
  "baremetal:node:update:instance_uuid": OWNER_MEMBER,
  "baremetal:node:update:lessee": OWNER_MEMBER,
  "baremetal:node:update:owner": SYS_MEMBER,
  "baremetal:node:update:driver_interfaces": OWNER_ADMIN,
  "baremetal:node:update:network_data": OWNER_MEMBER,
  "baremetal:node:update:conductor_group": SYS_MEMBER,
  "baremetal:node:update:name": OWNER_MEMBER,
  "baremetal:node:update:retired": OWNER_MEMBER,
  "baremetal:node:update:shard": SYS_ADMIN,
  "baremetal:node:update:parent_node": SYS_MEMBER,
  "baremetal:node:update:disable_power_off": SYS_ADMIN,
  "baremetal:node:update_owner_provisioned": SYS_ADMIN,
  "baremetal:node:disable_cleaning": SYS_ADMIN,
  "baremetal:node:validate": OWNER_MEMBER_LESSEE_ADMIN,
  "baremetal:node:set_maintenance": OWNER_MEMBER_LESSEE_ADMIN,
  "baremetal:node:clear_maintenance": OWNER_MEMBER_LESSEE_ADMIN,
  "baremetal:node:get_boot_device": OWNER_ADMIN,
  "baremetal:node:set_boot_device": OWNER_ADMIN,
  "baremetal:node:get_indicator_state": NODE_READ,
  "baremetal:node:set_indicator_state": OWNER_MEMBER,
  "baremetal:node:inject_nmi": OWNER_ADMIN,
  "baremetal:node:get_states": NODE_READ,
  "baremetal:node:set_power_state": NODE_MEMBER,
  "baremetal:node:set_boot_mode": NODE_MEMBER,
  "baremetal:node:set_secure_boot": NODE_MEMBER,
  "baremetal:node:set_provision_state": OWNER_MEMBER_LESSEE_ADMIN,
  "baremetal:node:set_provision_state:clean_steps": OWNER_MEMBER_LESSEE_ADMIN,
  "baremetal:node:set_provision_state:service_steps": OWNER_MEMBER_LESSEE_ADMIN,
  "baremetal:node:set_raid_state": OWNER_MEMBER,
  "baremetal:node:get_console": OWNER_MEMBER,
  "baremetal:node:set_console_state": OWNER_MEMBER,
  "baremetal:node:vif:list": NODE_READ,
  "baremetal:node:vif:attach": OWNER_MEMBER_LESSEE_ADMIN,
  "baremetal:node:vif:detach": OWNER_MEMBER_LESSEE_ADMIN,
  "baremetal:node:traits:list": NODE_READ,
  "baremetal:node:traits:set": OWNER_ADMIN,
  "baremetal:node:traits:delete": OWNER_ADMIN,
  "baremetal:node:bios:get": NODE_READ,
  "baremetal:node:history:get": OWNER_READER,
  "baremetal:node:firmware:get": NODE_READ,
  "baremetal:node:vmedia:get": NODE_READ,
  "baremetal:node:vmedia:attach": NODE_MEMBER,
  "baremetal:node:vmedia:detach": NODE_MEMBER,
  "baremetal:node:inventory:get": OWNER_READER,
  "baremetal:node:get:last_error": OWNER_READER,
  "baremetal:node:get:reservation": OWNER_READER,
  "baremetal:node:get:driver_internal_info": OWNER_READER,
  "baremetal:node:get:driver_info": OWNER_READER,
  "baremetal:node:vendor_passthru": SYS_ADMIN,
  "baremetal:node:ipa_heartbeat": ["system:reader", "project:reader"],
  "baremetal:port:get": NODE_READ,
  "baremetal:port:list": ["system:reader", "project:reader"],
  "baremetal:port:list_all": SYS_READER,
  "baremetal:port:create": ["system:admin", "owner:admin"],
  "baremetal:port:delete": ["system:admin", "owner:admin"],
  "baremetal:port:update": OWNER_ADMIN,
  "baremetal:portgroup:get": NODE_READ,
  "baremetal:portgroup:list": ["system:reader", "project:reader"],
  "baremetal:portgroup:list_all": SYS_READER,
  "baremetal:portgroup:create": ["system:admin", "owner:admin"],
  "baremetal:portgroup:delete": ["system:admin", "owner:admin"],
  "baremetal:portgroup:update": OWNER_ADMIN,
  "baremetal:volume:get": NODE_READ,
  "baremetal:volume:list": ["system:reader", "project:reader"],
  "baremetal:volume:list_all": SYS_READER,
  "baremetal:volume:create": ["system:member", "owner:admin", "lessee:admin"],
  "baremetal:volume:delete": ["system:member", "owner:admin", "lessee:admin"],
  "baremetal:volume:update": ["system:member", "owner:member", "lessee:admin"],
  "baremetal:volume:view_target_properties": SYS_READER,
  "baremetal:chassis:get": SYS_READER,
  "baremetal:chassis:create": SYS_ADMIN,
  "baremetal:chassis:delete": SYS_ADMIN,
  "baremetal:chassis:update": SYS_MEMBER,
  "baremetal:driver:get": SYS_READER,
  "baremetal:driver:get_properties": SYS_READER,
  "baremetal:driver:get_raid_logical_disk_properties": SYS_READER,
  "baremetal:driver:vendor_passthru": SYS_ADMIN,
  "baremetal:conductor:get": SYS_READER,
  "baremetal:shards:get": SYS_READER,
  "baremetal:deploy_template:get": SYS_READER,
  "baremetal:deploy_template:create": SYS_ADMIN,
  "baremetal:deploy_template:update": SYS_ADMIN,
  "baremetal:deploy_template:delete": SYS_ADMIN,
  "baremetal:inspection_rule:get": SYS_READER,
  "baremetal:inspection_rule:create": SYS_ADMIN,
  "baremetal:inspection_rule:update": SYS_ADMIN,
  "baremetal:inspection_rule:delete": SYS_ADMIN,
  "baremetal:allocation:get": ["system:reader", "owner:reader"],
  "baremetal:allocation:list": ["system:reader", "project:reader"],
  "baremetal:allocation:list_all": SYS_READER,
  "baremetal:allocation:create": ["system:member", "project:member"],
  "baremetal:allocation:create_restricted": SYS_MEMBER,
  "baremetal:allocation:update": ["system:member", "owner:member"],
  "baremetal:allocation:delete": ["system:member", "owner:member"],
  "baremetal:events:post": SYS_ADMIN,
  // Runbooks (reference §7.2; Ingot has no "manager" role, so project admin stands in for it).
  // Public runbooks are visible to every reader and usable by project members (see api/v1/runbooks.ts).
  "baremetal:runbook:get": ["system:reader", "owner:reader"],
  "baremetal:runbook:list": ["system:reader", "project:reader"],
  "baremetal:runbook:list_all": SYS_READER,
  "baremetal:runbook:create": ["system:member", "project:admin"],
  "baremetal:runbook:update": ["system:member", "owner:admin"],
  "baremetal:runbook:update:public": SYS_MEMBER,
  "baremetal:runbook:update:owner": SYS_MEMBER,
  "baremetal:runbook:delete": ["system:member", "owner:admin"],
  "baremetal:runbook:use": ["system:member", "owner:admin"],
  // Deployments (Ingot extension, docs/api-extensions.md): project members of the node's owner or
  // lessee project may deploy, rebuild, move and undeploy, without admin rights.
  "baremetal:deployment:get": NODE_READ,
  "baremetal:deployment:list": ["system:reader", "project:reader"],
  "baremetal:deployment:list_all": SYS_READER,
  // Ingot: project names for owner/lessee ids (a project caller: their own and those sharing a node with them).
  "ingot:project:list": ["system:reader", "project:reader"],
  "baremetal:deployment:create": NODE_MEMBER,
  "baremetal:deployment:update": NODE_MEMBER,
  "baremetal:deployment:delete": NODE_MEMBER,
  "baremetal:deployment:move": NODE_MEMBER,
};

export function authorize(rule: string, who: Principal, target: PolicyTarget = {}): boolean {
  if (who.noauth) return true;
  const grants = RULES[rule];
  if (!grants) return false; // unknown rules deny: a typo must not open a door
  for (const grant of grants) {
    const [scope, role] = grant.split(":") as [Who, Role];
    if (scope === "system") {
      if (hasRole(who.systemRole, role)) return true;
      continue;
    }
    if (!who.projectId || !hasRole(who.projectRole, role)) continue;
    if (scope === "project") return true;
    if (scope === "owner" && target.owner && target.owner === who.projectId) return true;
    if (scope === "lessee" && target.lessee && target.lessee === who.projectId) return true;
  }
  return false;
}

/**
 * Whether `rule` allows the caller on at least one node they could see: by a system role, or by
 * their role in a project owning or leasing the node. False means no node would let them, so the
 * dashboard does not offer the action (e.g. bulk actions, which span nodes it has not read).
 */
export function authorizeOnSomeNode(rule: string, who: Principal): boolean {
  return authorize(rule, who, { owner: who.projectId, lessee: who.projectId });
}

/** Whether the caller sees everything (no owner/lessee filtering). */
export function isSystemScoped(who: Principal): boolean {
  return who.noauth === true || who.systemRole !== null;
}

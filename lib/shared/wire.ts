// The Bare Metal API's JSON as Ingot sends it (Ironic's snake_case): one declaration, which the
// API's serializers are typed against (lib/api: node_view.ts, v1/ports.ts, v1/node_misc.ts, ...)
// and the dashboard reads (lib/client). Fields are those of the newest microversion; the ones
// newer than 1.78 (the dashboard's minimum) are optional, as are those `?fields=` or `detail`
// leave out. Type aliases, not interfaces, so a view is also a plain Record<string, unknown>.
import type { HistoryStructure } from "./history.ts";
import type { AvailableStep } from "./steps.ts";

export type Link = { href: string; rel: string };
export type Dict = Record<string, unknown>;

/** A node (GET /v1/nodes/{node}), in the order Ironic emits its fields. */
export type ApiNode = {
  uuid: string;
  created_at: string;
  updated_at: string | null;
  automated_clean: boolean | null;
  bios_interface: string | null;
  boot_interface: string | null;
  boot_mode: string | null;
  clean_step: Dict;
  conductor_group: string;
  console_enabled: boolean;
  console_interface: string | null;
  deploy_interface: string | null;
  deploy_step: Dict;
  description: string | null;
  /** 1.95 */
  disable_power_off?: boolean;
  driver: string;
  /** Secret-looking values masked; `{content: "** Redacted ..."}` without baremetal:node:get:driver_info. */
  driver_info: Dict;
  driver_internal_info: Dict;
  extra: Dict;
  fault: string | null;
  /** 1.86 */
  firmware_interface?: string | null;
  inspection_finished_at: string | null;
  inspection_started_at: string | null;
  inspect_interface: string | null;
  instance_info: Dict;
  /** 1.104 */
  instance_name?: string | null;
  instance_uuid: string | null;
  /** A redaction text in place of the error without baremetal:node:get:last_error. */
  last_error: string | null;
  lessee: string | null;
  maintenance: boolean;
  maintenance_reason: string | null;
  management_interface: string | null;
  name: string | null;
  network_data: Dict;
  network_interface: string | null;
  owner: string | null;
  /** 1.83 */
  parent_node?: string | null;
  power_interface: string | null;
  power_state: string | null;
  properties: Dict;
  protected: boolean;
  protected_reason: string | null;
  provision_state: string;
  provision_updated_at: string | null;
  raid_config: Dict;
  raid_interface: string | null;
  rescue_interface: string | null;
  reservation: string | null;
  resource_class: string | null;
  retired: boolean;
  retired_reason: string | null;
  secure_boot: boolean | null;
  /** 1.87 */
  service_step?: Dict;
  shard: string | null;
  storage_interface: string | null;
  target_power_state: string | null;
  target_provision_state: string | null;
  target_raid_config: Dict;
  traits: string[];
  vendor_interface: string | null;
  links: Link[];
  // computed
  conductor: string | null;
  allocation_uuid: string | null;
  chassis_uuid: string | null;
  // sub-resource links (left out with ?fields=)
  ports?: Link[];
  states?: Link[];
  portgroups?: Link[];
  volume?: Link[];
};

/** A port (GET /v1/ports/{port}). */
export type ApiPort = {
  uuid: string;
  created_at: string | null;
  updated_at: string | null;
  address: string;
  extra: Dict;
  internal_info: Dict;
  is_smartnic: boolean;
  local_link_connection: Dict;
  /** 1.88 */
  name?: string | null;
  physical_network: string | null;
  pxe_enabled: boolean;
  node_uuid: string;
  links: Link[];
  portgroup_uuid: string | null;
};

/** One entry of a node's history (GET /v1/nodes/{node}/history; the detail fields with ?detail=True). */
export type ApiHistoryEvent = {
  uuid: string;
  created_at: string;
  severity: "INFO" | "WARNING" | "ERROR" | (string & {});
  /** Cut to 255 characters without detail. */
  event: string;
  event_type?: string;
  conductor?: string | null;
  user?: string | null;
  /** 1.113 */
  project?: string | null;
  /** With Ingot's `structured=True` (docs/api-extensions.md): what the dashboard reads. */
  structured?: HistoryStructure & {
    /** The name of the user whose id `user` is (null when the id is no user's). */
    user_name: string | null;
  };
};

/** The answer of GET /v1/nodes/{node}/{cleaning,deploying,servicing}/steps (Ingot extension). */
export type ApiAvailableSteps = {
  steps: AvailableStep[];
  updated_at: string;
};

/** A step as sent in clean_steps / service_steps / deploy_steps, deploy templates and runbooks. */
export type RequestedStep = {
  interface: string;
  step: string;
  args?: Dict;
  priority?: number;
  order?: number;
};

/**
 * driver_internal_info key (Ingot): BIOS settings sent to the machine that take effect at its next
 * reboot (reset-required settings applied while it was off), until a read of the machine's
 * settings shows them in effect.
 */
export const BIOS_PENDING_KEY = "bios_pending_settings";

/** One entry of driver_internal_info.bios_pending_settings: the value asked for, and since when. */
export type PendingBiosSetting = { name: string; value: string | null; since: string };

/** One BIOS setting (GET /v1/nodes/{node}/bios; the registry fields with ?detail=True). */
export type ApiBiosSetting = {
  created_at: string | null;
  updated_at: string | null;
  name: string;
  value: string | null;
  attribute_type?: string | null;
  allowable_values?: string[] | null;
  lower_bound?: number | null;
  max_length?: number | null;
  min_length?: number | null;
  read_only?: boolean | null;
  reset_required?: boolean | null;
  unique?: boolean | null;
  upper_bound?: number | null;
  links: Link[];
};

export type ApiDeployTemplate = {
  uuid: string;
  created_at: string | null;
  updated_at: string | null;
  name: string;
  extra: Dict;
  links: Link[];
  /** Secret-looking step arguments masked. */
  steps: RequestedStep[];
};

export type ApiRunbook = {
  uuid: string;
  name: string;
  /** 1.112 */
  description?: string | null;
  /** Secret-looking step arguments masked. */
  steps: (RequestedStep & { order: number })[];
  disable_ramdisk: boolean;
  public: boolean;
  owner: string | null;
  /** 1.112 */
  traits?: string[];
  extra: Dict;
  created_at: string | null;
  updated_at: string | null;
  links: Link[];
};

/** GET /v1/nodes/{node}/validate: per interface kind valid (true), invalid with the reason (false), or not supported (null). */
export type ApiValidation = Record<string, { result: boolean | null; reason?: string | null }>;

/** A hardware type (GET /v1/drivers); `?detail=true` adds its default_/enabled_<kind>_interface(s). */
export type ApiDriver = {
  name: string;
  hosts: string[];
  links: Link[];
  properties?: Link[];
  type?: string;
};

/** GET /v1/projects (Ingot extension): the projects the caller may name. */
export type ApiProject = {
  id: string;
  name: string;
  description: string | null;
};

/** A collection answer: `{ <key>: T[], next?: url }`. */
export type Paged<K extends string, T> = { [k in K]: T[] } & { next?: string };

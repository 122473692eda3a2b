// Shapes of the API's JSON as the dashboard reads it (Ironic's snake_case). Fields appear
// depending on the microversion; the dashboard negotiates ≥ 1.78, so these are present.
import type { HistoryStructure } from "../core/history.ts";

export type { HistoryStructure };
export type Link = { href: string; rel: string };
export type Dict = Record<string, unknown>;

export interface ApiNode {
  uuid: string;
  name: string | null;
  description: string | null;
  created_at: string;
  updated_at: string | null;
  provision_state: string;
  target_provision_state: string | null;
  provision_updated_at: string | null;
  power_state: string | null;
  target_power_state: string | null;
  maintenance: boolean;
  maintenance_reason: string | null;
  fault: string | null;
  last_error: string | null;
  reservation: string | null;
  conductor: string | null;
  conductor_group: string;
  driver: string;
  driver_info: Dict;
  driver_internal_info?: Dict;
  instance_info: Dict;
  instance_uuid: string | null;
  properties: Dict;
  extra: Dict;
  resource_class: string | null;
  traits: string[];
  owner: string | null;
  lessee: string | null;
  protected: boolean;
  protected_reason: string | null;
  retired: boolean;
  retired_reason: string | null;
  automated_clean: boolean | null;
  clean_step: Dict | null;
  deploy_step: Dict | null;
  service_step?: Dict | null;
  console_enabled: boolean;
  boot_mode: string | null;
  secure_boot: boolean | null;
  shard: string | null;
  parent_node?: string | null;
  allocation_uuid: string | null;
  chassis_uuid: string | null;
  bios_interface: string;
  boot_interface: string;
  console_interface: string;
  deploy_interface: string;
  firmware_interface?: string;
  inspect_interface: string;
  management_interface: string;
  network_interface: string;
  power_interface: string;
  raid_interface: string;
  rescue_interface: string;
  storage_interface: string;
  vendor_interface: string;
  links: Link[];
}

export interface ApiPort {
  uuid: string;
  address: string;
  node_uuid: string;
  portgroup_uuid: string | null;
  local_link_connection: Dict;
  pxe_enabled: boolean;
  physical_network: string | null;
  extra: Dict;
  name?: string | null;
  created_at: string;
  updated_at: string | null;
}

export interface ApiHistoryEvent {
  uuid: string;
  created_at: string;
  severity: "INFO" | "WARNING" | "ERROR" | string;
  event: string;
  event_type?: string;
  conductor?: string | null;
  user?: string | null;
  links?: Link[];
  /** With Ingot's `structured=True` (docs/api-extensions.md): what the dashboard reads. */
  structured?: HistoryStructure;
}

export interface ApiStepArg {
  description?: string;
  required?: boolean;
  type?: "string" | "integer" | "number" | "boolean" | "object" | "array";
  allowed_values?: unknown[];
  items?: ApiStepArg & { properties?: Record<string, ApiStepArg> };
  properties?: Record<string, ApiStepArg>;
}

/** One entry of the available-steps API (docs/api-extensions.md). */
export interface ApiStep {
  interface: string;
  step: string;
  priority: number;
  abortable?: boolean;
  requires_ramdisk?: boolean;
  argsinfo: Record<string, ApiStepArg> | null;
  description?: string;
}

/** A step as sent in clean_steps / service_steps / deploy templates / runbooks. */
export interface RequestedStep {
  interface: string;
  step: string;
  args?: Dict;
  priority?: number;
  order?: number;
}

export interface ApiBiosSetting {
  name: string;
  value: string | null;
  attribute_type?: string | null;
  allowable_values?: string[] | null;
  lower_bound?: number | null;
  upper_bound?: number | null;
  min_length?: number | null;
  max_length?: number | null;
  read_only?: boolean | null;
  reset_required?: boolean | null;
  unique?: boolean | null;
  created_at?: string;
  updated_at?: string | null;
}

export interface ApiDeployTemplate {
  uuid: string;
  name: string;
  steps: RequestedStep[];
  extra: Dict;
  created_at: string;
  updated_at: string | null;
  links?: Link[];
}

export interface ApiRunbook {
  uuid: string;
  name: string;
  steps: RequestedStep[];
  disable_ramdisk: boolean;
  owner: string | null;
  public: boolean;
  extra: Dict;
  created_at: string;
  updated_at: string | null;
  links?: Link[];
}

export interface ApiProject {
  id: string;
  name: string;
  description: string | null;
}

/** A collection answer: `{ <key>: T[], next?: url }`. */
export type Paged<K extends string, T> = { [k in K]: T[] } & { next?: string };

// A BIOS registry as a real BIOS interface reports and caches it, for tests of the registry checks
// and the BIOS settings API on fake-hardware nodes (whose fake BIOS, like Ironic's, has none).
import { syncBiosCache } from "../core/bios.ts";
import type { Sql } from "../core/db/sql.ts";
import type { BiosAttribute } from "../core/drivers/base.ts";

const ED = ["Enabled", "Disabled"];
const plain = { read_only: false, reset_required: false, unique: false };
const reset = { ...plain, reset_required: true };

export const TEST_BIOS_REGISTRY: BiosAttribute[] = [
  { name: "AssetTag", value: "", attribute_type: "String", min_length: 0, max_length: 32, ...plain },
  { name: "BootMode", value: "Uefi", attribute_type: "Enumeration", allowable_values: ["Uefi", "Bios"], ...reset },
  { name: "LogicalProc", value: "Enabled", attribute_type: "Enumeration", allowable_values: ED, ...reset },
  { name: "NumaNodesPerSocket", value: "1", attribute_type: "Integer", lower_bound: 1, upper_bound: 4, ...reset },
  { name: "PowerOnDelay", value: "0", attribute_type: "Integer", lower_bound: 0, upper_bound: 300, ...plain },
  { name: "ProcTurboMode", value: "Enabled", attribute_type: "Enumeration", allowable_values: ED, ...plain },
  { name: "ProcVirtualization", value: "Enabled", attribute_type: "Enumeration", allowable_values: ED, ...reset },
  { name: "ServiceTag", value: "FK12345678", attribute_type: "String", min_length: 7, max_length: 16, ...plain, read_only: true, unique: true },
  { name: "SriovGlobalEnable", value: "false", attribute_type: "Boolean", ...reset },
  { name: "WakeOnLan", value: "true", attribute_type: "Boolean", ...plain },
];

/** Puts TEST_BIOS_REGISTRY in a node's settings cache (as after a real BIOS interface cached it). */
export async function cacheTestBiosRegistry(sql: Sql, nodeId: number): Promise<void> {
  await syncBiosCache(sql, nodeId, TEST_BIOS_REGISTRY);
}

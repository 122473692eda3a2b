// What a node's driver_internal_info says about the agent running on it, and what goes away when
// the machine powers off or reboots: the agent's address, token, certificate and reported steps
// belong to one boot of the ramdisk (Ironic wipes them in node_power_action).
import type { Dict } from "../db/nodes.ts";

/** Set by lookup (once per boot) and checked on every heartbeat. */
export const AGENT_TOKEN_KEY = "agent_secret_token";

/** driver_internal_info keys valid for one boot of the agent. */
export const AGENT_BOOT_KEYS = [
  "agent_url", AGENT_TOKEN_KEY, "agent_verify_ca", "agent_cached_clean_steps", "agent_cached_deploy_steps",
] as const;

/** driver_internal_info without the facts of the agent's current boot. */
export function withoutAgentBootInfo(dii: Dict): Dict {
  const out = { ...dii };
  for (const k of AGENT_BOOT_KEYS) delete out[k];
  return out;
}

/** Whether an agent of the current boot has called back (its URL is known). */
export function agentCalledBack(dii: Dict): boolean {
  return typeof dii.agent_url === "string" && dii.agent_url !== "";
}

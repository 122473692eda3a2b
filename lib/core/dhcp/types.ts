// What a DHCP provider does for the boot interfaces (./provider.ts picks the one in use).
import type { DhcpProviderName } from "../netboot/settings.ts";

export interface DhcpProvider {
  readonly name: DhcpProviderName;
  /** From now on, answer these MACs of the node with a network boot into Ingot's iPXE (Ironic update_dhcp). */
  updateDhcp(nodeUuid: string, macs: string[]): Promise<void>;
  /** Stop answering the node's MACs (Ironic clean_dhcp). */
  cleanDhcp(nodeUuid: string): Promise<void>;
  /** Starts serving (the server calls it with the conductor); a provider with nothing to run does nothing. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

// The DHCP seam (Ironic's [dhcp]dhcp_provider): what a boot interface asks of whatever answers the
// machines' DHCP requests. A network-booting boot interface calls updateDhcp when a node is to boot
// from the network (its ports' MACs) and cleanDhcp when that is over; it never knows which provider
// runs. `none`: Ingot serves no DHCP (an existing DHCP server is configured by hand, see
// docs/network-boot.md); `dnsmasq`: Ingot runs and supervises a dnsmasq (./dnsmasq.ts).
import { netbootSettings, type DhcpProviderName } from "../netboot/settings.ts";
import { DnsmasqProvider } from "./dnsmasq.ts";

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

/** `none`: nothing is served; the site's DHCP server hands out the boot file. */
export const noDhcp: DhcpProvider = {
  name: "none",
  updateDhcp: async () => undefined,
  cleanDhcp: async () => undefined,
  start: async () => undefined,
  stop: async () => undefined,
};

let current: DhcpProvider | null = null;

/** This process's DHCP provider, from the settings (INGOT_DHCP_PROVIDER). */
export function dhcpProvider(): DhcpProvider {
  if (!current) {
    const settings = netbootSettings();
    current = settings.dhcpProvider === "dnsmasq" ? new DnsmasqProvider(settings) : noDhcp;
  }
  return current;
}

/** Replaces the provider (tests), or forgets it so the settings are read again (nothing given). */
export function setDhcpProvider(provider?: DhcpProvider): void {
  current = provider ?? null;
}

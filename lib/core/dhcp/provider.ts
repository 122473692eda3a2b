// The DHCP seam (Ironic's [dhcp]dhcp_provider): what a boot interface asks of whatever answers the
// machines' DHCP requests. A network-booting boot interface calls updateDhcp when a node is to boot
// from the network (its ports' MACs) and cleanDhcp when that is over; it never knows which provider
// runs. `none`: Ingot serves no DHCP (an existing DHCP server is configured by hand, see
// docs/network-boot.md); `dnsmasq`: Ingot runs and supervises a dnsmasq (./dnsmasq.ts).
import { netbootSettings } from "../netboot/settings.ts";
import { DnsmasqProvider } from "./dnsmasq.ts";
import type { DhcpProvider } from "./types.ts";

export type { DhcpProvider } from "./types.ts";

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

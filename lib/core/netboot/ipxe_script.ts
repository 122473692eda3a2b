// The iPXE scripts Ingot serves: the chain script every iPXE client gets from DHCP (boot.ipxe:
// find this machine's script by the MAC of each of its NICs) and a node's own script (the deploy
// or rescue ramdisk, or an instance booted over the network). One script works for BIOS and UEFI
// machines alike: the kernel is named by URL and the ramdisk by its file name (`initrd=`), which
// the EFI stub needs. Kernel parameters follow Ironic's iPXE template.

/** Where a node's files are served, relative to the provisioning URL. */
export const BOOT_PATH = "/boot";

/** iPXE's `${net<N>/mac:hexhyp}` form: aa-bb-cc-dd-ee-ff (the per-MAC script's file name). */
export function macFileName(mac: string): string {
  return mac.trim().toLowerCase().replace(/:/g, "-");
}

/** The chain script: tries each NIC's MAC in turn, as Ironic's boot.ipxe does. */
export function chainScript(provisioningUrl: string): string {
  return [
    "#!ipxe",
    "",
    "# Ingot: every NIC in turn asks for the script of the machine it belongs to.",
    "set netid:int32 -1",
    ":next_nic",
    "inc netid",
    "isset ${net${netid}/mac} || goto no_script",
    "echo Ingot: looking for the boot script of ${net${netid}/mac}",
    `chain --autofree ${provisioningUrl}${BOOT_PATH}/mac/\${net\${netid}/mac:hexhyp} || goto next_nic`,
    "",
    ":no_script",
    "echo Ingot has no boot script for any NIC of this machine (is it booting into a ramdisk?).",
    "echo Rebooting in 60 seconds.",
    "sleep 60",
    "reboot",
    "",
  ].join("\n");
}

export type RamdiskMode = "deploy" | "rescue";

export interface RamdiskScript {
  kind: "ramdisk";
  mode: RamdiskMode;
  /** URLs of the kernel and ramdisk as the machine fetches them. */
  kernelUrl: string;
  ramdiskUrl: string;
  /** File name of the ramdisk (the `initrd=` kernel parameter). */
  ramdiskName: string;
  /** kernel_append_params (driver_info, else the setting). */
  appendParams: string;
  /** The Bare Metal API as the agent reaches it. */
  agentApiUrl: string;
  /** req-<uuid>: the agent sends it with its API calls. */
  globalRequestId: string;
  /** Extra agent parameters (e.g. ipa-debug=1). */
  ramdiskParams?: Record<string, string | null>;
  /** Seconds before iPXE gives up a download and retries (0: its default). */
  timeoutSeconds?: number;
}

export interface InstanceRamdiskScript {
  kind: "instance-ramdisk";
  kernelUrl: string;
  ramdiskUrl: string;
  ramdiskName: string;
  appendParams: string;
  timeoutSeconds?: number;
}

export interface InstanceIsoScript {
  kind: "instance-iso";
  isoUrl: string;
}

export type NodeScript = RamdiskScript | InstanceRamdiskScript | InstanceIsoScript;

const words = (...parts: (string | undefined | null)[]) => parts.filter((p) => p && p.trim() !== "").map((p) => p!.trim()).join(" ");

/** Kernel parameters of the deploy/rescue ramdisk (no agent token: the agent gets it at lookup). */
export function ramdiskKernelParams(s: RamdiskScript): string {
  const extra = Object.entries(s.ramdiskParams ?? {}).map(([k, v]) => (v === null ? k : `${k}=${v}`));
  return words(
    "selinux=0 troubleshoot=0 text", s.appendParams, `ipa-api-url=${s.agentApiUrl}`, ...extra,
    `ipa-global-request-id=${s.globalRequestId}`, "BOOTIF=${mac}", `initrd=${s.ramdiskName}`,
  );
}

/** The lines that load a kernel and ramdisk and boot them, retrying a failed download with backoff. */
function loadAndBoot(label: string, kernelUrl: string, params: string, ramdiskUrl: string, timeoutSeconds = 0): string[] {
  const timeout = timeoutSeconds > 0 ? `--timeout ${Math.round(timeoutSeconds * 1000)} ` : "";
  return [
    "set attempts:int32 10",
    "set i:int32 0",
    "",
    `:${label}`,
    "imgfree",
    `kernel ${timeout}${kernelUrl} ${params} || goto retry`,
    `initrd ${timeout}${ramdiskUrl} || goto retry`,
    "boot",
    "",
    ":retry",
    "iseq ${i} ${attempts} && goto give_up ||",
    "inc i",
    "echo Ingot: download failed, attempt ${i} of ${attempts}, trying again in ${i} seconds.",
    "sleep ${i}",
    `goto ${label}`,
    "",
    ":give_up",
    "echo Ingot: could not load the kernel and ramdisk, powering off in 30 seconds.",
    "sleep 30",
    "poweroff",
    "",
  ];
}

/** A node's iPXE script. */
export function nodeScript(s: NodeScript): string {
  switch (s.kind) {
    case "ramdisk":
      return ["#!ipxe", "", `# Ingot: ${s.mode} ramdisk`, ...loadAndBoot(s.mode, s.kernelUrl, ramdiskKernelParams(s), s.ramdiskUrl, s.timeoutSeconds)].join("\n");
    case "instance-ramdisk":
      return [
        "#!ipxe", "", "# Ingot: the instance (a ramdisk booted over the network)",
        ...loadAndBoot("boot_ramdisk", s.kernelUrl, words("root=/dev/ram0 text", s.appendParams, `initrd=${s.ramdiskName}`), s.ramdiskUrl, s.timeoutSeconds),
      ].join("\n");
    case "instance-iso":
      return [
        "#!ipxe", "", "# Ingot: the instance (an ISO booted over HTTP)",
        ":boot_iso", "imgfree", `sanboot ${s.isoUrl} || goto retry`, "",
        ":retry", "echo Ingot: could not boot the ISO, trying again in 10 seconds.", "sleep 10", "goto boot_iso", "",
      ].join("\n");
  }
}

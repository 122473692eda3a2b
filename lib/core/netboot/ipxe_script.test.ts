// The iPXE scripts: Ironic's kernel parameters for the deploy and rescue ramdisks, no agent token,
// one script for BIOS and UEFI (the ramdisk named for the EFI stub), and the MAC chain script.
import { describe, expect, it } from "vitest";
import { chainScript, macFileName, nodeScript, ramdiskKernelParams, type RamdiskScript } from "./ipxe_script.ts";

const BASE = "http://192.0.2.1:3000";
const UUID = "1be26c0b-03f2-4d2d-ae87-c02d7f33c123";

const deploy: RamdiskScript = {
  kind: "ramdisk", mode: "deploy",
  kernelUrl: `${BASE}/boot/${UUID}/deploy_kernel`, ramdiskUrl: `${BASE}/boot/${UUID}/deploy_ramdisk`, ramdiskName: "deploy_ramdisk",
  appendParams: "nofb nomodeset vga=normal console=ttyS0,115200", agentApiUrl: `${BASE}/baremetal`,
  globalRequestId: "req-8c3d5d4e-9b0e-4e53-9a3a-0e1f2d3c4b5a",
};

describe("iPXE scripts", () => {
  it("deploy ramdisk: kernel and ramdisk URLs, Ironic's kernel parameters, no agent token", () => {
    const script = nodeScript(deploy);
    expect(script.startsWith("#!ipxe\n")).toBe(true);
    const kernelLine = script.split("\n").find((l) => l.startsWith("kernel "))!;
    expect(kernelLine).toBe(
      `kernel ${BASE}/boot/${UUID}/deploy_kernel selinux=0 troubleshoot=0 text nofb nomodeset vga=normal console=ttyS0,115200 ` +
        `ipa-api-url=${BASE}/baremetal ipa-global-request-id=req-8c3d5d4e-9b0e-4e53-9a3a-0e1f2d3c4b5a BOOTIF=\${mac} initrd=deploy_ramdisk || goto retry`,
    );
    expect(script).toContain(`\ninitrd ${BASE}/boot/${UUID}/deploy_ramdisk || goto retry\nboot\n`);
    expect(script).not.toMatch(/agent[-_]token/);
    // Bounded retries, then the machine powers off instead of looping forever.
    expect(script).toMatch(/iseq \$\{i\} \$\{attempts\} && goto give_up/);
    expect(script).toContain("poweroff");
  });

  it("the same script serves BIOS and UEFI machines: the ramdisk is named on the command line for the EFI stub", () => {
    const params = ramdiskKernelParams(deploy);
    expect(params).toMatch(/(^| )initrd=deploy_ramdisk( |$)/);
    // Nothing in the script depends on the firmware: no efi/pcbios branches.
    expect(nodeScript(deploy)).not.toMatch(/platform|efi|pcbios/i);
  });

  it("rescue ramdisk: rescue kernel and ramdisk", () => {
    const script = nodeScript({
      ...deploy, mode: "rescue", kernelUrl: `${BASE}/boot/${UUID}/rescue_kernel`, ramdiskUrl: `${BASE}/boot/${UUID}/rescue_ramdisk`, ramdiskName: "rescue_ramdisk",
    });
    expect(script).toContain("# Ingot: rescue ramdisk");
    expect(script).toMatch(new RegExp(`kernel ${BASE}/boot/${UUID}/rescue_kernel .* initrd=rescue_ramdisk \\|\\| goto retry`));
    expect(script).toContain(`initrd ${BASE}/boot/${UUID}/rescue_ramdisk || goto retry`);
    expect(script).not.toContain("deploy_");
  });

  it("extra agent parameters, a download timeout in milliseconds", () => {
    const script = nodeScript({ ...deploy, ramdiskParams: { "ipa-debug": "1", "ipa-insecure": null }, timeoutSeconds: 30 });
    expect(script).toMatch(/kernel --timeout 30000 \S+ .* ipa-debug=1 ipa-insecure ipa-global-request-id=/);
    expect(script).toContain("initrd --timeout 30000 ");
  });

  it("instance booted from a ramdisk or an ISO", () => {
    const ramdisk = nodeScript({
      kind: "instance-ramdisk", kernelUrl: `${BASE}/boot/${UUID}/kernel`, ramdiskUrl: `${BASE}/boot/${UUID}/ramdisk`, ramdiskName: "ramdisk", appendParams: "console=ttyS0",
    });
    expect(ramdisk).toContain(`kernel ${BASE}/boot/${UUID}/kernel root=/dev/ram0 text console=ttyS0 initrd=ramdisk || goto retry`);
    expect(ramdisk).not.toContain("ipa-api-url");
    expect(nodeScript({ kind: "instance-iso", isoUrl: `${BASE}/boot/${UUID}/boot_iso` })).toContain(`sanboot ${BASE}/boot/${UUID}/boot_iso || goto retry`);
  });

  it("chain script: tries every NIC's MAC, in iPXE's hyphenated form", () => {
    const script = chainScript(BASE);
    expect(script).toContain("chain --autofree http://192.0.2.1:3000/boot/mac/${net${netid}/mac:hexhyp} || goto next_nic");
    expect(script).toContain("isset ${net${netid}/mac} || goto no_script");
    expect(macFileName("52:54:00:AB:cd:01")).toBe("52-54-00-ab-cd-01");
  });
});

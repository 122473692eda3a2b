// BIOS settings the machine only staged for its next reboot: the editor says so instead of
// "applied", shows them as pending (what, since when), and the power on that applies them
// refreshes the values, in the page and in the API. Each test makes its own sim nodes (e2e-bios-…).
import { expect, test } from "@playwright/test";
import { adminApi, createNodes, login, manage } from "./helpers.ts";

const prefix = (what: string) => `e2e-bios-${what}-${Date.now().toString(36)}`;

interface Node { power_state: string; driver_internal_info: Record<string, unknown> }

test("a reset-required setting applied to a powered-off node is pending until the next power on, then read again", async ({ page, request }) => {
  test.setTimeout(180_000);
  const a = adminApi(request);
  const [uuid] = await createNodes(request, prefix("pending"), 1);
  await manage(request, [uuid]);
  expect((await a.get<Node>(`/nodes/${uuid}`)).power_state).toBe("power off");

  await login(page);
  await page.goto(`/nodes/${uuid}?tab=bios`);
  const virt = page.locator('[data-testid="bios-row"][data-name="ProcVirtualization"]');
  const tag = page.locator('[data-testid="bios-row"][data-name="AssetTag"]');
  await expect(virt.getByTestId("bios-current")).toHaveText("Enabled");
  await virt.getByLabel("ProcVirtualization").selectOption("Disabled");
  await tag.getByLabel("AssetTag").fill("e2e-rack-7");
  await page.getByTestId("bios-review").click();
  await page.getByRole("dialog", { name: "Apply BIOS changes" }).getByTestId("bios-apply").click();

  // AssetTag took effect; ProcVirtualization is staged, and the page says so.
  const result = page.getByTestId("bios-result");
  await expect(result).toContainText("Staged, not applied yet: ProcVirtualization", { timeout: 120_000 });
  await expect(result).toContainText("Applied: AssetTag");
  await expect(result).not.toContainText("were applied");
  await expect(tag.getByTestId("bios-current")).toHaveText("e2e-rack-7");
  await expect(virt.getByTestId("bios-current")).toHaveText("Enabled");
  await expect(virt.getByTestId("bios-row-pending")).toHaveText("pending: Disabled");
  const pending = page.getByTestId("bios-pending");
  await expect(pending.locator('[data-testid="bios-pending-setting"][data-name="ProcVirtualization"]')).toContainText(/Disabled · since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
  await expect(pending).toContainText("next powers on or reboots");
  const staged = (await a.get<Node>(`/nodes/${uuid}`)).driver_internal_info.bios_pending_settings;
  expect(staged).toEqual([expect.objectContaining({ name: "ProcVirtualization", value: "Disabled" })]);

  // The power on applies it; the conductor reads the settings again: page and API show the new value.
  await page.locator('[data-action="power on"]').click();
  await expect(virt.getByTestId("bios-current")).toHaveText("Disabled", { timeout: 60_000 });
  await expect(pending).toHaveCount(0);
  await expect(virt.getByTestId("bios-row-pending")).toHaveCount(0);
  const after = (await a.get<Record<string, { value: string }>>(`/nodes/${uuid}/bios/ProcVirtualization`)).ProcVirtualization;
  expect(after.value).toBe("Disabled");
  expect((await a.get<Node>(`/nodes/${uuid}`)).driver_internal_info).not.toHaveProperty("bios_pending_settings");
});

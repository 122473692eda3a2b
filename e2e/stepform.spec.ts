// Step argument forms typed from the step's argument schema: BIOS setting names and values come
// from the node's registry, plain values are typed as text (no JSON), and a fresh form does not
// show "required" before the user acts. Each test makes its own sim nodes (e2e-form-…).
import { expect, test } from "@playwright/test";
import { adminApi, createNodes, login, manage, waitForState } from "./helpers.ts";

const prefix = (what: string) => `e2e-form-${what}-${Date.now().toString(36)}`;

test("bios.apply_configuration: names and values from the registry, plain text values, errors only after acting", async ({ page, request }) => {
  test.setTimeout(150_000);
  const a = adminApi(request);
  const [uuid] = await createNodes(request, prefix("bios"), 1);
  await manage(request, [uuid]);

  await login(page);
  await page.goto(`/nodes/${uuid}?tab=steps`);
  const picker = page.getByTestId("step-picker");
  await picker.getByRole("button", { name: "Add bios.apply_configuration" }).click();
  const row = picker.getByTestId("step-row").first();
  // A step with required arguments opens on its form when added.
  await expect(row.getByTestId("step-toggle")).toHaveAttribute("aria-expanded", "true");
  const form = row.getByTestId("step-form");
  const settings = form.getByTestId("arg-rows-settings");
  // Nothing typed yet: no "required" message at the fields.
  await expect(form).not.toContainText("is required");
  await expect(form).not.toContainText("required property");

  await settings.getByRole("button", { name: "Add a row to settings" }).click();
  const first = settings.getByRole("listitem").first();
  await expect(form).not.toContainText("required property");
  // The name is one of the node's settings (read-only ones are not offered); the value follows it.
  const name = first.getByLabel(/^name/);
  await expect(name.locator("option", { hasText: "ProcVirtualization" })).toHaveCount(1);
  await expect(name.locator("option", { hasText: "ServiceTag" })).toHaveCount(0);
  await name.selectOption({ label: "ProcVirtualization" });
  const value = first.getByLabel(/^value/);
  await expect(value.locator("option")).toContainText(["Enabled", "Disabled"]);
  await value.selectOption({ label: "Disabled" });

  // A string setting takes plain text: no JSON needed.
  await settings.getByRole("button", { name: "Add a row to settings" }).click();
  const second = settings.getByRole("listitem").nth(1);
  await second.getByLabel(/^name/).selectOption({ label: "AssetTag" });
  await second.getByLabel(/^value/).fill("rack-7 row B");
  await expect(form).not.toContainText("Not valid JSON");
  await expect(row.getByTestId("step-problem-count")).toHaveCount(0);
  await expect(picker.getByTestId("run-disabled-reason")).toHaveText("");

  // Acting on a field and leaving it empty shows the problem there, in the server's words.
  await second.getByLabel(/^value/).fill("");
  await expect(second).toContainText("'value' is a required property");
  await second.getByLabel(/^value/).fill("rack-7 row B");
  await expect(second).not.toContainText("required property");

  await picker.getByTestId("run-steps").click();
  await page.getByRole("dialog").getByTestId("confirm-run").click();
  const events = async () => (await a.get<{ history: { event: string }[] }>(`/nodes/${uuid}/history`)).history.map((h) => h.event);
  await expect.poll(events, { timeout: 120_000 }).toContain("Finished clean step bios.apply_configuration");
  await waitForState(request, uuid, "manageable", 120_000);
  const tag = (await a.get<Record<string, { value: string }>>(`/nodes/${uuid}/bios/AssetTag`)).AssetTag;
  expect(tag.value).toBe("rack-7 row B");
});

// The step picker (node page, Steps tab): manual cleaning and servicing run the chosen steps in the
// chosen order with live progress, argument checks, server refusals at the step, runbooks.
import { expect, test, type APIRequestContext } from "@playwright/test";
import { adminApi, createNodes, login, manage, waitForState } from "./helpers.ts";

// The picker is the node page's Steps tab.
const pickerUrl = (uuid: string) => `/nodes/${uuid}?tab=steps`;

const PREFIX = `e2e-steps-${Date.now().toString(36)}`;

/** The node's history events; waits first until the run has ended (`from` → `to` recorded). */
async function eventsAfterRun(request: APIRequestContext, uuid: string, from: "cleaning" | "servicing", to: string): Promise<string[]> {
  const api = adminApi(request);
  const events = async () => (await api.get<{ history: { event: string }[] }>(`/nodes/${uuid}/history`)).history.map((h) => h.event);
  await expect
    .poll(async () => (await events()).some((e) => e.startsWith(`Provision state changed from "${from}" to "${to}"`)), { timeout: 120_000, intervals: [250, 500, 1000] })
    .toBe(true);
  await waitForState(request, uuid, to);
  return events();
}

test("step picker: manual cleaning runs the chosen steps in order", async ({ page, request }) => {
  test.setTimeout(150_000);
  const [uuid] = await createNodes(request, PREFIX, 1);

  await login(page);
  await page.goto(pickerUrl(uuid));
  const picker = page.getByTestId("step-picker");
  await expect(picker).toBeVisible();
  // enroll: cleaning is refused, and the page says why.
  await expect(picker.getByTestId("run-disabled-reason")).toHaveText("Manual cleaning needs the node in manageable (it is enroll).");
  await expect(picker.getByTestId("run-steps")).toBeDisabled();

  await manage(request, [uuid]);
  // Live: the reason changes without a reload.
  await expect(picker.getByTestId("run-disabled-reason")).toHaveText("Add at least one step.");

  // Available steps, searchable, with descriptions.
  const available = picker.getByTestId("picker-available");
  await expect(available.getByTestId("available-step").first()).toBeVisible();
  await picker.getByLabel("Search steps").fill("raid volume");
  await expect(available.getByTestId("available-step")).toHaveCount(1);
  await expect(available.getByTestId("available-step")).toHaveAttribute("data-step", "raid.delete_configuration");
  await expect(available).toContainText("Deletes every RAID volume.");
  await picker.getByRole("button", { name: "Add raid.delete_configuration" }).click();
  await picker.getByLabel("Search steps").fill("");
  await picker.getByRole("button", { name: "Add deploy.erase_devices_metadata" }).click();
  await picker.getByRole("button", { name: "Add bios.cache_bios_settings" }).click();

  const rows = picker.getByTestId("step-row");
  await expect(rows).toHaveCount(3);
  // Reorder with the keyboard: move cache_bios_settings up one place; focus stays on the moved step.
  await picker.getByRole("button", { name: "Move bios.cache_bios_settings up" }).focus();
  await page.keyboard.press("Enter");
  await expect(picker.getByRole("button", { name: "Move bios.cache_bios_settings up" })).toBeFocused();
  const order = ["raid.delete_configuration", "bios.cache_bios_settings", "deploy.erase_devices_metadata"];
  await expect.poll(() => rows.evaluateAll((els) => els.map((e) => e.getAttribute("data-step")))).toEqual(order);

  // The JSON view shows the same list.
  await picker.getByRole("button", { name: "JSON" }).click();
  const json = JSON.parse(await picker.getByTestId("steps-json").inputValue()) as { interface: string; step: string }[];
  expect(json.map((s) => `${s.interface}.${s.step}`)).toEqual(order);
  await picker.getByRole("button", { name: "Form" }).click();

  await picker.getByTestId("run-steps").click();
  // Confirmation lists the steps in run order.
  const dialog = page.getByRole("dialog");
  await expect(dialog.getByTestId("confirm-steps").locator("li")).toHaveText(order);
  await dialog.getByTestId("confirm-run").click();
  // Progress: the run's steps with their states, live.
  const progress = picker.getByTestId("run-progress");
  await expect(progress).toBeVisible();
  const events = await eventsAfterRun(request, uuid, "cleaning", "manageable");
  await expect(progress.getByTestId("run-step")).toHaveCount(3);
  for (let i = 0; i < 3; i++) await expect(progress.getByTestId("run-step").nth(i)).toHaveAttribute("data-state", "done", { timeout: 15_000 });
  await expect(progress.getByTestId("run-summary")).toContainText("finished");

  // History (API) shows the steps started in that order.
  const started = events.filter((e) => e.startsWith("Started clean step ")).map((e) => e.slice("Started clean step ".length));
  expect(started).toEqual(order);

  // The node's deploy steps (read-only), and a deploy template started from them.
  const deploySteps = picker.getByTestId("picker-deploy-steps");
  await deploySteps.getByText("Deploy steps", { exact: true }).click();
  await expect(deploySteps.getByRole("row", { name: /deploy\.deploy\s+100/ })).toBeVisible();
  await deploySteps.getByRole("link", { name: "New deploy template from this node's steps" }).click();
  await expect(page).toHaveURL(new RegExp(`/templates/new\\?ref=${uuid}$`));
  await expect(page.getByTestId("template-editor")).toContainText(`The deploy steps of the reference node ${PREFIX}-01 (driver sim).`);
});

test("step picker: a step's form validates its arguments and shows the server's refusal at the step", async ({ page, request }) => {
  const [uuid] = await createNodes(request, `${PREFIX}-v`, 1);
  await manage(request, [uuid]);
  await login(page);
  await page.goto(pickerUrl(uuid));
  const picker = page.getByTestId("step-picker");
  await picker.getByRole("button", { name: "Add raid.create_configuration" }).click();
  const row = picker.getByTestId("step-row").first();
  await row.getByTestId("step-toggle").click();
  const form = row.getByTestId("step-form");
  await expect(form.getByLabel(/create_root_volume/)).toBeVisible();
  await form.getByLabel(/create_root_volume/).selectOption("false");
  // A conductor step with a bad argument: caught in the browser, run refused.
  await picker.getByRole("button", { name: "Add power.wait" }).click();
  const wait = picker.getByTestId("step-row").nth(1);
  await wait.getByTestId("step-toggle").click();
  await wait.getByLabel(/seconds/).fill("soon");
  await expect(wait.getByTestId("step-problem-count")).toHaveText("1 problem");
  await expect(picker.getByTestId("run-disabled-reason")).toHaveText("Fix the problems marked in the list first.");
  await wait.getByLabel(/seconds/).fill("1");
  await expect(picker.getByTestId("run-disabled-reason")).toHaveText("");
  // The server has the last word: the node loses its RAID interface behind the picker's back (its
  // step list is now stale), so the run is refused and the message lands at the RAID step.
  const api = adminApi(request);
  await api.patch(`/nodes/${uuid}`, [{ op: "replace", path: "/raid_interface", value: "no-raid" }]);
  await picker.getByTestId("run-steps").click();
  await page.getByRole("dialog").getByTestId("confirm-run").click();
  const raidRow = picker.getByTestId("step-row").first();
  await expect(raidRow.getByTestId("step-server-error")).toContainText("does not support this clean step");
  await expect(picker.getByTestId("step-row").nth(1).getByTestId("step-server-error")).toHaveCount(0);
  const node = await api.get<{ provision_state: string }>(`/nodes/${uuid}`);
  expect(node.provision_state).toBe("manageable");
  // Refreshing the step list shows the RAID step is gone.
  await picker.getByRole("button", { name: "Refresh steps" }).click();
  await expect(raidRow.getByTestId("step-problem-count")).toBeVisible();
  await expect(raidRow).toContainText("is not an available clean step");
});

test("step picker: servicing an active node runs the chosen steps and shows them done", async ({ page, request }) => {
  test.setTimeout(150_000);
  const api = adminApi(request);
  const [uuid] = await createNodes(request, `${PREFIX}-s`, 1);
  await manage(request, [uuid]);
  await api.put(`/nodes/${uuid}/states/provision`, { target: "provide" }, 202);
  await waitForState(request, uuid, "available", 90_000);
  await api.patch(`/nodes/${uuid}`, [{ op: "add", path: "/instance_info/image_source", value: "http://images.example/e2e.qcow2" }]);
  await api.put(`/nodes/${uuid}/states/provision`, { target: "active" }, 202);
  await waitForState(request, uuid, "active", 90_000);

  await login(page);
  await page.goto(pickerUrl(uuid));
  const picker = page.getByTestId("step-picker");
  // An active node opens on servicing; manual cleaning says why it cannot run.
  await expect(picker.getByRole("button", { name: "Servicing", exact: true })).toHaveAttribute("aria-pressed", "true");
  await picker.getByRole("button", { name: "Manual cleaning", exact: true }).click();
  await picker.getByRole("button", { name: "Add power.wait" }).click();
  await expect(picker.getByTestId("run-disabled-reason")).toHaveText("Manual cleaning needs the node in manageable (it is active).");
  await picker.getByRole("button", { name: "Servicing", exact: true }).click();
  await expect(picker.getByTestId("step-row")).toHaveCount(0); // each kind keeps its own list

  await picker.getByRole("button", { name: "Add power.wait" }).click();
  await picker.getByTestId("step-toggle").click();
  await picker.getByLabel(/seconds/).fill("1");
  await picker.getByRole("button", { name: "Add power.power_on" }).click();
  await expect(picker.getByTestId("run-steps")).toHaveText("Run servicing…");
  await picker.getByTestId("run-steps").click();
  await page.getByRole("dialog").getByTestId("confirm-run").click();
  await expect(picker.getByTestId("run-progress")).toBeVisible();
  const events = await eventsAfterRun(request, uuid, "servicing", "active");
  const progress = picker.getByTestId("run-progress");
  await expect(progress.getByTestId("run-step").nth(0)).toHaveAttribute("data-state", "done", { timeout: 15_000 });
  await expect(progress.getByTestId("run-step").nth(1)).toHaveAttribute("data-state", "done");
  const started = events.filter((e) => e.startsWith("Started service step "));
  expect(started).toEqual(["Started service step power.wait", "Started service step power.power_on"]);
});

test("step picker: a runbook matching the node's traits runs from the picker", async ({ page, request }) => {
  test.setTimeout(120_000);
  const api = adminApi(request);
  const rbName = `CUSTOM_E2E_PICK_${Date.now().toString(36).toUpperCase()}`;
  await api.post("/runbooks", {
    name: rbName,
    steps: [
      { interface: "bios", step: "cache_bios_settings", args: {}, order: 1 },
      { interface: "raid", step: "delete_configuration", args: {}, order: 0 },
    ],
  }, 201);
  const [uuid] = await createNodes(request, `${PREFIX}-r`, 1);
  await manage(request, [uuid]);
  await login(page);
  await page.goto(pickerUrl(uuid));
  const runbooks = page.getByTestId("step-picker").getByTestId("picker-runbooks");
  await expect(runbooks).toContainText("None matches this node.");
  // Trait changes made through the API publish no live event (yet), so reload to see the new trait.
  await api.put(`/nodes/${uuid}/traits/${rbName}`, undefined, 204);
  await page.reload();
  await expect(runbooks).toContainText("1 matches this node.");
  await runbooks.getByLabel("Runbook").selectOption(rbName);
  await runbooks.getByRole("button", { name: "Run as cleaning…" }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog.getByTestId("confirm-steps").locator("li")).toHaveText(["raid.delete_configuration", "bios.cache_bios_settings"]);
  await dialog.getByTestId("confirm-run").click();
  const events = await eventsAfterRun(request, uuid, "cleaning", "manageable");
  const started = events.filter((e) => e.startsWith("Started clean step "));
  expect(started).toEqual(["Started clean step raid.delete_configuration", "Started clean step bios.cache_bios_settings"]);
  await expect(page.getByTestId("run-progress").getByTestId("run-step").nth(1)).toHaveAttribute("data-state", "done", { timeout: 15_000 });
  await api.del(`/runbooks/${rbName}`);
});

test("step picker: progress shows the step running now and the ones done (a hold in the middle)", async ({ page, request }) => {
  test.setTimeout(120_000);
  const api = adminApi(request);
  const [uuid] = await createNodes(request, `${PREFIX}-h`, 1);
  await manage(request, [uuid]);
  await login(page);
  await page.goto(pickerUrl(uuid));
  const picker = page.getByTestId("step-picker");
  await picker.getByRole("button", { name: "Add raid.delete_configuration" }).click();
  await picker.getByLabel("on interface").selectOption("deploy");
  await picker.getByRole("button", { name: "Add deploy.hold" }).click();
  await picker.getByRole("button", { name: "Add bios.cache_bios_settings" }).click();
  await picker.getByTestId("run-steps").click();
  await page.getByRole("dialog").getByTestId("confirm-run").click();

  const progress = picker.getByTestId("run-progress");
  const step = (i: number) => progress.getByTestId("run-step").nth(i);
  await expect
    .poll(async () => (await api.get<{ provision_state: string }>(`/nodes/${uuid}`)).provision_state, { timeout: 60_000 })
    .toBe("clean hold");
  // Live, without a reload: the hold runs now, the step before it is done, the one after waits.
  await expect(progress.getByTestId("running-step")).toHaveText("deploy.hold", { timeout: 15_000 });
  await expect(step(0)).toHaveAttribute("data-state", "done");
  await expect(step(1)).toHaveAttribute("data-state", "running");
  await expect(step(2)).toHaveAttribute("data-state", "pending");
  await expect(picker.getByTestId("run-disabled-reason")).toHaveText("The node is clean hold now.");

  await api.put(`/nodes/${uuid}/states/provision`, { target: "unhold" }, 202);
  await eventsAfterRun(request, uuid, "cleaning", "manageable");
  for (let i = 0; i < 3; i++) await expect(step(i)).toHaveAttribute("data-state", "done", { timeout: 15_000 });
  await expect(progress.getByTestId("run-summary")).toContainText("Cleaning finished — the node is manageable.");
});

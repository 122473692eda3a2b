// The node page: the timeline after a deploy, a BIOS change applied through the editor, and an
// overview edit refused because someone else changed the node meanwhile. Each test makes its own
// sim nodes (prefix e2e-node-…).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { expect, test } from "@playwright/test";
import { E2E_DATABASE_URL } from "./env.ts";
import { adminApi, createNodes, login, manage, waitForState } from "./helpers.ts";

const prefix = (what: string) => `e2e-node-${what}-${Date.now().toString(36)}`;

interface HistoryRow { event: string }

test("timeline after a deploy shows every state and step of the node's life", async ({ page, request }) => {
  test.setTimeout(240_000);
  const a = adminApi(request);
  const [uuid] = await createNodes(request, prefix("tl"), 1);
  await manage(request, [uuid]);
  await a.put(`/nodes/${uuid}/states/provision`, { target: "provide" }, 202);
  await waitForState(request, uuid, "available", 120_000);
  await a.put(`/nodes/${uuid}/traits/CUSTOM_E2E_NODE`, undefined, 204);

  // Deploy from the page: the dialog asks for the image (and optional config drive / traits).
  await login(page);
  await page.goto(`/nodes/${uuid}`);
  await page.locator('[data-action="deploy"]').click();
  const deploy = page.getByRole("dialog", { name: "Deploy" });
  await deploy.getByRole("button", { name: "Deploy", exact: true }).click();
  await expect(deploy.getByRole("alert")).toHaveText("An image is required (URL or Glance id).");
  await deploy.getByLabel("Image source").fill("http://images.example/debian-12.qcow2");
  await deploy.getByLabel("Instance traits (optional)").fill("CUSTOM_NOT_ON_NODE");
  await deploy.getByRole("button", { name: "Deploy", exact: true }).click();
  await expect(deploy.getByRole("alert")).toHaveText("The node does not have: CUSTOM_NOT_ON_NODE");
  await deploy.getByLabel("Instance traits (optional)").fill("CUSTOM_E2E_NODE");
  await deploy.getByRole("button", { name: "Deploy", exact: true }).click();
  await expect(deploy).toHaveCount(0);
  await waitForState(request, uuid, "active", 120_000);
  const deployed = await a.get<{ instance_info: Record<string, unknown> }>(`/nodes/${uuid}`);
  expect(deployed.instance_info).toMatchObject({ image_source: "http://images.example/debian-12.qcow2", traits: ["CUSTOM_E2E_NODE"] });

  const history = (await a.get<{ history: HistoryRow[] }>(`/nodes/${uuid}/history?detail=True`)).history;
  const entered = new Set(history.map((h) => /^Provision state changed from "[^"]*" to "([^"]*)"/.exec(h.event)?.[1]).filter(Boolean) as string[]);
  const steps = new Set(history.map((h) => /^Started \w+ step ([\w.-]+)/.exec(h.event)?.[1]).filter(Boolean) as string[]);
  // What a deploy goes through (as recorded by the conductor): the chart must show each.
  for (const s of ["manageable", "cleaning", "available", "deploying", "active"]) expect(entered.has(s), `history has ${s}`).toBe(true);
  expect([...steps].some((s) => s.startsWith("deploy.")), "history has deploy steps").toBe(true);

  // A power action from the bar: recorded in history, drawn as a power marker.
  await page.locator('[data-action="rebooting"]').click();
  await expect(page.getByTestId("action-message")).toHaveText("Reboot requested.");
  await expect.poll(async () => (await a.get<{ history: HistoryRow[] }>(`/nodes/${uuid}/history`)).history.some((h) => h.event.includes('(target "rebooting")'))).toBe(true);

  await page.goto(`/nodes/${uuid}?tab=timeline`);
  await expect(page.getByRole("tab", { name: "Timeline" })).toHaveAttribute("aria-selected", "true");
  await expect(page.getByTestId("timeline-chart").locator('[data-testid="timeline-marker"][data-kind="power"]').first()).toBeAttached();
  const chart = page.getByTestId("timeline-chart");
  for (const s of [...entered, "enroll"]) {
    await expect(chart.locator(`[data-testid="state-bar"][data-state="${s}"]`).first(), `bar for ${s}`).toBeAttached();
  }
  for (const s of steps) {
    await expect(chart.locator(`[data-testid="step-bar"][data-step="${s}"]`).first(), `step bar ${s}`).toBeAttached();
  }
  // The current state runs until now; focusing a bar tells who/what/when.
  const active = chart.locator('[data-testid="state-bar"][data-state="active"]').last();
  await active.focus();
  const tip = page.getByTestId("timeline-tooltip");
  await expect(tip).toContainText("active");
  await expect(tip).toContainText('entered by event "done"');
  await expect(tip).toContainText("so far");
  const deployStep = chart.locator('[data-testid="step-bar"][data-kind="deploy"]').first();
  await deployStep.focus();
  await expect(tip).toContainText(/deploy step deploy\.\w+ — finished/);
  await expect(tip).toContainText("asked by admin (you)");
  await page.screenshot({ path: "test-results/node-timeline.png", fullPage: true });

  // Zoom keeps the bars; "Fit" comes back to the whole life.
  await page.getByRole("button", { name: "Zoom in" }).click();
  await page.getByRole("button", { name: "Zoom in" }).click();
  await expect(page.getByRole("button", { name: "Fit" })).toHaveAttribute("aria-pressed", "false");
  await page.getByRole("button", { name: "Fit" }).click();
  await expect(page.getByRole("button", { name: "Fit" })).toHaveAttribute("aria-pressed", "true");

  // The same as a table.
  await page.getByRole("button", { name: "Show as table" }).click();
  const table = page.getByTestId("timeline-table");
  await expect(table.getByRole("rowheader", { name: "wait call-back" }).or(table.getByRole("rowheader", { name: "deploying" })).first()).toBeVisible();
  await expect(table).toContainText(/deploy step deploy\.\w+ — finished/);

  // Tabs work from the keyboard and live in the URL.
  await page.getByRole("tab", { name: "Timeline" }).focus();
  await page.keyboard.press("ArrowRight");
  await expect(page).toHaveURL(/tab=bios/);
  await expect(page.getByRole("tab", { name: "BIOS" })).toBeFocused();
});

test("BIOS edit → apply → the new value shows and the API agrees", async ({ page, request }) => {
  test.setTimeout(180_000);
  const a = adminApi(request);
  const [uuid] = await createNodes(request, prefix("bios"), 1);
  await manage(request, [uuid]);
  const before = (await a.get<Record<string, { value: string; upper_bound: number }>>(`/nodes/${uuid}/bios/SetupPromptTimeout`)).SetupPromptTimeout;
  const next = before.value === "12" ? "13" : "12";

  await login(page);
  await page.goto(`/nodes/${uuid}?tab=bios`);
  const row = page.locator('[data-testid="bios-row"][data-name="SetupPromptTimeout"]');
  await expect(row.getByTestId("bios-current")).toHaveText(before.value);
  // Read-only settings are greyed without an input; reset-required ones are flagged.
  await expect(page.locator('[data-testid="bios-row"][data-name="ServiceTag"]')).toContainText("read-only");
  await expect(page.locator('[data-testid="bios-row"][data-name="BootMode"]')).toContainText("reset required");
  await expect(page.locator('[data-testid="bios-row"][data-name="BootMode"]').getByRole("combobox")).toBeVisible();

  // Bounds are enforced before anything is sent.
  const input = row.getByLabel("SetupPromptTimeout");
  await input.fill(String(before.upper_bound + 1));
  await expect(row.getByRole("alert")).toHaveText(`must be at most ${before.upper_bound}`);
  await expect(page.getByTestId("bios-review")).toHaveAttribute("aria-disabled", "true");
  await input.fill(next);
  await expect(row.getByRole("alert")).toHaveCount(0);

  // Search narrows the list.
  await page.getByLabel("Search settings").fill("setupprompt");
  await expect(page.getByTestId("bios-row")).toHaveCount(1);

  await page.getByTestId("bios-review").click();
  const dialog = page.getByRole("dialog", { name: "Apply BIOS changes" });
  await expect(dialog.getByTestId("bios-diff")).toContainText("SetupPromptTimeout");
  await expect(dialog.getByTestId("bios-diff")).toContainText(before.value);
  await expect(dialog.getByTestId("bios-diff")).toContainText(next);
  await page.screenshot({ path: "test-results/node-bios-diff.png" });
  await dialog.getByTestId("bios-apply").click();
  await expect(page.getByTestId("bios-result")).toContainText("were applied", { timeout: 120_000 });
  await expect(row.getByTestId("bios-current")).toHaveText(next);

  const after = (await a.get<Record<string, { value: string }>>(`/nodes/${uuid}/bios/SetupPromptTimeout`)).SetupPromptTimeout;
  expect(after.value).toBe(next);
  const history = (await a.get<{ history: HistoryRow[] }>(`/nodes/${uuid}/history?detail=True`)).history.map((h) => h.event);
  expect(history).toContain("Finished clean step bios.apply_configuration");
});

test("an overview edit over a stale ETag says the node changed, keeps the input, and saves after rebasing", async ({ page, request }) => {
  const a = adminApi(request);
  const [uuid] = await createNodes(request, prefix("etag"), 1);

  await login(page);
  await page.goto(`/nodes/${uuid}`);
  // Actions that the state does not allow say why.
  await expect(page.locator('[data-action="deploy"]')).toHaveAttribute("aria-disabled", "true");
  await expect(page.locator('[data-action="deploy"]')).toHaveAttribute("title", /Not possible in state "enroll"/);
  await expect(page.locator('[data-action="manage"]')).not.toHaveAttribute("aria-disabled", "true");

  const general = page.locator("section", { has: page.getByRole("heading", { name: "General" }) });
  await general.getByRole("button", { name: "Edit" }).click();
  const description = general.getByLabel("Description");
  await description.fill("from the browser");

  // Someone else changes the node meanwhile.
  await a.patch(`/nodes/${uuid}`, [{ op: "replace", path: "/description", value: "from elsewhere" }]);

  await general.getByRole("button", { name: "Save" }).click();
  await expect(general.getByTestId("edit-conflict")).toContainText("changed by someone else");
  await page.screenshot({ path: "test-results/node-overview-conflict.png", fullPage: true });
  await expect(description).toHaveValue("from the browser");
  expect((await a.get<{ description: string }>(`/nodes/${uuid}`)).description).toBe("from elsewhere");

  await general.getByRole("button", { name: "Use the current version and keep my input" }).click();
  await expect(description).toHaveValue("from the browser");
  await general.getByRole("button", { name: "Save" }).click();
  await expect(general.getByTestId("general-form")).toHaveCount(0);
  await expect(general).toContainText("from the browser");
  expect((await a.get<{ description: string }>(`/nodes/${uuid}`)).description).toBe("from the browser");

  // A validation error from the API shows inline and keeps the input.
  await general.getByRole("button", { name: "Edit" }).click();
  await general.getByLabel("Name").fill("not a valid name!");
  await general.getByRole("button", { name: "Save" }).click();
  await expect(general.getByTestId("edit-error")).toBeVisible();
  await expect(general.getByLabel("Name")).toHaveValue("not a valid name!");
});

test("a failing BIOS apply: the editor keeps the edit and says why; the timeline marks the failure red", async ({ page, request }) => {
  test.setTimeout(120_000);
  const [uuid] = await createNodes(request, prefix("fail"), 1, { driver_info: { sim_fail_step: "bios.apply_configuration" } });
  await manage(request, [uuid]);

  await login(page);
  await page.goto(`/nodes/${uuid}?tab=bios`);
  const input = page.locator('[data-testid="bios-row"][data-name="AcPwrRcvryUserDelay"]').getByLabel("AcPwrRcvryUserDelay");
  await input.fill("300");
  await page.getByTestId("bios-review").click();
  await page.getByRole("dialog", { name: "Apply BIOS changes" }).getByTestId("bios-apply").click();
  await expect(page.getByTestId("bios-result")).toContainText("Cleaning failed:", { timeout: 60_000 });
  await expect(page.getByTestId("bios-result")).toContainText("Your edits are kept");
  await expect(input).toHaveValue("300");
  // The failed clean put the node in maintenance: the bar says why cleaning can't be started again.
  await page.getByTestId("bios-review").click();
  await expect(page.getByTestId("bios-clean-blocked")).toBeVisible();
  await page.keyboard.press("Escape");

  await page.getByRole("tab", { name: "Timeline" }).click();
  const chart = page.getByTestId("timeline-chart");
  await expect(chart.locator('[data-testid="state-bar"][data-state="clean failed"]')).toHaveClass(/bg-rose/);
  await expect(chart.locator('[data-testid="step-bar"][data-step="bios.apply_configuration"]')).toHaveAttribute("data-status", "failed");
  await expect(chart.locator('[data-testid="timeline-marker"][data-kind="error"]').first()).toBeAttached();
  await page.getByRole("tab", { name: "Overview" }).click();
  await expect(page.getByTestId("last-error")).toBeVisible();
});

test("BIOS changes can be appended to a deploy template instead", async ({ page, request }) => {
  const a = adminApi(request);
  const [uuid] = await createNodes(request, prefix("tpl"), 1);
  await manage(request, [uuid]);
  const name = `CUSTOM_E2E_NODE_${Date.now().toString(36).toUpperCase()}`;
  const template = await a.post<{ uuid: string }>("/deploy_templates", { name, steps: [{ interface: "bios", step: "factory_reset", args: {}, priority: 20 }] }, 201);

  await login(page);
  await page.goto(`/nodes/${uuid}?tab=bios`);
  await page.locator('[data-testid="bios-row"][data-name="NumLock"]').getByLabel("NumLock").selectOption("Off");
  await page.getByTestId("bios-review").click();
  const dialog = page.getByRole("dialog", { name: "Apply BIOS changes" });
  await dialog.getByLabel(/Add the step to a deploy template/).check();
  await dialog.getByLabel("Deploy template", { exact: true }).selectOption({ label: `${name} (1 step)` });
  await dialog.getByLabel("Priority").fill("40");
  await dialog.getByTestId("bios-apply").click();
  await expect(page.getByTestId("bios-result")).toContainText(`added to deploy template ${name}`);

  const steps = (await a.get<{ steps: unknown[] }>(`/deploy_templates/${template.uuid}`)).steps;
  expect(steps).toContainEqual({ interface: "bios", step: "apply_configuration", args: { settings: [{ name: "NumLock", value: "Off" }] }, priority: 40 });
  // The node itself is untouched.
  expect((await a.get<{ provision_state: string }>(`/nodes/${uuid}`)).provision_state).toBe("manageable");
  await a.del(`/deploy_templates/${template.uuid}`);
});

test("a lessee member sees their node with the actions the policy denies explained; other nodes are 404", async ({ page, request }) => {
  const project = `e2e-node-lessee-${Date.now().toString(36)}`;
  const user = `${project}-user`;
  execFileSync("node_modules/.bin/tsx", ["lib/cli/main.ts", "user", "create", user, "--password", "lessee-password-1", "--project", project, "--role", "member"], {
    env: { ...process.env, DATABASE_URL: E2E_DATABASE_URL },
    stdio: "pipe",
  });
  const projectId = createHash("sha256").update(`ingot-project:${project}`).digest("hex").slice(0, 32);
  const [mine, other] = await createNodes(request, prefix("lessee"), 2);
  await adminApi(request).patch(`/nodes/${mine}`, [{ op: "add", path: "/lessee", value: projectId }]);
  await manage(request, [mine]);

  await login(page, user, "lessee-password-1");
  await page.goto(`/nodes/${mine}`);
  await expect(page.getByTestId("node-name")).toBeVisible();
  // Fields the API redacts for a lessee read as hidden, not as a lock or an error.
  await expect(page.getByTestId("last-error")).toHaveCount(0);
  await expect(page.getByTestId("node-badges")).not.toContainText("locked");
  // A lessee member may power the node but not drive provisioning (lessee admin) or delete it.
  await expect(page.locator('[data-action="provide"]')).toHaveAttribute("title", /baremetal:node:set_provision_state .*member of your project/);
  await expect(page.locator('[data-action="delete"]')).toHaveAttribute("title", /baremetal:node:delete/);
  await expect(page.locator('[data-action="power on"]')).not.toHaveAttribute("aria-disabled", "true");
  // Hardware fields belong to the owner: their editors say so.
  const props = page.locator("section", { has: page.getByRole("heading", { name: "Properties" }) });
  await expect(props.getByRole("button", { name: "Edit" })).toHaveAttribute("title", "Needs baremetal:node:update:properties");
  await page.getByRole("tab", { name: "Timeline" }).click();
  await expect(page.getByText("The history is visible to system readers and readers of the owner project")).toBeVisible();

  const res = await page.goto(`/nodes/${other}`);
  expect(res?.status()).toBe(404);
});

// Deploy templates through the dashboard: create, edit (with the diff, and a conflict), matching
// nodes, delete — each checked through the API.
import { expect, test } from "@playwright/test";
import { ADMIN, adminApi, basicAuth, createNodes, login, logout } from "./helpers.ts";

const SUFFIX = Date.now().toString(36).toUpperCase();
const NAME = `CUSTOM_E2E_TPL_${SUFFIX}`;

interface Template {
  uuid: string;
  name: string;
  steps: { interface: string; step: string; args: Record<string, unknown>; priority: number }[];
}

test("deploy template: create, edit, conflict, matching nodes and delete", async ({ page, request }) => {
  test.setTimeout(90_000);
  const api = adminApi(request);
  await login(page);

  await page.goto("/templates");
  await expect(page.getByRole("heading", { name: "Deploy templates" })).toBeVisible();
  await page.getByRole("link", { name: "New deploy template" }).click();
  await expect(page).toHaveURL(/\/templates\/new$/);

  // Name checked as typed.
  const name = page.getByLabel("Name", { exact: true });
  const reason = page.getByTestId("save-disabled-reason");
  await name.fill("raid1");
  await expect(reason).toContainText("Must start with CUSTOM_");
  await name.fill("CUSTOM_raid");
  await expect(reason).toContainText("Only upper-case letters");
  await name.fill(NAME);
  await expect(reason).toHaveText("Add at least one step.");
  await expect(page.getByTestId("review-save")).toBeDisabled();

  // Steps come from the drivers in use; add two, set arguments and priorities.
  const editor = page.getByTestId("template-editor");
  await expect(editor.getByTestId("template-available")).toContainText("raid.create_configuration");
  await editor.getByRole("button", { name: "Add raid.delete_configuration" }).click();
  await editor.getByRole("button", { name: "Add raid.create_configuration" }).click();
  const rows = editor.getByTestId("step-row");
  await expect(rows).toHaveCount(2);
  await editor.getByLabel("Priority of raid.delete_configuration").fill("160");
  await editor.getByLabel("Priority of raid.create_configuration").fill("155");
  const create = rows.nth(1);
  await create.getByTestId("step-toggle").click();
  await create.getByLabel(/create_nonroot_volumes/).selectOption("false");
  await expect(editor.getByTestId("template-run-order")).toHaveText("Run order: raid.delete_configuration (160) → raid.create_configuration (155)");
  // A duplicate is refused before the server sees it.
  await editor.getByRole("button", { name: "Add raid.delete_configuration" }).click();
  await expect(editor).toContainText("A deploy template cannot list a step twice: raid.delete_configuration.");
  await expect(page.getByTestId("review-save")).toBeDisabled();
  await editor.getByRole("button", { name: "Remove raid.delete_configuration" }).last().click();

  await page.getByTestId("review-save").click();
  const dialog = page.getByRole("dialog");
  await expect(dialog.getByTestId("save-diff")).toContainText(`"name": "${NAME}"`);
  await dialog.getByTestId("confirm-save").click();
  await expect(page).toHaveURL(new RegExp(`/templates/${NAME}$`));

  let t = await api.get<Template>(`/deploy_templates/${NAME}`);
  expect(t.steps).toEqual([
    { interface: "raid", step: "delete_configuration", args: {}, priority: 160 },
    { interface: "raid", step: "create_configuration", args: { create_nonroot_volumes: false }, priority: 155 },
  ]);

  // Listed with its step count.
  await page.goto("/templates");
  const listRow = page.locator(`[data-testid="template-row"][data-name="${NAME}"]`);
  await expect(listRow.getByTestId("steps-count")).toHaveText("2");
  await expect(listRow.getByTestId("matching-count")).toHaveText("0");

  // A node with the trait matches it.
  const [nodeUuid] = await createNodes(request, `e2e-tpl-${SUFFIX.toLowerCase()}`, 1);
  await api.put(`/nodes/${nodeUuid}/traits/${NAME}`, undefined, 204);
  await page.reload();
  await expect(listRow.getByTestId("matching-count")).toHaveText("1");
  await listRow.getByRole("link", { name: NAME }).click();
  await expect(page.getByTestId("matching-nodes")).toContainText(`e2e-tpl-${SUFFIX.toLowerCase()}-01`);

  // Edit: remove a step and change a priority; the diff shows it; saved with PATCH.
  const editor2 = page.getByTestId("template-editor");
  await editor2.getByLabel("Priority of raid.create_configuration").fill("90");
  await editor2.getByRole("button", { name: "Remove raid.delete_configuration" }).click();
  await page.getByTestId("review-save").click();
  const diff = page.getByRole("dialog").getByTestId("save-diff");
  await expect(diff).toContainText('"step": "delete_configuration"');
  await expect(diff.locator("div", { hasText: '"priority": 90' }).first()).toHaveClass(/emerald/);
  await page.getByRole("dialog").getByTestId("confirm-save").click();
  await expect(page.getByTestId("saved-note")).toBeVisible();
  t = await api.get<Template>(`/deploy_templates/${NAME}`);
  expect(t.steps).toEqual([{ interface: "raid", step: "create_configuration", args: { create_nonroot_volumes: false }, priority: 90 }]);

  // Someone else changes it meanwhile: the save is refused (If-Match) and nothing is overwritten.
  await api.patch(`/deploy_templates/${NAME}`, [{ op: "replace", path: "/steps/0/priority", value: 70 }]);
  await editor2.getByLabel("Priority of raid.create_configuration").fill("80");
  await page.getByTestId("review-save").click();
  await page.getByRole("dialog").getByTestId("confirm-save").click();
  await expect(page.getByTestId("save-error")).toContainText("changed");
  t = await api.get<Template>(`/deploy_templates/${NAME}`);
  expect(t.steps[0].priority).toBe(70);
  await page.getByTestId("save-error").getByRole("button", { name: "Reload" }).click();
  await expect(editor2.getByLabel("Priority of raid.create_configuration")).toHaveValue("70");

  // Delete, with confirmation.
  await page.getByRole("button", { name: "Delete", exact: true }).click();
  await expect(page.getByRole("dialog")).toContainText("1 node carries the trait.");
  await page.getByRole("dialog").getByTestId("confirm-delete").click();
  await expect(page).toHaveURL(/\/templates$/);
  const res = await request.get(`/baremetal/v1/deploy_templates/${NAME}`, {
    headers: { Authorization: basicAuth(ADMIN.username, ADMIN.password), "X-OpenStack-Ironic-API-Version": "latest" },
  });
  expect(res.status()).toBe(404);
  await expect(page.locator(`[data-testid="template-row"][data-name="${NAME}"]`)).toHaveCount(0);
});

interface Runbook {
  uuid: string;
  name: string;
  public: boolean;
  steps: { interface: string; step: string; args: Record<string, unknown>; order: number }[];
}

test("runbook: create with steps reordered by drag, edit in the JSON view, delete", async ({ page, request }) => {
  test.setTimeout(90_000);
  const api = adminApi(request);
  const rbName = `CUSTOM_E2E_RB_${SUFFIX}`;
  await login(page);
  await page.goto("/runbooks");
  await page.getByRole("link", { name: "New runbook" }).click();
  await page.getByLabel("Name", { exact: true }).fill(rbName);
  const editor = page.getByTestId("runbook-editor");
  await editor.getByRole("button", { name: "Add bios.cache_bios_settings" }).click();
  await editor.getByRole("button", { name: "Add raid.delete_configuration" }).click();
  const rows = editor.getByTestId("step-row");
  await expect(rows).toHaveCount(2);
  // Drag the second step above the first.
  await rows.nth(1).getByTestId("drag-handle").dragTo(rows.nth(0));
  await expect.poll(() => rows.evaluateAll((els) => els.map((e) => e.getAttribute("data-step")))).toEqual(["raid.delete_configuration", "bios.cache_bios_settings"]);

  await page.getByTestId("review-save").click();
  await page.getByRole("dialog").getByTestId("confirm-save").click();
  await expect(page).toHaveURL(new RegExp(`/runbooks/${rbName}$`));
  let rb = await api.get<Runbook>(`/runbooks/${rbName}`);
  expect(rb.steps).toEqual([
    { interface: "raid", step: "delete_configuration", args: {}, order: 0 },
    { interface: "bios", step: "cache_bios_settings", args: {}, order: 1 },
  ]);

  // The JSON view: invalid JSON is refused; a valid edit replaces the list.
  const editor2 = page.getByTestId("runbook-editor");
  await editor2.getByRole("button", { name: "JSON" }).click();
  const json = editor2.getByTestId("steps-json");
  await json.fill('[{"interface": "power", "step": "wait", "args": {"seconds": 2}, "order": 0}');
  await expect(editor2.getByRole("button", { name: "Apply JSON" })).toBeDisabled();
  await json.fill('[{"interface": "power", "step": "wait", "args": {"seconds": 2}, "order": 0}, {"interface": "raid", "step": "delete_configuration", "order": 1}]');
  await editor2.getByRole("button", { name: "Apply JSON" }).click();
  await expect(editor2.getByTestId("step-row")).toHaveCount(2);
  await page.getByTestId("review-save").click();
  await expect(page.getByRole("dialog").getByTestId("save-diff")).toContainText('"step": "cache_bios_settings"');
  await page.getByRole("dialog").getByTestId("confirm-save").click();
  await expect(page.getByTestId("saved-note")).toBeVisible();
  rb = await api.get<Runbook>(`/runbooks/${rbName}`);
  expect(rb.steps.map((s) => `${s.interface}.${s.step}`)).toEqual(["power.wait", "raid.delete_configuration"]);
  expect(rb.steps[0].args).toEqual({ seconds: 2 });

  await page.getByRole("button", { name: "Delete", exact: true }).click();
  await page.getByRole("dialog").getByTestId("confirm-delete").click();
  await expect(page).toHaveURL(/\/runbooks$/);
  const res = await request.get(`/baremetal/v1/runbooks/${rbName}`, {
    headers: { Authorization: basicAuth(ADMIN.username, ADMIN.password), "X-OpenStack-Ironic-API-Version": "latest" },
  });
  expect(res.status()).toBe(404);
});

test("deploy templates: a system reader gets a read-only view; the server refuses their changes", async ({ page, request }) => {
  test.setTimeout(90_000);
  const api = adminApi(request);
  const tplName = `CUSTOM_E2E_RO_${SUFFIX}`;
  await api.post("/deploy_templates", { name: tplName, steps: [{ interface: "raid", step: "delete_configuration", args: {}, priority: 120 }] }, 201);
  const reader = `tplr${SUFFIX.toLowerCase()}`;
  const password = "reader-password-1";

  await login(page);
  await page.goto("/admin");
  const form = page.getByRole("form", { name: "New user" });
  await form.getByLabel("User name").fill(reader);
  await form.getByLabel("Initial password").fill(password);
  await form.getByLabel("System role").selectOption("reader");
  await form.getByRole("button", { name: "Create user" }).click();
  await expect(page.getByTestId("user-created")).toContainText(`User ${reader} created.`);
  await logout(page);

  await login(page, reader, password);
  await page.goto("/templates");
  await expect(page.locator(`[data-testid="template-row"][data-name="${tplName}"]`)).toBeVisible();
  await expect(page.getByRole("link", { name: "New deploy template" })).toHaveCount(0);
  await expect(page.getByText("Creating deploy templates needs the system admin role.")).toBeVisible();
  await page.goto(`/templates/${tplName}`);
  await expect(page.getByText("Read-only: changing deploy templates needs the system admin role.")).toBeVisible();
  await expect(page.getByLabel("Name", { exact: true })).toBeDisabled();
  await expect(page.getByTestId("review-save")).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Delete", exact: true })).toHaveCount(0);
  await expect(page.getByRole("button", { name: /^Remove / })).toHaveCount(0);
  await page.goto("/templates/new");
  await expect(page.getByTestId("not-allowed")).toContainText("needs the system admin role");
  // The server decides, whatever the page shows.
  const res = await request.fetch(`/baremetal/v1/deploy_templates/${tplName}`, {
    method: "PATCH",
    headers: { Authorization: basicAuth(reader, password), "X-OpenStack-Ironic-API-Version": "latest" },
    data: [{ op: "replace", path: "/steps/0/priority", value: 1 }],
  });
  expect(res.status()).toBe(403);
  expect((await api.get<Template>(`/deploy_templates/${tplName}`)).steps[0].priority).toBe(120);
  await api.del(`/deploy_templates/${tplName}`);
});

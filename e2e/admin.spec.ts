// Users, projects and tokens in the browser: the admin creates a project and a user in /admin; that
// user sees only their project's nodes (page and API) and gets 404 for another project's node; API
// tokens made in /account/tokens work with the real openstack client until revoked.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { ADMIN, adminApi, basicAuth, createNodes, login, logout } from "./helpers.ts";
import { E2E_PORT } from "./env.ts";

const run = promisify(execFile);
// Unique per run, so a reused local server never already has these names.
const PREFIX = `adm${Date.now().toString(36)}`;
const PROJECT = `${PREFIX}-lab`;
const USER = `${PREFIX}-pat`;
const USER_PASSWORD = "pat-password-1";

async function projectId(request: APIRequestContext, name: string): Promise<string> {
  const { projects } = await adminApi(request).get<{ projects: { id: string; name: string }[] }>("/projects");
  const p = projects.find((x) => x.name === name);
  expect(p, `project ${name} exists`).toBeTruthy();
  return p!.id;
}

async function createUserInUi(page: Page, username: string, opts: { password?: string; project?: string; role?: string } = {}): Promise<string | null> {
  const form = page.getByRole("form", { name: "New user" });
  await form.getByLabel("User name").fill(username);
  if (opts.password) await form.getByLabel("Initial password").fill(opts.password);
  if (opts.project) {
    await form.getByLabel("Project (optional)").selectOption({ label: opts.project });
    await form.getByLabel("Project role").selectOption(opts.role ?? "member");
  }
  await form.getByRole("button", { name: "Create user" }).click();
  await expect(page.getByTestId("user-created")).toContainText(`User ${username} created.`);
  return opts.password ? null : page.getByTestId("generated-password").inputValue();
}

test.describe.configure({ mode: "serial", timeout: 90_000 });

test("pages need a session; an admin logs in and out", async ({ page }) => {
  const res = await page.goto("/admin");
  await expect(page).toHaveURL(/\/login/);
  expect(res?.status()).toBeLessThan(400);
  await login(page);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Admin" }).click();
  await expect(page.getByRole("heading", { name: "Administration" })).toBeVisible();
  await logout(page);
  await page.goto("/account/tokens");
  await expect(page).toHaveURL(/\/login/);
});

test("admin creates a project and a member; the member sees only the project's nodes, in the UI and the API", async ({ page, request }) => {
  await login(page);
  await page.goto("/admin");

  // Inline validation keeps what was typed.
  const projectForm = page.getByRole("form", { name: "New project" });
  await projectForm.getByLabel("Project name").fill("not a name!");
  await projectForm.getByRole("button", { name: "Create project" }).click();
  await expect(projectForm.getByText(/Letters, digits/)).toBeVisible();
  await expect(projectForm.getByLabel("Project name")).toHaveValue("not a name!");
  await projectForm.getByLabel("Project name").fill(PROJECT);
  await projectForm.getByLabel("Description (optional)").fill("e2e admin spec");
  await projectForm.getByRole("button", { name: "Create project" }).click();
  await expect(page.getByTestId(`project-${PROJECT}`)).toContainText("No members yet.");
  // The same name again is refused next to the field.
  await projectForm.getByLabel("Project name").fill(PROJECT);
  await projectForm.getByRole("button", { name: "Create project" }).click();
  await expect(projectForm.getByText(`project ${PROJECT} already exists`)).toBeVisible();

  // A short password is refused before anything is sent; the user name stays.
  const userForm = page.getByRole("form", { name: "New user" });
  await userForm.getByLabel("User name").fill(USER);
  await userForm.getByLabel("Initial password").fill("short");
  await userForm.getByRole("button", { name: "Create user" }).click();
  await expect(userForm.getByText(/At least 8 characters/)).toBeVisible();
  await expect(userForm.getByLabel("User name")).toHaveValue(USER);
  await createUserInUi(page, USER, { password: USER_PASSWORD, project: PROJECT, role: "member" });
  await expect(page.getByTestId(`user-row-${USER}`)).toContainText(PROJECT);
  await expect(page.getByTestId(`member-${PROJECT}-${USER}`)).toBeVisible();

  // Nodes: one owned by the project, one leased to it, one of another project.
  const pid = await projectId(request, PROJECT);
  const [owned] = await createNodes(request, `${PREFIX}-own`, 1, { owner: pid });
  const [leased] = await createNodes(request, `${PREFIX}-lease`, 1, { owner: "someone-else", lessee: pid });
  const [foreign] = await createNodes(request, `${PREFIX}-other`, 1, { owner: "someone-else" });
  const names = { owned: `${PREFIX}-own-01`, leased: `${PREFIX}-lease-01`, foreign: `${PREFIX}-other-01` };

  // The admin sees all three on the fleet page (so the absence below means something).
  await page.goto(`/?q=${PREFIX}`);
  for (const n of Object.values(names)) await expect(page.getByRole("link", { name: n, exact: true })).toBeVisible();
  await logout(page);

  // The member: only their project's nodes.
  await login(page, USER, USER_PASSWORD);
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Admin" })).toHaveCount(0);
  await page.goto(`/?q=${PREFIX}`);
  await expect(page.getByRole("link", { name: names.owned, exact: true })).toBeVisible();
  await expect(page.getByRole("link", { name: names.leased, exact: true })).toBeVisible();
  await expect(page.getByRole("link", { name: names.foreign, exact: true })).toHaveCount(0);
  expect((await page.goto(`/nodes/${owned}`))?.status()).toBe(200);
  expect((await page.goto(`/nodes/${foreign}`))?.status()).toBe(404);
  expect((await page.goto(`/nodes/${names.foreign}`))?.status()).toBe(404);
  // /admin is not for them: a 404, no data.
  const adminRes = await page.goto("/admin");
  expect(adminRes?.status()).toBe(404);
  await expect(page.getByText(ADMIN.username, { exact: true })).toHaveCount(0);

  // The same through the API with HTTP Basic as the member.
  const headers = { Authorization: basicAuth(USER, USER_PASSWORD), "X-OpenStack-Ironic-API-Version": "latest" };
  const list = await request.get(`/baremetal/v1/nodes?fields=uuid,name&limit=1000`, { headers });
  expect(list.status()).toBe(200);
  const seen = ((await list.json()).nodes as { uuid: string; name: string }[]).filter((n) => n.name?.startsWith(PREFIX)).map((n) => n.uuid);
  expect(seen.sort()).toEqual([owned, leased].sort());
  expect((await request.get(`/baremetal/v1/nodes/${foreign}`, { headers })).status()).toBe(404);
  expect((await request.get(`/baremetal/v1/nodes/${owned}`, { headers })).status()).toBe(200);
  await page.goto("/");
  await logout(page);
});

test("a token made in the UI works with the openstack client until it is revoked", async ({ page }) => {
  await login(page, USER, USER_PASSWORD);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Tokens" }).click();
  await expect(page.getByRole("heading", { name: "API tokens" })).toBeVisible();
  const form = page.getByRole("form", { name: "New token" });
  await form.getByRole("button", { name: "Create token" }).click();
  await expect(form.getByText(/Give the token a name/)).toBeVisible();
  await form.getByLabel("Name").fill(`${PREFIX}-cli`);
  await expect(form.getByLabel("Scope")).toHaveValue(await projectId(page.request, PROJECT));
  await form.getByLabel("Expires after (days)").fill("0");
  await form.getByLabel("Expires after (days)").press("Enter"); // the keyboard submits the form
  await expect(form.getByText(/A whole number of days from 1 to 3650/)).toBeVisible();
  await expect(form.getByLabel("Name")).toHaveValue(`${PREFIX}-cli`);
  await form.getByLabel("Expires after (days)").fill("7");
  await form.getByLabel("Expires after (days)").press("Enter");
  const token = await page.getByTestId("token-value").inputValue();
  expect(token).toMatch(/^ingot_/);
  await expect(page.getByTestId("token-command")).toContainText(`--os-auth-type admin_token --os-endpoint http://127.0.0.1:${E2E_PORT}/baremetal --os-token ${token}`);
  const row = page.getByTestId(`token-row-${PREFIX}-cli`);
  await expect(row).toContainText(`project ${PROJECT}`);
  await expect(row).toContainText("active");

  // The real client, exactly as the page says.
  const openstack = async (tok: string) =>
    run("/usr/bin/python3", ["/usr/bin/openstack", "--os-auth-type", "admin_token", "--os-endpoint", `http://127.0.0.1:${E2E_PORT}/baremetal`,
      "--os-token", tok, "baremetal", "node", "list", "-f", "value", "-c", "Name"], { timeout: 60_000 });
  const { stdout } = await openstack(token);
  const names = stdout.split("\n").filter((n) => n.startsWith(PREFIX)).sort();
  expect(names).toEqual([`${PREFIX}-lease-01`, `${PREFIX}-own-01`]);

  // Shown once: after a reload the page no longer has it.
  await page.reload();
  await expect(page.getByTestId("token-value")).toHaveCount(0);
  expect(await page.content()).not.toContain(token);

  // Revoke, confirming in the dialog; the client then gets 401. Escape first cancels, focus back on the button.
  const revokeButton = page.getByTestId(`token-row-${PREFIX}-cli`).getByRole("button", { name: "Revoke" });
  await revokeButton.click();
  const dialog = page.getByRole("dialog", { name: `Revoke token ${PREFIX}-cli?` });
  await expect(dialog).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(dialog).toHaveCount(0);
  await expect(revokeButton).toBeFocused();
  await revokeButton.press("Enter");
  await dialog.getByRole("button", { name: "Revoke token" }).click();
  await expect(page.getByTestId(`token-row-${PREFIX}-cli`)).toContainText("revoked");
  const err = await openstack(token).then(() => "", (e: { stderr?: string }) => e.stderr ?? String(e));
  expect(err).toMatch(/HTTP 401/);
});

test("admin changes roles and access, resets a password, and deletes a user and a project", async ({ page, request }) => {
  const other = `${PREFIX}-sam`;
  await login(page);
  await page.goto("/admin");
  const password = await createUserInUi(page, other);
  expect(password).toMatch(/^[A-Za-z0-9]{20}$/);
  const row = page.getByTestId(`user-row-${other}`);

  // System role reader: the API shows them the whole fleet.
  await row.getByLabel(`System role of ${other}`).selectOption("reader");
  await expect(row.getByLabel(`System role of ${other}`)).toHaveValue("reader");
  const headers = { Authorization: basicAuth(other, password!), "X-OpenStack-Ironic-API-Version": "latest" };
  expect((await request.get(`/baremetal/v1/nodes?limit=1`, { headers })).status()).toBe(200);

  // Disabled: 401; enabled again: 200.
  await row.getByRole("button", { name: "Disable" }).click();
  await expect(row).toContainText("disabled");
  expect((await request.get(`/baremetal/v1/nodes?limit=1`, { headers })).status()).toBe(401);
  await row.getByRole("button", { name: "Enable" }).click();
  await expect(row).toContainText("enabled");
  expect((await request.get(`/baremetal/v1/nodes?limit=1`, { headers })).status()).toBe(200);

  // Password reset with a generated password.
  await row.getByRole("button", { name: "Reset password" }).click();
  const reset = page.getByRole("dialog", { name: `Reset the password of ${other}` });
  await reset.getByRole("button", { name: "Generate password" }).click();
  const fresh = await reset.getByTestId("reset-password").inputValue();
  expect(fresh).toMatch(/^[A-Za-z0-9]{20}$/);
  await reset.getByRole("button", { name: "Done" }).click();
  expect((await request.get(`/baremetal/v1/nodes?limit=1`, { headers })).status()).toBe(401);
  expect((await request.get(`/baremetal/v1/nodes?limit=1`, { headers: { ...headers, Authorization: basicAuth(other, fresh) } })).status()).toBe(200);

  // The admin's own row cannot be disabled or deleted.
  const own = page.getByTestId(`user-row-${ADMIN.username}`);
  await expect(own.getByRole("button", { name: "Delete" })).toHaveAttribute("aria-disabled", "true");

  // Membership: add with a role, change it, remove it.
  const project = page.getByTestId(`project-${PROJECT}`);
  await project.getByLabel("Add user").selectOption({ label: other });
  await project.getByLabel("Role", { exact: true }).selectOption("reader");
  await project.getByRole("button", { name: "Add member" }).click();
  const member = page.getByTestId(`member-${PROJECT}-${other}`);
  await expect(member.getByLabel(`Role of ${other} in ${PROJECT}`)).toHaveValue("reader");
  await member.getByLabel(`Role of ${other} in ${PROJECT}`).selectOption("admin");
  await expect(page.getByTestId(`user-row-${other}`)).toContainText(`${PROJECT} · Admin`);
  await member.getByRole("button", { name: "Remove" }).click();
  await page.getByRole("dialog", { name: `Remove ${other} from ${PROJECT}?` }).getByRole("button", { name: "Remove" }).click();
  await expect(member).toHaveCount(0);

  // Delete the user, confirming.
  await row.getByRole("button", { name: "Delete" }).click();
  await page.getByRole("dialog", { name: `Delete user ${other}?` }).getByRole("button", { name: "Delete user" }).click();
  await expect(page.getByTestId(`user-row-${other}`)).toHaveCount(0);
  expect((await request.get(`/baremetal/v1/nodes?limit=1`, { headers: { ...headers, Authorization: basicAuth(other, fresh) } })).status()).toBe(401);

  // A project that still owns nodes cannot be deleted; an empty one can.
  const card = page.locator(`#project-${PROJECT}`);
  await expect(card.getByRole("button", { name: "Delete project" })).toHaveAttribute("aria-disabled", "true");
  const empty = `${PREFIX}-empty`;
  const projectForm = page.getByRole("form", { name: "New project" });
  await projectForm.getByLabel("Project name").fill(empty);
  await projectForm.getByRole("button", { name: "Create project" }).click();
  await page.locator(`#project-${empty}`).getByRole("button", { name: "Delete project" }).click();
  const confirm = page.getByRole("dialog", { name: `Delete project ${empty}?` });
  await confirm.getByRole("button", { name: "Cancel" }).click();
  await expect(page.locator(`#project-${empty}`)).toBeVisible();
  await page.locator(`#project-${empty}`).getByRole("button", { name: "Delete project" }).click();
  await confirm.getByRole("button", { name: "Delete project" }).click();
  await expect(page.locator(`#project-${empty}`)).toHaveCount(0);
});

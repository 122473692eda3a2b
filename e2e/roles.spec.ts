// What the viewer's role allows is what the dashboard offers: bulk actions a role can never take
// are not offered (with the reason), as the node's own actions are not.
import { execFileSync } from "node:child_process";
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { E2E_DATABASE_URL } from "./env.ts";
import { adminApi, createNodes, login } from "./helpers.ts";

/** A new project with one user of `role` in it, and two nodes it owns; their names' prefix. */
async function projectUser(request: APIRequestContext, role: "reader" | "member", tag: string): Promise<{ prefix: string; user: string; password: string; uuids: string[] }> {
  const prefix = `${tag}${Date.now().toString(36)}`;
  const user = `${prefix}-user`;
  const password = `${prefix}-password-1`;
  execFileSync("node_modules/.bin/tsx", ["lib/cli/main.ts", "user", "create", user, "--password", password, "--project", `${prefix}-proj`, "--role", role], {
    env: { ...process.env, DATABASE_URL: E2E_DATABASE_URL },
    stdio: "pipe",
  });
  const projects = (await adminApi(request).get<{ projects: { id: string; name: string }[] }>("/projects")).projects;
  const id = projects.find((p) => p.name === `${prefix}-proj`)!.id;
  const uuids = await createNodes(request, prefix, 2, { owner: id });
  return { prefix, user, password, uuids };
}

async function selectAll(page: Page, prefix: string) {
  await page.goto(`/?q=${prefix}`);
  await expect(page.getByTestId("match-count")).toHaveText("2");
  await page.getByLabel("Select every node on this page").check();
  await expect(page.getByTestId("selection-count")).toHaveText("2 selected");
}

test("a project reader is offered no bulk action, and told why", async ({ page, request }) => {
  const { prefix, user, password, uuids } = await projectUser(request, "reader", "rlr");
  await login(page, user, password);
  await selectAll(page, prefix);
  const bulk = page.getByRole("button", { name: "Bulk actions" });
  await expect(bulk).toHaveAttribute("aria-disabled", "true");
  await expect(page.getByTestId("bulk-not-allowed")).toHaveText("Your role (reader of your project) allows no bulk actions.");
  await bulk.click({ force: true });
  await expect(page.getByRole("menu", { name: "Bulk actions" })).toHaveCount(0);
  // The node page offers the reader no action either, each with its reason.
  await page.goto(`/nodes/${uuids[0]}`);
  const powerOff = page.getByTestId("node-actions").locator('[data-action="power off"]');
  await expect(powerOff).toHaveAttribute("aria-disabled", "true");
  await expect(powerOff).toHaveAttribute("title", /baremetal:node:set_power_state does not grant it to you \(reader of your project\)/);
});

test("a project member is offered what members may do; the rest is disabled with its reason", async ({ page, request }) => {
  const { prefix, user, password } = await projectUser(request, "member", "rlm");
  await login(page, user, password);
  await selectAll(page, prefix);
  await page.getByRole("button", { name: "Bulk actions" }).click();
  const menu = page.getByRole("menu", { name: "Bulk actions" });
  for (const allowed of ["Power off", "Maintenance on…", "Provide"]) {
    await expect(menu.getByRole("menuitem", { name: allowed, exact: true })).not.toHaveAttribute("aria-disabled", "true");
  }
  // Deleting needs an admin of the owner project; setting the owner a system member.
  const del = menu.getByRole("menuitem", { name: /^Delete…/ });
  await expect(del).toHaveAttribute("aria-disabled", "true");
  await expect(del).toContainText("baremetal:node:delete does not grant it to you (member of your project)");
  const owner = menu.getByRole("menuitem", { name: /^Set owner…/ });
  await expect(owner).toHaveAttribute("aria-disabled", "true");
  await owner.click({ force: true }); // disabled: nothing opens
  await expect(page.getByRole("dialog")).toHaveCount(0);
});

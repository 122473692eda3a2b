// Names, not ids: projects in Owner and Lessee (also other projects a project user shares a node
// with) and users in a node's History.
import { execFileSync } from "node:child_process";
import { expect, test } from "@playwright/test";
import { E2E_DATABASE_URL } from "./env.ts";
import { adminApi, api, createNodes, login } from "./helpers.ts";

test("a project user sees the names of the projects on their nodes, and History names who acted", async ({ page, request }) => {
  const prefix = `nm${Date.now().toString(36)}`;
  const user = `${prefix}-user`;
  const password = `${prefix}-password-1`;
  execFileSync("node_modules/.bin/tsx", ["lib/cli/main.ts", "user", "create", user, "--password", password, "--project", `${prefix}-proj`, "--role", "member"], {
    env: { ...process.env, DATABASE_URL: E2E_DATABASE_URL },
    stdio: "pipe",
  });
  const admin = adminApi(request);
  const projects = (await admin.get<{ projects: { id: string; name: string }[] }>("/projects")).projects;
  const mine = projects.find((p) => p.name === `${prefix}-proj`)!.id;
  const web = projects.find((p) => p.name === "web")!.id;
  const [leased] = await createNodes(request, `${prefix}-lease`, 1, { owner: web, lessee: mine });
  const [owned] = await createNodes(request, `${prefix}-own`, 1, { owner: mine });
  // The member acts on their node; the admin on it too.
  await api(request, user, password).put(`/nodes/${owned}/maintenance`, { reason: "member was here" }, 202);
  await admin.del(`/nodes/${owned}/maintenance`);

  await login(page, user, password);
  await page.goto(`/?q=${prefix}`);
  const row = page.locator(`tbody tr[data-uuid="${leased}"]`);
  await expect(row).toContainText("web");
  await expect(row).not.toContainText(web);
  await page.goto(`/nodes/${leased}`);
  await expect(page.getByText(web, { exact: true })).toHaveCount(0);

  await page.context().clearCookies();
  await login(page);
  await page.goto(`/nodes/${owned}?tab=history`);
  const users = page.getByTestId("history").locator("tbody tr td:nth-child(5)");
  await expect(users.first()).toHaveText("admin (you)"); // newest first
  await expect(users.nth(1)).toHaveText(user);
});

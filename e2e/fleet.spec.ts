import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { expect, test, type Page } from "@playwright/test";
import { E2E_ADMIN_PASSWORD, E2E_DATABASE_URL, E2E_DEMO_NODES } from "./env.ts";

async function login(page: Page, password = E2E_ADMIN_PASSWORD) {
  await page.goto("/login");
  await page.getByLabel("User name").fill("admin");
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

test("pages need a session", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByRole("heading", { name: "Sign in to Ingot" })).toBeVisible();
});

test("a wrong password shows an error", async ({ page }) => {
  await login(page, "not-the-password");
  await expect(page).toHaveURL(/\/login\?error=/);
  await expect(page.getByTestId("login-error")).toHaveText("Wrong user name or password.");
});

test("admin sees the demo fleet, a node page with history, and logs out", async ({ page }) => {
  await login(page);
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole("heading", { name: "Fleet" })).toBeVisible();
  await expect(page.getByTestId("current-user")).toHaveText("admin");
  await expect(page.getByTestId("node-count")).toHaveText(String(E2E_DEMO_NODES));

  const table = page.getByTestId("fleet-table");
  const rows = table.locator("tbody tr");
  await expect(rows).toHaveCount(50); // first page
  await expect(page.getByTestId("page-summary")).toContainText(`1–50 of ${E2E_DEMO_NODES}`);
  await expect(table.getByRole("link", { name: "demo-0001" })).toBeVisible();

  // Second page holds the rest.
  await page.getByRole("link", { name: "Next" }).click();
  await expect(page).toHaveURL(/page=2/);
  await expect(rows).toHaveCount(E2E_DEMO_NODES - 50);
  await page.getByRole("link", { name: "Previous" }).click();

  // Filtering by state shows only that state.
  await page.getByRole("link", { name: /^active \d+$/ }).click();
  await expect(page).toHaveURL(/state=active/);
  const badges = table.getByTestId("provision-state");
  for (const text of await badges.allTextContents()) expect(text).toBe("active");

  // A node page: fields, masked secrets, ports and history.
  await page.goto("/");
  await table.getByRole("link", { name: "demo-0002" }).click();
  await expect(page).toHaveURL(/\/nodes\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId("node-name")).toHaveText("demo-0002");
  await expect(page.getByRole("heading", { name: "State" })).toBeVisible();
  const hardware = page.locator("section", { has: page.getByRole("heading", { name: "Hardware" }) });
  await expect(hardware).toContainText(/Driver\s*sim/);
  const driverInfo = page.locator("section", { has: page.getByRole("heading", { name: "Driver info" }) });
  await expect(driverInfo).toContainText("bmc_password");
  await expect(driverInfo).toContainText("******");
  await expect(driverInfo).not.toContainText("demo-");
  await expect(page.getByTestId("ports").locator("tbody tr").first()).toContainText(/([0-9a-f]{2}:){5}[0-9a-f]{2}/);
  const history = page.getByTestId("history");
  await expect(history.locator("tbody tr").first()).toBeVisible();
  await expect(history).toContainText("Node verified");

  // Unknown nodes are a 404 page.
  const res = await page.goto("/nodes/does-not-exist");
  expect(res?.status()).toBe(404);

  // Log out: back to the login page, and pages need a session again.
  await page.goto("/");
  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page).toHaveURL(/\/login/);
  await page.goto("/");
  await expect(page).toHaveURL(/\/login/);
});

test("the Bare Metal API answers on the same server", async ({ request }) => {
  const res = await request.get("/baremetal/");
  expect(res.status()).toBe(200);
  const body = await res.json();
  expect(body.default_version.id).toBe("v1");
  expect(res.headers()["x-openstack-ironic-api-maximum-version"]).toMatch(/^1\.\d+$/);
});

test("a project user sees only the nodes their project owns or leases", async ({ page, request }) => {
  // A reader in project "research", made with the CLI against the server's database.
  const user = `pat-${Date.now()}`; // unique, so a reused local server does not already have it
  execFileSync("node_modules/.bin/tsx", ["lib/cli/main.ts", "user", "create", user, "--password", "pat-password-1", "--project", "research", "--role", "reader"], {
    env: { ...process.env, DATABASE_URL: E2E_DATABASE_URL },
    stdio: "pipe",
  });
  const auth = { Authorization: `Basic ${Buffer.from(`admin:${E2E_ADMIN_PASSWORD}`).toString("base64")}`, "X-OpenStack-Ironic-API-Version": "latest" };
  const all = (await (await request.get("/baremetal/v1/nodes?fields=name,owner,lessee&limit=1000", { headers: auth })).json()).nodes as
    { name: string; owner: string | null; lessee: string | null }[];
  expect(all).toHaveLength(E2E_DEMO_NODES);
  const research = createHash("sha256").update("ingot-project:research").digest("hex").slice(0, 32);
  const mine = all.filter((n) => n.owner === research || n.lessee === research);
  const other = all.find((n) => n.owner !== research && n.lessee !== research)!;

  await page.goto("/login");
  await page.getByLabel("User name").fill(user);
  await page.getByLabel("Password").fill("pat-password-1");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("node-count")).toHaveText(String(mine.length));
  const names = await page.getByTestId("fleet-table").locator("tbody tr td:first-child a").allTextContents();
  expect(names.sort()).toEqual(mine.map((n) => n.name).sort());
  const res = await page.goto(`/nodes/${other.name}`);
  expect(res?.status()).toBe(404);
});

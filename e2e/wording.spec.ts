// Words the pages and the command line use: plurals, action names that end in "on", advice that
// fits the node's state, and help that says what a command does.
import { execFileSync } from "node:child_process";
import { expect, test } from "@playwright/test";
import { E2E_DATABASE_URL } from "./env.ts";
import { adminApi, createNodes, login, manage, waitForState } from "./helpers.ts";

test("the fleet's count reads as a sentence for one node and for several", async ({ page, request }) => {
  const prefix = `wdc${Date.now().toString(36)}`;
  await createNodes(request, prefix, 2);
  await login(page);
  const summary = page.getByTestId("match-count").locator("xpath=..");
  await page.goto(`/?q=${prefix}-01`);
  await expect(summary).toHaveText("1 node matches this view");
  await page.goto(`/?q=${prefix}`);
  await expect(summary).toHaveText("2 nodes match this view");
});

test('bulk "Maintenance on" says what runs on how many nodes, without "on on"', async ({ page, request }) => {
  const prefix = `wdm${Date.now().toString(36)}`;
  await createNodes(request, prefix, 2);
  await login(page);
  await page.goto(`/?q=${prefix}`);
  await page.getByLabel("Select every node on this page").check();
  await page.getByRole("button", { name: "Bulk actions" }).click();
  await page.getByRole("menuitem", { name: "Maintenance on…" }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog).toContainText("Maintenance on runs on 2 nodes");
  await expect(dialog).not.toContainText(/\bon on\b/i);
});

test("the Hardware tab's advice fits the node's state", async ({ page, request }) => {
  test.setTimeout(120_000);
  const a = adminApi(request);
  const run = `wdh${Date.now().toString(36)}`;
  const [fresh] = await createNodes(request, run, 1);
  // An active node that was never inspected (demo nodes are inspected, so the test makes its own):
  // fake hardware is deployed in moments.
  const deployed = await a.post<{ uuid: string }>("/nodes", { driver: "fake-hardware", name: `${run}-active`, instance_info: { image_source: "http://images.example/debian-12.qcow2" } }, 201);
  await manage(request, [deployed.uuid]);
  await a.put(`/nodes/${deployed.uuid}/states/provision`, { target: "provide" }, 202);
  await waitForState(request, deployed.uuid, "available");
  await a.put(`/nodes/${deployed.uuid}/states/provision`, { target: "active" }, 202);
  await waitForState(request, deployed.uuid, "active");
  await login(page);
  await page.goto(`/nodes/${deployed.uuid}?tab=hardware`);
  const empty = page.getByTestId("inventory-empty");
  await expect(empty).toBeVisible();
  await expect(empty).toContainText("It is active (deployed)");
  await expect(empty).not.toContainText("then choose Inspect");
  // An enrolled node is managed first.
  await page.goto(`/nodes/${fresh}?tab=hardware`);
  await expect(page.getByTestId("inventory-empty")).toContainText("move it to manageable (Manage), then choose Inspect above");
});

test("the command line's help says which nodes seed adds, and seed adds those", () => {
  const env = { ...process.env, DATABASE_URL: E2E_DATABASE_URL };
  const help = execFileSync("node_modules/.bin/tsx", ["lib/cli/main.ts", "help"], { env, encoding: "utf8" });
  const line = help.split("\n").find((l) => l.trim().startsWith("ingot seed"))!;
  expect(line).toContain("sim nodes");
  const out = execFileSync("node_modules/.bin/tsx", ["lib/cli/main.ts", "seed", "--nodes", "1", "--prefix", `wds${Date.now().toString(36)}`], { env, encoding: "utf8" });
  expect(out).toMatch(/^created 1 sim node /);
});

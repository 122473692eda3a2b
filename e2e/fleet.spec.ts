// The fleet page: login required, then filters with negation, search, sorting, grouping, selection
// and the URL round trip. Only nodes this spec creates are asserted on (a unique prefix scopes them).
import { execFileSync } from "node:child_process";
import { expect, test, type Page } from "@playwright/test";
import { E2E_DATABASE_URL } from "./env.ts";
import { adminApi, createNodes, login } from "./helpers.ts";

test("pages need a session", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByRole("heading", { name: "Sign in to Ingot" })).toBeVisible();
});

test("a wrong password shows an error", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("User name").fill("admin");
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/login\?error=/);
  await expect(page.getByTestId("login-error")).toHaveText("Wrong user name or password.");
});

const rowNames = (page: Page) => page.getByTestId("fleet-table").locator("tbody tr[data-uuid] td:nth-child(2) a");

test("fleet: filter, negation, search, sort, grouping, selection, and the URL round trip", async ({ page, request, context }) => {
  const prefix = `flt${Date.now().toString(36)}`;
  const gold = `${prefix}.gold`;
  const silver = `${prefix}.silver`;
  const a = adminApi(request);
  const uuids = [
    ...(await createNodes(request, prefix, 3, { resource_class: gold })),
    ...(await createNodes(request, `${prefix}-s`, 3, { resource_class: silver })),
  ];
  await a.put(`/nodes/${uuids[4]}/maintenance`, { reason: "e2e fleet" }, 202);
  const mine = [`${prefix}-01`, `${prefix}-02`, `${prefix}-03`, `${prefix}-s-01`, `${prefix}-s-02`, `${prefix}-s-03`];

  await login(page);
  // Free-text search (debounced) scopes the table to this spec's nodes.
  await page.getByLabel("Search nodes").fill(prefix);
  await expect(page).toHaveURL(new RegExp(`[?&]q=${prefix}`));
  await expect(rowNames(page)).toHaveText(mine);
  await expect(page.getByTestId("match-count")).toHaveText("6");
  // Live: a change made elsewhere (the API) shows without a reload, rows staying in place.
  const row = page.locator(`tbody tr[data-uuid="${uuids[0]}"]`);
  await expect(row).not.toContainText("maintenance");
  await a.put(`/nodes/${uuids[0]}/maintenance`, { reason: "live" }, 202);
  await expect(row).toContainText("maintenance");
  await expect(rowNames(page)).toHaveText(mine);
  await a.del(`/nodes/${uuids[0]}/maintenance`);
  await expect(row).not.toContainText("maintenance");

  // A filter chip: resource class is gold…
  await page.getByTestId("filter-resource_class").click();
  await page.getByRole("button", { name: `Resource class is ${gold}`, exact: true }).click();
  await page.keyboard.press("Escape");
  await expect(page).toHaveURL(new RegExp(`resource_class=${gold.replace(".", "\\.")}`));
  await expect(rowNames(page)).toHaveText(mine.slice(0, 3));
  // …flipped to "is not".
  await page.getByRole("button", { name: 'Change Resource class filter to "is not"' }).click();
  await expect(page).toHaveURL(new RegExp(`resource_class!=${gold.replace(".", "\\.")}`));
  await expect(rowNames(page)).toHaveText(mine.slice(3));
  await expect(page.getByTestId("filter-chip")).toHaveText(/Resource class is not/);

  // Negated maintenance on top: the node in maintenance drops out.
  await page.getByTestId("filter-maintenance").click();
  await page.getByRole("button", { name: "Maintenance is not yes", exact: true }).click();
  await page.keyboard.press("Escape");
  await expect(page).toHaveURL(/maintenance!=true/);
  await expect(rowNames(page)).toHaveText([mine[3], mine[5]]);
  await page.getByRole("button", { name: "Remove Maintenance filter" }).click();
  await expect(rowNames(page)).toHaveText(mine.slice(3));

  // Sorting by clicking the header: descending on the second click, announced with aria-sort.
  await page.getByRole("button", { name: "Remove Resource class filter" }).click();
  const nameHeader = page.getByRole("columnheader", { name: /Name/ });
  await expect(nameHeader).toHaveAttribute("aria-sort", "ascending");
  await nameHeader.getByRole("button").click();
  await expect(page).toHaveURL(/sort=-name/);
  await expect(nameHeader).toHaveAttribute("aria-sort", "descending");
  await expect(rowNames(page)).toHaveText([...mine].reverse());

  // Grouping by resource class: a header row per class with its count.
  await page.getByLabel("Group by").selectOption("resource_class");
  await expect(page).toHaveURL(/group=resource_class/);
  const groups = page.getByTestId("group-row");
  await expect(groups).toHaveText([`Resource class: ${gold} (3)`, `Resource class: ${silver} (3)`]);

  // Selection: one box, then shift-click makes a range.
  const boxes = page.getByTestId("fleet-table").locator("tbody tr[data-uuid] input[type=checkbox]");
  await boxes.nth(0).click();
  await boxes.nth(2).click({ modifiers: ["Shift"] });
  await expect(page.getByTestId("selection-count")).toHaveText("3 selected");
  await page.getByRole("button", { name: "Clear selection" }).click();

  // The URL holds the whole view: a fresh page opened on it shows the same thing.
  const url = page.url();
  const fresh = await context.newPage();
  await fresh.goto(url);
  await expect(fresh.getByLabel("Search nodes")).toHaveValue(prefix);
  await expect(fresh.getByLabel("Group by")).toHaveValue("resource_class");
  await expect(fresh.getByRole("columnheader", { name: /Name/ })).toHaveAttribute("aria-sort", "descending");
  await expect(fresh.getByTestId("group-row")).toHaveText([`Resource class: ${gold} (3)`, `Resource class: ${silver} (3)`]);
  await expect(rowNames(fresh)).toHaveText(await rowNames(page).allTextContents());
  await fresh.close();

  // "Everything matching this filter except these": the whole page, then all matches, minus one.
  await page.goto("/?size=25");
  await expect(rowNames(page)).toHaveCount(25);
  const total = Number(await page.getByTestId("match-count").textContent());
  expect(total).toBeGreaterThan(25); // the demo fleet alone has 75 nodes
  await page.getByLabel("Select every node on this page").check();
  await expect(page.getByTestId("selection-count")).toHaveText("25 selected");
  await page.getByRole("button", { name: `Select all ${total} matching this filter` }).click();
  await expect(page.getByTestId("selection-count")).toHaveText(`All ${total} matching this filter selected`);
  await boxes.nth(3).click();
  await expect(page.getByTestId("selection-count")).toHaveText(`All ${total - 1} matching this filter selected (except 1)`);
  // Changing the filter drops a filter-wide selection.
  await page.getByLabel("Search nodes").fill(prefix);
  await expect(page.getByTestId("selection-count")).toHaveCount(0);
  // The Fleet link is a navigation like any other: back to the plain view.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Fleet" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByLabel("Search nodes")).toHaveValue("");
  await expect(rowNames(page)).toHaveCount(50);

  // A bad value in a shared URL is explained, not ignored.
  await page.goto(`/?provision_state=flying&q=${prefix}`);
  await expect(page.getByTestId("fleet-error")).toContainText('Provision state "flying" is not valid');
});

test("a project user's fleet shows only nodes their project owns or leases", async ({ page, request }) => {
  const prefix = `flp${Date.now().toString(36)}`;
  const user = `${prefix}-user`;
  const project = `${prefix}-proj`;
  // A reader in a new project, made with the CLI against the server's database.
  execFileSync("node_modules/.bin/tsx", ["lib/cli/main.ts", "user", "create", user, "--password", "pat-password-1", "--project", project, "--role", "reader"], {
    env: { ...process.env, DATABASE_URL: E2E_DATABASE_URL },
    stdio: "pipe",
  });
  const projects = (await adminApi(request).get<{ projects: { id: string; name: string }[] }>("/projects")).projects;
  const id = projects.find((p) => p.name === project)!.id;
  await createNodes(request, `${prefix}-own`, 2, { owner: id });
  await createNodes(request, `${prefix}-lease`, 1, { lessee: id });
  await createNodes(request, `${prefix}-other`, 2);

  await login(page, user, "pat-password-1");
  await page.getByLabel("Search nodes").fill(prefix);
  await expect(rowNames(page)).toHaveText([`${prefix}-lease-01`, `${prefix}-own-01`, `${prefix}-own-02`]);
  // Owner names, not ids, and a filter on them.
  await page.getByTestId("filter-owner").click();
  await page.getByRole("button", { name: `Owner is ${project}`, exact: true }).click();
  await expect(rowNames(page)).toHaveText([`${prefix}-own-01`, `${prefix}-own-02`]);
  await expect(page.getByTestId("fleet-table").locator("tbody tr[data-uuid]").first()).toContainText(project);
});

test("changing the grouping in place: headers belong to the rows shown, and go away with the grouping", async ({ page, request }) => {
  const prefix = `flg${Date.now().toString(36)}`;
  const projects = (await adminApi(request).get<{ projects: { id: string; name: string }[] }>("/projects")).projects;
  const [infra, web] = ["infra", "web"].map((n) => projects.find((p) => p.name === n)!);
  // By name the owners alternate, so the ungrouped rows are not in group order.
  for (const [i, owner] of [infra, web, infra, web].entries()) await createNodes(request, `${prefix}-${i}`, 1, { owner: owner.id });
  const names = [0, 1, 2, 3].map((i) => `${prefix}-${i}-01`);
  await login(page);
  await page.goto(`/?q=${prefix}`);
  await expect(rowNames(page)).toHaveText(names);
  // The grouped answer takes a while (as at 10,000 nodes): meanwhile the previous rows stay.
  await page.route(/\/baremetal\/v1\/fleet\?.*group=owner/, async (route) => {
    await new Promise((r) => setTimeout(r, 1500));
    await route.continue();
  });
  const groups = page.getByTestId("group-row");
  await page.getByLabel("Group by").selectOption("owner");
  // The ungrouped rows on screen are not shown under headers of the grouping still loading.
  await page.waitForTimeout(300);
  expect(await groups.allTextContents()).toEqual([]);
  await expect(groups).toHaveText([`Owner: infra (2)`, `Owner: web (2)`]);
  await expect(rowNames(page)).toHaveText([names[0], names[2], names[1], names[3]]);
  // Back to no grouping: no headers left behind, every row back in name order.
  await page.getByLabel("Group by").selectOption("");
  await expect(rowNames(page)).toHaveText(names);
  await expect(groups).toHaveCount(0);
  await page.getByLabel("Group by").selectOption("owner");
  await expect(groups).toHaveText([`Owner: infra (2)`, `Owner: web (2)`]);
  await page.getByRole("button", { name: "Reset view" }).click();
  await expect(page.getByLabel("Search nodes")).toHaveValue("");
  await expect(groups).toHaveCount(0);
});

test("search finds a MAC however it is written", async ({ page, request }) => {
  const prefix = `flm${Date.now().toString(36)}`;
  const [uuid] = await createNodes(request, prefix, 1);
  const hex = Date.now().toString(16).slice(-6).padStart(6, "0");
  const mac = `52:54:01:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}`;
  await adminApi(request).post("/ports", { node_uuid: uuid, address: mac }, 201);
  await login(page);
  for (const written of [mac, mac.replaceAll(":", "-"), mac.replaceAll(":", ""), mac.replaceAll(":", "-").toUpperCase()]) {
    await page.goto(`/?q=${encodeURIComponent(written)}`);
    await expect(rowNames(page), written).toHaveText([`${prefix}-01`]);
  }
});

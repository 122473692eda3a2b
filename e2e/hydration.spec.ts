// React hydration errors on the node and job pages. The production build reports a mismatch
// between the server's HTML and the browser's first render only as a minified console error
// (#418 and its kin, https://react.dev/errors/418) and then renders the page again on the client.
// It came on a first visit (the browser's cache empty) and not every time, so each round is a new
// browser context whose first page is the node page, and every page is loaded again after.
import { expect, test, type Page } from "@playwright/test";
import { adminApi, createNodes, login, manage, waitForState } from "./helpers.ts";

/** React's hydration errors: #418 (HTML), #419, #421, #422, #423, #425 (text), or their unminified wording. */
const HYDRATION = /Minified React error #4(18|19|21|22|23|25)\b|react\.dev\/errors\/4(18|19|21|22|23|25)\b|Hydration|hydrat/i;

/** Collects the page's hydration errors (console errors and uncaught ones) from now on. */
function watchHydration(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" && HYDRATION.test(m.text())) errors.push(`${page.url()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => {
    const text = `${e.message}\n${e.stack ?? ""}`;
    if (HYDRATION.test(text)) errors.push(`${page.url()}: ${text}`);
  });
  return errors;
}

const TABS = ["", "?tab=timeline", "?tab=history", "?tab=steps", "?tab=hardware", "?tab=bios", "?tab=validate"];

test("the node and job pages hydrate without a mismatch, first visit or not", async ({ browser, page, request }) => {
  test.setTimeout(300_000);
  const prefix = `e2e-hyd-${Date.now().toString(36)}`;
  const a = adminApi(request);
  const uuids = await createNodes(request, prefix, 2);
  await manage(request, uuids);
  // A node with a life: cleaning, steps, power changes, a timeline and a history.
  await a.put(`/nodes/${uuids[0]}/states/provision`, { target: "provide" }, 202);
  await waitForState(request, uuids[0], "available", 120_000);

  // A job: bulk maintenance on both nodes from the fleet page.
  await login(page);
  await page.goto(`/?q=${prefix}`);
  await expect(page.getByTestId("match-count")).toHaveText("2");
  await page.getByLabel("Select every node on this page").check();
  await page.getByRole("button", { name: /Bulk actions/ }).click();
  await page.getByRole("menuitem", { name: "Maintenance on…" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Reason (optional)").fill("hydration test");
  await dialog.getByRole("button", { name: "Maintenance on 2 nodes" }).click();
  const progress = dialog.getByTestId("job-progress");
  await expect(progress.getByTestId("job-status")).toHaveText("Finished", { timeout: 60_000 });
  const jobId = await progress.getAttribute("data-job-id");
  expect(jobId).toBeTruthy();

  const errors: string[] = [];
  for (let round = 0; round < 4; round++) {
    const context = await browser.newContext();
    const fresh = await context.newPage();
    const watched = watchHydration(fresh);
    await login(fresh);
    for (const tab of TABS) {
      await fresh.goto(`/nodes/${uuids[0]}${tab}`);
      await expect(fresh.getByTestId("node-name")).toHaveText(`${prefix}-01`);
      // Hydration is over once the page has its data and the network is quiet.
      await fresh.waitForLoadState("networkidle");
    }
    await fresh.goto(`/jobs/${jobId}`);
    await expect(fresh.getByTestId("job-status")).toHaveText("Finished");
    await fresh.waitForLoadState("networkidle");
    await fresh.goto("/jobs");
    await expect(fresh.getByTestId("jobs-table")).toBeVisible();
    await fresh.waitForLoadState("networkidle");
    errors.push(...watched);
    await context.close();
  }
  expect(errors).toEqual([]);
});

// Live updates between sessions: what one user does shows on another user's open pages without a
// reload; a lost live connection shows a banner and keeps what was being typed.
import { expect, test, type Page } from "@playwright/test";
import { adminApi, createNodes, login } from "./helpers.ts";

/** Marks the page so a reload (which would clear the mark) can be detected. */
async function markPage(page: Page): Promise<void> {
  await page.evaluate(() => ((window as unknown as { liveMark: number }).liveMark = 42));
}
async function stillSamePage(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as unknown as { liveMark?: number }).liveMark === 42);
}

test("a state change made in another session reaches the fleet and node pages without a reload", async ({ browser, request }) => {
  const prefix = `live-${Date.now().toString(36)}`;
  const [uuid] = await createNodes(request, prefix, 1);

  const watcherContext = await browser.newContext();
  const actorContext = await browser.newContext();
  const fleet = await watcherContext.newPage();
  const nodePage = await watcherContext.newPage();
  const actor = await actorContext.newPage();
  await login(fleet);
  await fleet.goto(`/?q=${prefix}`);
  const row = fleet.getByRole("row", { name: new RegExp(`${prefix}-01`) });
  await expect(row.getByTestId("provision-state")).toHaveText("enroll");
  await nodePage.goto(`/nodes/${uuid}`);
  await expect(nodePage.getByTestId("node-badges").getByTestId("provision-state")).toHaveText("enroll");
  await markPage(fleet);
  await markPage(nodePage);

  // Another user session acts from its own node page.
  await login(actor);
  await actor.goto(`/nodes/${uuid}`);
  await actor.locator('[data-action="manage"]').click();

  await expect(row.getByTestId("provision-state")).toHaveText("manageable", { timeout: 15_000 });
  await expect(nodePage.getByTestId("node-badges").getByTestId("provision-state")).toHaveText("manageable");
  expect(await stillSamePage(fleet)).toBe(true);
  expect(await stillSamePage(nodePage)).toBe(true);
  await watcherContext.close();
  await actorContext.close();
});

test("a lost live connection shows a banner, keeps a half-filled form, and refetches on reconnect", async ({ page, request }) => {
  const prefix = `lost-${Date.now().toString(36)}`;
  const [uuid] = await createNodes(request, prefix, 1);
  let allowConnections = true;
  const open: { close(): Promise<void> }[] = [];
  // Live connections pass through to the server until we cut them.
  await page.routeWebSocket("/ws/events", (ws) => {
    if (!allowConnections) {
      void ws.close({ code: 1006, reason: "cut" }).catch(() => undefined);
      return;
    }
    ws.connectToServer();
    open.push(ws);
  });
  await login(page);
  await page.goto(`/nodes/${uuid}`);
  const general = page.locator("section", { has: page.getByRole("heading", { name: "General" }) });
  await general.getByRole("button", { name: "Edit" }).click();
  await general.getByLabel("Description").fill("typed before the outage");

  allowConnections = false;
  for (const ws of open.splice(0)) await ws.close();
  await expect(page.getByTestId("live-banner")).toContainText("Live updates lost");
  await expect(general.getByLabel("Description")).toHaveValue("typed before the outage");

  // Something changes while the page is deaf; on reconnect the page catches up without a reload.
  await markPage(page);
  await adminApi(request).put(`/nodes/${uuid}/maintenance`, { reason: "changed during the outage" }, 202);
  await page.waitForTimeout(500);
  await expect(page.getByTestId("node-badges")).not.toContainText("maintenance");
  allowConnections = true;
  await expect(page.getByTestId("live-banner")).toBeHidden({ timeout: 15_000 });
  await expect(page.getByTestId("node-badges")).toContainText("maintenance");
  await expect(general.getByLabel("Description")).toHaveValue("typed before the outage");
  expect(await stillSamePage(page)).toBe(true);
});

// The Steps tab while a deployment runs (started elsewhere, here through the API): the deploy
// steps, live, with the one running now, and back to idle when the node is active. Own sim node
// (e2e-progress-…).
import { expect, test } from "@playwright/test";
import { adminApi, createNodes, login, manage, waitForState } from "./helpers.ts";

test("Steps tab during a deploy shows the deploy steps live", async ({ page, request }) => {
  test.setTimeout(180_000);
  const a = adminApi(request);
  // Slow (sim_slow) so the deploy lasts long enough to watch.
  const [uuid] = await createNodes(request, `e2e-progress-${Date.now().toString(36)}`, 1, {
    driver_info: { sim_slow: 4 }, instance_info: { image_source: "http://images.example/debian-12.qcow2" },
  });
  await manage(request, [uuid]);
  await a.put(`/nodes/${uuid}/states/provision`, { target: "provide" }, 202);
  await waitForState(request, uuid, "available", 150_000);

  await login(page);
  await page.goto(`/nodes/${uuid}?tab=steps`);
  await expect(page.getByTestId("run-idle")).toBeVisible();
  await a.put(`/nodes/${uuid}/states/provision`, { target: "active" }, 202);

  const progress = page.getByTestId("run-progress");
  await expect(progress).toHaveAttribute("data-kind", "deploy", { timeout: 30_000 });
  await expect(progress).toContainText("Deployment");
  await expect(progress.locator('[data-testid="operation-step"][data-step="deploy.write_image"]')).toBeVisible();
  // Live: write_image runs, later it is done while a later step runs.
  await expect(progress.locator('[data-testid="operation-step"][data-step="deploy.write_image"]')).toHaveAttribute("data-state", "running", { timeout: 60_000 });
  await expect(progress.getByTestId("running-step")).toHaveText("deploy.write_image");
  await expect(progress.locator('[data-testid="operation-step"][data-step="deploy.write_image"]')).toHaveAttribute("data-state", "done", { timeout: 60_000 });
  await waitForState(request, uuid, "active", 120_000);
  await expect(page.getByTestId("run-idle")).toContainText("No cleaning, servicing or deployment is running", { timeout: 15_000 });
});

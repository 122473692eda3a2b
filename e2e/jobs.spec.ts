// Bulk provide of 20 sim nodes from the fleet page, one failing by injection: the job ends with
// 19 succeeded and 1 failed, and the failed row says why (the node's last_error).
import { expect, test } from "@playwright/test";
import { adminApi, createNodes, login, manage } from "./helpers.ts";

test("bulk provide of 20 nodes with one failing shows per-node results", async ({ page, request }) => {
  test.setTimeout(240_000);
  const prefix = `bulk${Date.now().toString(36)}`;
  const a = adminApi(request);
  const uuids = await createNodes(request, prefix, 20);
  // Automated cleaning (what provide runs) erases disk metadata: make that step fail on node 07.
  const failing = uuids[6];
  await a.patch(`/nodes/${failing}`, [{ op: "add", path: "/driver_info/sim_fail_step", value: "deploy.erase_devices_metadata" }]);
  await manage(request, uuids);

  await login(page);
  await page.getByLabel("Search nodes").fill(prefix);
  await expect(page.getByTestId("match-count")).toHaveText("20");
  await expect(page.getByTestId("fleet-table").locator("tbody tr")).toHaveCount(20);
  await page.getByLabel("Select every node on this page").check();
  await expect(page.getByTestId("selection-count")).toContainText("20");

  await page.getByRole("button", { name: /Bulk actions/ }).click();
  await page.getByRole("menuitem", { name: "Provide" }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog.getByTestId("confirm-count")).toHaveText("20 nodes");
  await dialog.getByRole("button", { name: "Provide 20 nodes" }).click();

  // Live progress, then the result.
  const progress = dialog.getByTestId("job-progress");
  await expect(progress).toBeVisible();
  await expect(progress.getByRole("progressbar")).toBeVisible();
  await expect(progress.getByTestId("job-status")).toHaveText("Finished", { timeout: 200_000 });
  await expect(progress.getByTestId("count-succeeded")).toHaveText("19");
  await expect(progress.getByTestId("count-failed")).toHaveText("1");
  await expect(progress.getByTestId("job-result-row")).toHaveCount(20);

  // Only the failures: the one node, with the reason from its last_error.
  await progress.getByLabel(/Only failures/).check();
  const failed = progress.getByTestId("job-result-row");
  await expect(failed).toHaveCount(1);
  await expect(failed).toContainText(`${prefix}-07`);
  await expect(failed).toContainText("failed");
  const node = await a.get<{ provision_state: string; last_error: string }>(`/nodes/${failing}`);
  expect(node.provision_state).toBe("clean failed");
  expect(node.last_error).toMatch(/erase_devices_metadata/);
  await expect(failed).toContainText(node.last_error);
  for (const uuid of uuids.filter((u) => u !== failing)) {
    expect((await a.get<{ provision_state: string }>(`/nodes/${uuid}`)).provision_state).toBe("available");
  }

  // The job page shows the same result; the jobs list links to it.
  const jobId = await progress.getAttribute("data-job-id");
  await dialog.getByRole("button", { name: "Close" }).first().click();
  await page.goto("/jobs");
  await page.locator(`a[href="/jobs/${jobId}"]`).click();
  await expect(page).toHaveURL(new RegExp(`/jobs/${jobId}$`));
  await expect(page.getByRole("heading", { name: "Provide · 20 nodes" })).toBeVisible();
  await expect(page.getByTestId("count-failed")).toHaveText("1");
  await expect(page.locator('[data-testid="job-result-row"][data-state="failed"]')).toContainText(node.last_error);
  // Retry the failed one: a new job on that node only.
  await page.getByRole("button", { name: "Retry 1 failed" }).click();
  await expect(page).not.toHaveURL(new RegExp(`/jobs/${jobId}$`));
  await expect(page.getByRole("heading", { name: "Provide · 1 node" })).toBeVisible();
});

test("everything matching a filter except one: maintenance on with a reason", async ({ page, request }) => {
  test.setTimeout(120_000);
  const prefix = `bulkm${Date.now().toString(36)}`;
  const a = adminApi(request);
  const uuids = await createNodes(request, prefix, 27);

  await login(page);
  await page.goto(`/?q=${prefix}&size=25`);
  await expect(page.getByTestId("match-count")).toHaveText("27");
  await page.getByLabel("Select every node on this page").check();
  await page.getByRole("button", { name: "Select all 27 matching this filter" }).click();
  // Leave one out.
  await page.getByLabel(`Select ${prefix}-01`).uncheck();
  await expect(page.getByTestId("selection-count")).toContainText("26");

  await page.getByRole("button", { name: /Bulk actions/ }).click();
  await page.getByRole("menuitem", { name: "Maintenance on…" }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog.getByTestId("confirm-count")).toHaveText("26 nodes");
  await dialog.getByLabel("Reason (optional)").fill("rack 9 rewiring");
  await dialog.getByRole("button", { name: "Maintenance on 26 nodes" }).click();
  await expect(dialog.getByTestId("job-status")).toHaveText("Finished", { timeout: 60_000 });
  await expect(dialog.getByTestId("count-succeeded")).toHaveText("26");
  await expect(dialog.getByTestId("count-failed")).toHaveText("0");

  const first = await a.get<{ maintenance: boolean }>(`/nodes/${uuids[0]}`);
  expect(first.maintenance).toBe(false);
  for (const uuid of uuids.slice(1)) {
    expect(await a.get<{ maintenance: boolean; maintenance_reason: string }>(`/nodes/${uuid}`)).toMatchObject({ maintenance: true, maintenance_reason: "rack 9 rewiring" });
  }
  // Closing the dialog clears the fleet's selection.
  await dialog.getByRole("button", { name: "Close" }).last().click();
  await expect(page.getByRole("dialog")).toHaveCount(0);
  await expect(page.getByTestId("selection-count")).toHaveCount(0);
});

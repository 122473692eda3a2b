// The node timeline at any age: a node created months ago opens on what it did today, zooms stay
// on the activity (around the pointer, around the selection), the axis is labelled at every zoom
// and the chart is never wider than its box. Each test makes its own sim nodes (e2e-tl-…).
import { expect, test } from "@playwright/test";
import { adminApi, createNodes, login, manage, waitForState } from "./helpers.ts";

const prefix = (what: string) => `e2e-tl-${what}-${Date.now().toString(36)}`;

test("power changes the conductor makes during cleaning are in the history and on the timeline's power lane", async ({ page, request }) => {
  test.setTimeout(120_000);
  const a = adminApi(request);
  const [uuid] = await createNodes(request, prefix("power"), 1);
  await manage(request, [uuid]);
  await a.put(`/nodes/${uuid}/states/provision`, { target: "provide" }, 202);
  await waitForState(request, uuid, "available", 120_000);

  // No one asked for a power change: cleaning booted the agent and switched the machine off after.
  const history = (await a.get<{ history: { event: string; user: string | null }[] }>(`/nodes/${uuid}/history`)).history;
  const power = history.filter((h) => h.event.startsWith("Power state changed")).map((h) => h.event);
  expect(power).toEqual([
    'Power state changed from "power off" to "power on" (cleaning)',
    'Power state changed from "power on" to "power off" (cleaning)',
  ]);

  await login(page);
  await page.goto(`/nodes/${uuid}?tab=timeline`);
  const markers = page.getByTestId("timeline-chart").locator('[data-testid="timeline-marker"][data-kind="power"]');
  await expect(markers).toHaveCount(2);
  await markers.first().focus();
  await expect(page.getByTestId("timeline-tooltip")).toContainText("power: power on");
});

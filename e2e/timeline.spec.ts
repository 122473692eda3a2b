// The node timeline at any age: a node created months ago opens on what it did today, zooms stay
// on the activity (around the pointer, around the selection), the axis is labelled at every zoom
// and the chart is never wider than its box. Each test makes its own sim nodes (e2e-tl-…).
import { expect, test, type Locator, type Page } from "@playwright/test";
import { adminApi, backdateNode, createNodes, login, manage, waitForState } from "./helpers.ts";

const prefix = (what: string) => `e2e-tl-${what}-${Date.now().toString(36)}`;

async function box(l: Locator) {
  const b = await l.boundingBox();
  expect(b, "element has a box").not.toBeNull();
  return b!;
}

/** The axis labels: at least two, each wholly inside the chart (not cut off), none overlapping. */
async function expectReadableAxis(page: Page): Promise<void> {
  const chart = await box(page.getByTestId("timeline-chart"));
  const ticks = page.getByTestId("timeline-chart").getByTestId("timeline-tick");
  await expect.poll(() => ticks.count()).toBeGreaterThanOrEqual(2);
  const boxes = await ticks.evaluateAll((els) => els.map((e) => { const r = e.getBoundingClientRect(); return { x: r.x, w: r.width, text: e.textContent }; }));
  for (const b of boxes) {
    expect(b.x, `label ${b.text} starts inside`).toBeGreaterThanOrEqual(chart.x - 0.5);
    expect(b.x + b.w, `label ${b.text} ends inside`).toBeLessThanOrEqual(chart.x + chart.width + 0.5);
  }
  const sorted = boxes.sort((a, b) => a.x - b.x);
  for (let i = 1; i < sorted.length; i++) expect(sorted[i].x, `${sorted[i].text} after ${sorted[i - 1].text}`).toBeGreaterThanOrEqual(sorted[i - 1].x + sorted[i - 1].w);
}

/**
 * The chart draws only its window: nothing in it is wider than its box (a marker on the edge may
 * stick out by half its size; before, at 50 notches the chart was millions of pixels wide).
 */
async function expectNoOverflow(page: Page): Promise<void> {
  const sizes = await page.getByTestId("timeline-chart").evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
  expect(sizes.scroll).toBeLessThanOrEqual(sizes.client + 12);
}

test("a node created months ago: the timeline opens on today's work, zooms stay on it, labels at every zoom", async ({ page, request }) => {
  test.setTimeout(180_000);
  const a = adminApi(request);
  const [uuid] = await createNodes(request, prefix("old"), 1);
  await manage(request, [uuid]);
  backdateNode(uuid, 150);
  // Today: cleaning (provide) — about a minute of work on a 150-day life.
  await a.put(`/nodes/${uuid}/states/provision`, { target: "provide" }, 202);
  await waitForState(request, uuid, "available", 120_000);

  await login(page);
  await page.goto(`/nodes/${uuid}?tab=timeline`);
  const chart = page.getByTestId("timeline-chart");
  const cleaning = chart.locator('[data-testid="state-bar"][data-state="cleaning"]').first();
  await expect(cleaning).toBeVisible();
  const chartBox = await box(chart);
  // Today's cleaning takes a good part of the chart, not a sliver at the right edge.
  expect((await box(cleaning)).width).toBeGreaterThan(chartBox.width * 0.15);
  await expect(chart.locator('[data-testid="step-bar"][data-kind="clean"]').first()).toBeVisible();
  await expect(page.getByRole("button", { name: "Recent" })).toHaveAttribute("aria-pressed", "true");
  await expectReadableAxis(page);

  // "Zoom in" zooms around the selected bar: it stays in view.
  await cleaning.click();
  for (let i = 0; i < 3; i++) await page.getByRole("button", { name: "Zoom in" }).click();
  await expect(cleaning).toBeVisible();
  const zoomed = await box(cleaning);
  expect(zoomed.x).toBeLessThan(chartBox.x + chartBox.width);
  expect(zoomed.x + zoomed.width).toBeGreaterThan(chartBox.x);
  await expectReadableAxis(page);

  // The wheel zooms around the pointer: what is under it stays under it.
  await page.getByRole("button", { name: "Recent" }).click();
  const step = chart.locator('[data-testid="step-bar"][data-kind="clean"]').first();
  const s = await box(step);
  const px = s.x + s.width / 2;
  const py = s.y + s.height / 2;
  await page.mouse.move(px, py);
  for (let i = 0; i < 5; i++) await page.mouse.wheel(0, -100);
  // The bar or its label: either is the step under the pointer.
  await expect.poll(async () => page.evaluate(([x, y]) => document.elementFromPoint(x, y)?.closest("[data-step]")?.getAttribute("data-step") ?? null, [px, py])).not.toBeNull();
  // 50 notches in: labels remain (milliseconds) and nothing is wider than the box.
  for (let i = 0; i < 50; i++) await page.mouse.wheel(0, -100);
  await expectReadableAxis(page);
  await expectNoOverflow(page);
  // 50 notches out: the whole life, still inside the box, labelled by month.
  for (let i = 0; i < 50; i++) await page.mouse.wheel(0, 100);
  await expectNoOverflow(page);
  await expectReadableAxis(page);

  // "Fit" shows the whole life: the enrollment 150 days ago, month labels.
  await page.getByRole("button", { name: "Fit" }).click();
  await expect(chart.locator('[data-testid="state-bar"][data-state="enroll"]').first()).toBeVisible();
  await expect(chart.getByTestId("timeline-tick").filter({ hasText: /^\d{4}-\d{2}$/ }).first()).toBeVisible();
  await expectReadableAxis(page);
  await expectNoOverflow(page);
  await page.screenshot({ path: "test-results/timeline-old-node-fit.png" });
});

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

test("the timeline labels the waits as the Steps tab does: most of a cleaning is the agent booting before its first step", async ({ page, request }) => {
  test.setTimeout(120_000);
  const a = adminApi(request);
  const [uuid] = await createNodes(request, prefix("wait"), 1);
  await manage(request, [uuid]);
  await a.put(`/nodes/${uuid}/states/provision`, { target: "provide" }, 202);
  await waitForState(request, uuid, "available", 120_000);

  await login(page);
  await page.goto(`/nodes/${uuid}?tab=timeline`);
  const chart = page.getByTestId("timeline-chart");
  const cleaning = chart.locator('[data-testid="state-bar"][data-state="cleaning"]').first();
  const wait = chart.locator('[data-testid="wait-bar"][data-state="cleaning"]');
  await expect(wait).toHaveCount(1);
  await expect(wait).toHaveAttribute("aria-label", /^Booting the agent before the first step\./);
  await expect(wait).toContainText("booting the agent before the first step");
  // Before, the bar had no label for this time, which is most of the cleaning.
  expect((await box(wait)).width).toBeGreaterThan((await box(cleaning)).width * 0.5);
  await wait.focus();
  await expect(page.getByTestId("timeline-tooltip")).toContainText("no step running");

  await page.getByRole("button", { name: "Show as table" }).click();
  await expect(page.getByTestId("timeline-wait-row")).toHaveCount(1);
  await expect(page.getByTestId("timeline-wait-row")).toContainText("booting the agent before the first step");
});

// The demo fleet's history is one the conductor could have written: its transitions are what the
// timeline draws, so a demo node's History tab and Timeline tell the same story; and an inspected
// demo node has the inventory its machine reports, with the ports inspection made from it.
import { expect, test } from "@playwright/test";
import { adminApi, login } from "./helpers.ts";

interface Row { event: string; created_at: string }

test("a demo node's timeline shows every state its history went through", async ({ page, request }) => {
  const a = adminApi(request);
  const nodes = (await a.get<{ nodes: { uuid: string; name: string; provision_state: string }[] }>("/nodes?fields=uuid,name,provision_state&limit=1000")).nodes;
  const demo = nodes.find((n) => /^demo-\d+$/.test(n.name) && n.provision_state === "active");
  expect(demo, "an active demo node").toBeTruthy();
  const history = (await a.get<{ history: Row[] }>(`/nodes/${demo!.uuid}/history`)).history;
  const entered = history.map((h) => /^Provision state changed from "[^"]*" to "([^"]*)"/.exec(h.event)?.[1]).filter((s): s is string => !!s);
  // It was verified, cleaned and deployed: the history says so in the conductor's words.
  for (const s of ["verifying", "manageable", "cleaning", "available", "deploying", "active"]) expect(entered, s).toContain(s);

  await login(page);
  await page.goto(`/nodes/${demo!.uuid}?tab=timeline`);
  await page.getByRole("button", { name: "Fit" }).click();
  const chart = page.getByTestId("timeline-chart");
  for (const s of new Set(["enroll", ...entered])) await expect(chart.locator(`[data-testid="state-bar"][data-state="${s}"]`).first(), s).toBeAttached();
});

test("an inspected demo node's Hardware tab shows its machine's inventory; its ports are the inventory's NICs", async ({ page, request }) => {
  const a = adminApi(request);
  const nodes = (await a.get<{ nodes: { uuid: string; name: string; provision_state: string }[] }>("/nodes?fields=uuid,name,provision_state&limit=1000")).nodes;
  const demo = nodes.find((n) => /^demo-\d+$/.test(n.name) && n.provision_state === "available");
  expect(demo, "an available demo node").toBeTruthy();
  const ports = (await a.get<{ ports: { address: string }[] }>(`/nodes/${demo!.uuid}/ports`)).ports.map((p) => p.address);
  expect(ports.length).toBeGreaterThan(0);

  await login(page);
  await page.goto(`/nodes/${demo!.uuid}?tab=hardware`);
  const inventory = page.getByTestId("inventory");
  await expect(inventory).toBeVisible();
  await expect(page.getByTestId("inventory-empty")).toHaveCount(0);
  const nics = await inventory.getByTestId("inventory-nic").allTextContents();
  for (const mac of ports) expect(nics.join(" ").toLowerCase()).toContain(mac);
});

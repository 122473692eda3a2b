// Layout at common widths: the fleet table fits a 1280 px window, and at 900 px the header does
// not wrap and the BIOS editor's choices are not cut off.
import { expect, test, type Locator, type Page } from "@playwright/test";
import { createNodes, login, manage } from "./helpers.ts";

/** How far `el` reaches past the right edge of the nearest ancestor that clips or scrolls it (≤ 0: not cut). */
async function overhang(el: Locator): Promise<number> {
  return el.evaluate((node) => {
    const r = node.getBoundingClientRect();
    for (let p = node.parentElement; p; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== "visible") return Math.round(r.right - p.getBoundingClientRect().right);
    }
    return Math.round(r.right - document.documentElement.clientWidth);
  });
}

async function fleetFits(page: Page, path: string) {
  await page.goto(path);
  const table = page.getByTestId("fleet-table");
  await expect(table.locator("tbody tr[data-uuid]").first()).toBeVisible();
  const { scroll, box } = await table.evaluate((t) => ({ scroll: t.parentElement!.scrollWidth, box: t.parentElement!.clientWidth }));
  expect(scroll, `${path}: the table is ${scroll} px wide in a ${box} px box`).toBeLessThanOrEqual(box);
  for (const header of ["Fault", "Last error"]) expect(await overhang(page.getByRole("columnheader", { name: header })), header).toBeLessThanOrEqual(0);
}

test("at 1280 px the fleet table needs no horizontal scrolling", async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await login(page);
  await fleetFits(page, "/");
  // Nodes with errors first, and many traits: the widest cells.
  await fleetFits(page, "/?sort=-last_error");
  await fleetFits(page, "/?sort=-provision_updated_at");
});

test("at 900 px Log out stays on one line", async ({ page }) => {
  await page.setViewportSize({ width: 900, height: 900 });
  await login(page);
  const logout = page.getByRole("button", { name: "Log out" });
  // Line boxes of the button's text.
  const lines = await logout.evaluate((b) => {
    const range = document.createRange();
    range.selectNodeContents(b);
    return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
  });
  expect(lines, "Log out wraps").toBe(1);
  expect(await overhang(logout)).toBeLessThanOrEqual(0);
});

test("at 900 px the BIOS editor's choices are not cut off", async ({ page, request }) => {
  const [uuid] = await createNodes(request, `lay${Date.now().toString(36)}`, 1);
  await manage(request, [uuid]); // manageable: the BIOS settings are read
  await page.setViewportSize({ width: 900, height: 900 });
  await login(page);
  await page.goto(`/nodes/${uuid}?tab=bios`);
  const selects = page.getByTestId("bios-table").locator("select");
  await expect(selects.first()).toBeVisible();
  // Each choice shows its whole value (a squeezed select cuts "Immediate" to "Immec").
  const cut = await selects.evaluateAll((list) => {
    const ctx = document.createElement("canvas").getContext("2d")!;
    return (list as HTMLSelectElement[]).flatMap((sel) => {
      const cs = getComputedStyle(sel);
      ctx.font = `${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
      const need = ctx.measureText(sel.selectedOptions[0]?.text ?? "").width + parseFloat(cs.paddingLeft) + parseFloat(cs.paddingRight);
      return sel.clientWidth + 1 < need ? [`${sel.value}: ${sel.clientWidth} px < ${Math.ceil(need)} px`] : [];
    });
  });
  expect(cut).toEqual([]);
  for (const s of await selects.all()) expect(await overhang(s)).toBeLessThanOrEqual(0);
});

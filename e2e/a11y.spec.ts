// Accessibility: axe-core (WCAG 2.1 A/AA rules) on the main pages, in light and dark themes, and
// the pages are usable from the keyboard alone.
import { expect, test, type Page } from "@playwright/test";
import { adminApi, axeViolations, createNodes, describeViolations, login } from "./helpers.ts";

/** The main pages, and each tab of a node's page. */
const PAGES = (nodePath: string) => [
  "/", "/?group=provision_state", nodePath, `${nodePath}?tab=timeline`, `${nodePath}?tab=bios`, `${nodePath}?tab=steps`, `${nodePath}?tab=history`,
  "/jobs", "/templates", "/templates/new", "/runbooks", "/runbooks/new", "/admin", "/account/tokens",
];

async function setTheme(page: Page, theme: "light" | "dark") {
  await page.evaluate((t) => localStorage.setItem("ingot-theme", t), theme);
}

test("the login page passes axe", async ({ page }) => {
  await page.goto("/login");
  expect(describeViolations(await axeViolations(page))).toBe("");
});

test.describe("signed-in pages pass axe in both themes", () => {
  let nodePath = "";
  test.beforeAll(async ({ request }) => {
    const [uuid] = await createNodes(request, `a11y-${Date.now().toString(36)}`, 1);
    nodePath = `/nodes/${uuid}`;
  });

  for (const theme of ["light", "dark"] as const) {
    test(`${theme} theme`, async ({ page }) => {
      // A sweep of every page with axe on each: the default 30 s is for one interaction.
      test.setTimeout(120_000);
      await login(page);
      await setTheme(page, theme);
      const problems: string[] = [];
      for (const path of PAGES(nodePath)) {
        await page.goto(path);
        await page.waitForLoadState("networkidle");
        await expect(page.locator("html")).toHaveClass(theme === "dark" ? /dark/ : /^(?!.*dark).*$/);
        const found = describeViolations(await axeViolations(page));
        if (found) problems.push(`${path}:\n${found}`);
      }
      expect(problems.join("\n\n")).toBe("");
    });
  }
});

test("keyboard only: search the fleet, open a node, switch tabs, change the theme", async ({ page, request }) => {
  const prefix = `kbd-${Date.now().toString(36)}`;
  await createNodes(request, prefix, 2);
  await login(page);
  await page.goto("/");
  // Tab from the top of the page reaches the search box.
  const search = page.getByLabel("Search nodes");
  for (let i = 0; i < 40 && !(await search.evaluate((el) => el === document.activeElement)); i++) await page.keyboard.press("Tab");
  await expect(search).toBeFocused();
  await page.keyboard.type(prefix);
  const link = page.getByRole("link", { name: `${prefix}-01` });
  await expect(link).toBeVisible();
  // Onward with Tab to the first node's link, and Enter opens it.
  for (let i = 0; i < 60 && !(await link.evaluate((el) => el === document.activeElement)); i++) await page.keyboard.press("Tab");
  await expect(link).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("node-name")).toHaveText(`${prefix}-01`);
  // Tabs: the selected tab is focusable, arrow keys move between tabs and show their panel.
  const overview = page.getByRole("tab", { name: "Overview" });
  await overview.focus();
  await page.keyboard.press("ArrowRight");
  await expect(page.getByRole("tab", { name: "Timeline" })).toBeFocused();
  await expect(page.getByRole("tab", { name: "Timeline" })).toHaveAttribute("aria-selected", "true");
  await expect(page).toHaveURL(/tab=timeline/);
  await page.keyboard.press("End");
  await expect(page.getByRole("tab", { name: "History" })).toHaveAttribute("aria-selected", "true");
  // The theme toggle works from the keyboard and the choice survives a reload.
  await page.getByTestId("theme-toggle").focus();
  await page.keyboard.press("Enter");
  await page.keyboard.press("Enter");
  await expect(page.locator("html")).toHaveClass(/dark/);
  await page.reload();
  await expect(page.locator("html")).toHaveClass(/dark/);
});

test("a skip link leads past the header to the page's content", async ({ page }) => {
  await login(page);
  await page.goto("/");
  await page.keyboard.press("Tab");
  const skip = page.getByRole("link", { name: "Skip to content" });
  await expect(skip).toBeFocused();
  await expect(skip).toBeInViewport();
  await page.keyboard.press("Enter");
  await expect(page.locator("main")).toBeFocused();
  // The next Tab goes to the page, not to the header's links.
  await page.keyboard.press("Tab");
  expect(await page.evaluate(() => !!document.activeElement?.closest("main"))).toBe(true);
});

test("timeline bar labels and the graphical console's name have enough contrast, in both themes", async ({ page, request }) => {
  test.setTimeout(90_000);
  type Node = { uuid: string; driver: string; provision_state: string; console_interface: string; maintenance: boolean };
  const all = (await adminApi(request).get<{ nodes: Node[] }>("/nodes/detail?limit=1000")).nodes;
  // A demo node that went through enroll → … → active: bars for each state, steps under them.
  const node = all.find((n) => n.driver === "sim" && n.console_interface === "sim-graphical" && n.provision_state === "active" && !n.maintenance);
  expect(node, "an active sim node with a graphical console").toBeTruthy();
  await adminApi(request).put(`/nodes/${node!.uuid}/states/console`, { enabled: true }, 202);
  await login(page);
  for (const theme of ["light", "dark"] as const) {
    await page.evaluate((t) => localStorage.setItem("ingot-theme", t), theme);
    await page.goto(`/nodes/${node!.uuid}?tab=timeline`);
    await expect(page.getByTestId("state-bar").first()).toBeVisible();
    const timeline = describeViolations(await axeViolations(page, ["color-contrast"]));
    await page.goto(`/nodes/${node!.uuid}?tab=consoles`);
    await expect(page.getByTestId("vnc-phase")).toHaveText("connected", { timeout: 20_000 });
    await expect(page.getByTestId("vnc-status").locator(".font-mono")).not.toBeEmpty();
    const consoles = describeViolations(await axeViolations(page, ["color-contrast"]));
    expect(`${timeline}${consoles}`, theme).toBe("");
  }
});

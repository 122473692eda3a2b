// The dashboard in a real browser, for the tests that drive it: Debian's Chromium as the e2e suite
// (playwright.config.ts) and the rig's provisioning test (Playwright's library API inside vitest)
// launch it, logging in, and reading the serial console's terminal (xterm.js).
import { expect, type LaunchOptions, type Page } from "@playwright/test";

export const CHROMIUM_LAUNCH_OPTIONS: LaunchOptions = {
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
};

/**
 * Logs in on the login page (relative to the page's baseURL) and waits for the dashboard to name
 * the user (`timeout`: default the expect timeout of Playwright's config, 5 s outside its runner).
 */
export async function logIn(page: Page, username: string, password: string, opts: { timeout?: number } = {}): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("User name").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("current-user")).toHaveText(username, { timeout: opts.timeout });
}

/** The serial console's terminal text (all lines, scrollback included, each trimmed at the right). */
export function terminalText(page: Page): Promise<string> {
  return page.getByTestId("serial-terminal").evaluate((el) => {
    const term = (el as HTMLElement & { ingotTerminal?: { buffer: { active: { length: number; getLine(i: number): { translateToString(trim: boolean): string } | undefined } } } }).ingotTerminal;
    if (!term) return "";
    const b = term.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < b.length; i++) lines.push(b.getLine(i)?.translateToString(true) ?? "");
    return lines.join("\n");
  });
}

/** Waits until the terminal's text matches `re` (default 20 s); resolves with that text. */
export async function waitForTerminalText(page: Page, re: RegExp, timeout = 20_000): Promise<string> {
  let text = "";
  await expect.poll(async () => re.test((text = await terminalText(page))), { timeout, message: `terminal shows ${re}` }).toBe(true);
  return text;
}

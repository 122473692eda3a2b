// Consoles in the browser (issue 4): serial (xterm.js) while a sim node deploys, log in at its
// prompt; the graphical console (noVNC) against the server's framebuffer; refusals for a user of
// another project. The server runs the sim fleet fast (INGOT_SIM_SPEED in playwright.config.ts).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { expect, test, type APIRequestContext } from "@playwright/test";
import WebSocket, { createWebSocketStream } from "ws";
import { terminalText, waitForTerminalText as waitForText } from "../lib/testing/browser.ts";
import { RfbTestClient } from "../lib/testing/rfb_client.ts";
import { E2E_ADMIN_PASSWORD, E2E_DATABASE_URL, E2E_PORT } from "./env.ts";
import { login } from "./helpers.ts";

const API = { Authorization: `Basic ${Buffer.from(`admin:${E2E_ADMIN_PASSWORD}`).toString("base64")}`, "X-OpenStack-Ironic-API-Version": "latest" };

interface ApiNode {
  uuid: string;
  name: string;
  driver: string;
  owner: string | null;
  lessee: string | null;
  provision_state: string;
  power_state: string | null;
  console_interface: string;
  console_enabled: boolean;
  maintenance: boolean;
}

async function nodes(request: APIRequestContext): Promise<ApiNode[]> {
  const res = await request.get("/baremetal/v1/nodes/detail?limit=1000", { headers: API });
  expect(res.status()).toBe(200);
  return (await res.json()).nodes;
}

async function enableConsole(request: APIRequestContext, uuid: string): Promise<Record<string, unknown>> {
  const put = await request.put(`/baremetal/v1/nodes/${uuid}/states/console`, { headers: API, data: { enabled: true } });
  expect(put.status()).toBe(202);
  let body: { console_enabled: boolean; console_info: Record<string, unknown> | null } = { console_enabled: false, console_info: null };
  await expect
    .poll(async () => {
      body = await (await request.get(`/baremetal/v1/nodes/${uuid}/states/console`, { headers: API })).json();
      return body.console_enabled;
    }, { timeout: 15_000 })
    .toBe(true);
  return body.console_info ?? {};
}

let wsReady: boolean | null = null;
/** The console panel exists only when the server serves the console websockets (docs/consoles.md). */
async function consoleWebsockets(): Promise<boolean> {
  if (wsReady !== null) return wsReady;
  wsReady = await new Promise<boolean>((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${E2E_PORT}/ws/nodes/00000000-0000-0000-0000-000000000000/serial`);
    // Refused as unauthenticated: an HTTP 401, or accepted and closed with 4401 (what Ingot does).
    ws.on("unexpected-response", (_req, res) => resolve(res.statusCode === 401));
    ws.on("close", (code) => resolve(code === 4401));
    ws.on("error", () => resolve(false));
  });
  return wsReady;
}

test.describe("consoles", () => {
  test.beforeEach(async () => {
    test.skip(!(await consoleWebsockets()), "the server does not serve the console websockets yet");
  });

  test("serial console while a sim node deploys: boot output, log in, run a command", async ({ page, request }) => {
    test.setTimeout(90_000);
    const node = (await nodes(request)).find((n) => n.driver === "sim" && n.provision_state === "available" && n.console_interface === "sim-serial" && !n.console_enabled && !n.maintenance);
    expect(node, "an available sim node with a serial console").toBeTruthy();
    const uuid = node!.uuid;
    const host = `e2e-${uuid.slice(0, 6)}`;
    const patch = await request.patch(`/baremetal/v1/nodes/${uuid}`, { headers: API, data: [{ op: "add", path: "/instance_info/display_name", value: host }] });
    expect(patch.status()).toBe(200);

    await login(page);
    await page.goto(`/nodes/${uuid}?tab=consoles`);
    const panel = page.getByTestId("consoles");
    await expect(panel.getByRole("tab", { name: "Serial" })).toHaveAttribute("aria-selected", "true");
    await expect(panel.getByRole("tab", { name: "Graphical" })).toHaveCount(0);
    // Enable it with the page's button (a server action behind the API's policy and conductor call).
    await expect(page.getByTestId("console-disabled")).toBeVisible();
    await page.getByTestId("console-toggle").click();
    await expect(page.getByTestId("console-enabled")).toHaveText("enabled", { timeout: 15_000 });
    await expect(page.getByTestId("serial-phase")).toHaveText("connected");
    const info = (await (await request.get(`/baremetal/v1/nodes/${uuid}/states/console`, { headers: API })).json()) as { console_enabled: boolean; console_info: Record<string, unknown> };
    expect(info.console_enabled).toBe(true);
    expect(info.console_info).toMatchObject({ type: "ws" });
    expect(String(info.console_info.url)).toMatch(new RegExp(`/ws/nodes/${uuid}/serial$`));

    // Deploy through the API while the console is open.
    const deploy = await request.put(`/baremetal/v1/nodes/${uuid}/states/provision`, { headers: API, data: { target: "active" } });
    expect(deploy.status(), await deploy.text()).toBe(202);
    await waitForText(page, /BIOS Version/); // firmware POST
    await page.screenshot({ path: "test-results/console-serial-deploying.png" });
    await waitForText(page, new RegExp(`${host} login: *$`, "m"), 60_000);

    const term = page.getByTestId("serial-terminal");
    await term.click();
    await page.keyboard.type("root\r");
    await waitForText(page, /Password: *$/m);
    await page.keyboard.type("ingot\r");
    await waitForText(page, new RegExp(`root@${host}:.*# *$`, "m"));
    await page.keyboard.type("hostname\r");
    const text = await waitForText(page, new RegExp(`# hostname\\n${host}\\n`));
    expect(text).toContain(`root@${host}`);
    await expect(page.getByTestId("serial-readonly")).toHaveCount(0);
    await page.screenshot({ path: "test-results/console-serial.png", fullPage: true });

    // A dropped connection reconnects and resumes from its offset: nothing lost, nothing repeated.
    await page.getByTestId("serial-terminal").evaluate((el) => (el as HTMLElement & { ingotSerial: { drop(): void } }).ingotSerial.drop());
    await expect(page.getByTestId("serial-phase")).toHaveText("reconnecting");
    await expect(page.getByTestId("serial-phase")).toHaveText("connected", { timeout: 10_000 });
    await term.click();
    await page.keyboard.type("echo resumed-ok\r");
    const after = await waitForText(page, /^resumed-ok$/m);
    expect(after.split(`# hostname\n${host}\n`).length).toBe(2);
    expect(after.match(/^resumed-ok$/gm)).toHaveLength(1);
    expect(after.match(/BIOS Version/g)?.length).toBe(text.match(/BIOS Version/g)?.length);

    // The console log holds the instance's output (captured from `active` on).
    const log = await page.request.get(`/nodes/${uuid}/console/log?kib=16`);
    expect(log.status()).toBe(200);
    const logText = await log.text();
    expect(logText).toContain(`root@${host}:~# hostname`);
    expect(logText).toContain("resumed-ok");

    // Disabled and enabled elsewhere (the API, as the CLI does): the open panel follows.
    const off = await request.put(`/baremetal/v1/nodes/${uuid}/states/console`, { headers: API, data: { enabled: false } });
    expect(off.status()).toBe(202);
    await expect(page.getByTestId("console-disabled")).toBeVisible({ timeout: 15_000 });
    await expect(page.getByTestId("console-toggle")).toHaveText("Enable console");
    await enableConsole(request, uuid);
    await expect(page.getByTestId("serial-phase")).toHaveText("connected", { timeout: 15_000 });
    await expect(page.getByTestId("console-toggle")).toHaveText("Disable console");

    // Disable it again from the page: the websocket closes and the panel says so.
    await page.getByTestId("console-toggle").click();
    await expect(page.getByTestId("console-enabled")).toHaveText("disabled", { timeout: 15_000 });
    await expect(page.getByTestId("console-disabled")).toBeVisible();
  });

  test("graphical console: the canvas shows the server's framebuffer", async ({ page, request, context }) => {
    test.setTimeout(60_000);
    const all = await nodes(request);
    const node = all.find((n) => n.driver === "sim" && n.provision_state === "active" && n.power_state === "power on" && n.console_interface === "sim-graphical");
    expect(node, "an active sim node with a graphical console").toBeTruthy();
    const uuid = node!.uuid;
    const info = await enableConsole(request, uuid);
    expect(info.type).toBe("vnc");
    const url = new URL(String(info.url));
    expect(url.pathname).toBe(`/nodes/${uuid}/console/graphical`);
    const token = url.searchParams.get("token")!;
    expect(token).toBeTruthy();

    await login(page);
    await page.goto(`/nodes/${uuid}?tab=consoles`);
    const panel = page.getByTestId("consoles");
    await panel.getByRole("tab", { name: "Graphical" }).click();
    await expect(page.getByTestId("vnc-phase")).toHaveText("connected", { timeout: 15_000 });
    const canvas = page.getByTestId("vnc-screen").locator("canvas");
    await expect(canvas).toBeVisible();

    // The server's framebuffer, read over the same websocket with the same session.
    const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
    const fresh = await enableConsole(request, uuid); // a second token for our own client
    const token2 = new URL(String(fresh.url)).searchParams.get("token")!;
    const ws = new WebSocket(`ws://127.0.0.1:${E2E_PORT}/ws/nodes/${uuid}/vnc?token=${encodeURIComponent(token2)}`, ["binary"], { headers: { Cookie: cookie } });
    await new Promise<void>((res, rej) => {
      ws.once("open", () => res());
      ws.once("error", rej);
    });
    const rfb = await RfbTestClient.connect(createWebSocketStream(ws));
    rfb.requestUpdate(false);
    await rfb.nextUpdate();
    const server = { width: rfb.width, height: rfb.height, pixels: Array.from(rfb.pixels) };
    ws.close();
    expect(server.width).toBeGreaterThan(0);

    // The browser's canvas (noVNC draws at framebuffer resolution; CSS scales it to fit).
    let mismatch = 1;
    await expect
      .poll(async () => {
        const browser = await canvas.evaluate((c: HTMLCanvasElement) => {
          const d = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
          const px: number[] = new Array(c.width * c.height);
          for (let i = 0; i < px.length; i++) px[i] = (d[i * 4] << 16) | (d[i * 4 + 1] << 8) | d[i * 4 + 2];
          return { width: c.width, height: c.height, px };
        });
        if (browser.width !== server.width || browser.height !== server.height) return 1;
        let bad = 0;
        for (let i = 0; i < browser.px.length; i++) if ((browser.px[i] & 0xffffff) !== (server.pixels[i] & 0xffffff)) bad++;
        mismatch = bad / browser.px.length;
        return mismatch;
      }, { timeout: 10_000, message: "canvas pixels equal the framebuffer" })
      .toBeLessThan(0.01);

    // And the screen is not blank: the text area has many distinct pixels.
    const shot = await canvas.screenshot();
    expect(shot.length).toBeGreaterThan(2_000);
    const distinct = new Set(server.pixels.slice(0, server.width * 16 * 4)).size;
    expect(distinct).toBeGreaterThan(1);
    await page.screenshot({ path: "test-results/console-graphical.png", fullPage: true });

    // console_info.url: the full-page view.
    await page.goto(url.pathname + url.search);
    await expect(page.getByTestId("vnc-phase")).toHaveText("connected", { timeout: 15_000 });
    await page.screenshot({ path: "test-results/console-graphical-fullpage.png" });
  });

  test("a reader of the owner project watches the serial console read-only", async ({ browser, request }) => {
    const projectOf = new Map(["infra", "research", "web", "ml"].map((p) => [createHash("sha256").update(`ingot-project:${p}`).digest("hex").slice(0, 32), p]));
    const node = (await nodes(request)).find(
      (n) => n.driver === "sim" && n.console_interface === "sim-serial" && n.console_enabled && !n.maintenance && n.power_state === "power on" && n.owner && projectOf.has(n.owner),
    );
    expect(node, "an active sim node with its serial console enabled").toBeTruthy();
    const user = `rita-${Date.now()}`;
    execFileSync("node_modules/.bin/tsx", ["lib/cli/main.ts", "user", "create", user, "--password", "rita-password-1", "--project", projectOf.get(node!.owner!)!, "--role", "reader"], {
      env: { ...process.env, DATABASE_URL: E2E_DATABASE_URL },
      stdio: "pipe",
    });
    const context = await browser.newContext();
    const page = await context.newPage();
    await login(page, user, "rita-password-1");
    await page.goto(`/nodes/${node!.uuid}?tab=consoles`);
    await expect(page.getByTestId("serial-phase")).toHaveText("connected");
    await expect(page.getByTestId("serial-readonly")).toBeVisible();
    await expect(page.getByTestId("console-toggle")).toHaveCount(0);
    await expect(page.getByTestId("console-log")).toHaveCount(0);
    const before = await waitForText(page, /(login:|[#$]) *$/m); // a prompt (an earlier test may have logged in)
    await page.getByTestId("serial-terminal").click();
    await page.keyboard.type("root\r");
    await page.waitForTimeout(1000);
    expect(await terminalText(page)).toBe(before); // nothing typed reached the console
    await context.close();
  });

  test("a user of another project is refused on both websockets", async ({ browser, request }) => {
    const all = await nodes(request);
    const research = createHash("sha256").update("ingot-project:research").digest("hex").slice(0, 32);
    const serial = all.find((n) => n.driver === "sim" && n.console_interface === "sim-serial" && n.console_enabled && n.owner !== research && n.lessee !== research);
    const graphical = all.find((n) => n.driver === "sim" && n.console_interface === "sim-graphical" && n.provision_state === "active" && n.owner !== research && n.lessee !== research);
    expect(serial && graphical).toBeTruthy();
    const info = await enableConsole(request, graphical!.uuid);
    const token = new URL(String(info.url)).searchParams.get("token")!;

    const user = `eve-${Date.now()}`;
    execFileSync("node_modules/.bin/tsx", ["lib/cli/main.ts", "user", "create", user, "--password", "eve-password-1", "--project", "research", "--role", "admin"], {
      env: { ...process.env, DATABASE_URL: E2E_DATABASE_URL },
      stdio: "pipe",
    });
    const context = await browser.newContext();
    const page = await context.newPage();
    await login(page, user, "eve-password-1");
    const results = await page.evaluate(
      async (urls) =>
        Promise.all(
          urls.map(
            (u) =>
              new Promise<{ opened: boolean; messages: number; code: number }>((resolve) => {
                const ws = new WebSocket(u, ["binary"]);
                let opened = false;
                let messages = 0;
                ws.onopen = () => (opened = true);
                ws.onmessage = () => messages++;
                ws.onclose = (e) => resolve({ opened, messages, code: e.code });
                setTimeout(() => resolve({ opened, messages, code: -1 }), 8000);
              }),
          ),
        ),
      [
        `ws://127.0.0.1:${E2E_PORT}/ws/nodes/${serial!.uuid}/serial`,
        `ws://127.0.0.1:${E2E_PORT}/ws/nodes/${graphical!.uuid}/vnc?token=${encodeURIComponent(token)}`,
      ],
    );
    // Refused before any console byte: no message at all, closed as "unknown node" (the node is
    // concealed from project users) or "not allowed".
    for (const r of results) {
      expect(r.messages).toBe(0);
      expect([4403, 4404]).toContain(r.code);
    }
    // The node pages are not found for them either.
    expect((await page.goto(`/nodes/${serial!.uuid}`))?.status()).toBe(404);
    expect((await page.request.get(`/nodes/${serial!.uuid}/console/log`)).status()).toBe(404);
    await context.close();
  });
});

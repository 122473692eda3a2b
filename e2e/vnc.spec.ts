// The graphical console's keys a browser cannot type: Ctrl-Alt-Del, and text pasted as keystrokes.
// Checked on what noVNC sends over the websocket (RFB KeyEvents); what the simulated machine does
// with them is in lib/core/sim/rfb.test.ts. Own sim node (e2e-vnc-…).
import { expect, test } from "@playwright/test";
import { adminApi, createNodes, login, manage, waitForState } from "./helpers.ts";

/** An RFB KeyEvent message (client → server): type 4, down flag, padding, keysym. */
function keyEvent(keysym: number, down: boolean): Buffer {
  const b = Buffer.alloc(8);
  b[0] = 4;
  b[1] = down ? 1 : 0;
  b.writeUInt32BE(keysym, 4);
  return b;
}

/** Whether `sent` holds the key events in this order (other messages may come between). */
function inOrder(sent: Buffer, events: Buffer[]): boolean {
  let at = 0;
  for (const e of events) {
    const i = sent.indexOf(e, at);
    if (i < 0) return false;
    at = i + e.length;
  }
  return true;
}

test("graphical console: Send Ctrl-Alt-Del and Paste text send the keys to the machine", async ({ page, request }) => {
  test.setTimeout(180_000);
  const a = adminApi(request);
  const [uuid] = await createNodes(request, `e2e-vnc-${Date.now().toString(36)}`, 1, {
    console_interface: "sim-graphical", instance_info: { image_source: "http://images.example/debian-12.qcow2" },
  });
  await manage(request, [uuid]);
  await a.put(`/nodes/${uuid}/states/provision`, { target: "provide" }, 202);
  await waitForState(request, uuid, "available", 120_000);
  await a.put(`/nodes/${uuid}/states/provision`, { target: "active" }, 202);
  await waitForState(request, uuid, "active", 120_000);
  await a.put(`/nodes/${uuid}/states/console`, { enabled: true }, 202);
  await expect.poll(async () => (await a.get<{ console_enabled: boolean }>(`/nodes/${uuid}/states/console`)).console_enabled, { timeout: 15_000 }).toBe(true);

  const sent: Buffer[] = [];
  page.on("websocket", (ws) => {
    if (!ws.url().includes("/vnc")) return;
    ws.on("framesent", (f) => void (typeof f.payload !== "string" && sent.push(Buffer.from(f.payload))));
  });
  await login(page);
  await page.goto(`/nodes/${uuid}?tab=consoles`);
  await page.getByTestId("consoles").getByRole("tab", { name: "Graphical" }).click();
  await expect(page.getByTestId("vnc-phase")).toHaveText("connected", { timeout: 15_000 });

  await page.getByRole("button", { name: "Send Ctrl-Alt-Del" }).click();
  const ctrlAltDel = [keyEvent(0xffe3, true), keyEvent(0xffe9, true), keyEvent(0xffff, true), keyEvent(0xffff, false), keyEvent(0xffe9, false), keyEvent(0xffe3, false)];
  await expect.poll(() => inOrder(Buffer.concat(sent), ctrlAltDel), { message: "Ctrl-Alt-Del key events sent" }).toBe(true);

  await page.getByRole("button", { name: "Paste text…" }).click();
  await page.getByLabel(/Text to type into the console/).fill("ls -l\nok");
  await page.getByRole("button", { name: "Type it" }).click();
  const typed = [..."ls -l"].map((c) => keyEvent(c.charCodeAt(0), true)).concat([keyEvent(0xff0d, true), keyEvent(0x6f, true), keyEvent(0x6b, true)]);
  await expect.poll(() => inOrder(Buffer.concat(sent), typed), { message: "pasted text sent as key presses" }).toBe(true);
  await expect(page.getByLabel(/Text to type into the console/)).toHaveCount(0);
});

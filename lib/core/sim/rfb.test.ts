import { connect, type Socket } from "node:net";
import { once } from "node:events";
import { PassThrough, Duplex } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SimMachine } from "./machine.ts";
import { ENCODING, listenVnc, NATIVE_FORMAT, serveRfb, type PixelFormat, type VncListener } from "./rfb.ts";
import { RfbTestClient } from "../../testing/rfb_client.ts";
import { CELL_H, CELL_W, PALETTE, TextScreen } from "./textscreen.ts";
import { setSimSpeed } from "./timing.ts";

const UUID = "7e0c3a59-1c11-4d0e-a1d6-8e2f3b4c5d6e";
let machine: SimMachine;
let vnc: VncListener;
const sockets: Socket[] = [];

beforeAll(async () => {
  setSimSpeed(0.002);
  machine = new SimMachine(UUID, { uuid: UUID, name: "vnc-host", instanceInfo: { sim_root_password: "pw" } });
  machine.disk = { id: "ubuntu", name: "Ubuntu", prettyName: "Ubuntu 24.04.1 LTS", versionId: "24.04", kernel: "6.8.0-49-generic", image: "x" };
  await machine.bootIntoOs();
  vnc = await listenVnc(machine, 0);
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await vnc.close();
  machine.dispose();
  setSimSpeed(undefined);
});

async function client(opts: Parameters<typeof RfbTestClient.connect>[1] = {}): Promise<RfbTestClient> {
  const s = connect(vnc.port, "127.0.0.1");
  sockets.push(s);
  await once(s, "connect");
  return RfbTestClient.connect(s, opts);
}

function expectSameAsFramebuffer(c: RfbTestClient, fb = machine.screen.framebuffer, approx?: (v: number) => number): void {
  let diff = 0;
  for (let i = 0; i < fb.pixels.length; i++) {
    const want = approx ? approx(fb.pixels[i]) : fb.pixels[i];
    if (c.pixels[i] !== want) diff++;
  }
  expect(diff).toBe(0);
}

const RGB565: PixelFormat = {
  bitsPerPixel: 16, depth: 16, bigEndian: false, trueColour: true, redMax: 31, greenMax: 63, blueMax: 31,
  redShift: 11, greenShift: 5, blueShift: 0,
};

describe("RFB server", () => {
  it("does the 3.8 handshake and sends the screen raw", async () => {
    const c = await client({ encodings: [ENCODING.RAW] });
    expect([c.width, c.height]).toEqual([720, 400]);
    expect(c.serverFormat).toEqual(NATIVE_FORMAT);
    expect(c.name).toBe(`vnc-host (${UUID})`);
    c.requestUpdate(false);
    const rects = await c.nextUpdate();
    expect(rects).toEqual([{ x: 0, y: 0, w: 720, h: 400, encoding: ENCODING.RAW }]);
    expectSameAsFramebuffer(c);
    c.close();
  });

  it("sends ZRLE that decodes to the same pixels, then only the damage incrementally", async () => {
    const c = await client({ encodings: [ENCODING.ZRLE, ENCODING.RAW] });
    c.requestUpdate(false);
    const [full] = await c.nextUpdate();
    expect(full.encoding).toBe(ENCODING.ZRLE);
    expectSameAsFramebuffer(c);
    c.requestUpdate(true);
    machine.output("Z");
    const rects = await c.nextUpdate();
    expect(rects.every((r) => r.encoding === ENCODING.ZRLE)).toBe(true);
    const area = rects.reduce((a, r) => a + r.w * r.h, 0);
    expect(area).toBeLessThanOrEqual(2 * CELL_W * CELL_H); // the new glyph and the moved cursor
    expectSameAsFramebuffer(c);
    // a big change (scrolling) is sent in the same stream: the shared zlib state must still decode
    c.requestUpdate(true);
    machine.output("\r\n".repeat(3) + "scrolled text\r\n");
    await c.nextUpdate();
    expectSameAsFramebuffer(c);
    c.close();
  });

  it("honours zlib encoding and a 16-bit pixel format", async () => {
    const c = await client({ encodings: [ENCODING.ZLIB], pixelFormat: RGB565 });
    c.requestUpdate(false);
    const [r] = await c.nextUpdate();
    expect(r.encoding).toBe(ENCODING.ZLIB);
    const to565 = (rgb: number) => {
      const ch = (v: number, max: number) => Math.round((Math.round((v * max) / 255) * 255) / max);
      return (ch((rgb >> 16) & 255, 31) << 16) | (ch((rgb >> 8) & 255, 63) << 8) | ch(rgb & 255, 31);
    };
    expectSameAsFramebuffer(c, machine.screen.framebuffer, to565);
    c.close();
  });

  it("ZRLE works with big-endian 32-bit pixels (CPIXEL byte order) and with 3.3 clients", async () => {
    const be: PixelFormat = { ...NATIVE_FORMAT, bigEndian: true };
    const c = await client({ encodings: [ENCODING.ZRLE], pixelFormat: be, version: "RFB 003.003\n" });
    c.requestUpdate(false);
    await c.nextUpdate();
    expectSameAsFramebuffer(c);
    c.close();
  });

  it("encodes tiles with many colours (raw ZRLE tiles) correctly", async () => {
    const screen = new TextScreen();
    const fb = screen.framebuffer;
    for (let i = 0; i < fb.pixels.length; i++) fb.pixels[i] = (i * 2654435761) & 0xffffff;
    const [a, b] = duplexPair();
    const session = serveRfb(a, { framebuffer: fb, name: "noise" });
    const c = await RfbTestClient.connect(b, { encodings: [ENCODING.ZRLE] });
    c.requestUpdate(false);
    await c.nextUpdate();
    expectSameAsFramebuffer(c, fb);
    c.close();
    session.close();
  });

  it("key events reach the console: log in and run a command over VNC", async () => {
    const c = await client({ encodings: [ENCODING.ZRLE] });
    c.requestUpdate(false);
    await c.nextUpdate();
    const out: string[] = [];
    const off = machine.serial.subscribe((d) => out.push(d.toString()));
    c.type("\n");
    c.type("root\n");
    c.type("pw\n");
    c.key(0xffe3, true); // Ctrl-C clears a half-typed line
    c.tap(0x63);
    c.key(0xffe3, false);
    c.type("echo via-vnc\n");
    c.cutText("clipboard");
    const deadline = Date.now() + 3000;
    while (!out.join("").includes("via-vnc\r\nroot@vnc-host") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    off();
    expect(out.join("")).toContain("^C");
    expect(out.join("")).toContain("via-vnc\r\nroot@vnc-host:~# ");
    // the screen (and so the VNC picture) shows it
    c.requestUpdate(true);
    await c.nextUpdate();
    expectSameAsFramebuffer(c);
    expect(machine.screen.lines().some((l) => l === "via-vnc")).toBe(true);
    expect([...vnc.sessions].some((s) => s.clientCutText === "clipboard")).toBe(true);
    c.close();
  });

  it("Ctrl-Alt-Del over VNC reboots the running OS; Delete alone or with Ctrl only does not", async () => {
    const c = await client({ encodings: [ENCODING.ZRLE] });
    const out: string[] = [];
    const off = machine.serial.subscribe((d) => out.push(d.toString()));
    c.key(0xffe3, true);
    c.tap(0xffff);
    c.key(0xffe3, false);
    c.tap(0xffff);
    await new Promise((r) => setTimeout(r, 50));
    expect(out.join("")).not.toContain("Ctrl-Alt-Del");
    c.key(0xffe3, true);
    c.key(0xffe9, true);
    c.tap(0xffff);
    c.key(0xffe9, false);
    c.key(0xffe3, false);
    const deadline = Date.now() + 3000;
    while (!out.join("").includes("reboot: Power down") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    off();
    expect(out.join("")).toContain("Received SIGINT (Ctrl-Alt-Del): rebooting.");
    expect(out.join("")).toContain("reboot: Power down");
    c.close();
  });

  it("refuses a bad protocol version and unknown messages by closing", async () => {
    const [a, b] = duplexPair();
    const session = serveRfb(a, { framebuffer: machine.screen.framebuffer, name: "x" });
    b.write("HELLO WORLD!");
    await new Promise((r) => setTimeout(r, 10));
    expect(session.closed).toBe(true);
    const c = await client();
    const s = sockets[sockets.length - 1];
    s.write(Buffer.from([99]));
    await once(s, "close");
    expect(PALETTE.length).toBe(16);
    c.close();
  });
});

/** Two connected in-memory duplex streams (what a websocket relay will look like). */
function duplexPair(): [Duplex, Duplex] {
  const ab = new PassThrough();
  const ba = new PassThrough();
  const a = Duplex.from({ readable: ba, writable: ab });
  const b = Duplex.from({ readable: ab, writable: ba });
  return [a, b];
}

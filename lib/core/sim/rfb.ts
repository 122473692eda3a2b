// An RFB 3.8 server (RFC 6143) over any duplex byte stream — a TCP socket from listenVnc(), or a
// websocket relay later. Serves a Framebuffer: security type None, ClientInit/ServerInit,
// SetPixelFormat (true colour, 8/16/32 bpp, either byte order), SetEncodings, incremental
// FramebufferUpdateRequest answered from damage tracking, KeyEvent/PointerEvent, ClientCutText.
// Encodings: Raw (0), zlib (6) and ZRLE (16), compressed with node:zlib streams kept per
// connection as the protocol requires. Protocol 3.3 and 3.7 clients are served too.
//
// (VNC authentication needs DES, which Node's OpenSSL 3 build no longer provides; access control
// belongs to the websocket relay in front of this server.)
import { once } from "node:events";
import { createServer, type AddressInfo, type Server } from "node:net";
import type { Duplex } from "node:stream";
import zlib from "node:zlib";
import { DamageRegion, type Framebuffer, type Rect } from "./framebuffer.ts";
import type { SimMachine } from "./machine.ts";

export const ENCODING = { RAW: 0, COPYRECT: 1, ZLIB: 6, ZRLE: 16 } as const;
const SUPPORTED = new Set<number>([ENCODING.RAW, ENCODING.ZLIB, ENCODING.ZRLE]);

export interface PixelFormat {
  bitsPerPixel: number;
  depth: number;
  bigEndian: boolean;
  trueColour: boolean;
  redMax: number;
  greenMax: number;
  blueMax: number;
  redShift: number;
  greenShift: number;
  blueShift: number;
}

/** The server's native format: 32 bpp, depth 24, little-endian 0x00RRGGBB. */
export const NATIVE_FORMAT: PixelFormat = {
  bitsPerPixel: 32, depth: 24, bigEndian: false, trueColour: true,
  redMax: 255, greenMax: 255, blueMax: 255, redShift: 16, greenShift: 8, blueShift: 0,
};

export function encodePixelFormat(pf: PixelFormat): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt8(pf.bitsPerPixel, 0);
  b.writeUInt8(pf.depth, 1);
  b.writeUInt8(pf.bigEndian ? 1 : 0, 2);
  b.writeUInt8(pf.trueColour ? 1 : 0, 3);
  b.writeUInt16BE(pf.redMax, 4);
  b.writeUInt16BE(pf.greenMax, 6);
  b.writeUInt16BE(pf.blueMax, 8);
  b.writeUInt8(pf.redShift, 10);
  b.writeUInt8(pf.greenShift, 11);
  b.writeUInt8(pf.blueShift, 12);
  return b;
}

export function decodePixelFormat(b: Buffer, off = 0): PixelFormat {
  return {
    bitsPerPixel: b.readUInt8(off), depth: b.readUInt8(off + 1), bigEndian: b.readUInt8(off + 2) !== 0,
    trueColour: b.readUInt8(off + 3) !== 0, redMax: b.readUInt16BE(off + 4), greenMax: b.readUInt16BE(off + 6),
    blueMax: b.readUInt16BE(off + 8), redShift: b.readUInt8(off + 10), greenShift: b.readUInt8(off + 11),
    blueShift: b.readUInt8(off + 12),
  };
}

/** 0x00RRGGBB → the pixel value in format `pf`. */
export function pixelValue(pf: PixelFormat, rgb: number): number {
  const r = (rgb >>> 16) & 255;
  const g = (rgb >>> 8) & 255;
  const b = rgb & 255;
  const scale = (v: number, max: number) => Math.round((v * max) / 255);
  return ((scale(r, pf.redMax) << pf.redShift) | (scale(g, pf.greenMax) << pf.greenShift) | (scale(b, pf.blueMax) << pf.blueShift)) >>> 0;
}

/** How pixels are written: full pixels (Raw, zlib) and ZRLE's compact CPIXELs. */
class PixelWriter {
  readonly bytes: number;
  /** CPIXEL size and which byte of the full pixel is dropped (-1: none). */
  readonly cbytes: number;
  private readonly drop: number;
  private readonly cache = new Map<number, Buffer>();

  constructor(readonly pf: PixelFormat) {
    this.bytes = pf.bitsPerPixel / 8;
    this.drop = -1;
    this.cbytes = this.bytes;
    if (pf.trueColour && pf.bitsPerPixel === 32 && pf.depth <= 24) {
      const mask = ((pf.redMax << pf.redShift) | (pf.greenMax << pf.greenShift) | (pf.blueMax << pf.blueShift)) >>> 0;
      const low = (mask & 0xff000000) === 0;
      const high = (mask & 0x000000ff) === 0;
      if (low || high) {
        this.cbytes = 3;
        // Drop the unused byte: the most significant one when colours fit the low 3 bytes.
        this.drop = low ? (pf.bigEndian ? 0 : 3) : pf.bigEndian ? 3 : 0;
      }
    }
  }

  /** The full pixel bytes for 0x00RRGGBB (cached: screens use few colours). */
  full(rgb: number): Buffer {
    let b = this.cache.get(rgb);
    if (!b) {
      const v = pixelValue(this.pf, rgb);
      b = Buffer.alloc(this.bytes);
      if (this.bytes === 1) b.writeUInt8(v & 0xff, 0);
      else if (this.bytes === 2) {
        if (this.pf.bigEndian) b.writeUInt16BE(v & 0xffff, 0);
        else b.writeUInt16LE(v & 0xffff, 0);
      } else if (this.pf.bigEndian) b.writeUInt32BE(v, 0);
      else b.writeUInt32LE(v, 0);
      this.cache.set(rgb, b);
    }
    return b;
  }

  writeFull(rgb: number, out: Buffer, off: number): number {
    const b = this.full(rgb);
    for (let i = 0; i < this.bytes; i++) out[off + i] = b[i];
    return off + this.bytes;
  }

  writeCompact(rgb: number, out: Buffer, off: number): number {
    const b = this.full(rgb);
    for (let i = 0; i < this.bytes; i++) if (i !== this.drop) out[off++] = b[i];
    return off;
  }
}

/** A persistent deflate stream (RFB zlib-based encodings share one per connection). */
class DeflateStream {
  private readonly z = zlib.createDeflate({ level: 6 });
  private readonly chunks: Buffer[] = [];

  constructor() {
    this.z.on("data", (c: Buffer) => this.chunks.push(c));
  }

  compress(data: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.z.write(data, (err) => {
        if (err) reject(err);
      });
      this.z.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        const out = Buffer.concat(this.chunks);
        this.chunks.length = 0;
        resolve(out);
      });
    });
  }

  close(): void {
    this.z.close();
  }
}

/** Modifier keys held while a key is pressed. */
export interface KeyModifiers {
  ctrl: boolean;
  alt: boolean;
}

const CTRL_KEYS: Record<number, number> = { 0xffe3: 1, 0xffe4: 2 }; // Control_L, Control_R
const ALT_KEYS: Record<number, number> = { 0xffe9: 1, 0xffea: 2, 0xffe7: 4, 0xffe8: 8 }; // Alt_L/R, Meta_L/R

/** What an RFB session shows and where input goes. */
export interface RfbSource {
  readonly framebuffer: Framebuffer;
  readonly name: string;
  keyEvent?(down: boolean, keysym: number, mods: KeyModifiers): void;
  pointerEvent?(buttonMask: number, x: number, y: number): void;
  cutText?(text: string): void;
}

export interface RfbSessionStats {
  updates: number;
  rects: number;
  bytesSent: number;
  encodings: Record<string, number>;
}

const TILE = 64;
const MAX_CUT_TEXT = 1024 * 1024;

type ReadState = "version" | "security" | "clientInit" | "normal" | "closed";

export class RfbSession {
  private buf: Buffer = Buffer.alloc(0);
  private state: ReadState = "version";
  private minor = 8;
  private pf: PixelFormat = NATIVE_FORMAT;
  private writer = new PixelWriter(NATIVE_FORMAT);
  private encodings: number[] = [ENCODING.RAW];
  private readonly damage = new DamageRegion();
  private request: { incremental: boolean; rect: Rect } | null = null;
  private sending = false;
  private ctrl = 0;
  private alt = 0;
  private zrle: DeflateStream | null = null;
  private zlibStream: DeflateStream | null = null;
  private unsubscribe: (() => void) | null = null;
  private readonly closeListeners: (() => void)[] = [];
  readonly stats: RfbSessionStats = { updates: 0, rects: 0, bytesSent: 0, encodings: {} };
  /** The last text the client put on its clipboard. */
  clientCutText = "";

  constructor(
    private readonly stream: Duplex,
    private readonly source: RfbSource,
  ) {
    stream.on("data", (chunk: Buffer) => this.onData(chunk));
    stream.on("close", () => this.close());
    stream.on("end", () => this.close());
    stream.on("error", () => this.close());
    this.send(Buffer.from("RFB 003.008\n", "latin1"));
  }

  get closed(): boolean {
    return this.state === "closed";
  }

  onClose(fn: () => void): void {
    if (this.closed) fn();
    else this.closeListeners.push(fn);
  }

  close(reason?: string): void {
    if (this.state === "closed") return;
    this.state = "closed";
    if (reason) console.warn(`rfb session closed: ${reason}`);
    this.unsubscribe?.();
    this.zrle?.close();
    this.zlibStream?.close();
    if (!this.stream.destroyed) this.stream.end();
    for (const fn of this.closeListeners.splice(0)) fn();
  }

  private send(data: Buffer): boolean {
    if (this.state === "closed" || this.stream.destroyed) return true;
    this.stats.bytesSent += data.length;
    return this.stream.write(data);
  }

  private onData(chunk: Buffer): void {
    if (this.state === "closed") return;
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    try {
      while (!this.closed && this.step()) {
        // keep parsing
      }
    } catch (err) {
      this.close(err instanceof Error ? err.message : String(err));
    }
  }

  private take(n: number): Buffer {
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** Handles one message if complete; returns whether it consumed something. */
  private step(): boolean {
    const b = this.buf;
    switch (this.state) {
      case "version": {
        if (b.length < 12) return false;
        const v = this.take(12).toString("latin1");
        const m = /^RFB (\d{3})\.(\d{3})\n$/.exec(v);
        if (!m || Number(m[1]) !== 3) throw new Error(`unsupported protocol version ${JSON.stringify(v)}`);
        const minor = Number(m[2]);
        this.minor = minor >= 8 ? 8 : minor === 7 ? 7 : 3;
        if (this.minor === 3) {
          const t = Buffer.alloc(4);
          t.writeUInt32BE(1, 0); // the server decides: None
          this.send(t);
          this.state = "clientInit";
        } else {
          this.send(Buffer.from([1, 1])); // one type: None
          this.state = "security";
        }
        return true;
      }
      case "security": {
        if (b.length < 1) return false;
        const type = this.take(1)[0];
        if (type !== 1) {
          if (this.minor >= 8) {
            const reason = Buffer.from("Security type not supported", "latin1");
            const out = Buffer.alloc(8 + reason.length);
            out.writeUInt32BE(1, 0);
            out.writeUInt32BE(reason.length, 4);
            reason.copy(out, 8);
            this.send(out);
          }
          throw new Error(`client chose security type ${type}`);
        }
        if (this.minor >= 8) this.send(Buffer.from([0, 0, 0, 0])); // SecurityResult OK
        this.state = "clientInit";
        return true;
      }
      case "clientInit": {
        if (b.length < 1) return false;
        this.take(1); // shared flag: every client shares the one screen
        const fb = this.source.framebuffer;
        const name = Buffer.from(this.source.name, "utf8");
        const out = Buffer.alloc(24 + name.length);
        out.writeUInt16BE(fb.width, 0);
        out.writeUInt16BE(fb.height, 2);
        encodePixelFormat(NATIVE_FORMAT).copy(out, 4);
        out.writeUInt32BE(name.length, 20);
        name.copy(out, 24);
        this.send(out);
        this.state = "normal";
        this.unsubscribe = fb.onDamage((r) => {
          this.damage.add(r);
          this.pump();
        });
        return true;
      }
      case "normal":
        return this.message();
      default:
        return false;
    }
  }

  private message(): boolean {
    const b = this.buf;
    if (b.length < 1) return false;
    switch (b[0]) {
      case 0: { // SetPixelFormat
        if (b.length < 20) return false;
        const pf = decodePixelFormat(this.take(20), 4);
        if (!pf.trueColour) throw new Error("colour-map pixel formats are not supported");
        if (![8, 16, 32].includes(pf.bitsPerPixel)) throw new Error(`unsupported bits-per-pixel ${pf.bitsPerPixel}`);
        this.pf = pf;
        this.writer = new PixelWriter(pf);
        return true;
      }
      case 2: { // SetEncodings
        if (b.length < 4) return false;
        const n = b.readUInt16BE(2);
        if (b.length < 4 + 4 * n) return false;
        const msg = this.take(4 + 4 * n);
        const list: number[] = [];
        for (let i = 0; i < n; i++) list.push(msg.readInt32BE(4 + 4 * i));
        this.encodings = list;
        return true;
      }
      case 3: { // FramebufferUpdateRequest
        if (b.length < 10) return false;
        const msg = this.take(10);
        const rect = { x: msg.readUInt16BE(2), y: msg.readUInt16BE(4), w: msg.readUInt16BE(6), h: msg.readUInt16BE(8) };
        const incremental = msg[1] !== 0;
        if (!incremental) this.damage.add(rect);
        this.request = { incremental, rect };
        this.pump();
        return true;
      }
      case 4: { // KeyEvent
        if (b.length < 8) return false;
        const msg = this.take(8);
        const down = msg[1] !== 0;
        const key = msg.readUInt32BE(4);
        if (CTRL_KEYS[key]) this.ctrl = down ? this.ctrl | CTRL_KEYS[key] : this.ctrl & ~CTRL_KEYS[key];
        else if (ALT_KEYS[key]) this.alt = down ? this.alt | ALT_KEYS[key] : this.alt & ~ALT_KEYS[key];
        else this.source.keyEvent?.(down, key, { ctrl: this.ctrl !== 0, alt: this.alt !== 0 });
        return true;
      }
      case 5: { // PointerEvent
        if (b.length < 6) return false;
        const msg = this.take(6);
        this.source.pointerEvent?.(msg[1], msg.readUInt16BE(2), msg.readUInt16BE(4));
        return true;
      }
      case 6: { // ClientCutText (a negative length is the extended clipboard format)
        if (b.length < 8) return false;
        const len = Math.abs(b.readInt32BE(4));
        if (len > MAX_CUT_TEXT) throw new Error("client cut text too long");
        if (b.length < 8 + len) return false;
        const msg = this.take(8 + len);
        if (b.readInt32BE(4) >= 0) {
          this.clientCutText = msg.subarray(8).toString("latin1");
          this.source.cutText?.(this.clientCutText);
        }
        return true;
      }
      default:
        throw new Error(`unknown client message type ${b[0]}`);
    }
  }

  /** Sends an update when one is requested and there is damage inside the requested area. */
  private pump(): void {
    if (this.sending || !this.request || this.state !== "normal") return;
    const req = this.request;
    if (!this.damage.intersects(req.rect)) return;
    const rects = this.damage.take(req.rect);
    if (!rects.length) return;
    this.request = null;
    this.sending = true;
    this.sendUpdate(rects)
      .then(async (drained) => {
        if (!drained && !this.stream.destroyed) await once(this.stream, "drain");
      })
      .catch((err) => this.close(`update failed: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => {
        this.sending = false;
        this.pump();
      });
  }

  private chooseEncoding(): number {
    for (const e of this.encodings) if (SUPPORTED.has(e)) return e;
    return ENCODING.RAW;
  }

  private async sendUpdate(rects: Rect[]): Promise<boolean> {
    const encoding = this.chooseEncoding();
    const parts: Buffer[] = [];
    const head = Buffer.alloc(4);
    head.writeUInt8(0, 0);
    head.writeUInt16BE(rects.length, 2);
    parts.push(head);
    for (const r of rects) {
      const rh = Buffer.alloc(12);
      rh.writeUInt16BE(r.x, 0);
      rh.writeUInt16BE(r.y, 2);
      rh.writeUInt16BE(r.w, 4);
      rh.writeUInt16BE(r.h, 6);
      rh.writeInt32BE(encoding, 8);
      parts.push(rh);
      if (encoding === ENCODING.ZRLE) parts.push(await this.zrleRect(r));
      else if (encoding === ENCODING.ZLIB) parts.push(await this.zlibRect(r));
      else parts.push(this.rawRect(r));
    }
    if (this.state === "closed") return true;
    this.stats.updates++;
    this.stats.rects += rects.length;
    const key = encoding === ENCODING.ZRLE ? "zrle" : encoding === ENCODING.ZLIB ? "zlib" : "raw";
    this.stats.encodings[key] = (this.stats.encodings[key] ?? 0) + 1;
    return this.send(Buffer.concat(parts));
  }

  private rawRect(r: Rect): Buffer {
    const px = this.source.framebuffer.read(r);
    const out = Buffer.alloc(px.length * this.writer.bytes);
    let off = 0;
    for (let i = 0; i < px.length; i++) off = this.writer.writeFull(px[i], out, off);
    return out;
  }

  private async zlibRect(r: Rect): Promise<Buffer> {
    this.zlibStream ??= new DeflateStream();
    return withLength(await this.zlibStream.compress(this.rawRect(r)));
  }

  private async zrleRect(r: Rect): Promise<Buffer> {
    this.zrle ??= new DeflateStream();
    const fb = this.source.framebuffer;
    const w = this.writer;
    // Worst case per tile: subencoding byte + raw CPIXELs.
    const out = Buffer.alloc(Math.ceil(r.w / TILE) * Math.ceil(r.h / TILE) + r.w * r.h * w.cbytes + 64);
    let off = 0;
    for (let ty = r.y; ty < r.y + r.h; ty += TILE) {
      const th = Math.min(TILE, r.y + r.h - ty);
      for (let tx = r.x; tx < r.x + r.w; tx += TILE) {
        const tw = Math.min(TILE, r.x + r.w - tx);
        const tile = fb.read({ x: tx, y: ty, w: tw, h: th });
        const palette = new Map<number, number>();
        for (let i = 0; i < tile.length && palette.size <= 16; i++) if (!palette.has(tile[i])) palette.set(tile[i], palette.size);
        if (palette.size === 1) {
          out[off++] = 1;
          off = w.writeCompact(tile[0], out, off);
        } else if (palette.size <= 16) {
          out[off++] = palette.size;
          for (const rgb of palette.keys()) off = w.writeCompact(rgb, out, off);
          const bits = palette.size === 2 ? 1 : palette.size <= 4 ? 2 : 4;
          for (let y = 0; y < th; y++) {
            let byte = 0;
            let used = 0;
            for (let x = 0; x < tw; x++) {
              byte = (byte << bits) | palette.get(tile[y * tw + x])!;
              used += bits;
              if (used === 8) {
                out[off++] = byte;
                byte = 0;
                used = 0;
              }
            }
            if (used) out[off++] = byte << (8 - used);
          }
        } else {
          out[off++] = 0;
          for (let i = 0; i < tile.length; i++) off = w.writeCompact(tile[i], out, off);
        }
      }
    }
    return withLength(await this.zrle.compress(out.subarray(0, off)));
  }
}

function withLength(data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length, 0);
  return Buffer.concat([len, data]);
}

/** Serves `source` over `stream` (the caller owns the stream's transport). */
export function serveRfb(stream: Duplex, source: RfbSource): RfbSession {
  return new RfbSession(stream, source);
}

/** The RFB view of a simulated machine: its text-mode screen; keys go to its console. */
export function machineRfbSource(machine: SimMachine): RfbSource {
  return {
    framebuffer: machine.screen.framebuffer,
    get name() {
      return `${machine.hostname_} (${machine.uuid})`;
    },
    keyEvent: (down, keysym, mods) => machine.keyEvent(down, keysym, mods),
  };
}

export interface VncListener {
  readonly server: Server;
  readonly host: string;
  readonly port: number;
  readonly sessions: ReadonlySet<RfbSession>;
  close(): Promise<void>;
}

/**
 * A VNC server for one machine on `host:port` (port 0 = any free port). For manual testing with
 * a VNC client and for tests; closed with the machine.
 */
export async function listenVnc(machine: SimMachine, port = 0, host = "127.0.0.1"): Promise<VncListener> {
  const sessions = new Set<RfbSession>();
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    const session = serveRfb(socket, machineRfbSource(machine));
    sessions.add(session);
    session.onClose(() => {
      sessions.delete(session);
      socket.destroy();
    });
  });
  server.listen(port, host);
  await once(server, "listening");
  let closed = false;
  const listener: VncListener = {
    server, host, sessions,
    port: (server.address() as AddressInfo).port,
    async close() {
      if (closed) return;
      closed = true;
      for (const s of [...sessions]) s.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  machine.onDispose(() => void listener.close());
  return listener;
}

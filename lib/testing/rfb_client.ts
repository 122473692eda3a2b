// A small RFB 3.8 client for tests (and for checking a websocket relay later): handshake with
// security None, SetPixelFormat, SetEncodings, update requests, and real decoding of Raw, zlib
// and ZRLE rectangles into a 0x00RRGGBB pixel array comparable with a Framebuffer.
import type { Duplex } from "node:stream";
import zlib from "node:zlib";
import { ENCODING, NATIVE_FORMAT, decodePixelFormat, encodePixelFormat, type PixelFormat } from "../core/sim/rfb.ts";

class InflateStream {
  private readonly z = zlib.createInflate();
  private readonly chunks: Buffer[] = [];
  constructor() {
    this.z.on("data", (c: Buffer) => this.chunks.push(c));
  }
  inflate(data: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.z.once("error", reject);
      this.z.write(data);
      this.z.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        this.z.off("error", reject);
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

export interface DecodedRect {
  x: number;
  y: number;
  w: number;
  h: number;
  encoding: number;
}

export class RfbTestClient {
  width = 0;
  height = 0;
  name = "";
  serverFormat: PixelFormat = NATIVE_FORMAT;
  pixels = new Uint32Array(0);
  private pf: PixelFormat = NATIVE_FORMAT;
  private buf = Buffer.alloc(0);
  private waiter: { n: number; resolve: (b: Buffer) => void; reject: (e: Error) => void } | null = null;
  private ended = false;
  private zrle = new InflateStream();
  private zlibStream = new InflateStream();
  /** Server messages other than updates (bell, cut text) seen so far. */
  readonly other: { type: number; text?: string }[] = [];

  private constructor(private readonly stream: Duplex) {
    stream.on("data", (c: Buffer) => {
      this.buf = Buffer.concat([this.buf, c]);
      this.wake();
    });
    const end = () => {
      this.ended = true;
      this.wake();
    };
    stream.on("end", end);
    stream.on("close", end);
    stream.on("error", end);
  }

  private wake(): void {
    const w = this.waiter;
    if (!w) return;
    if (this.buf.length >= w.n) {
      this.waiter = null;
      const out = this.buf.subarray(0, w.n);
      this.buf = this.buf.subarray(w.n);
      w.resolve(out);
    } else if (this.ended) {
      this.waiter = null;
      w.reject(new Error(`connection closed (wanted ${w.n} bytes, have ${this.buf.length})`));
    }
  }

  read(n: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.waiter = { n, resolve, reject };
      this.wake();
    });
  }

  /** Connects (security None) and reads ServerInit; optionally sets a pixel format and encodings. */
  static async connect(stream: Duplex, opts: { pixelFormat?: PixelFormat; encodings?: number[]; version?: string } = {}): Promise<RfbTestClient> {
    const c = new RfbTestClient(stream);
    const version = (await c.read(12)).toString("latin1");
    if (version !== "RFB 003.008\n") throw new Error(`unexpected server version ${JSON.stringify(version)}`);
    const mine = opts.version ?? "RFB 003.008\n";
    stream.write(Buffer.from(mine, "latin1"));
    if (mine === "RFB 003.003\n") {
      const t = (await c.read(4)).readUInt32BE(0);
      if (t !== 1) throw new Error(`server chose security ${t}`);
    } else {
      const n = (await c.read(1))[0];
      const types = [...(await c.read(n))];
      if (!types.includes(1)) throw new Error(`no None security offered: ${types}`);
      stream.write(Buffer.from([1]));
      if (mine === "RFB 003.008\n") {
        const result = (await c.read(4)).readUInt32BE(0);
        if (result !== 0) throw new Error(`security result ${result}`);
      }
    }
    stream.write(Buffer.from([1])); // shared
    const init = await c.read(24);
    c.width = init.readUInt16BE(0);
    c.height = init.readUInt16BE(2);
    c.serverFormat = decodePixelFormat(init, 4);
    c.pf = c.serverFormat;
    c.name = (await c.read(init.readUInt32BE(20))).toString("utf8");
    c.pixels = new Uint32Array(c.width * c.height);
    if (opts.pixelFormat) c.setPixelFormat(opts.pixelFormat);
    if (opts.encodings) c.setEncodings(opts.encodings);
    return c;
  }

  setPixelFormat(pf: PixelFormat): void {
    const msg = Buffer.alloc(20);
    msg[0] = 0;
    encodePixelFormat(pf).copy(msg, 4);
    this.stream.write(msg);
    this.pf = pf;
  }

  setEncodings(list: number[]): void {
    const msg = Buffer.alloc(4 + 4 * list.length);
    msg[0] = 2;
    msg.writeUInt16BE(list.length, 2);
    list.forEach((e, i) => msg.writeInt32BE(e, 4 + 4 * i));
    this.stream.write(msg);
  }

  requestUpdate(incremental: boolean, rect = { x: 0, y: 0, w: this.width, h: this.height }): void {
    const msg = Buffer.alloc(10);
    msg[0] = 3;
    msg[1] = incremental ? 1 : 0;
    msg.writeUInt16BE(rect.x, 2);
    msg.writeUInt16BE(rect.y, 4);
    msg.writeUInt16BE(rect.w, 6);
    msg.writeUInt16BE(rect.h, 8);
    this.stream.write(msg);
  }

  key(keysym: number, down: boolean): void {
    const msg = Buffer.alloc(8);
    msg[0] = 4;
    msg[1] = down ? 1 : 0;
    msg.writeUInt32BE(keysym, 4);
    this.stream.write(msg);
  }

  /** Presses and releases a key. */
  tap(keysym: number): void {
    this.key(keysym, true);
    this.key(keysym, false);
  }

  /** Types text as key events (printable ASCII and Enter for "\n"). */
  type(text: string): void {
    for (const ch of text) this.tap(ch === "\n" || ch === "\r" ? 0xff0d : ch.charCodeAt(0));
  }

  pointer(mask: number, x: number, y: number): void {
    const msg = Buffer.alloc(6);
    msg[0] = 5;
    msg[1] = mask;
    msg.writeUInt16BE(x, 2);
    msg.writeUInt16BE(y, 4);
    this.stream.write(msg);
  }

  cutText(text: string): void {
    const t = Buffer.from(text, "latin1");
    const msg = Buffer.alloc(8 + t.length);
    msg[0] = 6;
    msg.writeInt32BE(t.length, 4);
    t.copy(msg, 8);
    this.stream.write(msg);
  }

  /** Reads server messages until a FramebufferUpdate arrives; decodes it into `pixels`. */
  async nextUpdate(): Promise<DecodedRect[]> {
    for (;;) {
      const type = (await this.read(1))[0];
      if (type === 0) return this.readUpdate();
      if (type === 2) this.other.push({ type });
      else if (type === 3) {
        const h = await this.read(7);
        this.other.push({ type, text: (await this.read(h.readUInt32BE(3))).toString("latin1") });
      } else throw new Error(`unexpected server message ${type}`);
    }
  }

  private async readUpdate(): Promise<DecodedRect[]> {
    const h = await this.read(3);
    const n = h.readUInt16BE(1);
    const out: DecodedRect[] = [];
    for (let i = 0; i < n; i++) {
      const rh = await this.read(12);
      const r = { x: rh.readUInt16BE(0), y: rh.readUInt16BE(2), w: rh.readUInt16BE(4), h: rh.readUInt16BE(6), encoding: rh.readInt32BE(8) };
      if (r.encoding === ENCODING.RAW) this.decodeRaw(r, await this.read(r.w * r.h * this.bpp()));
      else if (r.encoding === ENCODING.ZLIB) {
        const len = (await this.read(4)).readUInt32BE(0);
        this.decodeRaw(r, await this.zlibStream.inflate(await this.read(len)));
      } else if (r.encoding === ENCODING.ZRLE) {
        const len = (await this.read(4)).readUInt32BE(0);
        this.decodeZrle(r, await this.zrle.inflate(await this.read(len)));
      } else throw new Error(`unsupported encoding ${r.encoding}`);
      out.push(r);
    }
    return out;
  }

  private bpp(): number {
    return this.pf.bitsPerPixel / 8;
  }

  /** Pixel value → 0x00RRGGBB (scaled back up to 8 bits per channel). */
  toRgb(v: number): number {
    const pf = this.pf;
    const ch = (shift: number, max: number) => Math.round((((v >>> shift) & max) * 255) / max);
    return ((ch(pf.redShift, pf.redMax) << 16) | (ch(pf.greenShift, pf.greenMax) << 8) | ch(pf.blueShift, pf.blueMax)) >>> 0;
  }

  private readPixel(b: Buffer, off: number, bytes: number): number {
    if (bytes === 1) return b[off];
    if (bytes === 2) return this.pf.bigEndian ? b.readUInt16BE(off) : b.readUInt16LE(off);
    return this.pf.bigEndian ? b.readUInt32BE(off) : b.readUInt32LE(off);
  }

  private decodeRaw(r: DecodedRect, data: Buffer): void {
    const bytes = this.bpp();
    let off = 0;
    for (let y = 0; y < r.h; y++) {
      for (let x = 0; x < r.w; x++) {
        this.pixels[(r.y + y) * this.width + r.x + x] = this.toRgb(this.readPixel(data, off, bytes));
        off += bytes;
      }
    }
  }

  /** CPIXEL size and a reader (RFC 6143 §7.7.6). */
  private cpixel(): { size: number; read: (b: Buffer, off: number) => number } {
    const pf = this.pf;
    if (pf.trueColour && pf.bitsPerPixel === 32 && pf.depth <= 24) {
      const mask = ((pf.redMax << pf.redShift) | (pf.greenMax << pf.greenShift) | (pf.blueMax << pf.blueShift)) >>> 0;
      const low = (mask & 0xff000000) === 0;
      const high = (mask & 0xff) === 0;
      if (low || high) {
        return {
          size: 3,
          read: (b, off) => {
            const full = Buffer.alloc(4);
            const drop = low ? (pf.bigEndian ? 0 : 3) : pf.bigEndian ? 3 : 0;
            for (let i = 0, j = 0; i < 4; i++) if (i !== drop) full[i] = b[off + j++];
            return pf.bigEndian ? full.readUInt32BE(0) : full.readUInt32LE(0);
          },
        };
      }
    }
    const bytes = this.bpp();
    return { size: bytes, read: (b, off) => this.readPixel(b, off, bytes) };
  }

  private decodeZrle(r: DecodedRect, data: Buffer): void {
    const cp = this.cpixel();
    let off = 0;
    const put = (x: number, y: number, v: number) => {
      this.pixels[y * this.width + x] = this.toRgb(v);
    };
    for (let ty = r.y; ty < r.y + r.h; ty += 64) {
      const th = Math.min(64, r.y + r.h - ty);
      for (let tx = r.x; tx < r.x + r.w; tx += 64) {
        const tw = Math.min(64, r.x + r.w - tx);
        const sub = data[off++];
        if (sub === 0) {
          for (let y = 0; y < th; y++) for (let x = 0; x < tw; x++) {
            put(tx + x, ty + y, cp.read(data, off));
            off += cp.size;
          }
        } else if (sub === 1) {
          const v = cp.read(data, off);
          off += cp.size;
          for (let y = 0; y < th; y++) for (let x = 0; x < tw; x++) put(tx + x, ty + y, v);
        } else if (sub <= 16) {
          const palette: number[] = [];
          for (let i = 0; i < sub; i++) {
            palette.push(cp.read(data, off));
            off += cp.size;
          }
          const bits = sub === 2 ? 1 : sub <= 4 ? 2 : 4;
          for (let y = 0; y < th; y++) {
            let bitPos = 0;
            for (let x = 0; x < tw; x++) {
              const byte = data[off + (bitPos >> 3)];
              const idx = (byte >> (8 - bits - (bitPos & 7))) & ((1 << bits) - 1);
              put(tx + x, ty + y, palette[idx]);
              bitPos += bits;
            }
            off += Math.ceil(bitPos / 8);
          }
        } else if (sub === 128 || sub >= 130) {
          const palette: number[] = [];
          if (sub >= 130) {
            for (let i = 0; i < sub - 128; i++) {
              palette.push(cp.read(data, off));
              off += cp.size;
            }
          }
          let i = 0;
          while (i < tw * th) {
            let v: number;
            let run = 1;
            if (sub === 128) {
              v = cp.read(data, off);
              off += cp.size;
              run = readRun(data, () => off, (o) => (off = o));
            } else {
              const idx = data[off++];
              v = palette[idx & 0x7f];
              if (idx & 0x80) run = readRun(data, () => off, (o) => (off = o));
            }
            for (let k = 0; k < run; k++, i++) put(tx + (i % tw), ty + Math.floor(i / tw), v);
          }
        } else throw new Error(`bad ZRLE subencoding ${sub}`);
      }
    }
  }

  close(): void {
    this.zrle.close();
    this.zlibStream.close();
    this.stream.end();
    this.stream.destroy();
  }
}

function readRun(data: Buffer, get: () => number, set: (o: number) => void): number {
  let off = get();
  let run = 1;
  let b: number;
  do {
    b = data[off++];
    run += b;
  } while (b === 255);
  set(off);
  return run;
}

// A simulated serial port: output goes to a ring buffer of recent bytes (for late joiners and the
// console log) and to every subscriber; input bytes go to whoever reads the port (the firmware,
// the agent, or the OS's getty/shell). Output uses CRLF line endings, as a real serial console.

export type SerialListener = (data: Buffer) => void;
export type SerialInputHandler = (data: Buffer) => void;

/** Bytes kept for history() by default. */
export const SERIAL_HISTORY_BYTES = 64 * 1024;

export class SerialPort {
  private readonly ring: Buffer;
  private start = 0;
  private length = 0;
  private total = 0;
  private readonly listeners = new Set<SerialListener>();
  private inputHandler: SerialInputHandler | null = null;

  constructor(readonly capacity = SERIAL_HISTORY_BYTES) {
    this.ring = Buffer.alloc(capacity);
  }

  /** Receives every output byte from now on; returns the unsubscribe function. */
  subscribe(onData: SerialListener): () => void {
    this.listeners.add(onData);
    return () => {
      this.listeners.delete(onData);
    };
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  /** Total bytes ever output (an offset clients can resume from). */
  get bytesWritten(): number {
    return this.total;
  }

  /** Input typed into the port (keyboard, websocket, VNC keys). */
  write(data: Buffer | Uint8Array | string): void {
    const buf = typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data);
    if (buf.length && this.inputHandler) this.inputHandler(buf);
  }

  /** The most recent output, at most `maxBytes` (default: everything kept). */
  history(maxBytes = this.capacity): Buffer {
    const n = Math.min(Math.max(0, Math.floor(maxBytes)), this.length);
    const out = Buffer.alloc(n);
    const from = (this.start + this.length - n) % this.capacity;
    const first = Math.min(n, this.capacity - from);
    this.ring.copy(out, 0, from, from + first);
    if (first < n) this.ring.copy(out, first, 0, n - first);
    return out;
  }

  // ---- the machine side ----

  /** Who reads input (null = input is dropped, e.g. while powered off). */
  setInputHandler(handler: SerialInputHandler | null): void {
    this.inputHandler = handler;
  }

  /** Emits text; lone "\n" become "\r\n". Returns the bytes sent. */
  output(text: string): Buffer {
    const buf = Buffer.from(text.replace(/\r?\n/g, "\r\n"), "utf8");
    this.outputBytes(buf);
    return buf;
  }

  outputBytes(buf: Buffer): void {
    if (!buf.length) return;
    this.append(buf);
    this.total += buf.length;
    for (const l of this.listeners) {
      try {
        l(buf);
      } catch (err) {
        console.error("serial listener failed:", err);
      }
    }
  }

  private append(buf: Buffer): void {
    const cap = this.capacity;
    if (buf.length >= cap) {
      buf.copy(this.ring, 0, buf.length - cap);
      this.start = 0;
      this.length = cap;
      return;
    }
    const end = (this.start + this.length) % cap;
    const first = Math.min(buf.length, cap - end);
    buf.copy(this.ring, end, 0, first);
    if (first < buf.length) buf.copy(this.ring, 0, first);
    const overflow = this.length + buf.length - cap;
    if (overflow > 0) {
      this.start = (this.start + overflow) % cap;
      this.length = cap;
    } else this.length += buf.length;
  }
}

// A bare HTTP/1.1 client on one TCP connection, for tests that send what ordinary clients refuse
// to (forbidden methods, oversized request lines, bodies cut short, pipelined keep-alive requests)
// and need to see exactly how the server answered and whether the connection survived.
import { connect, type Socket } from "node:net";

export interface RawResponse {
  status: number;
  /** Lower-case header names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
  /** Interim (1xx) status codes received before this response. */
  interim: number[];
}

export class RawConnection {
  private buffered = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  /** Set when the server ended or reset the connection. */
  ended = false;
  /** The socket error, e.g. ECONNRESET, when the connection did not end cleanly. */
  error: NodeJS.ErrnoException | null = null;

  private constructor(readonly socket: Socket) {
    socket.on("data", (d: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, d]);
      this.wake();
    });
    socket.on("end", () => {
      this.ended = true;
      this.wake();
    });
    socket.on("error", (err: NodeJS.ErrnoException) => {
      this.error ??= err;
      this.ended = true;
      this.wake();
    });
    socket.on("close", () => {
      this.ended = true;
      this.wake();
    });
  }

  static open(port: number, host = "127.0.0.1"): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, host, () => {
        socket.off("error", reject);
        resolve(new RawConnection(socket));
      });
      socket.once("error", reject);
    });
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  private async more(deadline: number, what: string): Promise<void> {
    if (this.ended) throw new Error(`connection ${this.error ? `failed (${this.error.code})` : "closed"} before ${what}`);
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`no ${what} within the time allowed`);
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, left);
      this.waiter = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  /** Writes bytes, waiting for the socket to drain; false when the server no longer reads them. */
  async write(data: string | Buffer): Promise<boolean> {
    if (this.ended || this.socket.destroyed) return false;
    if (this.socket.write(data)) return true;
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        this.socket.off("drain", onDrain);
        this.socket.off("close", onClose);
        resolve(ok);
      };
      const onDrain = () => done(true);
      const onClose = () => done(false);
      this.socket.on("drain", onDrain);
      this.socket.on("close", onClose);
    });
  }

  /** Reads the next final response (skipping 1xx), framed by Content-Length or chunked encoding. */
  async response(timeoutMs = 15_000): Promise<RawResponse> {
    const deadline = Date.now() + timeoutMs;
    const interim: number[] = [];
    for (;;) {
      let end = this.buffered.indexOf("\r\n\r\n");
      while (end < 0) {
        await this.more(deadline, "response head");
        end = this.buffered.indexOf("\r\n\r\n");
      }
      const lines = this.buffered.subarray(0, end).toString("latin1").split("\r\n");
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
      if (!m) throw new Error(`not an HTTP response: ${JSON.stringify(lines[0])}`);
      const status = Number(m[1]);
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const i = line.indexOf(":");
        const name = line.slice(0, i).trim().toLowerCase();
        const value = line.slice(i + 1).trim();
        headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
      }
      this.buffered = this.buffered.subarray(end + 4);
      if (status >= 100 && status < 200) {
        interim.push(status);
        continue;
      }
      let body: Buffer;
      if (headers["transfer-encoding"]?.toLowerCase().includes("chunked")) {
        const parts: Buffer[] = [];
        for (;;) {
          let eol = this.buffered.indexOf("\r\n");
          while (eol < 0) {
            await this.more(deadline, "chunk size");
            eol = this.buffered.indexOf("\r\n");
          }
          const size = parseInt(this.buffered.subarray(0, eol).toString("latin1"), 16);
          while (this.buffered.length < eol + 2 + size + 2) await this.more(deadline, "chunk");
          parts.push(Buffer.from(this.buffered.subarray(eol + 2, eol + 2 + size)));
          this.buffered = this.buffered.subarray(eol + 2 + size + 2);
          if (size === 0) break;
        }
        body = Buffer.concat(parts);
      } else if (headers["content-length"] !== undefined) {
        const n = Number(headers["content-length"]);
        while (this.buffered.length < n) await this.more(deadline, "response body");
        body = Buffer.from(this.buffered.subarray(0, n));
        this.buffered = this.buffered.subarray(n);
      } else {
        while (!this.ended) await this.more(deadline, "end of a response without length");
        body = this.buffered;
        this.buffered = Buffer.alloc(0);
      }
      return { status, headers, body, interim };
    }
  }

  /** Sends one request (head and optional body) and reads its response. */
  async request(head: string, body?: string | Buffer, timeoutMs?: number): Promise<RawResponse> {
    await this.write(body === undefined ? head : Buffer.concat([Buffer.from(head, "latin1"), Buffer.from(body)]));
    return this.response(timeoutMs);
  }

  /** Resolves once the server has closed the connection (or after timeoutMs, to true only if closed). */
  async closedByServer(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended && Date.now() < deadline) await this.more(deadline, "close").catch(() => undefined);
    return this.ended;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A request head: request line, the given headers, a blank line. */
export function head(method: string, target: string, headers: Record<string, string | number> = {}): string {
  const lines = [`${method} ${target} HTTP/1.1`, "Host: 127.0.0.1"];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  return `${lines.join("\r\n")}\r\n\r\n`;
}

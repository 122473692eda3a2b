"use client";
// A node's serial console in the browser: xterm.js over the Ingot websocket
// `GET /ws/nodes/{node}/serial[?offset=N]` (docs/consoles.md). Client-only: load it through
// `dynamic(..., { ssr: false })` (components/NodeConsoles.tsx does).
//
// - fits its box (FitAddon + ResizeObserver), 10,000 lines of scrollback;
// - copy/paste: select to copy with Ctrl+Shift+C (or the Copy button), paste with Ctrl+Shift+V,
//   the browser's own paste, or the Paste button;
// - reconnects with `?offset=<bytes received so far>`, so output is resumed without loss (when the
//   server no longer holds those bytes its hello says from where it resumes, and a notice is shown);
// - read-only when the hello says so: input is neither sent nor echoed and the status line says it.
import { FitAddon } from "@xterm/addon-fit";
import { Terminal } from "@xterm/xterm";
import "@xterm/xterm/css/xterm.css";
import { useEffect, useRef, useState } from "react";

export interface SerialConsoleProps {
  /** Node uuid. */
  node: string;
  /** Websocket URL; default `<ws(s)://this host>/ws/nodes/<node>/serial`. */
  url?: string;
  className?: string;
}

type Phase = "connecting" | "connected" | "reconnecting" | "closed";

interface Status {
  phase: Phase;
  readOnly: boolean;
  offset: number;
  message: string;
}

const CLOSE_REASONS: Record<number, string> = {
  4401: "not authenticated — log in again",
  4403: "not allowed to use this console",
  4404: "unknown node",
  4409: "the console is not enabled",
};

/** Close codes after which reconnecting cannot help (4409 is retried slowly: the console may be enabled meanwhile). */
const FINAL_CODES = new Set([4401, 4403, 4404]);

export function serialUrl(node: string): string {
  const proto = window.location.protocol === "https:" ? "wss:" : "ws:";
  return `${proto}//${window.location.host}/ws/nodes/${encodeURIComponent(node)}/serial`;
}

export default function SerialConsole({ node, url, className }: SerialConsoleProps) {
  const boxRef = useRef<HTMLDivElement>(null);
  const termRef = useRef<Terminal | null>(null);
  const wsRef = useRef<WebSocket | null>(null);
  const [status, setStatus] = useState<Status>({ phase: "connecting", readOnly: false, offset: 0, message: "" });

  useEffect(() => {
    const box = boxRef.current;
    if (!box) return;
    const term = new Terminal({
      scrollback: 10_000,
      convertEol: false,
      cursorBlink: true,
      fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', monospace",
      fontSize: 13,
      theme: { background: "#0b1020", foreground: "#d8dee9" },
    });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(box);
    termRef.current = term;
    // Test and benchmark hook: the terminal behind this element.
    (box as HTMLDivElement & { ingotTerminal?: Terminal }).ingotTerminal = term;
    const refit = () => {
      try {
        fit.fit();
      } catch {
        // not laid out yet
      }
    };
    refit();
    const ro = new ResizeObserver(refit);
    ro.observe(box);

    let disposed = false;
    let offset = -1; // byte offset of the next byte we expect; -1 = none received yet (server picks)
    let readOnly = false;
    let attempt = 0;
    let retry: ReturnType<typeof setTimeout> | null = null;
    let pendingWrites = 0;
    let parsedBytes = 0; // bytes xterm has processed (its write callback ran)
    const encoder = new TextEncoder();
    const report = (phase: Phase, message = "") => {
      if (!disposed) setStatus({ phase, readOnly, offset: Math.max(0, offset), message });
    };

    const send = (data: string) => {
      const ws = wsRef.current;
      if (readOnly || !ws || ws.readyState !== WebSocket.OPEN) return;
      ws.send(encoder.encode(data));
    };

    const connect = () => {
      if (disposed) return;
      const base = url ?? serialUrl(node);
      const u = offset >= 0 ? `${base}${base.includes("?") ? "&" : "?"}offset=${offset}` : base;
      const ws = new WebSocket(u);
      ws.binaryType = "arraybuffer";
      wsRef.current = ws;
      let helloSeen = false;
      report(attempt ? "reconnecting" : "connecting", attempt ? "resuming…" : "");
      ws.onmessage = (ev) => {
        if (typeof ev.data === "string") {
          let msg: { type?: string; offset?: number; end?: number; readOnly?: boolean };
          try {
            msg = JSON.parse(ev.data);
          } catch {
            return;
          }
          if (msg.type !== "hello") return;
          helloSeen = true;
          attempt = 0;
          readOnly = !!msg.readOnly;
          term.options.disableStdin = readOnly;
          const from = Number(msg.offset ?? 0);
          if (offset >= 0 && from > offset) {
            term.write(`\r\n\x1b[33m[ingot: ${from - offset} bytes of output were no longer buffered]\x1b[0m\r\n`);
          }
          offset = from;
          report("connected");
          return;
        }
        if (!helloSeen) return;
        const bytes = new Uint8Array(ev.data as ArrayBuffer);
        offset += bytes.length;
        pendingWrites++;
        term.write(bytes, () => {
          pendingWrites--;
          parsedBytes += bytes.length;
        });
        scheduleReport();
      };
      ws.onclose = (ev) => {
        if (wsRef.current === ws) wsRef.current = null;
        if (disposed) return;
        const why = CLOSE_REASONS[ev.code];
        if (FINAL_CODES.has(ev.code)) {
          report("closed", why ?? `closed (${ev.code})`);
          return;
        }
        attempt++;
        const delay = ev.code === 4409 ? 5_000 : Math.min(10_000, 250 * 2 ** Math.min(attempt, 6));
        report("reconnecting", `${why ?? (ev.code === 1000 ? "the console closed" : "connection lost")}; reconnecting in ${Math.round(delay / 100) / 10} s`);
        retry = setTimeout(connect, delay);
      };
    };

    let reportTimer: ReturnType<typeof setTimeout> | null = null;
    const scheduleReport = () => {
      if (reportTimer) return;
      reportTimer = setTimeout(() => {
        reportTimer = null;
        if (wsRef.current?.readyState === WebSocket.OPEN) report("connected");
      }, 250);
    };

    const dataSub = term.onData(send);
    term.attachCustomKeyEventHandler((e) => {
      if (e.type !== "keydown" || !e.ctrlKey || !e.shiftKey) return true;
      if (e.code === "KeyC") {
        const sel = term.getSelection();
        if (sel) void navigator.clipboard?.writeText(sel).catch(() => undefined);
        return false;
      }
      if (e.code === "KeyV") {
        void navigator.clipboard?.readText().then((t) => t && term.paste(t)).catch(() => undefined);
        return false;
      }
      return true;
    });
    // Test and benchmark hooks on the element (no globals): bytes received, writes not yet rendered.
    Object.assign(box, {
      ingotSerial: {
        get offset() {
          return offset;
        },
        get pendingWrites() {
          return pendingWrites;
        },
        get parsedBytes() {
          return parsedBytes;
        },
        /** Drops the connection as a network failure would (the client reconnects and resumes). */
        drop() {
          wsRef.current?.close(4000, "dropped");
        },
      },
    });

    connect();
    return () => {
      disposed = true;
      if (retry) clearTimeout(retry);
      if (reportTimer) clearTimeout(reportTimer);
      ro.disconnect();
      dataSub.dispose();
      wsRef.current?.close(1000);
      wsRef.current = null;
      term.dispose();
      termRef.current = null;
    };
  }, [node, url]);

  const copy = () => {
    const sel = termRef.current?.getSelection();
    if (sel) void navigator.clipboard?.writeText(sel).catch(() => undefined);
    termRef.current?.focus();
  };
  const paste = () => {
    void navigator.clipboard?.readText().then((t) => t && termRef.current?.paste(t)).catch(() => undefined);
    termRef.current?.focus();
  };

  const tone =
    status.phase === "connected" ? "bg-emerald-500" : status.phase === "closed" ? "bg-rose-500" : "bg-amber-400";
  return (
    <div className={className} data-testid="serial-console">
      <div ref={boxRef} data-testid="serial-terminal" className="h-[28rem] w-full overflow-hidden rounded-md bg-[#0b1020] p-1" />
      <div className="mt-2 flex flex-wrap items-center gap-3 text-xs text-slate-600 dark:text-slate-300" data-testid="serial-status">
        <span className="flex items-center gap-1.5">
          <span className={`inline-block h-2 w-2 rounded-full ${tone}`} />
          <span data-testid="serial-phase">{status.phase}</span>
        </span>
        {status.readOnly && (
          <span className="rounded bg-amber-100 px-1.5 py-0.5 font-medium text-amber-800 dark:bg-amber-900/50 dark:text-amber-200" data-testid="serial-readonly">
            read-only: your role may watch this console but not type
          </span>
        )}
        <span className="font-mono text-slate-500">offset {status.offset}</span>
        {status.message && <span data-testid="serial-message">{status.message}</span>}
        <span className="ml-auto flex gap-2">
          <button type="button" onClick={copy} className="rounded border border-slate-300 px-2 py-0.5 hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800" title="Copy the selection (Ctrl+Shift+C)">Copy</button>
          {!status.readOnly && (
            <button type="button" onClick={paste} className="rounded border border-slate-300 px-2 py-0.5 hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800" title="Paste the clipboard (Ctrl+Shift+V)">Paste</button>
          )}
        </span>
      </div>
    </div>
  );
}

"use client";
// A node's graphical console: noVNC's RFB client over the Ingot websocket
// `GET /ws/nodes/{node}/vnc?token=<console token>` (docs/consoles.md), scaled to fit its box, with
// Ctrl-Alt-Del (which a browser would not pass on) and "Paste text" (typed as keystrokes: a BIOS or
// login prompt has no clipboard). Client-only (noVNC touches the DOM at import time): load it
// through `dynamic(..., { ssr: false })`.
import { useEffect, useRef, useState } from "react";

export interface GraphicalConsoleProps {
  /** Node uuid. */
  node: string;
  /** The console token from console_info.url. */
  token: string;
  /** Fill the viewport (the full-page view) instead of a fixed-height box. */
  fullPage?: boolean;
  className?: string;
  /** Called by "Reconnect" (e.g. to fetch a fresh console token); default: retry with the same token. */
  onReconnect?: () => void;
}

type Phase = "loading" | "connecting" | "connected" | "disconnected" | "failed";

/** The X11 keysym that types `ch`: Latin-1 as itself, Enter and Tab as keys, the rest as Unicode keysyms. */
export function keysymFor(ch: string): number {
  if (ch === "\n" || ch === "\r") return 0xff0d;
  if (ch === "\t") return 0xff09;
  const code = ch.codePointAt(0) ?? 0x20;
  return (code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff) ? code : 0x01000000 + code;
}

export function vncUrl(node: string, token: string): string {
  const proto = window.location.protocol === "https:" ? "wss:" : "ws:";
  return `${proto}//${window.location.host}/ws/nodes/${encodeURIComponent(node)}/vnc?token=${encodeURIComponent(token)}`;
}

export default function GraphicalConsole({ node, token, fullPage, className, onReconnect }: GraphicalConsoleProps) {
  const boxRef = useRef<HTMLDivElement>(null);
  const [phase, setPhase] = useState<Phase>("loading");
  const [message, setMessage] = useState("");
  const [desktop, setDesktop] = useState("");
  const [generation, setGeneration] = useState(0);
  const rfbRef = useRef<import("@novnc/novnc").default | null>(null);
  const [pasting, setPasting] = useState(false);
  const [pasteText, setPasteText] = useState("");

  useEffect(() => {
    const box = boxRef.current;
    if (!box) return;
    let disposed = false;
    let rfb: import("@novnc/novnc").default | null = null;
    setPhase("loading");
    setMessage("");
    import("@novnc/novnc")
      .then(({ default: RFB }) => {
        if (disposed) return;
        setPhase("connecting");
        rfb = new RFB(box, vncUrl(node, token), { wsProtocols: ["binary"], shared: true });
        rfb.scaleViewport = true;
        rfb.resizeSession = false;
        rfb.background = "#0b1020";
        (box as HTMLDivElement & { ingotRfb?: unknown }).ingotRfb = rfb; // test hook
        rfbRef.current = rfb;
        rfb.addEventListener("connect", () => !disposed && setPhase("connected"));
        rfb.addEventListener("desktopname", (e) => !disposed && setDesktop(String((e as CustomEvent<{ name: string }>).detail?.name ?? "")));
        rfb.addEventListener("securityfailure", (e) => {
          if (!disposed) setMessage(String((e as CustomEvent<{ reason?: string }>).detail?.reason ?? "security failure"));
        });
        rfb.addEventListener("disconnect", (e) => {
          if (disposed) return;
          const clean = (e as CustomEvent<{ clean: boolean }>).detail?.clean;
          setPhase(clean ? "disconnected" : "failed");
          setMessage((m) => m || (clean ? "the console closed" : "refused or lost (the console token may have expired: reopen the console)"));
        });
      })
      .catch((err: unknown) => {
        if (!disposed) {
          setPhase("failed");
          setMessage(String((err as Error)?.message ?? err));
        }
      });
    return () => {
      disposed = true;
      rfbRef.current = null;
      try {
        rfb?.disconnect();
      } catch {
        // already closed
      }
    };
  }, [node, token, generation]);

  const typeText = (text: string) => {
    const rfb = rfbRef.current;
    if (!rfb) return;
    for (const ch of text.replace(/\r\n/g, "\n")) rfb.sendKey(keysymFor(ch), null);
    rfb.focus();
  };
  const tone = phase === "connected" ? "bg-emerald-500" : phase === "failed" ? "bg-rose-500" : phase === "disconnected" ? "bg-slate-400" : "bg-amber-400";
  return (
    <div className={className} data-testid="graphical-console">
      <div
        ref={boxRef}
        data-testid="vnc-screen"
        className={fullPage ? "h-[calc(100vh-4.5rem)] w-full overflow-hidden bg-[#0b1020]" : "h-[28rem] w-full overflow-hidden rounded-md bg-[#0b1020]"}
      />
      <div className="mt-2 flex flex-wrap items-center gap-3 px-1 text-xs text-slate-600 dark:text-slate-300" data-testid="vnc-status">
        <span className="flex items-center gap-1.5">
          <span className={`inline-block h-2 w-2 rounded-full ${tone}`} />
          <span data-testid="vnc-phase">{phase}</span>
        </span>
        {desktop && <span className="font-mono text-slate-500 dark:text-slate-400">{desktop}</span>}
        {message && <span data-testid="vnc-message">{message}</span>}
        {phase === "connected" && (
          <span className="ml-auto flex items-center gap-2">
            <button type="button" className="rounded border border-slate-300 px-2 py-0.5 hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800" onClick={() => rfbRef.current?.sendCtrlAltDel()}>
              Send Ctrl-Alt-Del
            </button>
            <button type="button" aria-expanded={pasting} className="rounded border border-slate-300 px-2 py-0.5 hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800" onClick={() => setPasting(!pasting)}>
              Paste text…
            </button>
          </span>
        )}
        {(phase === "disconnected" || phase === "failed") && (
          <button type="button" className="ml-auto rounded border border-slate-300 px-2 py-0.5 hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800" onClick={() => (onReconnect ? onReconnect() : setGeneration((g) => g + 1))}>
            Reconnect
          </button>
        )}
      </div>
      {phase === "connected" && pasting && (
        <form
          className="mt-2 flex flex-wrap items-end gap-2 px-1 text-xs"
          onSubmit={(e) => {
            e.preventDefault();
            typeText(pasteText);
            setPasteText("");
            setPasting(false);
          }}
        >
          <label className="flex min-w-[16rem] flex-1 flex-col gap-1 text-slate-600 dark:text-slate-300">
            Text to type into the console (each character as a key press; new lines as Enter)
            <textarea
              rows={2}
              value={pasteText}
              onChange={(e) => setPasteText(e.target.value)}
              className="rounded border border-slate-300 bg-white px-2 py-1 font-mono text-slate-900 dark:border-slate-700 dark:bg-slate-950 dark:text-slate-100"
            />
          </label>
          <button type="submit" disabled={!pasteText} className="rounded border border-slate-300 px-2 py-1 hover:bg-slate-100 disabled:opacity-50 dark:border-slate-700 dark:hover:bg-slate-800">
            Type it
          </button>
        </form>
      )}
    </div>
  );
}

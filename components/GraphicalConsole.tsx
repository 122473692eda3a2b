"use client";
// A node's graphical console: noVNC's RFB client over the Ingot websocket
// `GET /ws/nodes/{node}/vnc?token=<console token>` (docs/consoles.md), scaled to fit its box.
// Client-only (noVNC touches the DOM at import time): load it through `dynamic(..., { ssr: false })`.
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
      try {
        rfb?.disconnect();
      } catch {
        // already closed
      }
    };
  }, [node, token, generation]);

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
        {(phase === "disconnected" || phase === "failed") && (
          <button type="button" className="ml-auto rounded border border-slate-300 px-2 py-0.5 hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800" onClick={() => (onReconnect ? onReconnect() : setGeneration((g) => g + 1))}>
            Reconnect
          </button>
        )}
      </div>
    </div>
  );
}

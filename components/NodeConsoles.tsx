"use client";
// The node page's console panel: enable/disable (server actions behind the API's policy rules),
// a serial tab (xterm.js), a graphical tab for graphical console interfaces (noVNC), and the
// console log download. xterm and noVNC are client-only, loaded with dynamic(..., { ssr: false }).
import dynamic from "next/dynamic";
import { useCallback, useEffect, useRef, useState, useTransition } from "react";
import { getConsoleState, setConsoleEnabled, type ConsoleState } from "@/lib/web/console_actions.ts";
import { consoleKindOfInterface } from "@/lib/shared/consoles.ts";
import { cx } from "./format.ts";

const SerialConsole = dynamic(() => import("./SerialConsole.tsx"), {
  ssr: false,
  loading: () => <div className="h-[28rem] animate-pulse rounded-md bg-slate-900/80" />,
});
const GraphicalConsole = dynamic(() => import("./GraphicalConsole.tsx"), {
  ssr: false,
  loading: () => <div className="h-[28rem] animate-pulse rounded-md bg-slate-900/80" />,
});


/** The console token inside console_info.url (`…/console/graphical?token=…`). */
function tokenOf(info: Record<string, unknown> | null): string | null {
  if (!info || info.type !== "vnc" || typeof info.url !== "string") return null;
  try {
    return new URL(info.url, "http://x").searchParams.get("token");
  } catch {
    return null;
  }
}

/** The same-origin path of console_info.url (the dashboard's full-page view). */
function pagePath(info: Record<string, unknown> | null): string | null {
  if (!info || typeof info.url !== "string" || !/^https?:/.test(info.url)) return null;
  const u = new URL(info.url);
  return u.pathname + u.search;
}

export interface NodeConsolesProps {
  node: string;
  consoleInterface: string;
  enabled: boolean;
  canSet: boolean;
  /** baremetal:node:get_console: may type, use the graphical console and read the console log (else: watch the serial console). */
  canType: boolean;
}

type Tab = "serial" | "graphical";

export function NodeConsoles({ node, consoleInterface, enabled, canSet, canType }: NodeConsolesProps) {
  const kind = consoleKindOfInterface(consoleInterface);
  const graphical = kind === "graphical" && canType;
  const serial = kind === "serial";
  const tabs: Tab[] = [...(serial ? (["serial"] as const) : []), ...(graphical ? (["graphical"] as const) : [])];
  const [tab, setTab] = useState<Tab>(tabs[0] ?? "serial");
  const [state, setState] = useState<ConsoleState>({ ok: true, enabled, info: null, busy: false, lastError: null });
  const [pending, startTransition] = useTransition();
  const [waiting, setWaiting] = useState(false);
  const alive = useRef(true);
  useEffect(() => () => void (alive.current = false), []);

  const refresh = useCallback(async () => {
    const s = await getConsoleState(node);
    if (alive.current) setState(s);
    return s;
  }, [node]);

  // The node's console_enabled is live: follow changes made elsewhere (another user, the CLI).
  useEffect(() => {
    setState((s) => (s.enabled === enabled ? s : { ...s, enabled, info: enabled ? s.info : null }));
    if (enabled && canType) void refresh();
  }, [enabled, canType, refresh]);

  const toggle = (target: boolean) =>
    startTransition(async () => {
      const r = await setConsoleEnabled(node, target);
      if (!r.ok) {
        setState((s) => ({ ...s, ok: false, error: r.error }));
        return;
      }
      setWaiting(true);
      // Enabling is asynchronous (202): poll until the node's lock is released.
      const until = Date.now() + 60_000;
      let s = await refresh();
      while (alive.current && Date.now() < until && (s.busy || (s.ok && s.enabled !== target))) {
        await new Promise((res) => setTimeout(res, 400));
        s = await refresh();
      }
      if (alive.current) {
        setWaiting(false);
        if (s.enabled !== target && !s.error) setState({ ...s, ok: false, error: s.lastError ?? `The console was not ${target ? "enabled" : "disabled"}.` });
      }
    });

  const busy = pending || waiting;
  const token = tokenOf(state.info);
  const fullPage = pagePath(state.info);

  return (
    <section className="mt-6 rounded-xl border border-slate-200 bg-white shadow-sm dark:border-slate-800 dark:bg-slate-900/60" data-testid="consoles">
      <header className="flex flex-wrap items-center gap-3 border-b border-slate-200 px-4 py-2 dark:border-slate-800">
        <h2 className="text-sm font-semibold text-slate-800 dark:text-slate-200">Console</h2>
        <nav className="flex gap-1" role="tablist">
          {tabs.map((t) => (
            <button
              key={t}
              type="button"
              role="tab"
              aria-selected={tab === t}
              onClick={() => setTab(t)}
              className={cx(
                "rounded-md px-2.5 py-1 text-sm",
                tab === t ? "bg-slate-900 text-white dark:bg-slate-100 dark:text-slate-900" : "text-slate-600 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800",
              )}
            >
              {t === "serial" ? "Serial" : "Graphical"}
            </button>
          ))}
        </nav>
        <span className="font-mono text-xs text-slate-500 dark:text-slate-400">{consoleInterface}</span>
        <span className="ml-auto flex items-center gap-2 text-sm">
          <span data-testid="console-enabled" className={state.enabled ? "text-emerald-700 dark:text-emerald-400" : "text-slate-500 dark:text-slate-400"}>
            {busy ? "working…" : state.enabled ? "enabled" : "disabled"}
          </span>
          {canType && serial && (
            <a href={`/nodes/${node}/console/log`} download className="rounded-md border border-slate-300 px-2.5 py-1 hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800" data-testid="console-log">
              Download log
            </a>
          )}
          {canSet && (
            <button
              type="button"
              disabled={busy}
              onClick={() => toggle(!state.enabled)}
              className={cx(
                "rounded-md px-2.5 py-1 font-medium disabled:opacity-50",
                state.enabled ? "border border-slate-300 hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800" : "bg-emerald-600 text-white hover:bg-emerald-700",
              )}
              data-testid="console-toggle"
            >
              {state.enabled ? "Disable console" : "Enable console"}
            </button>
          )}
        </span>
      </header>
      {!state.ok && state.error && (
        <p className="border-b border-rose-200 bg-rose-50 px-4 py-2 text-sm text-rose-800 dark:border-rose-900/60 dark:bg-rose-950/40 dark:text-rose-200" data-testid="console-error">
          {state.error}
        </p>
      )}
      <div className="p-3">
        {!state.enabled ? (
          <p className="px-1 py-6 text-center text-sm text-slate-500 dark:text-slate-400" data-testid="console-disabled">
            The console is disabled.{canSet ? " Enable it to watch and type." : ""}
          </p>
        ) : tab === "serial" ? (
          <SerialConsole node={node} />
        ) : token ? (
          <div>
            <GraphicalConsole node={node} token={token} onReconnect={() => void refresh()} />
            {fullPage && (
              <a href={fullPage} target="_blank" rel="noreferrer" className="mt-1 inline-block text-xs text-sky-700 hover:underline dark:text-sky-400" data-testid="vnc-fullpage">
                Open full page
              </a>
            )}
          </div>
        ) : (
          <p className="px-1 py-6 text-center text-sm text-slate-500 dark:text-slate-400">{state.error ? "" : "Opening the graphical console…"}</p>
        )}
      </div>
    </section>
  );
}

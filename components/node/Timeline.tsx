"use client";
// Timeline tab: a Gantt chart of the node's life from its history. One lane per provision state;
// each stay in a state is a bar, the steps that ran in it are thinner bars under it, power actions
// and errors are markers on the top lane. Hover or focus shows who / what / when. The chart shows a
// window of time — it opens on the recent activity; the wheel zooms at the pointer, the buttons
// around the selected bar; "Fit" shows the whole life — and draws only what is in the window, so
// it is never wider than its box at any zoom. Waits (the agent booting, its call-back) are labelled
// under their state bar with the Steps tab's wording. A table view says the same in text.
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { Card } from "@/components/Card.tsx";
import { cx, formatDuration } from "@/components/format.ts";
import { stateTone } from "@/components/StateBadge.tsx";
import { Button, Spinner } from "@/components/ui.tsx";
import { errorText } from "@/lib/client/node.ts";
import type { ApiNode } from "@/lib/shared/wire.ts";
import type { Principal } from "@/lib/shared/policy.ts";
import { historyDenied, useNodeHistory } from "./HistoryTable.tsx";
import {
  axisTicks, barSeconds, buildTimeline, clampWindow, fullWindow, panWindow, placeBar, recentWindow, stepsIn, waitsIn, zoomAround, zoomWindow,
  type Marker, type StateBar, type StepBar, type Timeline as TimelineData, type TimeWindow, type WaitSpan,
} from "./timeline.ts";

const LANE_H = 44;
const MARKER_H = 28;
const AXIS_H = 24;
const LABEL_W = 152;
const MIN_BAR = 3;
/** A generous width per character of a 10 px axis label, and its offset from its line. */
const TICK_CHAR_W = 6.5;
const TICK_LABEL_PAD = 4;

// Solid fills dark (or, for amber, light) enough that the bar's label reads at 4.5:1 (WCAG AA).
const BAR_COLORS: Record<string, string> = {
  green: "bg-emerald-700 ring-emerald-900/40 text-white",
  blue: "bg-sky-700 ring-sky-900/40 text-white",
  slate: "bg-indigo-600 ring-indigo-800/40 text-white",
  gray: "bg-slate-600 ring-slate-800/40 text-white",
  red: "bg-rose-700 ring-rose-900/50 text-white",
  amber: "bg-amber-400 ring-amber-700/40 text-slate-900",
  violet: "bg-violet-600 ring-violet-800/40 text-white",
};

type Item =
  | { type: "state"; bar: StateBar }
  | { type: "step"; step: StepBar }
  | { type: "wait"; wait: WaitSpan }
  | { type: "marker"; marker: Marker };

function fmtTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

function fullTime(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").slice(0, 23) + " UTC";
}

type Who = (user: string | null | undefined) => string | null;

function describe(item: Item, now: number, who: Who): { title: string; lines: string[] } {
  if (item.type === "state") {
    const b = item.bar;
    return {
      title: `${b.state}${b.failed ? " (failure)" : ""}`,
      lines: [
        `${fullTime(b.start)} → ${b.end === null ? "now" : fullTime(b.end)}`,
        `lasted ${formatDuration(barSeconds(b, now))}${b.end === null ? " so far" : ""}`,
        b.via ? `entered by event "${b.via}"${b.enteredBy?.user ? `, asked by ${who(b.enteredBy.user)}` : ""}` : "state before the first recorded change",
        ...(b.enteredBy?.conductor ? [`conductor ${b.enteredBy.conductor}`] : []),
      ],
    };
  }
  if (item.type === "step") {
    const s = item.step;
    return {
      title: `${s.kind} step ${s.name} — ${s.status}`,
      lines: [
        `${fullTime(s.start)} → ${s.end === null ? "now" : fullTime(s.end)}`,
        `took ${formatDuration(barSeconds(s, now))}${s.end === null ? " so far" : ""}`,
        ...(s.user ? [`asked by ${who(s.user)}`] : []),
        ...(s.error ? [`error: ${s.error}`] : []),
      ],
    };
  }
  if (item.type === "wait") {
    const w = item.wait;
    return {
      title: w.label.charAt(0).toUpperCase() + w.label.slice(1),
      lines: [
        `${fullTime(w.start)} → ${w.end === null ? "now" : fullTime(w.end)}`,
        `${w.end === null ? "waiting" : "waited"} ${formatDuration(barSeconds(w, now))}${w.end === null ? " so far" : ""}, no step running`,
        `in state ${w.state}`,
      ],
    };
  }
  const m = item.marker;
  return {
    title: m.kind === "error" ? `Error: ${m.label}` : m.label,
    lines: [fullTime(m.at), m.event.event, ...(m.event.user ? [`by ${who(m.event.user)}`] : []), ...(m.event.eventType ? [`type ${m.event.eventType}`] : [])],
  };
}

function itemLabel(item: Item, now: number, who: Who): string {
  const d = describe(item, now, who);
  return `${d.title}. ${d.lines.join(". ")}`;
}

export function Timeline({ node, principal }: { node: ApiNode; principal: Principal }) {
  const denied = historyDenied(node, principal);
  const history = useNodeHistory(node.uuid, !denied);
  const [now, setNow] = useState(() => Date.now());
  // Bars still running grow; a slow tick is enough and keeps the chart calm.
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 5000);
    return () => clearInterval(t);
  }, []);
  useEffect(() => setNow(Date.now()), [history.data]);
  const data = useMemo(
    () => (history.data ? buildTimeline(history.data, { created_at: node.created_at, provision_state: node.provision_state }, now) : null),
    [history.data, node.created_at, node.provision_state, now],
  );
  const [table, setTable] = useState(false);
  // History names users by id; the viewer's own id reads as their name.
  const who: Who = (user) => (!user ? null : user === principal.userId ? `${principal.username} (you)` : user);

  if (denied) return <p className="text-sm text-slate-500 dark:text-slate-400">{denied}</p>;
  return (
    <Card
      title="Timeline"
      actions={
        <Button size="sm" variant="ghost" aria-pressed={table} onClick={() => setTable(!table)}>
          {table ? "Show chart" : "Show as table"}
        </Button>
      }
    >
      {history.isPending ? (
        <div className="flex h-72 items-center justify-center"><Spinner label="Loading the history" /></div>
      ) : history.isError ? (
        <p className="px-4 py-3 text-sm text-rose-600">{errorText(history.error)}</p>
      ) : table ? (
        <TimelineTable data={data!} now={now} who={who} />
      ) : (
        <Chart data={data!} now={now} who={who} />
      )}
    </Card>
  );
}

type ViewMode = "recent" | "fit" | "manual";

/** Where an item sits in time (its middle), to zoom around it when it is selected. */
function itemTime(item: Item, now: number): number {
  if (item.type === "marker") return item.marker.at;
  const b = item.type === "state" ? item.bar : item.type === "step" ? item.step : item.wait;
  return (b.start + (b.end ?? now)) / 2;
}

function Chart({ data, now, who }: { data: TimelineData; now: number; who: Who }) {
  const viewport = useRef<HTMLDivElement>(null);
  const wrap = useRef<HTMLDivElement>(null);
  const span = Math.max(1, data.end - data.start);
  const [width, setWidth] = useState(0);
  // "recent" and "fit" follow the growing life of the node; zooming or panning fixes the window.
  const [mode, setMode] = useState<ViewMode>("recent");
  const [manual, setManual] = useState<TimeWindow | null>(null);
  const [active, setActive] = useState<{ item: Item; x: number; y: number } | null>(null);
  const [selected, setSelected] = useState<Item | null>(null);
  const view: TimeWindow = mode === "fit" ? fullWindow(data) : mode === "recent" || !manual ? recentWindow(data) : clampWindow(manual, data);
  // The wheel and drag handlers are attached once; they read the current window from here.
  const current = useRef({ view, data, width });
  current.current = { view, data, width };

  useLayoutEffect(() => {
    const el = viewport.current;
    if (!el) return;
    const measure = () => setWidth(el.clientWidth);
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const show = (item: Item, e: React.SyntheticEvent<HTMLElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    const w = wrap.current?.getBoundingClientRect();
    if (!w) return;
    setActive({ item, x: r.left - w.left, y: r.bottom - w.top + 4 });
  };
  const select = (item: Item, e: React.SyntheticEvent<HTMLElement>) => {
    setSelected(item);
    show(item, e);
  };
  const hide = () => setActive(null);
  const on: ItemEvents = { show, select, hide, now, who };
  const setView = useCallback((next: TimeWindow) => {
    setManual(next);
    setMode("manual");
    setActive(null);
  }, []);
  // The buttons zoom around the selected bar or marker when it is in view, else the middle.
  const zoomButton = (factor: number) => {
    const at = selected ? itemTime(selected, now) : null;
    setView(at !== null && at >= view.from && at <= view.to ? zoomAround(view, factor, at, data) : zoomWindow(view, factor, 0.5, data));
  };

  // The wheel zooms around the pointer; Shift+wheel (or a sideways wheel) moves in time.
  useEffect(() => {
    const el = viewport.current;
    if (!el) return;
    const onWheel = (e: WheelEvent) => {
      const { view: v, data: d, width: w } = current.current;
      if (!w) return;
      e.preventDefault();
      const sideways = e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY);
      if (sideways) {
        const delta = e.shiftKey ? e.deltaY || e.deltaX : e.deltaX;
        setView(panWindow(v, delta / w, d));
        return;
      }
      const anchor = Math.min(1, Math.max(0, (e.clientX - el.getBoundingClientRect().left) / w));
      setView(zoomWindow(v, e.deltaY < 0 ? 0.8 : 1.25, anchor, d));
    };
    el.addEventListener("wheel", onWheel, { passive: false });
    return () => el.removeEventListener("wheel", onWheel);
  }, [setView]);

  // Dragging the background moves in time.
  const drag = useRef<{ x: number; view: TimeWindow } | null>(null);
  const onPointerDown = (e: React.PointerEvent<HTMLDivElement>) => {
    if (e.button !== 0 || (e.target as HTMLElement).closest("button")) return;
    drag.current = { x: e.clientX, view };
    e.currentTarget.setPointerCapture(e.pointerId);
  };
  const onPointerMove = (e: React.PointerEvent<HTMLDivElement>) => {
    const start = drag.current;
    if (!start || !width) return;
    setView(panWindow(start.view, -(e.clientX - start.x) / width, data));
  };
  const onPointerUp = () => {
    drag.current = null;
  };

  const scale = width > 0 ? width / (view.to - view.from) : 0;
  const x = (t: number) => (t - view.from) * scale;
  // Only what overlaps the window is drawn, clipped to it: the chart is never wider than its box.
  const inView = (start: number, end: number) => end >= view.from && start <= view.to;
  const place = (start: number, end: number, min: number) => placeBar(view, width, start, end, min);
  const ticks = axisTicks(view, width);
  const laneIndex = new Map(data.lanes.map((l, i) => [l, i]));
  const height = AXIS_H + MARKER_H + data.lanes.length * LANE_H;

  return (
    <div>
      <div className="flex flex-wrap items-center gap-2 border-b border-slate-100 px-4 py-2 text-xs text-slate-500 dark:border-slate-800 dark:text-slate-400">
        <Button size="sm" onClick={() => zoomButton(0.5)} aria-label="Zoom in">+ Zoom in</Button>
        <Button size="sm" onClick={() => zoomButton(2)} aria-label="Zoom out">− Zoom out</Button>
        <Button size="sm" onClick={() => setView(panWindow(view, -0.5, data))} aria-label="Earlier">◀</Button>
        <Button size="sm" onClick={() => setView(panWindow(view, 0.5, data))} aria-label="Later">▶</Button>
        <Button size="sm" onClick={() => setMode("recent")} aria-pressed={mode === "recent"}>Recent</Button>
        <Button size="sm" onClick={() => setMode("fit")} aria-pressed={mode === "fit"}>Fit</Button>
        <span className="ml-2">Wheel: zoom at the pointer · Shift+wheel or drag: move in time · Tab through the bars for details</span>
        <span className="ml-auto text-right" data-testid="timeline-span">
          <span data-testid="timeline-window">{fmtTime(view.from)} → {view.to >= data.end ? "now" : fmtTime(view.to)}</span>
          {" "}· life {fmtTime(data.start)} → now, {formatDuration(span / 1000)}
        </span>
      </div>
      <div className="relative flex" ref={wrap} onMouseLeave={hide}>
        {active && <Tooltip item={active.item} now={now} who={who} x={active.x} y={active.y} maxX={wrap.current?.clientWidth ?? width} />}
        <div className="shrink-0 border-r border-slate-100 text-xs dark:border-slate-800" style={{ width: LABEL_W }} aria-hidden>
          <div style={{ height: AXIS_H }} />
          <div className="flex items-center px-3 text-slate-500 dark:text-slate-400" style={{ height: MARKER_H }}>power · events</div>
          {data.lanes.map((l) => (
            <div key={l} className="flex items-center truncate px-3 font-medium text-slate-700 dark:text-slate-200" style={{ height: LANE_H }}>{l}</div>
          ))}
        </div>
        <div
          ref={viewport}
          onPointerDown={onPointerDown}
          onPointerMove={onPointerMove}
          onPointerUp={onPointerUp}
          onPointerCancel={onPointerUp}
          className="relative min-w-0 flex-1 cursor-grab touch-pan-y overflow-hidden"
          style={{ height: height + 8 }}
          data-testid="timeline-chart"
          role="group"
          aria-label="Timeline chart"
        >
          {/* axis: labels at every zoom; one that would run past the right edge is left out, not cut */}
          {ticks.map((t) => (
            <div key={t.at} className="absolute top-0 h-full border-l border-slate-100 dark:border-slate-800" style={{ left: x(t.at) }} aria-hidden>
              {x(t.at) + TICK_LABEL_PAD + t.label.length * TICK_CHAR_W <= width && (
                <span data-testid="timeline-tick" className="absolute left-1 top-0 whitespace-nowrap text-[10px] text-slate-600 dark:text-slate-300">
                  {t.label}
                </span>
              )}
            </div>
          ))}
          {/* lane stripes */}
          {data.lanes.map((l, i) => (
            <div key={l} className={cx("absolute left-0 w-full", i % 2 ? "bg-slate-50/60 dark:bg-slate-800/20" : "")} style={{ top: AXIS_H + MARKER_H + i * LANE_H, height: LANE_H }} aria-hidden />
          ))}
          {/* markers */}
          {data.markers.filter((m) => inView(m.at, m.at)).map((m) => (
            <ItemButton
              key={m.id}
              item={{ type: "marker", marker: m }}
              on={on}
              testId="timeline-marker"
              data={{ "data-kind": m.kind }}
              className={cx(
                "absolute h-3 w-3 -translate-x-1/2 rotate-45 rounded-[2px] ring-1 focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-amber-500",
                m.kind === "error" ? "bg-rose-500 ring-rose-700" : m.kind === "power" ? "bg-sky-500 ring-sky-700" : "bg-slate-300 ring-slate-500 dark:bg-slate-600",
              )}
              style={{ left: x(m.at), top: AXIS_H + (MARKER_H - 12) / 2 }}
            />
          ))}
          {/* state bars and their steps */}
          {data.states.filter((b) => inView(b.start, b.end ?? now)).map((b) => {
            const lane = laneIndex.get(b.state) ?? 0;
            const top = AXIS_H + MARKER_H + lane * LANE_H;
            const bar = place(b.start, b.end ?? now, MIN_BAR);
            return (
              <div key={b.id}>
                <ItemButton
                  item={{ type: "state", bar: b }}
                  on={on}
                  testId="state-bar"
                  data={{ "data-state": b.state }}
                  className={cx(
                    "absolute overflow-hidden rounded-sm px-1 text-left text-[10px] font-medium leading-5 ring-1 ring-inset focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-amber-300",
                    BAR_COLORS[b.failed ? "red" : stateTone(b.state)],
                    b.end === null && "bg-[length:12px_12px] bg-[linear-gradient(45deg,rgba(255,255,255,.18)_25%,transparent_25%,transparent_50%,rgba(255,255,255,.18)_50%,rgba(255,255,255,.18)_75%,transparent_75%)]",
                  )}
                  style={{ left: bar.left, width: bar.width, top: top + 4, height: 20 }}
                >
                  {bar.width > 60 ? <span className="whitespace-nowrap">{b.state} · {formatDuration(barSeconds(b, now))}</span> : null}
                </ItemButton>
                {stepsIn(data, b).filter((s) => inView(s.start, s.end ?? now)).map((s) => {
                  const step = place(s.start, s.end ?? now, MIN_BAR);
                  return (
                    <ItemButton
                      key={s.id}
                      item={{ type: "step", step: s }}
                      on={on}
                      testId="step-bar"
                      data={{ "data-step": s.name, "data-kind": s.kind, "data-status": s.status }}
                      className={cx(
                        "absolute overflow-hidden rounded-sm px-0.5 text-left text-[9px] leading-3 text-white ring-1 ring-inset focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-amber-300",
                        s.status === "failed" ? "bg-rose-600 ring-rose-800" : s.status === "interrupted" ? "bg-slate-500 ring-slate-700" : "bg-cyan-700 ring-cyan-900 dark:bg-cyan-600",
                      )}
                      style={{ left: step.left, width: step.width, top: top + 27, height: 12 }}
                    >
                      {step.width > 70 ? <span className="whitespace-nowrap">{s.name}</span> : null}
                    </ItemButton>
                  );
                })}
                {waitsIn(data, b).filter((w) => inView(w.start, w.end ?? now)).map((w) => {
                  // Drawn at its real width (no minimum): a wait too short to see is left out.
                  const span = place(w.start, w.end ?? now, 0);
                  if (span.width < 2) return null;
                  return (
                    <ItemButton
                      key={w.id}
                      item={{ type: "wait", wait: w }}
                      on={on}
                      testId="wait-bar"
                      data={{ "data-state": w.state }}
                      className="absolute overflow-hidden rounded-sm border border-dashed border-amber-600 bg-amber-50 px-0.5 text-left text-[9px] leading-[10px] text-amber-900 focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-amber-300 dark:border-amber-400 dark:bg-amber-950 dark:text-amber-100"
                      style={{ left: span.left, width: span.width, top: top + 27, height: 12 }}
                    >
                      {span.width > 40 ? <span className="whitespace-nowrap">{w.label}</span> : null}
                    </ItemButton>
                  );
                })}
              </div>
            );
          })}
        </div>
      </div>
      <Legend />
    </div>
  );
}

/** What every bar and marker of the chart does with the pointer and the keyboard. */
interface ItemEvents {
  show: (item: Item, e: React.SyntheticEvent<HTMLElement>) => void;
  select: (item: Item, e: React.SyntheticEvent<HTMLElement>) => void;
  hide: () => void;
  now: number;
  who: Who;
}

/**
 * A bar or marker of the chart: a button labelled with its details, which shows them on hover and
 * focus and selects it (for the zoom buttons) on focus and click.
 */
function ItemButton({ item, on, testId, data, className, style, children }: {
  item: Item;
  on: ItemEvents;
  testId: string;
  data: Record<`data-${string}`, string>;
  className: string;
  style: React.CSSProperties;
  children?: React.ReactNode;
}) {
  return (
    <button
      type="button"
      data-testid={testId}
      {...data}
      aria-label={itemLabel(item, on.now, on.who)}
      onMouseEnter={(e) => on.show(item, e)}
      onFocus={(e) => on.select(item, e)}
      onClick={(e) => on.select(item, e)}
      onBlur={on.hide}
      className={className}
      style={style}
    >
      {children}
    </button>
  );
}

function Tooltip({ item, now, who, x, y, maxX }: { item: Item; now: number; who: Who; x: number; y: number; maxX: number }) {
  const d = describe(item, now, who);
  return (
    <div
      role="tooltip"
      data-testid="timeline-tooltip"
      className="pointer-events-none absolute z-20 w-80 rounded-md border border-slate-200 bg-white p-2 text-xs shadow-lg dark:border-slate-700 dark:bg-slate-900"
      style={{ left: Math.max(0, Math.min(x, maxX - 324)), top: y }}
    >
      <div className="font-semibold">{d.title}</div>
      {d.lines.map((l, i) => <div key={i} className="mt-0.5 break-words text-slate-600 dark:text-slate-300">{l}</div>)}
    </div>
  );
}

function Legend() {
  return (
    <div className="flex flex-wrap gap-4 border-t border-slate-100 px-4 py-2 text-xs text-slate-500 dark:border-slate-800 dark:text-slate-400" aria-hidden>
      <span className="inline-flex items-center gap-1"><span className="h-2.5 w-5 rounded-sm bg-emerald-700" />stable state</span>
      <span className="inline-flex items-center gap-1"><span className="h-2.5 w-5 rounded-sm bg-amber-400" />in progress / waiting</span>
      <span className="inline-flex items-center gap-1"><span className="h-2.5 w-5 rounded-sm bg-rose-700" />failure</span>
      <span className="inline-flex items-center gap-1"><span className="h-2 w-5 rounded-sm bg-cyan-700" />step</span>
      <span className="inline-flex items-center gap-1"><span className="h-2 w-5 rounded-sm border border-dashed border-amber-600 bg-amber-50 dark:bg-amber-950" />waiting, no step running</span>
      <span className="inline-flex items-center gap-1"><span className="h-2.5 w-2.5 rotate-45 bg-sky-500" />power action</span>
      <span className="inline-flex items-center gap-1"><span className="h-2.5 w-2.5 rotate-45 bg-rose-500" />error</span>
      <span className="inline-flex items-center gap-1"><span className="h-2.5 w-2.5 rotate-45 bg-slate-300" />other event</span>
    </div>
  );
}

function TimelineTable({ data, now, who }: { data: TimelineData; now: number; who: Who }) {
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-left text-sm" data-testid="timeline-table">
        <caption className="sr-only">The node&apos;s provision states, the steps run in each, and other events, oldest first</caption>
        <thead className="text-xs uppercase tracking-wide text-slate-500 dark:text-slate-400">
          <tr className="border-b border-slate-200 dark:border-slate-800">
            <th scope="col" className="px-4 py-2 font-medium">State / step / event</th>
            <th scope="col" className="px-4 py-2 font-medium">From</th>
            <th scope="col" className="px-4 py-2 font-medium">To</th>
            <th scope="col" className="px-4 py-2 font-medium">Duration</th>
            <th scope="col" className="px-4 py-2 font-medium">Who</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
          {data.states.map((b) => (
            <Rows key={b.id} who={who} bar={b} steps={stepsIn(data, b)} waits={waitsIn(data, b)} markers={data.markers.filter((m) => m.at >= b.start && (b.end === null || m.at < b.end))} now={now} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Rows({ bar, steps, waits, markers, now, who }: { bar: StateBar; steps: StepBar[]; waits: WaitSpan[]; markers: Marker[]; now: number; who: Who }) {
  return (
    <>
      <tr className={cx(bar.failed && "bg-rose-50/60 dark:bg-rose-950/20")}>
        <th scope="row" className="px-4 py-1.5 font-medium">{bar.state}{bar.failed ? " (failure)" : ""}</th>
        <td className="whitespace-nowrap px-4 py-1.5 font-mono text-xs">{fullTime(bar.start)}</td>
        <td className="whitespace-nowrap px-4 py-1.5 font-mono text-xs">{bar.end === null ? "now" : fullTime(bar.end)}</td>
        <td className="px-4 py-1.5">{formatDuration(barSeconds(bar, now))}</td>
        <td className="px-4 py-1.5">{who(bar.enteredBy?.user) ?? "—"}</td>
      </tr>
      {waits.map((w) => (
        <tr key={w.id} data-testid="timeline-wait-row">
          <td className="px-4 py-1.5 pl-8 text-slate-600 dark:text-slate-300">{w.label}</td>
          <td className="whitespace-nowrap px-4 py-1.5 font-mono text-xs">{fullTime(w.start)}</td>
          <td className="whitespace-nowrap px-4 py-1.5 font-mono text-xs">{w.end === null ? "now" : fullTime(w.end)}</td>
          <td className="px-4 py-1.5">{formatDuration(barSeconds(w, now))}</td>
          <td className="px-4 py-1.5">—</td>
        </tr>
      ))}
      {steps.map((s) => (
        <tr key={s.id} className={cx(s.status === "failed" && "bg-rose-50/60 dark:bg-rose-950/20")}>
          <td className="px-4 py-1.5 pl-8 text-slate-600 dark:text-slate-300">{s.kind} step {s.name} — {s.status}{s.error ? `: ${s.error}` : ""}</td>
          <td className="whitespace-nowrap px-4 py-1.5 font-mono text-xs">{fullTime(s.start)}</td>
          <td className="whitespace-nowrap px-4 py-1.5 font-mono text-xs">{s.end === null ? "now" : fullTime(s.end)}</td>
          <td className="px-4 py-1.5">{formatDuration(barSeconds(s, now))}</td>
          <td className="px-4 py-1.5">{who(s.user) ?? "—"}</td>
        </tr>
      ))}
      {markers.map((m) => (
        <tr key={m.id} className={cx(m.kind === "error" && "bg-rose-50/60 dark:bg-rose-950/20")}>
          <td className="px-4 py-1.5 pl-8 text-slate-600 dark:text-slate-300">{m.kind === "error" ? "Error: " : ""}{m.event.event}</td>
          <td className="whitespace-nowrap px-4 py-1.5 font-mono text-xs">{fullTime(m.at)}</td>
          <td className="px-4 py-1.5" />
          <td className="px-4 py-1.5" />
          <td className="px-4 py-1.5">{who(m.event.user) ?? "—"}</td>
        </tr>
      ))}
    </>
  );
}

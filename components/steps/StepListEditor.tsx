"use client";
// An ordered list of steps (interface.step, args, priority): add from the available steps
// (searchable), remove, reorder by drag or with the move buttons, priorities where they decide the
// run order (deploy templates), each step expandable to its generated form, and a JSON view of the
// whole list that can be edited and applied. Used by the step picker and both editors.
import { useCallback, useId, useMemo, useRef, useState } from "react";
import { cx } from "@/components/format.ts";
import {
  listProblems, moveItem, newStepKey, parseStepsJson, stepInterfacesFor, stepKey, stepProblems, stepsToJson, hasProblems,
  type BiosRegistryEntry, type EditableStep, type StepListMode, type StepProblems,
} from "@/lib/client/steps.ts";
import { RESERVED_STEP_DESCRIPTIONS, type AvailableStep, type StepKind } from "@/lib/shared/steps.ts";
import { inputBase, inputClass, StepForm } from "./StepForm.tsx";

export interface StepListEditorProps {
  steps: EditableStep[];
  onChange: (steps: EditableStep[]) => void;
  mode: StepListMode;
  kind: StepKind;
  /** The steps one may add; null while unknown (loading or failed): steps are then not checked against it. */
  available: AvailableStep[] | null;
  /** Where `available` comes from, shown above the list of steps to add. */
  availableNote?: React.ReactNode;
  /** Messages of the server's last 400, per EditableStep.key and general. */
  serverErrors?: { byStep: Record<string, string[]>; general: string[] } | null;
  /** Called with the number of JSON fields whose text does not parse (they block saving). */
  onJsonInvalidChange?: (count: number) => void;
  readOnly?: boolean;
  /** The node's BIOS registry (a node's step picker): BIOS settings are typed and checked from it. */
  bios?: BiosRegistryEntry[] | null;
  /** Prefix of test ids and headings ("template", "picker"). */
  label?: string;
}

/** Whether a list may be sent: no list problems and no step problems. */
export function stepListProblems(
  steps: EditableStep[], available: AvailableStep[] | null, mode: StepListMode, kind: StepKind, bios?: BiosRegistryEntry[] | null,
): { list: string[]; perStep: Map<string, StepProblems> } {
  const byKey = new Map((available ?? []).map((s) => [stepKey(s), s]));
  const perStep = new Map<string, StepProblems>();
  for (const s of steps) perStep.set(s.key, stepProblems(s, byKey.get(stepKey(s)), { kind, mode, catalogKnown: available !== null, bios }));
  return { list: listProblems(steps, mode), perStep };
}

export function stepListValid(
  steps: EditableStep[], available: AvailableStep[] | null, mode: StepListMode, kind: StepKind, bios?: BiosRegistryEntry[] | null,
): boolean {
  const { list, perStep } = stepListProblems(steps, available, mode, kind, bios);
  return list.length === 0 && ![...perStep.values()].some(hasProblems);
}

/** Priority a newly added template step gets: the driver's when it runs by default, else early (before the agent boots). */
function defaultPriority(decl: AvailableStep | undefined): number {
  return decl && decl.priority > 0 ? decl.priority : 150;
}

export function StepListEditor({
  steps, onChange, mode, kind, available, availableNote, serverErrors, onJsonInvalidChange, readOnly, label = "steps", bios,
}: StepListEditorProps) {
  const [expanded, setExpanded] = useState<Set<string>>(new Set());
  const [announcement, setAnnouncement] = useState("");
  const [dragIndex, setDragIndex] = useState<number | null>(null);
  const [dropIndex, setDropIndex] = useState<number | null>(null);
  // Rows are draggable only from their handle, so text in the fields can still be selected.
  const [armedKey, setArmedKey] = useState<string | null>(null);
  const [view, setView] = useState<"list" | "json">("list");
  const invalidJson = useRef(new Map<string, string>());
  const listRef = useRef<HTMLOListElement>(null);

  const byKey = useMemo(() => new Map((available ?? []).map((s) => [stepKey(s), s])), [available]);
  const { list: listErrs, perStep } = useMemo(() => stepListProblems(steps, available, mode, kind, bios), [steps, available, mode, kind, bios]);

  const reportInvalid = useCallback(() => onJsonInvalidChange?.(invalidJson.current.size), [onJsonInvalidChange]);
  const onInvalidFor = (key: string) => (path: string, message: string | null) => {
    const id = `${key}/${path}`;
    const had = invalidJson.current.has(id);
    if (message) invalidJson.current.set(id, message);
    else invalidJson.current.delete(id);
    if (had !== !!message) reportInvalid();
  };
  const forgetInvalid = (key: string) => {
    let changed = false;
    for (const id of [...invalidJson.current.keys()]) if (id.startsWith(`${key}/`)) changed = invalidJson.current.delete(id) || changed;
    if (changed) reportInvalid();
  };

  const focusMove = (key: string, which: "up" | "down") => {
    requestAnimationFrame(() => {
      const row = listRef.current?.querySelector<HTMLElement>(`[data-step-key="${key}"]`);
      const btn = row?.querySelector<HTMLButtonElement>(`[data-move="${which}"]:not(:disabled)`) ?? row?.querySelector<HTMLButtonElement>("[data-move]:not(:disabled)");
      btn?.focus();
    });
  };
  const move = (from: number, to: number, viaKeyboard?: "up" | "down") => {
    if (to < 0 || to >= steps.length || from === to) return;
    const s = steps[from];
    onChange(moveItem(steps, from, to));
    setAnnouncement(`Moved ${stepKey(s)} to position ${to + 1} of ${steps.length}.`);
    if (viaKeyboard) focusMove(s.key, viaKeyboard);
  };
  const remove = (i: number) => {
    const s = steps[i];
    forgetInvalid(s.key);
    onChange(steps.filter((_, j) => j !== i));
    setAnnouncement(`Removed ${stepKey(s)}.`);
  };
  const add = (iface: string, step: string) => {
    const decl = byKey.get(`${iface}.${step}`);
    const s: EditableStep = { key: newStepKey(), interface: iface, step, args: {}, priority: mode === "template" ? defaultPriority(decl) : 0 };
    onChange([...steps, s]);
    // Steps with required arguments open right away.
    if (decl?.argsinfo && Object.values(decl.argsinfo).some((a) => a.required)) setExpanded((e) => new Set(e).add(s.key));
    setAnnouncement(`Added ${iface}.${step} at position ${steps.length + 1}.`);
  };
  const update = (i: number, patch: Partial<EditableStep>) => onChange(steps.map((s, j) => (j === i ? { ...s, ...patch } : s)));
  const toggle = (key: string) => setExpanded((e) => {
    const n = new Set(e);
    if (n.has(key)) n.delete(key);
    else n.add(key);
    return n;
  });

  const runOrder = mode === "template"
    ? [...steps].filter((s) => s.priority > 0).sort((a, b) => b.priority - a.priority)
    : null;

  return (
    <div className="space-y-3" data-testid={`${label}-editor`}>
      <p className="sr-only" aria-live="polite" role="status">{announcement}</p>
      <div className="flex flex-wrap items-center justify-between gap-2">
        <p className="text-xs text-slate-600 dark:text-slate-400">
          {mode === "template"
            ? "Deploy steps run by priority (highest first); a step with priority 0 disables that step of the driver. The list order here is only for reading."
            : "Steps run in this order, top to bottom."}
        </p>
        <div role="group" aria-label="View" className="inline-flex overflow-hidden rounded-md border border-slate-300 text-xs dark:border-slate-700">
          {(["list", "json"] as const).map((v) => (
            <button
              key={v}
              type="button"
              aria-pressed={view === v}
              className={cx("px-2.5 py-1", view === v ? "bg-slate-800 text-white dark:bg-slate-200 dark:text-slate-900" : "hover:bg-slate-100 dark:hover:bg-slate-800")}
              onClick={() => setView(v)}
            >
              {v === "list" ? "Form" : "JSON"}
            </button>
          ))}
        </div>
      </div>

      {serverErrors && serverErrors.general.length > 0 && (
        <div role="alert" className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800 dark:border-red-800 dark:bg-red-950/40 dark:text-red-300" data-testid="steps-server-error">
          {serverErrors.general.map((m, i) => <p key={i}>{m}</p>)}
        </div>
      )}
      {listErrs.length > 0 && steps.length > 0 && <ul>{listErrs.map((m, i) => <li key={i} className="text-xs text-red-700 dark:text-red-400">{m}</li>)}</ul>}

      {view === "json" ? (
        <JsonView steps={steps} mode={mode} readOnly={readOnly} onApply={(next) => {
          for (const s of steps) forgetInvalid(s.key);
          onChange(next);
          setView("list");
          setAnnouncement(`Applied the JSON: ${next.length} steps.`);
        }} />
      ) : (
        <>
          {steps.length === 0 ? (
            <p className="rounded-md border border-dashed border-slate-300 px-3 py-6 text-center text-sm text-slate-500 dark:border-slate-700 dark:text-slate-400">
              No steps yet{readOnly ? "." : ": add them from the list below."}
            </p>
          ) : (
            <ol ref={listRef} className="space-y-2" data-testid={`${label}-list`} aria-label="Chosen steps">
              {steps.map((s, i) => {
                const problems = perStep.get(s.key) ?? { general: [], args: {} };
                const server = serverErrors?.byStep[s.key] ?? [];
                const nProblems = problems.general.length + Object.values(problems.args).flat().length + server.length;
                const open = expanded.has(s.key);
                const decl = byKey.get(stepKey(s));
                const bodyId = `step-body-${s.key}`;
                return (
                  <li
                    key={s.key}
                    data-step-key={s.key}
                    data-testid="step-row"
                    data-step={stepKey(s)}
                    className={cx(
                      "rounded-lg border bg-white dark:bg-slate-900",
                      nProblems ? "border-red-300 dark:border-red-800" : "border-slate-200 dark:border-slate-700",
                      dragIndex === i && "opacity-50",
                      dropIndex === i && dragIndex !== null && dragIndex !== i && "ring-2 ring-amber-500",
                    )}
                    draggable={!readOnly && armedKey === s.key}
                    onDragStart={(e) => {
                      setDragIndex(i);
                      e.dataTransfer.effectAllowed = "move";
                      e.dataTransfer.setData("text/plain", s.key);
                    }}
                    onDragOver={(e) => {
                      if (dragIndex === null) return;
                      e.preventDefault();
                      e.dataTransfer.dropEffect = "move";
                      if (dropIndex !== i) setDropIndex(i);
                    }}
                    onDrop={(e) => {
                      e.preventDefault();
                      if (dragIndex !== null) move(dragIndex, i);
                      setDragIndex(null);
                      setDropIndex(null);
                    }}
                    onDragEnd={() => {
                      setArmedKey(null);
                      setDragIndex(null);
                      setDropIndex(null);
                    }}
                  >
                    <div className="flex flex-wrap items-center gap-2 px-3 py-2">
                      {!readOnly && (
                        <span
                          className="cursor-grab select-none px-1 text-slate-500 dark:text-slate-400"
                          aria-hidden
                          title="Drag to reorder (or use the arrow buttons)"
                          data-testid="drag-handle"
                          onMouseDown={() => setArmedKey(s.key)}
                          onMouseUp={() => setArmedKey(null)}
                        >
                          ⠿
                        </span>
                      )}
                      <span className="w-6 text-right text-xs tabular-nums text-slate-500 dark:text-slate-400">{i + 1}.</span>
                      <button
                        type="button"
                        className="flex min-w-0 flex-1 items-center gap-2 text-left"
                        aria-expanded={open}
                        aria-controls={bodyId}
                        data-testid="step-toggle"
                        onClick={() => toggle(s.key)}
                      >
                        <span aria-hidden className="text-xs text-slate-500 dark:text-slate-400">{open ? "▾" : "▸"}</span>
                        <span className="truncate font-mono text-sm text-slate-900 dark:text-slate-100">{stepKey(s)}</span>
                        {Object.keys(s.args).length > 0 && <span className="text-xs text-slate-500 dark:text-slate-400">{Object.keys(s.args).length} arg{Object.keys(s.args).length > 1 ? "s" : ""}</span>}
                        {nProblems > 0 && (
                          <span className="rounded bg-red-100 px-1.5 text-xs text-red-800 dark:bg-red-950 dark:text-red-300" data-testid="step-problem-count">
                            {nProblems} problem{nProblems > 1 ? "s" : ""}
                          </span>
                        )}
                      </button>
                      {mode === "template" && (
                        <label className="flex items-center gap-1 text-xs text-slate-600 dark:text-slate-400">
                          Priority
                          <input
                            type="number"
                            min={0}
                            step={1}
                            className={cx(inputBase, "w-20")}
                            value={Number.isFinite(s.priority) ? s.priority : ""}
                            disabled={readOnly}
                            aria-label={`Priority of ${stepKey(s)}`}
                            onChange={(e) => update(i, { priority: e.target.value === "" ? Number.NaN : Number(e.target.value) })}
                          />
                        </label>
                      )}
                      {!readOnly && (
                        <span className="flex items-center gap-1">
                          <IconButton label={`Move ${stepKey(s)} up`} data-move="up" disabled={i === 0} onClick={() => move(i, i - 1, "up")}>↑</IconButton>
                          <IconButton label={`Move ${stepKey(s)} down`} data-move="down" disabled={i === steps.length - 1} onClick={() => move(i, i + 1, "down")}>↓</IconButton>
                          <IconButton label={`Remove ${stepKey(s)}`} danger onClick={() => remove(i)}>✕</IconButton>
                        </span>
                      )}
                    </div>
                    {open && (
                      <div id={bodyId} className="border-t border-slate-100 px-3 py-3 dark:border-slate-800">
                        <StepForm
                          args={s.args}
                          declared={decl}
                          stepName={stepKey(s)}
                          onChange={(args) => update(i, { args })}
                          problems={problems}
                          serverErrors={server}
                          onInvalid={onInvalidFor(s.key)}
                          readOnly={readOnly}
                          bios={bios}
                        />
                      </div>
                    )}
                    {!open && (problems.general.length > 0 || server.length > 0) && (
                      <p className="border-t border-slate-100 px-3 py-1.5 text-xs text-red-700 dark:border-slate-800 dark:text-red-400">
                        {[...server, ...problems.general][0]}
                      </p>
                    )}
                  </li>
                );
              })}
            </ol>
          )}
          {runOrder && steps.length > 0 && (
            <p className="text-xs text-slate-600 dark:text-slate-400" data-testid="template-run-order">
              Run order: {runOrder.length ? runOrder.map((s) => `${stepKey(s)} (${s.priority})`).join(" → ") : "none (every step has priority 0)"}
            </p>
          )}
          {!readOnly && <AddStep available={available} note={availableNote} mode={mode} kind={kind} onAdd={add} label={label} />}
        </>
      )}
    </div>
  );
}

function IconButton({ label, children, danger, ...rest }: { label: string; children: React.ReactNode; danger?: boolean } & React.ButtonHTMLAttributes<HTMLButtonElement> & { "data-move"?: string }) {
  return (
    <button
      type="button"
      aria-label={label}
      title={label}
      className={cx(
        "grid h-7 w-7 place-items-center rounded-md border text-sm disabled:cursor-not-allowed disabled:opacity-40",
        danger
          ? "border-red-200 text-red-700 hover:bg-red-50 dark:border-red-900 dark:text-red-400 dark:hover:bg-red-950/40"
          : "border-slate-300 text-slate-700 hover:bg-slate-100 dark:border-slate-700 dark:text-slate-300 dark:hover:bg-slate-800",
      )}
      {...rest}
    >
      {children}
    </button>
  );
}

/** The searchable list of steps to add (available steps of the allowed interfaces, plus the conductor's own). */
function AddStep({ available, note, mode, kind, onAdd, label }: {
  available: AvailableStep[] | null; note?: React.ReactNode; mode: StepListMode; kind: StepKind;
  onAdd: (iface: string, step: string) => void; label: string;
}) {
  const [q, setQ] = useState("");
  const [reservedIface, setReservedIface] = useState(mode === "template" ? "power" : "power");
  const ifaces = stepInterfacesFor(mode);
  const needle = q.trim().toLowerCase();
  const shown = (available ?? [])
    .filter((s) => ifaces.includes(s.interface))
    .filter((s) => !needle || stepKey(s).toLowerCase().includes(needle) || (s.description ?? "").toLowerCase().includes(needle));
  const reserved = Object.entries(RESERVED_STEP_DESCRIPTIONS).filter(([k, d]) => !needle || k.includes(needle) || d.toLowerCase().includes(needle));
  const searchId = `${label}-add-search`;
  return (
    <section className="rounded-lg border border-slate-200 bg-slate-50/60 p-3 dark:border-slate-700 dark:bg-slate-900/40" aria-labelledby={`${label}-add-h`}>
      <h3 id={`${label}-add-h`} className="text-sm font-semibold text-slate-800 dark:text-slate-200">Add a {kind} step</h3>
      {note && <div className="mt-1 text-xs text-slate-600 dark:text-slate-400">{note}</div>}
      <label htmlFor={searchId} className="mt-2 block text-xs font-medium text-slate-700 dark:text-slate-300">Search steps</label>
      <input id={searchId} type="search" className={cx(inputClass, "mt-1")} placeholder="name or description" value={q} onChange={(e) => setQ(e.target.value)} />
      <ul className="mt-2 max-h-72 divide-y divide-slate-200 overflow-auto rounded-md border border-slate-200 bg-white dark:divide-slate-800 dark:border-slate-700 dark:bg-slate-950" data-testid={`${label}-available`}>
        {available === null && <li className="px-3 py-2 text-xs text-slate-500 dark:text-slate-400">Loading the available steps…</li>}
        {available !== null && shown.length === 0 && <li className="px-3 py-2 text-xs text-slate-500 dark:text-slate-400">No available step matches.</li>}
        {shown.map((s) => (
          <li key={stepKey(s)} className="flex items-start gap-3 px-3 py-2" data-testid="available-step" data-step={stepKey(s)}>
            <div className="min-w-0 flex-1">
              <p className="font-mono text-sm text-slate-900 dark:text-slate-100">{stepKey(s)}</p>
              <p className="text-xs text-slate-600 dark:text-slate-400">
                {s.description ?? "No description."}
                <span className="ml-1 text-slate-500 dark:text-slate-400">
                  · priority {s.priority}{s.priority === 0 ? " (manual only)" : ""}
                  {s.argsinfo && Object.keys(s.argsinfo).length ? ` · args: ${Object.keys(s.argsinfo).join(", ")}` : ""}
                  {s.requires_ramdisk ? " · boots the agent" : ""}
                </span>
              </p>
            </div>
            <button
              type="button"
              className="shrink-0 rounded-md border border-slate-300 px-2 py-1 text-xs hover:bg-slate-100 dark:border-slate-600 dark:hover:bg-slate-800"
              aria-label={`Add ${stepKey(s)}`}
              onClick={() => onAdd(s.interface, s.step)}
            >
              Add
            </button>
          </li>
        ))}
        {reserved.length > 0 && (
          <li className="bg-slate-50 px-3 py-2 dark:bg-slate-900">
            <p className="text-xs font-medium text-slate-700 dark:text-slate-300">Conductor steps (valid on any interface)</p>
            <label className="mt-1 flex items-center gap-2 text-xs text-slate-600 dark:text-slate-400">
              on interface
              <select className={cx(inputBase, "w-36")} value={reservedIface} onChange={(e) => setReservedIface(e.target.value)}>
                {ifaces.map((i) => <option key={i} value={i}>{i}</option>)}
              </select>
            </label>
            <ul className="mt-1 space-y-1">
              {reserved.map(([step, d]) => (
                <li key={step} className="flex items-center gap-3">
                  <span className="flex-1 text-xs"><span className="font-mono">{step}</span> — {d}</span>
                  <button
                    type="button"
                    className="rounded-md border border-slate-300 px-2 py-0.5 text-xs hover:bg-slate-100 dark:border-slate-600 dark:hover:bg-slate-800"
                    aria-label={`Add ${reservedIface}.${step}`}
                    onClick={() => onAdd(reservedIface, step)}
                  >
                    Add
                  </button>
                </li>
              ))}
            </ul>
          </li>
        )}
      </ul>
    </section>
  );
}

/** The whole list as JSON: edit, check, apply. */
function JsonView({ steps, mode, readOnly, onApply }: { steps: EditableStep[]; mode: StepListMode; readOnly?: boolean; onApply: (s: EditableStep[]) => void }) {
  const [text, setText] = useState(() => JSON.stringify(stepsToJson(steps, mode), null, 2));
  const [error, setError] = useState<string | null>(null);
  const id = useId();
  return (
    <div>
      <label htmlFor={id} className="block text-xs font-medium text-slate-700 dark:text-slate-300">
        Step list as JSON {mode === "template" ? "(interface, step, args, priority)" : mode === "runbook" ? "(interface, step, args, order)" : "(interface, step, args)"}
      </label>
      <textarea
        id={id}
        data-testid="steps-json"
        className={cx(inputClass, "mt-1 h-72 font-mono text-xs", error && "border-red-500")}
        spellCheck={false}
        value={text}
        readOnly={readOnly}
        aria-invalid={!!error || undefined}
        aria-describedby={`${id}-err`}
        onChange={(e) => {
          setText(e.target.value);
          const r = parseStepsJson(e.target.value, mode);
          setError("error" in r ? r.error : null);
        }}
      />
      <p id={`${id}-err`} className="mt-1 min-h-4 text-xs text-red-700 dark:text-red-400" aria-live="polite">{error}</p>
      {!readOnly && (
        <button
          type="button"
          className="mt-1 rounded-md border border-slate-300 px-3 py-1 text-sm hover:bg-slate-100 disabled:opacity-50 dark:border-slate-600 dark:hover:bg-slate-800"
          disabled={!!error}
          onClick={() => {
            const r = parseStepsJson(text, mode);
            if ("error" in r) setError(r.error);
            else onApply(r.steps);
          }}
        >
          Apply JSON
        </button>
      )}
    </div>
  );
}

"use client";
// The node's step picker: its available clean and service steps, a list built with the step
// editor, run as manual cleaning (node manageable) or servicing (node active), and the run's
// progress — the step running now and the ones done — from the node and its history.
import Link from "next/link";
import { useEffect, useMemo, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useApi } from "@/components/Providers.tsx";
import { Banner, Button, Dialog } from "@/components/ui.tsx";
import { cx } from "@/components/format.ts";
import { ApiError } from "@/lib/client/api.ts";
import { nodeBios, nodeKeys } from "@/lib/client/node.ts";
import type { ApiNode } from "@/lib/shared/wire.ts";
import { inStates } from "@/lib/shared/states.ts";
import {
  attributeServerErrors, fromRunbookSteps, operationProgress, RUN_RULES as RULES, runDisabledReason, type RunKind, stepKey, stepRunStates, toManualSteps, type EditableStep, type HistoryRowLite, type StepRunState,
} from "@/lib/client/steps.ts";
import { StepListEditor, stepListValid } from "./StepListEditor.tsx";
import { historySince, useDocumentList, useHistorySince, useNodeSteps, type DocumentRow } from "./useSteps.ts";

/** A run this browser started, kept per node for the session so a reload still shows its progress. */
interface StoredRun {
  kind: RunKind;
  steps: { interface: string; step: string }[];
  /** Last history row before the run (null: the node had none). */
  marker: string | null;
  startedAt: string;
}

const runStorageKey = (uuid: string) => `ingot.step-run.${uuid}`;

function readRun(uuid: string): StoredRun | null {
  try {
    const raw = sessionStorage.getItem(runStorageKey(uuid));
    return raw ? (JSON.parse(raw) as StoredRun) : null;
  } catch {
    return null;
  }
}

export function StepPicker({ node }: { node: ApiNode }) {
  const api = useApi();
  const qc = useQueryClient();
  const [kind, setKind] = useState<RunKind>(node.provision_state === RULES.service.from ? "service" : "clean");
  const [lists, setLists] = useState<Record<RunKind, EditableStep[]>>({ clean: [], service: [] });
  const [disableRamdisk, setDisableRamdisk] = useState(false);
  const [jsonInvalid, setJsonInvalid] = useState(0);
  const [serverErrors, setServerErrors] = useState<ReturnType<typeof attributeServerErrors> | null>(null);
  const [run, setRun] = useState<StoredRun | null>(null);
  useEffect(() => setRun(readRun(node.uuid)), [node.uuid]);
  // What the confirmation dialog is about to start: the list, or a runbook.
  const [confirming, setConfirming] = useState<null | { runbook: DocumentRow | null }>(null);
  const [runbookError, setRunbookError] = useState<string | null>(null);

  const { query: stepsQuery, refresh } = useNodeSteps(node.uuid, kind);
  const available = stepsQuery.data?.steps ?? null;
  const steps = lists[kind];
  const setSteps = (s: EditableStep[]) => {
    setLists((l) => ({ ...l, [kind]: s }));
    setServerErrors(null);
  };
  // The node's BIOS registry types the settings of bios.apply_configuration (names and values to choose from).
  const bios = useQuery({ queryKey: nodeKeys.bios(node.uuid), queryFn: () => nodeBios(api, node.uuid) });
  const registry = bios.data ?? null;
  const valid = stepListValid(steps, available, "manual", kind, registry) && jsonInvalid === 0;
  const stateReason = runDisabledReason(node, kind);
  const reason = stateReason ?? (steps.length === 0 ? "Add at least one step." : !valid ? "Fix the problems marked in the list first." : null);

  const start = useMutation({
    mutationFn: async ({ runbook }: { runbook: DocumentRow | null }) => {
      const r = RULES[kind];
      // The last history row before the run: progress reads the rows after it.
      const before = await historySince(api, node.uuid, null);
      const marker = before.at(-1)?.uuid ?? null;
      const body: Record<string, unknown> = runbook ? { target: r.target, runbook: runbook.name } : { target: r.target, [r.body]: toManualSteps(steps) };
      if (disableRamdisk && !runbook) body.disable_ramdisk = true;
      await api.put(`/nodes/${node.uuid}/states/provision`, body, { version: runbook ? "1.92" : r.version });
      const ran = runbook ? [...runbook.steps].sort((a, b) => (a.order ?? 0) - (b.order ?? 0)) : steps;
      return { kind, steps: ran.map((s) => ({ interface: s.interface, step: s.step })), marker, startedAt: new Date().toISOString() } satisfies StoredRun;
    },
    onSuccess: (stored) => {
      sessionStorage.setItem(runStorageKey(node.uuid), JSON.stringify(stored));
      setRun(stored);
      setServerErrors(null);
      setRunbookError(null);
      setConfirming(null);
      void qc.invalidateQueries({ queryKey: ["node", node.uuid] });
      void qc.invalidateQueries({ queryKey: ["nodes"] });
    },
    onError: (err, { runbook }) => {
      setConfirming(null);
      const msg = err instanceof ApiError ? err.faultstring || err.message : (err as Error).message;
      if (runbook) setRunbookError(msg);
      else setServerErrors(attributeServerErrors(msg, steps));
    },
  });

  const busy = inStates(node.provision_state, RULES.clean.busy) || inStates(node.provision_state, RULES.service.busy);

  return (
    <div className="space-y-4" data-testid="step-picker">
      <RunProgress node={node} run={run} busy={busy} onClear={() => {
        sessionStorage.removeItem(runStorageKey(node.uuid));
        setRun(null);
      }} />

      <div className="flex flex-wrap items-center justify-between gap-3">
        <div role="group" aria-label="Kind of run" className="inline-flex overflow-hidden rounded-md border border-slate-300 text-sm dark:border-slate-700">
          {(["clean", "service"] as const).map((k) => (
            <button
              key={k}
              type="button"
              aria-pressed={kind === k}
              className={cx("px-3 py-1.5", kind === k ? "bg-slate-800 text-white dark:bg-slate-200 dark:text-slate-900" : "hover:bg-slate-100 dark:hover:bg-slate-800")}
              onClick={() => {
                setKind(k);
                setServerErrors(null);
              }}
            >
              {k === "clean" ? "Manual cleaning" : "Servicing"}
            </button>
          ))}
        </div>
        <div className="flex items-center gap-2 text-xs text-slate-500 dark:text-slate-400">
          <span className="min-w-[12rem] text-right" data-testid="steps-updated-at">
            {stepsQuery.data ? `Steps read ${stepsQuery.data.updated_at.slice(0, 19).replace("T", " ")} UTC` : stepsQuery.isError ? "Could not read the steps" : "Reading steps…"}
          </span>
          <Button variant="secondary" onClick={() => refresh.mutate()} disabled={refresh.isPending}>
            {refresh.isPending ? "Refreshing…" : "Refresh steps"}
          </Button>
        </div>
      </div>
      {stepsQuery.isError && (
        <p role="alert" className="text-sm text-red-700 dark:text-red-400">
          {(stepsQuery.error as Error).message}
        </p>
      )}
      {refresh.isError && <p role="alert" className="text-sm text-red-700 dark:text-red-400">Refresh failed: {(refresh.error as Error).message}</p>}

      <StepListEditor
        steps={steps}
        onChange={setSteps}
        mode="manual"
        kind={kind}
        available={available}
        availableNote={<>The {kind} steps this node&apos;s driver ({node.driver}) offers now. Steps with priority 0 only run when asked for.</>}
        serverErrors={serverErrors}
        onJsonInvalidChange={setJsonInvalid}
        label="picker"
        bios={registry}
      />

      <div className="flex flex-wrap items-center gap-4 border-t border-slate-200 pt-3 dark:border-slate-800">
        <Button variant="primary" onClick={() => setConfirming({ runbook: null })} disabled={start.isPending} disabledReason={reason ?? undefined} data-testid="run-steps">
          {start.isPending ? "Starting…" : `${RULES[kind].label}…`}
        </Button>
        <label className="flex items-center gap-2 text-sm text-slate-700 dark:text-slate-300">
          <input type="checkbox" checked={disableRamdisk} onChange={(e) => setDisableRamdisk(e.target.checked)} />
          Without the agent ramdisk (only steps that do not need it)
        </label>
        <p className="min-h-5 text-sm text-slate-600 dark:text-slate-400" data-testid="run-disabled-reason" aria-live="polite">{reason}</p>
      </div>

      <RunbookSection
        node={node}
        kind={kind}
        stateReason={stateReason}
        error={runbookError}
        onLoad={(rb) => {
          setSteps(fromRunbookSteps(rb.steps.map((x, i) => ({ interface: x.interface, step: x.step, args: x.args ?? {}, order: x.order ?? i }))));
        }}
        onRun={(rb) => {
          setRunbookError(null);
          setConfirming({ runbook: rb });
        }}
      />

      <DeploySteps node={node} />

      <Dialog
        open={confirming !== null}
        title={confirming?.runbook ? `Run runbook ${confirming.runbook.name}?` : `${RULES[kind].label}?`}
        onClose={() => setConfirming(null)}
        footer={
          <>
            <Button onClick={() => setConfirming(null)}>Cancel</Button>
            <Button variant="primary" disabled={start.isPending} onClick={() => confirming && start.mutate(confirming)} data-testid="confirm-run">
              {start.isPending ? "Starting…" : "Run"}
            </Button>
          </>
        }
      >
        <p className="text-sm">
          {node.name ?? node.uuid} goes to {RULES[kind].running} and runs, in this order:
        </p>
        <ol className="mt-2 list-decimal space-y-0.5 pl-6 font-mono text-sm" data-testid="confirm-steps">
          {(confirming?.runbook ? [...confirming.runbook.steps].sort((a, b) => (a.order ?? 0) - (b.order ?? 0)) : steps).map((s, i) => (
            <li key={i}>{stepKey(s)}{s.args && Object.keys(s.args).length ? <span className="text-slate-500 dark:text-slate-400"> {JSON.stringify(s.args)}</span> : null}</li>
          ))}
        </ol>
        <p className="mt-3 text-xs text-slate-500 dark:text-slate-400">
          It returns to {RULES[kind].from} when every step is done, or to {RULES[kind].failed} when one fails.
        </p>
      </Dialog>
    </div>
  );
}

const STATE_STYLE: Record<StepRunState, { icon: string; cls: string; label: string }> = {
  pending: { icon: "○", cls: "text-slate-500 dark:text-slate-400", label: "waiting" },
  running: { icon: "◔", cls: "text-amber-700 dark:text-amber-400 animate-pulse", label: "running now" },
  done: { icon: "✓", cls: "text-emerald-600 dark:text-emerald-400", label: "done" },
  failed: { icon: "✕", cls: "text-red-600 dark:text-red-400", label: "failed" },
};

const OPERATION_LABEL: Record<"clean" | "service" | "deploy", string> = { clean: "Cleaning", service: "Servicing", deploy: "Deployment" };

function currentStepName(node: ApiNode): string | null {
  const s = (node.provision_state.startsWith("servic") ? node.service_step : node.clean_step) as { interface?: string; step?: string } | null | undefined;
  return s && s.interface && s.step ? `${s.interface}.${s.step}` : null;
}

/** The run's steps with their state, or (no run from this browser) the step the node runs now. */
function RunProgress({ node, run, busy, onClear }: { node: ApiNode; run: StoredRun | null; busy: boolean; onClear: () => void }) {
  const history = useHistorySince(node.uuid, run ? run.marker : undefined, busy);
  const now = currentStepName(node);
  const rows: HistoryRowLite[] = useMemo(() => history.data ?? [], [history.data]);
  const states = useMemo(() => (run ? stepRunStates(run.steps, rows, run.kind) : []), [run, rows]);
  // The last rows are written just before the node leaves cleaning/servicing: read them once more then.
  const refetchHistory = history.refetch;
  useEffect(() => {
    if (!busy && run) void refetchHistory();
  }, [busy, run, refetchHistory]);
  if (!run) {
    // No run from this browser: what the node runs now (cleaning, servicing or a deployment), live
    // from the node itself, whoever started it.
    const op = operationProgress(node);
    const running = op?.current ?? now;
    return (
      <section
        className={cx(
          "rounded-lg border px-4 py-3 text-sm",
          op ? "border-amber-300 bg-amber-50 dark:border-amber-800 dark:bg-amber-950/30" : "border-slate-200 text-slate-600 dark:border-slate-800 dark:text-slate-400",
        )}
        data-testid={op ? "run-progress" : "run-idle"}
        data-kind={op?.kind}
        aria-live="polite"
      >
        {op ? (
          <>
            <p className="truncate">
              {OPERATION_LABEL[op.kind]}: the node is <strong>{node.provision_state}</strong>
              {running ? <> — running <span className="font-mono" data-testid="running-step">{running}</span></> : null}
              {op.waiting ? <> — <span data-testid="operation-waiting">{op.waiting}</span></> : null}.
            </p>
            {op.steps && op.steps.length > 0 && (
              <ol className="mt-2 space-y-1" data-testid="operation-steps">
                {op.steps.map((s, i) => {
                  const style = STATE_STYLE[s.state];
                  return (
                    <li key={i} className="flex items-center gap-2" data-testid="operation-step" data-step={s.name} data-state={s.state}>
                      <span className={cx("w-4 text-center", style.cls)} aria-hidden>{style.icon}</span>
                      <span className="w-5 text-right text-xs text-slate-500 dark:text-slate-400">{i + 1}.</span>
                      <span className="font-mono">{s.name}</span>
                      <span className="text-xs text-slate-500 dark:text-slate-400">{style.label}</span>
                    </li>
                  );
                })}
              </ol>
            )}
          </>
        ) : (
          <p className="truncate">No cleaning, servicing or deployment is running; the node is {node.provision_state}.</p>
        )}
      </section>
    );
  }
  const finished = !busy && states.length > 0 && (states.every((s) => s.state === "done") || states.some((s) => s.state === "failed") || !!node.last_error);
  const failed = states.some((s) => s.state === "failed") || (!busy && !!node.last_error);
  // Just accepted: the node may not show the new state yet.
  const starting = !busy && !node.last_error && states.every((s) => s.state === "pending") && Date.now() - Date.parse(run.startedAt) < 30_000;
  // The node is no longer busy: the run is over (its rows may arrive a moment later).
  const over = !busy && !starting;
  return (
    <section
      className={cx(
        "rounded-lg border px-4 py-3 text-sm",
        failed ? "border-red-300 bg-red-50 dark:border-red-800 dark:bg-red-950/30" : over ? "border-emerald-300 bg-emerald-50 dark:border-emerald-800 dark:bg-emerald-950/30" : "border-amber-300 bg-amber-50 dark:border-amber-800 dark:bg-amber-950/30",
      )}
      data-testid="run-progress"
      aria-live="polite"
    >
      <div className="flex items-start justify-between gap-3">
        <p className="font-medium" data-testid="run-summary">
          {starting
            ? <>Starting {run.kind === "clean" ? "manual cleaning" : "servicing"}…</>
            : busy
            ? <>{run.kind === "clean" ? "Manual cleaning" : "Servicing"} running{now ? <> — now <span className="font-mono" data-testid="running-step">{now}</span></> : null}</>
            : failed
              ? <>{run.kind === "clean" ? "Cleaning" : "Servicing"} failed{node.last_error ? `: ${node.last_error}` : ""}</>
              : finished
                ? <>{run.kind === "clean" ? "Cleaning" : "Servicing"} finished — the node is {node.provision_state}.</>
                : <>The node is {node.provision_state}.</>}
        </p>
        {over && <button type="button" className="text-xs underline" onClick={onClear}>Dismiss</button>}
      </div>
      <ol className="mt-2 space-y-1" data-testid="run-steps-list">
        {run.steps.map((s, i) => {
          const st = states[i] ?? { state: "pending" as StepRunState };
          const style = STATE_STYLE[st.state];
          return (
            <li key={i} className="flex items-center gap-2" data-testid="run-step" data-state={st.state}>
              <span className={cx("w-4 text-center", style.cls)} aria-hidden>{style.icon}</span>
              <span className="w-5 text-right text-xs text-slate-500 dark:text-slate-400">{i + 1}.</span>
              <span className="font-mono">{stepKey(s)}</span>
              <span className="text-xs text-slate-500 dark:text-slate-400">{style.label}</span>
              {st.error && <span className="text-xs text-red-700 dark:text-red-400">{st.error}</span>}
            </li>
          );
        })}
      </ol>
      {history.isError && <p className="mt-1 text-xs text-red-700">History unavailable: {(history.error as Error).message}</p>}
    </section>
  );
}

/** The runbooks this node may run (their name is one of its traits): load their steps, or run one as is. */
function RunbookSection({ node, kind, stateReason, error, onLoad, onRun }: {
  node: ApiNode; kind: RunKind; stateReason: string | null; error: string | null;
  onLoad: (rb: DocumentRow) => void; onRun: (rb: DocumentRow) => void;
}) {
  const list = useDocumentList("runbook");
  const [chosen, setChosen] = useState("");
  if (list.isError) return null; // the viewer may not list runbooks
  const traits = (node.traits as string[] | null | undefined) ?? [];
  const matching = (list.data ?? []).filter((rb) => traits.includes(rb.name));
  const rb = matching.find((r) => r.name === chosen) ?? null;
  return (
    <section className="rounded-lg border border-slate-200 p-3 dark:border-slate-800" aria-labelledby="picker-runbooks-h" data-testid="picker-runbooks">
      <h3 id="picker-runbooks-h" className="text-sm font-semibold">Runbooks</h3>
      <p className="mt-0.5 text-xs text-slate-600 dark:text-slate-400">
        A runbook runs on a node that carries its name as a trait.{" "}
        {list.isPending ? "Reading runbooks…" : matching.length === 0 ? "None matches this node." : `${matching.length} match${matching.length > 1 ? "" : "es"} this node.`}
      </p>
      {matching.length > 0 && (
        <div className="mt-2 flex flex-wrap items-end gap-2">
          <label className="flex flex-col text-xs text-slate-600 dark:text-slate-400">
            Runbook
            <select className="mt-1 rounded-md border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-700 dark:bg-slate-900" value={chosen} onChange={(e) => setChosen(e.target.value)}>
              <option value="">— choose —</option>
              {matching.map((r) => <option key={r.uuid} value={r.name}>{r.name} ({r.steps.length} steps)</option>)}
            </select>
          </label>
          <Button size="sm" disabledReason={rb ? null : "Choose a runbook."} onClick={() => rb && onLoad(rb)}>Load its steps into the list</Button>
          <Button size="sm" variant="primary" disabledReason={!rb ? "Choose a runbook." : stateReason} onClick={() => rb && onRun(rb)}>
            Run as {RULES[kind].running}…
          </Button>
        </div>
      )}
      {error && <Banner tone="error" className="mt-2">{error}</Banner>}
    </section>
  );
}

/**
 * The node's deploy steps, read-only: they run during a deployment, in priority order; deploy
 * templates (matched by instance traits) change them. Read when opened.
 */
function DeploySteps({ node }: { node: ApiNode }) {
  const [open, setOpen] = useState(false);
  const { query } = useNodeSteps(node.uuid, "deploy", open);
  const steps = query.data?.steps ?? [];
  return (
    <details className="rounded-lg border border-slate-200 p-3 dark:border-slate-800" onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)} data-testid="picker-deploy-steps">
      <summary className="cursor-pointer text-sm font-semibold">Deploy steps</summary>
      <p className="mt-1 text-xs text-slate-600 dark:text-slate-400">
        These run during a deployment, highest priority first; priority 0 steps run only when a deploy template or the
        deployment asks for them.{" "}
        <Link className="text-amber-700 underline dark:text-amber-400" href={`/templates/new?ref=${encodeURIComponent(node.uuid)}`}>
          New deploy template from this node&apos;s steps
        </Link>
      </p>
      {query.isPending && open && <p className="mt-2 text-xs text-slate-500 dark:text-slate-400">Reading deploy steps…</p>}
      {query.isError && <p role="alert" className="mt-2 text-xs text-red-700 dark:text-red-400">{(query.error as Error).message}</p>}
      {steps.length > 0 && (
        <table className="mt-2 w-full text-sm">
          <thead className="text-left text-xs text-slate-500 dark:text-slate-400">
            <tr><th scope="col" className="py-1 pr-3">Step</th><th scope="col" className="py-1 pr-3">Priority</th><th scope="col" className="py-1">What it does</th></tr>
          </thead>
          <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
            {steps.map((s) => (
              <tr key={stepKey(s)}>
                <td className="py-1 pr-3 font-mono">{stepKey(s)}</td>
                <td className="py-1 pr-3 tabular-nums">{s.priority}</td>
                <td className="py-1 text-xs text-slate-600 dark:text-slate-400">{s.description ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </details>
  );
}

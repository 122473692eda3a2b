"use client";
// Bulk actions on the fleet's selection: a menu of actions, a dialog asking for the action's
// arguments and confirming how many nodes it touches, then the job's live progress and per-node
// results in the same dialog. Each node's action goes through the API with the viewer's rights
// (POST /v1/jobs), so nodes the viewer may not change fail with the API's own reason.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useRef, useState } from "react";
import { useApi } from "@/components/Providers.tsx";
import { Banner, Button, Dialog, Field, Select, TextArea, TextInput } from "@/components/ui.tsx";
import { cx } from "@/components/format.ts";
import { ApiError } from "@/lib/client/api.ts";
import {
  ACTIONS, actionInfo, actionName, createJob, parseCleanSteps, parseTraits, selectionCount, type ActionInfo,
} from "@/lib/client/jobs.ts";
import { denied, roleText } from "@/components/node/actions.ts";
import { JOB_ACTION_RULES, type JobAction } from "@/lib/shared/jobs.ts";
import { authorizeOnSomeNode, type Principal } from "@/lib/shared/policy.ts";
import { queryKeys } from "@/lib/client/keys.ts";
import type { NodeSelection } from "@/lib/client/selection.ts";
import type { ApiProject, Paged } from "@/lib/shared/wire.ts";
import { imageFormErrors, imageFormFrom, imageInstanceInfo, type ImageForm } from "@/components/node/deploy_image.ts";
import { ImageFields } from "@/components/node/ImageFields.tsx";
import { JobProgress } from "./JobProgress.tsx";

const GROUPS = [...new Set(ACTIONS.map((a) => a.group))];

/** Why the viewer may not run `action` on any node (null when some node would let them). */
function bulkDenied(action: JobAction, who: Principal): string | null {
  const rule = JOB_ACTION_RULES[action].find((r) => !authorizeOnSomeNode(r, who));
  return rule ? denied(rule, who) : null;
}

export function BulkActions({ selection, principal, onClear }: { selection: NodeSelection; principal: Principal; onClear: () => void }) {
  const [open, setOpen] = useState(false);
  const [action, setAction] = useState<JobAction | null>(null);
  const menuRef = useRef<HTMLDivElement>(null);
  const buttonRef = useRef<HTMLSpanElement>(null);
  // Stable: the dialog re-runs its focus handling whenever onClose changes.
  // The fleet clears its selection only when the dialog closes after a job started: clearing it
  // at once would unmount this toolbar, and with it the job's progress.
  const started = useRef(false);
  const onClearRef = useRef(onClear);
  onClearRef.current = onClear;
  const closeDialog = useCallback(() => {
    setAction(null);
    if (started.current) {
      started.current = false;
      onClearRef.current();
    }
  }, []);
  const markStarted = useCallback(() => {
    started.current = true;
  }, []);

  // The menu closes on Escape or a click elsewhere; arrow keys move between its items.
  useEffect(() => {
    if (!open) return;
    const items = () => [...(menuRef.current?.querySelectorAll<HTMLButtonElement>("[role=menuitem]") ?? [])];
    items()[0]?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") {
        setOpen(false);
        buttonRef.current?.querySelector("button")?.focus();
      } else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        const list = items();
        const i = list.indexOf(document.activeElement as HTMLButtonElement);
        list[(i + (e.key === "ArrowDown" ? 1 : list.length - 1)) % list.length]?.focus();
      }
    };
    const onDown = (e: MouseEvent) => {
      if (!menuRef.current?.contains(e.target as Node) && !buttonRef.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("keydown", onKey);
    document.addEventListener("mousedown", onDown);
    return () => {
      document.removeEventListener("keydown", onKey);
      document.removeEventListener("mousedown", onDown);
    };
  }, [open]);

  // Only what the viewer's role allows is offered; the rest says why not.
  const reasons = new Map(ACTIONS.map((a) => [a.action, bulkDenied(a.action, principal)]));
  const noneAllowed = [...reasons.values()].every((r) => r !== null);
  return (
    <div className="relative flex items-center gap-2">
      {noneAllowed && (
        <span className="text-xs text-slate-500 dark:text-slate-400" data-testid="bulk-not-allowed">
          Your role ({roleText(principal)}) allows no bulk actions.
        </span>
      )}
      <span ref={buttonRef}>
        <Button
          size="sm" variant="primary" aria-haspopup="menu" aria-expanded={open} onClick={() => setOpen((o) => !o)}
          disabledReason={noneAllowed ? `Your role (${roleText(principal)}) allows no bulk actions` : null}
        >
          Bulk actions <span aria-hidden>▾</span>
        </Button>
      </span>
      {open && (
        <div
          ref={menuRef}
          role="menu"
          aria-label="Bulk actions"
          className="absolute right-0 top-full z-30 mt-1 max-h-[70vh] w-72 overflow-y-auto rounded-lg border border-slate-200 bg-white py-1 text-sm shadow-lg dark:border-slate-700 dark:bg-slate-900"
        >
          {GROUPS.map((g) => (
            <div key={g} role="group" aria-label={g} className="border-b border-slate-100 py-1 last:border-0 dark:border-slate-800">
              <div className="px-3 pb-0.5 pt-1 text-[11px] font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400" aria-hidden>{g}</div>
              {ACTIONS.filter((a) => a.group === g).map((a) => {
                const reason = reasons.get(a.action) ?? null;
                return (
                  <button
                    key={a.action}
                    type="button"
                    role="menuitem"
                    // aria-disabled keeps the item reachable by the arrow keys, with its reason.
                    aria-disabled={reason !== null || undefined}
                    title={reason ?? undefined}
                    className={cx(
                      "block w-full px-3 py-1.5 text-left hover:bg-slate-100 focus:bg-slate-100 focus:outline-none aria-disabled:cursor-not-allowed aria-disabled:text-slate-500 dark:hover:bg-slate-800 dark:focus:bg-slate-800 dark:aria-disabled:text-slate-400",
                      a.danger && reason === null && "text-rose-700 dark:text-rose-400",
                    )}
                    onClick={() => {
                      if (reason !== null) return;
                      setOpen(false);
                      setAction(a.action);
                    }}
                  >
                    {a.label}
                    {reason && <span className="block text-xs">{reason}</span>}
                  </button>
                );
              })}
            </div>
          ))}
        </div>
      )}
      {action && <ActionDialog info={actionInfo(action)} selection={selection} onClose={closeDialog} onStarted={markStarted} />}
    </div>
  );
}

function errorText(err: unknown): string {
  return err instanceof ApiError ? err.faultstring : err instanceof Error ? err.message : String(err);
}

/** The arguments an action's form produced, or the message saying what is missing. */
type ArgsResult = { args: Record<string, unknown> } | { error: string };

function ActionDialog({ info, selection, onClose, onStarted }: {
  info: ActionInfo;
  selection: NodeSelection;
  onClose: () => void;
  onStarted: () => void;
}) {
  const api = useApi();
  const qc = useQueryClient();
  const count = selectionCount(selection);
  const nodes = `${count} ${count === 1 ? "node" : "nodes"}`;
  const [jobId, setJobId] = useState<string | null>(null);
  const [args, setArgs] = useState<ArgsResult>(info.args === "none" ? { args: {} } : { error: "" });
  const [showErrors, setShowErrors] = useState(false);
  // The selection as it was when the dialog opened (the fleet clears its own once the job starts).
  const [frozen] = useState(selection);
  const start = useMutation({
    mutationFn: (a: Record<string, unknown>) => createJob(api, info.action, a, frozen),
    onSuccess: (job) => {
      setJobId(job.id);
      qc.setQueryData(queryKeys.job(job.id), job);
      void qc.invalidateQueries({ queryKey: queryKeys.jobs });
      onStarted();
    },
  });

  const submit = () => {
    setShowErrors(true);
    if ("args" in args) start.mutate(args.args);
  };
  const verb = actionName(info.action);

  return (
    <Dialog
      open
      wide={!!jobId || info.args === "clean"}
      title={jobId ? `${verb}: ${nodes}` : `${verb} ${nodes}`}
      onClose={onClose}
      footer={
        jobId ? (
          <Button onClick={onClose}>Close</Button>
        ) : (
          <>
            <Button variant="ghost" onClick={onClose}>Cancel</Button>
            <Button
              variant={info.danger ? "danger" : "primary"}
              onClick={submit}
              disabled={start.isPending}
              data-testid="confirm-bulk-action"
            >
              {verb} {nodes}
            </Button>
          </>
        )
      }
    >
      {jobId ? (
        <JobProgress id={jobId} />
      ) : (
        <form
          className="space-y-4"
          onSubmit={(e) => {
            e.preventDefault();
            submit();
          }}
        >
          <p className="text-sm text-slate-600 dark:text-slate-300">{info.description}</p>
          <ArgsForm info={info} onChange={setArgs} showErrors={showErrors} />
          <Banner tone={info.danger ? "warning" : "info"}>
            {/* The action's name may end in "on" ("Maintenance on"): name it, then the nodes. */}
            <b>{verb}</b> runs on <b data-testid="confirm-count">{nodes}</b>
            {frozen.kind === "filter" ? " (every node matching the fleet filter, except the ones you unticked)" : ""}. Each node gets the
            API&apos;s own checks with your rights; the result list says why any node failed.
          </Banner>
          {start.error && <Banner tone="error">{errorText(start.error)}</Banner>}
          {/* Enter in a text field submits. */}
          <button type="submit" className="hidden" tabIndex={-1} aria-hidden />
        </form>
      )}
    </Dialog>
  );
}

function ArgsForm({ info, onChange, showErrors }: { info: ActionInfo; onChange: (r: ArgsResult) => void; showErrors: boolean }) {
  switch (info.args) {
    case "none":
      return null;
    case "clean":
      return <CleanForm onChange={onChange} showErrors={showErrors} />;
    case "deploy":
      return <DeployForm onChange={onChange} showErrors={showErrors} />;
    case "maintenance":
      return <MaintenanceForm onChange={onChange} />;
    case "owner":
    case "lessee":
      return <ProjectForm field={info.args} onChange={onChange} />;
    case "traits":
      return <TraitsForm onChange={onChange} showErrors={showErrors} />;
  }
}

const CLEAN_EXAMPLE = `[
  {"interface": "deploy", "step": "erase_devices_metadata"}
]`;

function CleanForm({ onChange, showErrors }: { onChange: (r: ArgsResult) => void; showErrors: boolean }) {
  const [text, setText] = useState(CLEAN_EXAMPLE);
  const [disableRamdisk, setDisableRamdisk] = useState(false);
  const parsed = parseCleanSteps(text);
  useEffect(() => {
    onChange("steps" in parsed ? { args: { clean_steps: parsed.steps, ...(disableRamdisk ? { disable_ramdisk: true } : {}) } } : { error: parsed.error });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [text, disableRamdisk]);
  const error = "error" in parsed ? parsed.error : null;
  return (
    <div className="space-y-3">
      <Field label="Clean steps (JSON)" hint='A list of {"interface", "step", "args"}; each node checks them against its own steps.' error={error && (showErrors || text !== CLEAN_EXAMPLE) ? error : null}>
        {(ids) => <TextArea {...ids} rows={8} value={text} onChange={(e) => setText(e.target.value)} spellCheck={false} />}
      </Field>
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" className="accent-amber-600" checked={disableRamdisk} onChange={(e) => setDisableRamdisk(e.target.checked)} />
        Run without booting the ramdisk (disable_ramdisk)
      </label>
    </div>
  );
}

function DeployForm({ onChange, showErrors }: { onChange: (r: ArgsResult) => void; showErrors: boolean }) {
  const [form, setForm] = useState<ImageForm>(() => imageFormFrom({}));
  // The nodes may deploy differently: the checksum is checked when given; each node's deploy
  // interface decides whether it needs one.
  const errors = imageFormErrors(form, { checksumRequired: false });
  useEffect(() => {
    const first = Object.values(errors)[0];
    onChange(first ? { error: first } : { args: imageInstanceInfo(form) });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [form, onChange]);
  return (
    <div className="space-y-3">
      <ImageFields
        form={form}
        errors={showErrors ? errors : {}}
        onChange={(field, value) => setForm((f) => ({ ...f, [field]: value }))}
        showDownloadSource={false}
        checksumRequired={false}
      />
    </div>
  );
}

function MaintenanceForm({ onChange }: { onChange: (r: ArgsResult) => void }) {
  const [reason, setReason] = useState("");
  useEffect(() => {
    onChange({ args: reason.trim() ? { reason: reason.trim() } : {} });
  }, [reason, onChange]);
  return (
    <Field label="Reason (optional)">
      {(ids) => <TextInput {...ids} value={reason} maxLength={255} onChange={(e) => setReason(e.target.value)} placeholder="e.g. rack 7 rewiring" />}
    </Field>
  );
}

function ProjectForm({ field, onChange }: { field: "owner" | "lessee"; onChange: (r: ArgsResult) => void }) {
  const api = useApi();
  const projects = useQuery({
    queryKey: queryKeys.projects,
    queryFn: ({ signal }) => api.get<Paged<"projects", ApiProject>>("/projects", { signal }),
  });
  const [value, setValue] = useState("");
  useEffect(() => {
    onChange({ args: { [field]: value === "" ? null : value } });
  }, [value, field, onChange]);
  const list = projects.data?.projects ?? [];
  return (
    <Field label={field === "owner" ? "Owner project" : "Lessee project"} hint={value === "" ? `The nodes' ${field} is cleared.` : undefined}>
      {(ids) =>
        projects.isError ? (
          <TextInput {...ids} value={value} onChange={(e) => setValue(e.target.value.trim())} placeholder="project id (empty clears it)" />
        ) : (
          <Select {...ids} value={value} onChange={(e) => setValue(e.target.value)}>
            <option value="">(none — clear the {field})</option>
            {list.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
          </Select>
        )
      }
    </Field>
  );
}

function TraitsForm({ onChange, showErrors }: { onChange: (r: ArgsResult) => void; showErrors: boolean }) {
  const [text, setText] = useState("");
  const parsed = parseTraits(text);
  useEffect(() => {
    onChange("traits" in parsed ? { args: { traits: parsed.traits } } : { error: parsed.error });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [text]);
  const error = "error" in parsed && (showErrors || text.trim() !== "") ? parsed.error : null;
  return (
    <Field label="Traits" hint="Separated by spaces or commas, e.g. CUSTOM_GPU CUSTOM_RAID1." error={error}>
      {(ids) => <TextInput {...ids} value={text} onChange={(e) => setText(e.target.value)} placeholder="CUSTOM_…" />}
    </Field>
  );
}

"use client";
// BIOS tab: the node's BIOS settings and registry (GET /v1/nodes/{n}/bios?detail=True) as a form —
// enums as selects, integers with their bounds, strings with their lengths, booleans, read-only
// greyed, reset-required flagged — with a diff before applying. Applying runs a manual clean with
// bios.apply_configuration (the node must be manageable), or appends that step to a deploy
// template. Progress shows until the node is back; then the refreshed values show.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useRef, useState } from "react";
import { Card } from "@/components/Card.tsx";
import { cx } from "@/components/format.ts";
import { useApi } from "@/components/Providers.tsx";
import { Badge, StateBadge } from "@/components/StateBadge.tsx";
import { Banner, Button, Dialog, Field, Select, Spinner, TextInput } from "@/components/ui.tsx";
import { queryKeys } from "@/lib/client/keys.ts";
import { appendTemplateStep, deployTemplates, errorText, fetchNode, isRedacted, nodeBios, nodeKeys, setProvisionState } from "@/lib/client/node.ts";
import { BIOS_PENDING_KEY, type ApiNode, type PendingBiosSetting } from "@/lib/shared/wire.ts";
import { RUN_RULES } from "@/lib/client/steps.ts";
import { authorize, type Principal } from "@/lib/shared/policy.ts";
import { inStates } from "@/lib/shared/states.ts";
import { applyStep, biosDiff, biosErrors, filterSettings, inputKind, type BiosSetting } from "./bios.ts";

type Target = "clean" | "template";

/** Applying runs a manual clean: the state it needs, the states it passes through, where a failure leaves the node. */
const CLEAN = RUN_RULES.clean;

interface Applying {
  /** provision_updated_at before the clean was requested: a newer one means the node moved. */
  before: string | null;
  sawCleaning: boolean;
  /** The settings sent, to tell which took effect and which wait for a reboot. */
  names: string[];
}

/** Settings the node's BIOS staged for its next reboot (driver_internal_info, written by the conductor). */
function pendingOf(node: ApiNode): PendingBiosSetting[] {
  const v = node.driver_internal_info?.[BIOS_PENDING_KEY];
  return Array.isArray(v) ? (v as PendingBiosSetting[]) : [];
}

function sinceText(iso: string): string {
  const t = Date.parse(iso);
  return Number.isFinite(t) ? new Date(t).toISOString().replace("T", " ").slice(0, 19) + " UTC" : iso;
}

export function BiosEditor({ node, principal }: { node: ApiNode; principal: Principal }) {
  const api = useApi();
  const qc = useQueryClient();
  const bios = useQuery({ queryKey: nodeKeys.bios(node.uuid), queryFn: () => nodeBios(api, node.uuid) });
  const [edits, setEdits] = useState<Record<string, string>>({});
  const [query, setQuery] = useState("");
  const [hideReadOnly, setHideReadOnly] = useState(false);
  const [changedOnly, setChangedOnly] = useState(false);
  const [review, setReview] = useState(false);
  const [target, setTarget] = useState<Target>("clean");
  const [template, setTemplate] = useState("");
  const [priority, setPriority] = useState("50");
  const [applying, setApplying] = useState<Applying | null>(null);
  const [result, setResult] = useState<{ tone: "success" | "error" | "info"; text: string } | null>(null);

  const settings = useMemo(() => (bios.data ?? []) as BiosSetting[], [bios.data]);
  const diff = useMemo(() => biosDiff(settings, edits), [settings, edits]);
  const errors = useMemo(() => biosErrors(settings, edits), [settings, edits]);
  const edited = useMemo(() => new Set(diff.map((c) => c.name)), [diff]);
  const shown = filterSettings(settings, query, { hideReadOnly, onlyEdited: changedOnly ? edited : undefined });

  const canClean = authorize("baremetal:node:set_provision_state:clean_steps", principal, node) && authorize("baremetal:node:set_provision_state", principal, node);
  const canTemplates = authorize("baremetal:deploy_template:update", principal);
  const cleanBlocked = !canClean
    ? "Needs baremetal:node:set_provision_state:clean_steps on this node"
    : node.maintenance
      ? "The node is in maintenance: manual cleaning is refused until it is cleared"
      : node.provision_state !== CLEAN.from
        ? `The node is "${node.provision_state}": a manual clean needs it "${CLEAN.from}" (use Manage first)`
        : null;

  const templates = useQuery({
    queryKey: nodeKeys.templates(node.uuid),
    queryFn: () => deployTemplates(api),
    enabled: review && target === "template" && authorize("baremetal:deploy_template:get", principal),
  });

  // While a clean runs, poll the node too (live updates do the same when connected).
  const watched = useQuery({
    queryKey: nodeKeys.node(node.uuid),
    queryFn: () => fetchNode(api, node.uuid),
    refetchInterval: applying ? 1000 : false,
  });
  const current = watched.data?.node ?? node;
  const pending = pendingOf(current);
  const pendingByName = useMemo(() => new Map(pending.map((p) => [p.name, p])), [pending]);
  // Pending settings taking effect (after a power on or reboot) changed the machine's values: re-read them.
  const pendingKey = pending.map((p) => `${p.name}=${p.value}`).join("\n");
  const seenPending = useRef(pendingKey);
  useEffect(() => {
    if (seenPending.current === pendingKey) return;
    seenPending.current = pendingKey;
    void qc.invalidateQueries({ queryKey: nodeKeys.bios(node.uuid) });
  }, [pendingKey, qc, node.uuid]);
  useEffect(() => {
    if (!applying) return;
    const moved = current.provision_updated_at !== applying.before;
    if (inStates(current.provision_state, CLEAN.busy)) {
      if (!applying.sawCleaning) setApplying({ ...applying, sawCleaning: true });
      return;
    }
    if (!moved && !applying.sawCleaning) return;
    if (current.provision_state === CLEAN.from && !current.target_provision_state) {
      setApplying(null);
      setEdits({});
      // Say what took effect and what the BIOS only staged for its next reboot.
      const staged = new Set(pendingOf(current).map((p) => p.name));
      const applied = applying.names.filter((n) => !staged.has(n));
      const waiting = applying.names.filter((n) => staged.has(n));
      setResult(
        waiting.length
          ? {
              tone: "info",
              text: `${applied.length ? `Applied: ${applied.join(", ")}. ` : ""}Staged, not applied yet: ${waiting.join(", ")} — the BIOS applies ${waiting.length > 1 ? "them" : "it"} at the node's next power on or reboot (see Pending below).`,
            }
          : { tone: "success", text: "The BIOS settings were applied; the values below are the node's current ones." },
      );
      void qc.invalidateQueries({ queryKey: nodeKeys.bios(node.uuid) });
    } else if (current.provision_state === CLEAN.failed) {
      setApplying(null);
      setResult({ tone: "error", text: `Cleaning failed: ${current.last_error && !isRedacted(current.last_error) ? current.last_error : "see the node's history"}. Your edits are kept.` });
      void qc.invalidateQueries({ queryKey: nodeKeys.bios(node.uuid) });
    }
  }, [current, applying, qc, node.uuid]);

  const apply = useMutation({
    mutationFn: async () => {
      const step = applyStep(settings, diff);
      if (target === "clean") {
        await setProvisionState(api, node.uuid, { target: "clean", clean_steps: [step] }, null);
        return "clean" as const;
      }
      if (!template) throw new Error("Choose a deploy template.");
      const p = Number(priority);
      if (!Number.isInteger(p) || p < 0) throw new Error("The priority must be a whole number, 0 or more.");
      await appendTemplateStep(api, template, { ...step, priority: p });
      return "template" as const;
    },
    onMutate: () => {
      setResult(null);
      if (target === "clean") setApplying({ before: current.provision_updated_at, sawCleaning: false, names: diff.map((c) => c.name) });
    },
    onSuccess: (kind) => {
      setReview(false);
      if (kind === "template") {
        const name = templates.data?.find((t) => t.uuid === template)?.name ?? template;
        setResult({ tone: "success", text: `bios.apply_configuration was added to deploy template ${name}; it runs on deploys asking for that trait.` });
      }
      void qc.invalidateQueries({ queryKey: queryKeys.node(node.uuid) });
    },
    onError: (err) => {
      setApplying(null);
      setResult({ tone: "error", text: errorText(err) });
    },
  });

  const setValue = (name: string, v: string) => {
    setResult(null);
    setEdits((e) => ({ ...e, [name]: v }));
  };
  const hasErrors = Object.keys(errors).length > 0;

  return (
    <Card
      title={`BIOS settings${bios.data ? ` (${bios.data.length})` : ""}`}
      actions={
        <div className="flex items-center gap-2">
          {diff.length > 0 && (
            <Button size="sm" variant="ghost" onClick={() => setEdits({})}>Discard changes</Button>
          )}
          <Button
            size="sm"
            variant="primary"
            disabledReason={applying ? "Applying…" : !diff.length ? "Change a setting first" : hasErrors ? "Fix the values marked in red first" : null}
            onClick={() => setReview(true)}
            data-testid="bios-review"
          >
            Review {diff.length ? `${diff.length} change${diff.length > 1 ? "s" : ""}` : "changes"}…
          </Button>
        </div>
      }
    >
      <div className="space-y-2 border-b border-slate-100 px-4 py-3 dark:border-slate-800">
        <div className="flex flex-wrap items-center gap-4">
          <div className="w-72">
            <label htmlFor="bios-search" className="sr-only">Search settings</label>
            <TextInput id="bios-search" type="search" placeholder="Search name, value or type…" value={query} onChange={(e) => setQuery(e.target.value)} />
          </div>
          <label className="inline-flex items-center gap-1.5 text-sm"><input type="checkbox" checked={hideReadOnly} onChange={(e) => setHideReadOnly(e.target.checked)} /> Hide read-only</label>
          <label className="inline-flex items-center gap-1.5 text-sm"><input type="checkbox" checked={changedOnly} onChange={(e) => setChangedOnly(e.target.checked)} /> Changed only</label>
        </div>
        <div className="min-h-0" aria-live="polite">
          {applying && (
            <Banner tone="info" data-testid="bios-progress">
              <span className="inline-flex items-center gap-2">
                <Spinner label="Applying" /> Applying with a manual clean — the node is <StateBadge state={current.provision_state} />
                {current.clean_step && typeof current.clean_step.step === "string" && <span>running {String(current.clean_step.interface)}.{current.clean_step.step}</span>}
              </span>
            </Banner>
          )}
          {result && <Banner tone={result.tone} data-testid="bios-result">{result.text}</Banner>}
        </div>
        {pending.length > 0 && (
          <Banner tone="warning" data-testid="bios-pending">
            <p className="font-medium">Pending until the next reboot</p>
            <p className="text-xs">The BIOS staged these settings; they take effect when the node next powers on or reboots, and the values below are read again then.</p>
            <ul className="mt-1 space-y-0.5">
              {pending.map((p) => (
                <li key={p.name} data-testid="bios-pending-setting" data-name={p.name}>
                  <span className="font-mono text-xs">{p.name}</span> → <span className="font-mono text-xs">{p.value ?? "(empty)"}</span>
                  <span className="text-xs"> · since {sinceText(p.since)}</span>
                </li>
              ))}
            </ul>
          </Banner>
        )}
      </div>
      {bios.isPending ? (
        <div className="h-96 animate-pulse" />
      ) : bios.isError ? (
        <p className="px-4 py-3 text-sm text-rose-600">{errorText(bios.error)}</p>
      ) : !settings.length ? (
        <p className="px-4 py-3 text-sm text-slate-500 dark:text-slate-400">No BIOS settings are known for this node (its BIOS interface reports none, or it was never cached: it is read when the node becomes manageable and after cleaning).</p>
      ) : (
        <div className="overflow-x-auto">
          <table className="w-full text-left text-sm" data-testid="bios-table">
            <thead className="text-xs uppercase tracking-wide text-slate-500 dark:text-slate-400">
              <tr className="border-b border-slate-200 dark:border-slate-800">
                <th className="px-4 py-2 font-medium">Setting</th>
                <th className="px-4 py-2 font-medium">Current</th>
                <th className="px-4 py-2 font-medium">New value</th>
                <th className="px-4 py-2 font-medium">Allowed</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
              {shown.map((s) => (
                <SettingRow key={s.name} setting={s} pending={pendingByName.get(s.name) ?? null} value={edits[s.name]} error={errors[s.name] ?? null} changed={edited.has(s.name)} disabled={!!applying} onChange={(v) => setValue(s.name, v)} />
              ))}
              {!shown.length && <tr><td colSpan={4} className="px-4 py-3 text-slate-500 dark:text-slate-400">nothing matches</td></tr>}
            </tbody>
          </table>
        </div>
      )}

      <Dialog open={review} title="Apply BIOS changes" onClose={() => setReview(false)} wide>
        <div className="space-y-4">
          <table className="w-full text-left text-sm" data-testid="bios-diff">
            <caption className="sr-only">Changes to apply</caption>
            <thead className="text-xs uppercase text-slate-500 dark:text-slate-400"><tr><th className="py-1">Setting</th><th className="py-1">Old</th><th className="py-1" aria-label="becomes" /><th className="py-1">New</th></tr></thead>
            <tbody>
              {diff.map((c) => (
                <tr key={c.name} className="border-t border-slate-100 dark:border-slate-800">
                  <td className="py-1 font-mono text-xs">{c.name}{c.resetRequired && <Badge tone="amber">reset required</Badge>}</td>
                  <td className="py-1 font-mono text-xs text-rose-700 line-through dark:text-rose-300">{c.secret ? "******" : c.old === null || c.old === "" ? "(empty)" : c.old}</td>
                  <td className="py-1" aria-hidden>→</td>
                  <td className="py-1 font-mono text-xs text-emerald-700 dark:text-emerald-300">{c.secret ? "(new password)" : c.new === "" ? "(empty)" : c.new}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {diff.some((c) => c.resetRequired) && (
            <p className="text-xs text-amber-700 dark:text-amber-300">Settings marked &quot;reset required&quot; take effect when the machine next reboots.</p>
          )}
          <fieldset className="space-y-2">
            <legend className="text-sm font-medium">How</legend>
            <label className="flex items-start gap-2 text-sm">
              <input type="radio" name="bios-target" checked={target === "clean"} onChange={() => setTarget("clean")} className="mt-1" />
              <span>
                Apply now with a manual clean (step <code>bios.apply_configuration</code>)
                {cleanBlocked && <span className="block text-xs text-rose-600 dark:text-rose-400" data-testid="bios-clean-blocked">{cleanBlocked}</span>}
              </span>
            </label>
            <label className="flex items-start gap-2 text-sm">
              <input type="radio" name="bios-target" checked={target === "template"} onChange={() => setTarget("template")} className="mt-1" disabled={!canTemplates} />
              <span>
                Add the step to a deploy template (applied on deploys that ask for its trait)
                {!canTemplates && <span className="block text-xs text-slate-500 dark:text-slate-400">Needs baremetal:deploy_template:update (system admin)</span>}
              </span>
            </label>
          </fieldset>
          {target === "template" && (
            <div className="grid gap-3 sm:grid-cols-[1fr_8rem]">
              <Field label="Deploy template" error={templates.isError ? errorText(templates.error) : null}>
                {(p) => (
                  <Select {...p} value={template} onChange={(e) => setTemplate(e.target.value)}>
                    <option value="">{templates.isPending ? "Loading…" : "— choose —"}</option>
                    {templates.data?.map((t) => <option key={t.uuid} value={t.uuid}>{t.name} ({t.steps.length} step{t.steps.length === 1 ? "" : "s"})</option>)}
                  </Select>
                )}
              </Field>
              <Field label="Priority" hint="Deploy step order: higher runs first">
                {(p) => <TextInput {...p} inputMode="numeric" value={priority} onChange={(e) => setPriority(e.target.value)} />}
              </Field>
            </div>
          )}
          {result?.tone === "error" && <Banner tone="error">{result.text}</Banner>}
          <div className="flex justify-end gap-2">
            <Button onClick={() => setReview(false)}>Cancel</Button>
            <Button
              variant="primary"
              data-testid="bios-apply"
              disabledReason={apply.isPending ? "Sending…" : target === "clean" ? cleanBlocked : !template ? "Choose a deploy template" : null}
              onClick={() => apply.mutate()}
            >
              {target === "clean" ? "Apply now" : "Add to template"}
            </Button>
          </div>
        </div>
      </Dialog>
    </Card>
  );
}

function SettingRow({ setting: s, pending, value, error, changed, disabled, onChange }: {
  setting: BiosSetting; pending: PendingBiosSetting | null; value: string | undefined; error: string | null; changed: boolean; disabled: boolean; onChange: (v: string) => void;
}) {
  const kind = inputKind(s);
  const id = `bios-${s.name}`;
  const v = value ?? (kind === "password" ? "" : (s.value ?? ""));
  const ro = !!s.read_only;
  const describedBy = error ? `${id}-error` : undefined;
  let input: React.ReactNode;
  if (ro) {
    input = <span className="text-xs text-slate-500 dark:text-slate-400">read-only</span>;
  } else if (kind === "enum") {
    input = (
      <Select id={id} value={v} disabled={disabled} invalid={!!error} aria-describedby={describedBy} onChange={(e) => onChange(e.target.value)} className="max-w-xs min-w-max">
        {!s.allowable_values?.includes(v) && <option value={v}>{v || "(empty)"}</option>}
        {s.allowable_values?.map((a) => <option key={a} value={a}>{a}</option>)}
      </Select>
    );
  } else if (kind === "boolean") {
    input = (
      <Select id={id} value={v} disabled={disabled} invalid={!!error} aria-describedby={describedBy} onChange={(e) => onChange(e.target.value)} className="max-w-[8rem] min-w-max">
        {v !== "true" && v !== "false" && <option value={v}>{v || "(unset)"}</option>}
        <option value="true">true</option>
        <option value="false">false</option>
      </Select>
    );
  } else if (kind === "integer") {
    input = (
      <TextInput
        id={id} type="number" inputMode="numeric" step={1} min={s.lower_bound ?? undefined} max={s.upper_bound ?? undefined}
        value={v} disabled={disabled} invalid={!!error} aria-describedby={describedBy} onChange={(e) => onChange(e.target.value)} className="max-w-[10rem]"
      />
    );
  } else {
    input = (
      <TextInput
        id={id} type={kind === "password" ? "password" : "text"} autoComplete={kind === "password" ? "new-password" : "off"}
        placeholder={kind === "password" ? "(unchanged)" : undefined} minLength={s.min_length ?? undefined} maxLength={s.max_length ?? undefined}
        value={v} disabled={disabled} invalid={!!error} aria-describedby={describedBy} onChange={(e) => onChange(e.target.value)} className="max-w-sm"
      />
    );
  }
  const allowed =
    kind === "enum" ? (s.allowable_values ?? []).join(", ")
    : kind === "integer" ? `${s.lower_bound ?? "−∞"} … ${s.upper_bound ?? "∞"}`
    : kind === "boolean" ? "true / false"
    : s.min_length != null || s.max_length != null ? `${s.min_length ?? 0}–${s.max_length ?? "∞"} characters` : "";
  return (
    <tr className={cx(ro && "text-slate-500 dark:text-slate-400", changed && "bg-amber-50/70 dark:bg-amber-950/20")} data-testid="bios-row" data-name={s.name}>
      <td className="px-4 py-1.5">
        <label htmlFor={ro ? undefined : id} className="font-mono text-xs">{s.name}</label>
        <span className="ml-2 inline-flex gap-1">
          {s.reset_required && <Badge tone="amber" title="Takes effect at the next reboot">reset required</Badge>}
          {ro && <Badge tone="gray">read-only</Badge>}
          {s.unique && <Badge tone="violet" title="Unique to this machine">unique</Badge>}
        </span>
      </td>
      <td className="px-4 py-1.5 font-mono text-xs">
        <span data-testid="bios-current">{kind === "password" ? "******" : s.value ?? "—"}</span>
        {pending && (
          <span className="ml-2 font-sans" data-testid="bios-row-pending">
            <Badge tone="amber" title={`Staged since ${sinceText(pending.since)}; takes effect at the next reboot`}>
              pending: {kind === "password" ? "******" : pending.value ?? "(empty)"}
            </Badge>
          </span>
        )}
      </td>
      <td className="px-4 py-1.5">
        {input}
        {error && <p id={`${id}-error`} role="alert" className="mt-0.5 text-xs text-rose-600 dark:text-rose-400">{error}</p>}
      </td>
      <td className="px-4 py-1.5 text-xs text-slate-500 dark:text-slate-400">{allowed}</td>
    </tr>
  );
}

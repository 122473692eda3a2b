"use client";
// Editor of a deploy template or a runbook: name (trait rules, checked live), the step list built
// with the step editor (steps offered by the drivers in use, or by one reference node), the JSON
// view, a diff against the saved version before saving (PATCH with If-Match for templates, POST
// for new ones), delete with confirmation, and the nodes whose traits match the name.
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useMemo, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useApi } from "@/components/Providers.tsx";
import { Banner, Button, Dialog, Field, Spinner, TextInput } from "@/components/ui.tsx";
import { cx } from "@/components/format.ts";
import { ApiError } from "@/lib/client/api.ts";
import {
  attributeServerErrors, diffLines, fromRunbookSteps, fromTemplateSteps, stepsToJson, traitNameProblem,
  type EditableStep, type RunbookStepJson, type TemplateStepJson,
} from "@/lib/client/steps.ts";
import { STEP_PHASE_PATH, type StepKind } from "@/lib/shared/steps.ts";
import { DOCS, type DocKind } from "./documents.ts";
import { StepListEditor, stepListValid } from "./StepListEditor.tsx";
import { useNodesWithTrait, useStepCatalog } from "./useSteps.ts";

interface StoredDoc {
  uuid: string;
  name: string;
  steps: (TemplateStepJson | RunbookStepJson)[];
  public?: boolean;
  disable_ramdisk?: boolean;
  owner?: string | null;
  updated_at: string | null;
  created_at: string;
}

interface Loaded {
  doc: StoredDoc;
  etag: string | null;
}

/** The part of a document the editor changes, as compared in the diff and sent. */
interface Comparable {
  name: string;
  steps: unknown[];
  public?: boolean;
  disable_ramdisk?: boolean;
}

export interface Rights {
  canEdit: boolean;
  canDelete: boolean;
  /** Runbooks: may make it public (system member). */
  canSetPublic?: boolean;
  /** Why editing is not allowed (shown in read-only mode). */
  readOnlyReason?: string;
}

function comparableOf(kind: DocKind, d: { name: string; steps: unknown[]; public?: boolean; disable_ramdisk?: boolean }): Comparable {
  return kind === "runbook" ? { name: d.name, steps: d.steps, public: !!d.public, disable_ramdisk: !!d.disable_ramdisk } : { name: d.name, steps: d.steps };
}

/** Nodes listed under "Matching nodes"; the count covers all of them. */
const MATCHING_SHOWN = 60;

const secretShown = (v: unknown): boolean => JSON.stringify(v ?? null).includes('"******"');

export function StepDocumentEditor({ kind, ident, rights, referenceNode = null }: {
  kind: DocKind;
  ident: string | null;
  rights: Rights;
  /** Start with the steps of this node (name or UUID) instead of every driver's. */
  referenceNode?: string | null;
}) {
  const cfg = DOCS[kind];
  const api = useApi();
  const qc = useQueryClient();
  const router = useRouter();
  const isNew = ident === null;

  const loaded = useQuery({
    queryKey: [...cfg.listKey, "one", ident ?? ""],
    enabled: !isNew,
    refetchOnWindowFocus: false,
    queryFn: async ({ signal }): Promise<Loaded> => {
      const res = await api.raw("GET", `${cfg.api}/${encodeURIComponent(ident!)}`, { signal });
      return { doc: (await res.json()) as StoredDoc, etag: res.headers.get("etag") };
    },
  });

  const [name, setName] = useState("");
  const [steps, setSteps] = useState<EditableStep[]>([]);
  const [isPublic, setIsPublic] = useState(false);
  const [disableRamdisk, setDisableRamdisk] = useState(false);
  const [initFrom, setInitFrom] = useState<string | null>(null);
  const [nameTouched, setNameTouched] = useState(false);
  const [stepKind, setStepKind] = useState<StepKind>(cfg.stepKinds[0]);
  const [refInput, setRefInput] = useState(referenceNode ?? "");
  const [refNode, setRefNode] = useState<string | null>(referenceNode);
  const [jsonInvalid, setJsonInvalid] = useState(0);
  const [serverErrors, setServerErrors] = useState<ReturnType<typeof attributeServerErrors> | null>(null);
  const [saveError, setSaveError] = useState<{ message: string; stale?: boolean } | null>(null);
  const [reviewOpen, setReviewOpen] = useState(false);
  const [deleteOpen, setDeleteOpen] = useState(false);
  const [savedNote, setSavedNote] = useState<string | null>(null);

  // Fill the form from each saved version once: a refetch of the same version keeps the edits;
  // a new version (after our save, or Reload after a conflict) replaces them.
  const loadedDoc = loaded.data?.doc;
  const loadedVersion = loadedDoc ? `${loadedDoc.uuid}@${loadedDoc.updated_at ?? loadedDoc.created_at}@${loaded.data?.etag ?? ""}` : null;
  if (loadedDoc && initFrom !== loadedVersion) {
    setInitFrom(loadedVersion);
    setName(loadedDoc.name);
    setSteps(kind === "template" ? fromTemplateSteps(loadedDoc.steps as TemplateStepJson[]) : fromRunbookSteps(loadedDoc.steps as RunbookStepJson[]));
    setIsPublic(!!loadedDoc.public);
    setDisableRamdisk(!!loadedDoc.disable_ramdisk);
  }

  const catalog = useStepCatalog(stepKind, refNode);
  const available = catalog.data?.steps ?? null;
  const readOnly = !rights.canEdit;

  const nameProblem = traitNameProblem(name);
  const stepsOk = stepListValid(steps, catalog.isError ? null : available, cfg.mode, stepKind) && jsonInvalid === 0;
  const saved: Comparable | null = loadedDoc ? comparableOf(kind, loadedDoc) : null;
  const next: Comparable = comparableOf(kind, { name, steps: stepsToJson(steps, cfg.mode), public: isPublic, disable_ramdisk: disableRamdisk });
  const savedText = saved ? JSON.stringify(saved, null, 2) : "";
  const nextText = JSON.stringify(next, null, 2);
  const dirty = isNew || savedText !== nextText;
  const stepsChanged = !saved || JSON.stringify(saved.steps) !== JSON.stringify(next.steps);
  // Secrets come back masked: sending the masked list would overwrite them with "******".
  const maskedInChangedSteps = stepsChanged && secretShown(next.steps);
  const saveReason = readOnly
    ? rights.readOnlyReason ?? "You may not change this."
    : nameProblem
      ? `Name: ${nameProblem}`
      : steps.length === 0
        ? "Add at least one step."
        : !stepsOk
        ? "Fix the problems in the step list first."
        : maskedInChangedSteps
          ? "Some arguments show ****** (masked secrets): enter their real values before saving changed steps."
          : !dirty
            ? "Nothing changed."
            : null;

  useEffect(() => {
    if (!savedNote) return;
    const t = setTimeout(() => setSavedNote(null), 6000);
    return () => clearTimeout(t);
  }, [savedNote]);

  const save = useMutation({
    mutationFn: async (): Promise<StoredDoc> => {
      if (isNew) {
        const body: Record<string, unknown> = { name, steps: next.steps };
        if (kind === "runbook") {
          body.public = isPublic;
          body.disable_ramdisk = disableRamdisk;
        }
        return api.post<StoredDoc>(cfg.api, body);
      }
      const doc = loadedDoc!;
      const ops: { op: "replace"; path: string; value: unknown }[] = [];
      if (name !== doc.name) ops.push({ op: "replace", path: "/name", value: name });
      if (stepsChanged) ops.push({ op: "replace", path: "/steps", value: next.steps });
      if (kind === "runbook") {
        if (isPublic !== !!doc.public) ops.push({ op: "replace", path: "/public", value: isPublic });
        if (disableRamdisk !== !!doc.disable_ramdisk) ops.push({ op: "replace", path: "/disable_ramdisk", value: disableRamdisk });
      }
      if (kind === "template") {
        // The server refuses the change (412) when the template moved on since it was read.
        return api.patch<StoredDoc>(`${cfg.api}/${doc.uuid}`, ops, { headers: { "If-Match": loaded.data!.etag ?? "*" } });
      }
      // Runbooks have no ETag: compare the update time just before writing.
      const current = await api.get<StoredDoc>(`${cfg.api}/${doc.uuid}`);
      if (current.updated_at !== doc.updated_at) throw new ApiError(412, `Runbook ${doc.name} was changed since you opened it.`);
      return api.patch<StoredDoc>(`${cfg.api}/${doc.uuid}`, ops);
    },
    onSuccess: async (doc) => {
      setReviewOpen(false);
      setServerErrors(null);
      setSaveError(null);
      // The note shows once the saved version (and its new ETag) has been read back.
      await qc.invalidateQueries({ queryKey: cfg.listKey });
      setSavedNote(`Saved ${doc.name}.`);
      if (isNew || doc.name !== ident) router.replace(`${cfg.base}/${encodeURIComponent(doc.name)}`);
    },
    onError: (err) => {
      setReviewOpen(false);
      if (err instanceof ApiError && err.status === 412) {
        setSaveError({ message: `${err.faultstring} Someone changed it since you opened it: reload to see their version (your edits are lost on reload).`, stale: true });
        return;
      }
      const msg = err instanceof ApiError ? err.faultstring : (err as Error).message;
      const attributed = attributeServerErrors(msg, steps);
      const atSteps = Object.keys(attributed.byStep).length > 0;
      setServerErrors(atSteps ? attributed : null);
      setSaveError({ message: atSteps ? "The server refused some steps: see the messages at the steps." : msg });
    },
  });

  const del = useMutation({
    mutationFn: () => api.del(`${cfg.api}/${loadedDoc!.uuid}`),
    onSuccess: async () => {
      setDeleteOpen(false);
      await qc.invalidateQueries({ queryKey: cfg.listKey });
      router.push(cfg.base);
    },
  });

  const diff = useMemo(() => (reviewOpen ? diffLines(savedText, nextText) : []), [reviewOpen, savedText, nextText]);

  const matchName = loadedDoc?.name ?? (nameProblem ? null : name);
  const matching = useNodesWithTrait(matchName || null, MATCHING_SHOWN);
  const matchingNodes = matching.data?.nodes ?? [];
  const matchingTotal = matching.data?.total ?? 0;

  if (!isNew && loaded.isPending) {
    return <div className="flex h-40 items-center justify-center"><Spinner label={`Loading the ${cfg.title.toLowerCase()}`} /></div>;
  }
  if (!isNew && loaded.isError) {
    const e = loaded.error;
    return (
      <Banner tone="error">
        {e instanceof ApiError && e.status === 404 ? `${cfg.title} ${ident} does not exist.` : `Could not load ${ident}: ${(e as Error).message}`}{" "}
        <Link className="underline" href={cfg.base}>Back to {cfg.plural.toLowerCase()}</Link>
      </Banner>
    );
  }

  return (
    <div className="space-y-6" data-testid={`${kind}-editor-page`}>
      <div className="flex flex-wrap items-start justify-between gap-4">
        <div>
          <nav className="text-sm text-slate-500 dark:text-slate-400">
            <Link href={cfg.base} className="hover:text-slate-800 dark:hover:text-slate-200">{cfg.plural}</Link>
            <span className="mx-2">/</span>
            <span className="text-slate-800 dark:text-slate-200">{isNew ? "New" : loadedDoc?.name}</span>
          </nav>
          <h1 className="mt-1 text-2xl font-semibold tracking-tight">{isNew ? `New ${cfg.title.toLowerCase()}` : loadedDoc?.name}</h1>
          {loadedDoc && (
            <p className="mt-1 font-mono text-xs text-slate-500 dark:text-slate-400">
              {loadedDoc.uuid} · updated {(loadedDoc.updated_at ?? loadedDoc.created_at).slice(0, 19).replace("T", " ")} UTC
            </p>
          )}
        </div>
        <div className="flex items-center gap-2">
          {!isNew && rights.canDelete && <Button variant="danger" onClick={() => setDeleteOpen(true)}>Delete</Button>}
          {!readOnly && (
            <Button variant="primary" disabledReason={saveReason} onClick={() => setReviewOpen(true)} data-testid="review-save">
              {isNew ? "Review and create" : "Review and save"}
            </Button>
          )}
        </div>
      </div>

      {readOnly && <Banner tone="info">Read-only: {rights.readOnlyReason ?? "you may not change this."}</Banner>}
      {savedNote && <Banner tone="success" data-testid="saved-note">{savedNote}</Banner>}
      {saveError && (
        <Banner tone="error" data-testid="save-error">
          {saveError.message}{" "}
          {saveError.stale && (
            <button type="button" className="underline" onClick={() => {
              setSaveError(null);
              void loaded.refetch();
            }}>Reload</button>
          )}
        </Banner>
      )}
      {!readOnly && saveReason && !saveReason.startsWith("Nothing") && (nameTouched || !isNew || !nameProblem) && (
        <p className="text-sm text-slate-600 dark:text-slate-400" data-testid="save-disabled-reason">{saveReason}</p>
      )}

      <section className="grid gap-4 md:grid-cols-2">
        <Field label="Name" hint={cfg.nameHint} error={nameTouched || !isNew ? nameProblem : null}>
          {(ids) => (
            <TextInput
              {...ids}
              value={name}
              disabled={readOnly}
              placeholder="CUSTOM_..."
              autoComplete="off"
              spellCheck={false}
              className="font-mono"
              onChange={(e) => {
                setName(e.target.value);
                setNameTouched(true);
              }}
              onBlur={() => setNameTouched(true)}
            />
          )}
        </Field>
        {kind === "runbook" && (
          <div className="space-y-2 pt-6 text-sm">
            <label className="flex items-center gap-2">
              <input type="checkbox" checked={isPublic} disabled={readOnly || !rights.canSetPublic} onChange={(e) => setIsPublic(e.target.checked)} />
              Public (any project may use it){!rights.canSetPublic && <span className="text-xs text-slate-500 dark:text-slate-400"> — needs a system member</span>}
            </label>
            <label className="flex items-center gap-2">
              <input type="checkbox" checked={disableRamdisk} disabled={readOnly} onChange={(e) => setDisableRamdisk(e.target.checked)} />
              Run without the agent ramdisk (disable_ramdisk)
            </label>
            {loadedDoc?.owner && <p className="text-xs text-slate-500 dark:text-slate-400">Owner: <span className="font-mono">{loadedDoc.owner}</span></p>}
          </div>
        )}
      </section>

      <section aria-labelledby="steps-h" className="space-y-3">
        <div className="flex flex-wrap items-end justify-between gap-3">
          <h2 id="steps-h" className="text-lg font-semibold">Steps</h2>
          <div className="flex flex-wrap items-end gap-2 text-sm">
            {cfg.stepKinds.length > 1 && (
              <label className="flex flex-col text-xs text-slate-600 dark:text-slate-400">
                Offer the steps of
                <select className="mt-1 rounded-md border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-700 dark:bg-slate-900" value={stepKind} onChange={(e) => setStepKind(e.target.value as StepKind)}>
                  {cfg.stepKinds.map((k) => <option key={k} value={k}>{STEP_PHASE_PATH[k]}</option>)}
                </select>
              </label>
            )}
            <form
              className="flex items-end gap-2"
              onSubmit={(e) => {
                e.preventDefault();
                setRefNode(refInput.trim() || null);
              }}
            >
              <label className="flex flex-col text-xs text-slate-600 dark:text-slate-400">
                Reference node (name or UUID)
                <input className="mt-1 w-56 rounded-md border border-slate-300 bg-white px-2 py-1 font-mono text-sm dark:border-slate-700 dark:bg-slate-900" value={refInput} onChange={(e) => setRefInput(e.target.value)} placeholder="all drivers in use" />
              </label>
              <Button type="submit" size="sm">Use</Button>
              {refNode && <Button size="sm" variant="ghost" onClick={() => { setRefNode(null); setRefInput(""); }}>All drivers</Button>}
            </form>
          </div>
        </div>
        <StepListEditor
          steps={steps}
          onChange={(s) => {
            setSteps(s);
            setServerErrors(null);
          }}
          mode={cfg.mode}
          kind={stepKind}
          available={catalog.isError ? null : available}
          availableNote={<CatalogNote catalog={catalog.data} error={catalog.isError ? (catalog.error as Error).message : null} refNode={refNode} kind={stepKind} />}
          serverErrors={serverErrors}
          onJsonInvalidChange={setJsonInvalid}
          readOnly={readOnly}
          label={kind}
        />
      </section>

      <section aria-labelledby="match-h" className="space-y-2">
        <h2 id="match-h" className="text-lg font-semibold">Matching nodes</h2>
        <p className="text-xs text-slate-600 dark:text-slate-400">{cfg.matchHint}</p>
        <div className="min-h-16 rounded-lg border border-slate-200 dark:border-slate-800" data-testid="matching-nodes">
          {!matchName ? (
            <p className="px-3 py-2 text-sm text-slate-500 dark:text-slate-400">Give a valid name to see matching nodes.</p>
          ) : matching.isPending ? (
            <p className="px-3 py-2 text-sm text-slate-500 dark:text-slate-400"><Spinner /> Reading node traits…</p>
          ) : matchingTotal === 0 ? (
            <p className="px-3 py-2 text-sm text-slate-500 dark:text-slate-400">No node you can see has the trait <span className="font-mono">{matchName}</span>.</p>
          ) : (
            <>
              <p className="px-3 pt-2 text-sm" data-testid="matching-count">{matchingTotal} node{matchingTotal > 1 ? "s" : ""} with <span className="font-mono">{matchName}</span></p>
              <ul className="grid gap-x-4 px-3 py-2 text-sm sm:grid-cols-2 lg:grid-cols-3">
                {matchingNodes.map((n) => (
                  <li key={n.uuid} className="flex justify-between gap-2 py-0.5">
                    <Link href={`/nodes/${n.uuid}`} className="truncate text-amber-700 hover:underline dark:text-amber-400">{n.name ?? n.uuid}</Link>
                    <span className="text-xs text-slate-500 dark:text-slate-400">{n.provision_state}</span>
                  </li>
                ))}
              </ul>
              {matchingTotal > matchingNodes.length && <p className="px-3 pb-2 text-xs text-slate-500 dark:text-slate-400">…and {matchingTotal - matchingNodes.length} more.</p>}
            </>
          )}
        </div>
      </section>

      <Dialog
        open={reviewOpen}
        title={isNew ? `Create ${name}` : `Save changes to ${loadedDoc?.name}`}
        onClose={() => setReviewOpen(false)}
        wide
        footer={
          <>
            <Button onClick={() => setReviewOpen(false)}>Back to editing</Button>
            <Button variant="primary" onClick={() => save.mutate()} disabled={save.isPending} data-testid="confirm-save">
              {save.isPending ? "Saving…" : isNew ? "Create" : "Save"}
            </Button>
          </>
        }
      >
        <p className="mb-2 text-sm text-slate-600 dark:text-slate-400">
          {isNew ? "This will be created:" : "Changes against the saved version (red: removed, green: added):"}
        </p>
        <pre className="max-h-[50vh] overflow-auto rounded-md bg-slate-50 p-2 text-xs dark:bg-slate-950" data-testid="save-diff">
          {diff.map((l, i) => (
            <div
              key={i}
              className={cx(
                l.kind === "add" && "bg-emerald-100 text-emerald-900 dark:bg-emerald-950 dark:text-emerald-200",
                l.kind === "del" && "bg-red-100 text-red-900 dark:bg-red-950 dark:text-red-200",
              )}
            >
              <span aria-hidden className="select-none pr-2 text-slate-500 dark:text-slate-400">{l.kind === "add" ? "+" : l.kind === "del" ? "-" : " "}</span>
              <span className="sr-only">{l.kind === "add" ? "added: " : l.kind === "del" ? "removed: " : ""}</span>
              {l.text}
            </div>
          ))}
        </pre>
      </Dialog>

      <Dialog
        open={deleteOpen}
        title={`Delete ${loadedDoc?.name ?? ""}?`}
        onClose={() => setDeleteOpen(false)}
        footer={
          <>
            <Button onClick={() => setDeleteOpen(false)}>Cancel</Button>
            <Button variant="danger" onClick={() => del.mutate()} disabled={del.isPending} data-testid="confirm-delete">
              {del.isPending ? "Deleting…" : "Delete"}
            </Button>
          </>
        }
      >
        <p className="text-sm">
          {kind === "template"
            ? `Deployments asking for the trait ${loadedDoc?.name} will no longer run these steps.`
            : `The runbook ${loadedDoc?.name} can no longer be run.`}
          {matchingTotal > 0 && ` ${matchingTotal} node${matchingTotal > 1 ? "s carry" : " carries"} the trait.`}
        </p>
        {del.isError && <p role="alert" className="mt-2 text-sm text-red-700 dark:text-red-400">{(del.error as Error).message}</p>}
      </Dialog>
    </div>
  );
}

function CatalogNote({ catalog, error, refNode, kind }: {
  catalog: { sources: { driver: string; node: { uuid: string; name: string | null } }[] } | undefined; error: string | null; refNode: string | null; kind: StepKind;
}) {
  if (error) return <span className="text-red-700 dark:text-red-400">Could not read the available steps ({error}); steps are not checked against a driver.</span>;
  if (!catalog) return <span>Reading the {kind} steps the drivers offer…</span>;
  if (refNode) {
    const s = catalog.sources[0];
    return <span>The {kind} steps of the reference node {s?.node.name ?? s?.node.uuid} (driver {s?.driver}).</span>;
  }
  if (catalog.sources.length === 0) return <span>No node is visible, so no driver says which steps exist; steps are not checked.</span>;
  return (
    <span>
      Steps depend on a node&apos;s driver, so these are the {kind} steps of one node per driver in use
      ({catalog.sources.map((s) => s.driver).join(", ")}; first 1000 nodes). Pick a reference node to see exactly what one node offers.
    </span>
  );
}

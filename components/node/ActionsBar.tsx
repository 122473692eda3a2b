"use client";
// The node's actions: provision verbs, power, maintenance, delete. Only those valid now are
// enabled; each disabled one says why (components/node/actions.ts). Verbs that need input open a
// dialog; clean and service open the Steps tab (the step picker). A failed node also gets a banner
// with what failed and what to do next (components/node/next_actions.ts), the same actions.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect, useRef, useState } from "react";
import { useApi } from "@/components/Providers.tsx";
import { Banner, Button, Dialog, Field, Spinner, TextArea, TextInput } from "@/components/ui.tsx";
import { queryKeys } from "@/lib/client/keys.ts";
import {
  clearMaintenance, deleteNode, errorText, isRedacted, lockHolder, patchNode, setMaintenance, setPowerState, setProvisionState,
} from "@/lib/client/node.ts";
import type { ApiNode } from "@/lib/shared/wire.ts";
import type { Principal } from "@/lib/shared/policy.ts";
import { nodeActions, type ActionState, type NodeAction } from "./actions.ts";
import { nextActions } from "./next_actions.ts";
import { fieldOfRefusal, imageFormErrors, imageFormFrom, imagePatchOps, type ImageField, type ImageForm } from "./deploy_image.ts";
import { ImageFields } from "./ImageFields.tsx";
import { pointer, type PatchOp } from "./patch.ts";
import type { TabId } from "./tabs.ts";

type DialogKind = "deploy" | "rebuild" | "undeploy" | "rescue" | "maintenance" | "delete" | null;

export function ActionsBar({ node, etag, principal, minor, onOpenTab }: {
  node: ApiNode;
  etag: string | null;
  principal: Principal;
  minor: number;
  onOpenTab: (tab: TabId) => void;
}) {
  const api = useApi();
  const qc = useQueryClient();
  const router = useRouter();
  const [dialog, setDialog] = useState<DialogKind>(null);
  const [message, setMessage] = useState<{ tone: "error" | "success"; text: string } | null>(null);
  // A lock hidden from the viewer counts as none: the API still refuses if the node is locked.
  // A success note goes away by itself; an error stays until the next action.
  useEffect(() => {
    if (message?.tone !== "success") return;
    const t = setTimeout(() => setMessage(null), 8000);
    return () => clearTimeout(t);
  }, [message]);
  // The deploy dialog shows its own refusal (at the field it names): not again behind it.
  const errorInDialog = dialog === "deploy" && message?.tone === "error";
  const actions = nodeActions({ ...node, reservation: lockHolder(node) }, principal, minor || Number.MAX_SAFE_INTEGER);

  const run = useMutation({
    mutationFn: async ({ action, input, deploy }: { action: NodeAction; input?: Record<string, string>; deploy?: DeployInput }) => {
      const uuid = node.uuid;
      switch (action.group) {
        case "power":
          return setPowerState(api, uuid, action.id, etag);
        case "maintenance":
          return action.id === "maintenance on" ? setMaintenance(api, uuid, input?.reason || null, etag) : clearMaintenance(api, uuid, etag);
        case "delete":
          await deleteNode(api, uuid, etag);
          return;
        case "provision": {
          if (action.id === "deploy" && deploy) {
            // The image fields (and instance traits) go to instance_info in one PATCH, then the deploy verb.
            const ops: PatchOp[] = [...deploy.imageOps];
            const traits = deploy.traits.split(/[\s,]+/).filter(Boolean);
            if (traits.length) ops.push({ op: "add", path: pointer("instance_info", "traits"), value: traits });
            const patched = await patchNode(api, uuid, ops, etag);
            const body: Record<string, unknown> = { target: "deploy" };
            const cd = parseConfigdrive(deploy.configdrive);
            if (cd !== null) body.configdrive = cd;
            return setProvisionState(api, uuid, body, patched.etag);
          }
          const body: Record<string, unknown> = { target: action.id };
          if (action.id === "rescue") body.rescue_password = input?.rescue_password ?? "";
          return setProvisionState(api, uuid, body, etag);
        }
      }
    },
    onSuccess: (_r, { action }) => {
      setDialog(null);
      if (action.group === "delete") {
        router.push("/");
        return;
      }
      setMessage({ tone: "success", text: `${labelOf(actions, action)} requested.` });
    },
    onError: (err) => setMessage({ tone: "error", text: errorText(err) }),
    onSettled: () => {
      void qc.invalidateQueries({ queryKey: queryKeys.node(node.uuid) });
      void qc.invalidateQueries({ queryKey: queryKeys.nodes });
    },
  });

  const click = (a: ActionState) => {
    setMessage(null);
    const { action } = a;
    if (action.group === "provision") {
      if (action.id === "clean" || action.id === "service") return onOpenTab("steps");
      if (action.id === "deploy" || action.id === "rebuild" || action.id === "undeploy" || action.id === "rescue") return setDialog(action.id);
    }
    if (action.id === "maintenance on") return setDialog("maintenance");
    if (action.id === "delete") return setDialog("delete");
    run.mutate({ action });
  };

  const groups: { title: string; items: ActionState[] }[] = [
    { title: "Provisioning", items: actions.filter((a) => a.action.group === "provision") },
    { title: "Power", items: actions.filter((a) => a.action.group === "power") },
    { title: "Node", items: actions.filter((a) => a.action.group === "maintenance" || a.action.group === "delete") },
  ];
  const find = (id: string) => actions.find((a) => a.action.id === id)!;
  const next = nextActions(node.provision_state, actions);

  return (
    <div className="mb-4">
      {next.length > 0 && (
        <Banner tone="error" className="mb-2" data-testid="failure-next">
          <p>
            The node is <strong>{node.provision_state}</strong>
            {node.last_error && !isRedacted(node.last_error) ? <>: {node.last_error}</> : "."}
          </p>
          <div className="mt-2 flex flex-wrap items-center gap-1.5" role="group" aria-label="What next">
            <span className="mr-1 text-xs font-medium">What next:</span>
            {next.map((n) => (
              <Button
                key={n.state.action.id}
                size="sm"
                disabledReason={n.state.disabledReason ?? (run.isPending ? "Another action is being sent" : null)}
                onClick={() => click(n.state)}
                data-next-action={n.state.action.id}
              >
                {n.label}
              </Button>
            ))}
          </div>
        </Banner>
      )}
      <div className="flex flex-wrap items-start gap-x-6 gap-y-2 rounded-xl border border-slate-200 bg-white px-3 py-2 dark:border-slate-800 dark:bg-slate-900/60" data-testid="node-actions">
        {groups.map((g) => (
          <div key={g.title} role="group" aria-label={g.title} className="flex flex-wrap items-center gap-1.5">
            <span className="mr-1 text-xs font-medium uppercase tracking-wide text-slate-500 dark:text-slate-400">{g.title}</span>
            {g.items.map((a) => (
              <Button
                key={a.action.id}
                size="sm"
                variant={a.action.group === "delete" ? "danger" : "secondary"}
                disabledReason={a.disabledReason ?? (run.isPending ? "Another action is being sent" : null)}
                onClick={() => click(a)}
                data-action={a.action.id}
              >
                {a.label}
              </Button>
            ))}
          </div>
        ))}
        <div className="ml-auto flex h-7 items-center">{run.isPending && <Spinner label="Sending" />}</div>
      </div>
      <div className="min-h-0" aria-live="polite">
        {message && !errorInDialog && (
          <Banner tone={message.tone} className="mt-2" data-testid="action-message">{message.text}</Banner>
        )}
      </div>

      <DeployDialog
        open={dialog === "deploy"}
        node={node}
        pending={run.isPending}
        error={errorInDialog ? message.text : null}
        onClose={() => {
          setDialog(null);
          if (errorInDialog) setMessage(null); // seen in the dialog, and given up
        }}
        onSubmit={(deploy) => {
          setMessage(null);
          run.mutate({ action: find("deploy").action, deploy });
        }}
      />
      <ConfirmDialog
        open={dialog === "rebuild" || dialog === "undeploy"}
        title={dialog === "rebuild" ? "Rebuild the instance?" : "Undeploy the instance?"}
        text={dialog === "rebuild"
          ? "The image is written again; everything on the node's disks is lost."
          : "The instance is torn down and the node cleaned; everything on its disks is lost."}
        confirm={dialog === "rebuild" ? "Rebuild" : "Undeploy"}
        pending={run.isPending}
        onClose={() => setDialog(null)}
        onConfirm={() => run.mutate({ action: find(dialog as string).action })}
      />
      <SingleInputDialog
        open={dialog === "rescue"}
        title="Rescue the node"
        label="Rescue password"
        hint="The password of the rescue ramdisk's user."
        type="password"
        required
        confirm="Rescue"
        pending={run.isPending}
        onClose={() => setDialog(null)}
        onSubmit={(v) => run.mutate({ action: find("rescue").action, input: { rescue_password: v } })}
      />
      <SingleInputDialog
        open={dialog === "maintenance"}
        title="Set maintenance"
        label="Reason"
        hint="Shown to everyone who looks at the node."
        confirm="Set maintenance"
        pending={run.isPending}
        onClose={() => setDialog(null)}
        onSubmit={(v) => run.mutate({ action: find("maintenance on").action, input: { reason: v } })}
      />
      <ConfirmDialog
        open={dialog === "delete"}
        title={`Delete ${node.name ?? node.uuid}?`}
        text="The node, its ports and its history are removed from Ingot. The machine itself is not touched."
        confirm="Delete"
        danger
        pending={run.isPending}
        onClose={() => setDialog(null)}
        onConfirm={() => run.mutate({ action: find("delete").action })}
      />
    </div>
  );
}

function labelOf(actions: ActionState[], action: NodeAction): string {
  return (actions.find((a) => a.action.id === action.id)?.label ?? action.id).replace(/…$/, "");
}

/** A configdrive as typed: empty → none; a JSON object → the dict form; anything else → the string (URL or base64). */
export function parseConfigdrive(text: string): unknown {
  const t = text.trim();
  if (!t) return null;
  if (t.startsWith("{")) return JSON.parse(t);
  return t;
}

/** What the deploy dialog sends: the instance_info patch for the image, then the verb's own fields. */
interface DeployInput {
  imageOps: PatchOp[];
  configdrive: string;
  traits: string;
}

type DeployField = ImageField | "configdrive" | "traits";

function DeployDialog({ open, node, pending, error, onClose, onSubmit }: {
  open: boolean;
  node: ApiNode;
  pending: boolean;
  error: string | null;
  onClose: () => void;
  onSubmit: (input: DeployInput) => void;
}) {
  return (
    <Dialog open={open} title="Deploy" onClose={onClose} wide>
      {/* Mounted on each opening, so the fields start from the node's instance_info as it is then. */}
      {open && <DeployForm node={node} pending={pending} error={error} onClose={onClose} onSubmit={onSubmit} />}
    </Dialog>
  );
}

function DeployForm({ node, pending, error, onClose, onSubmit }: {
  node: ApiNode;
  pending: boolean;
  error: string | null;
  onClose: () => void;
  onSubmit: (input: DeployInput) => void;
}) {
  const direct = node.deploy_interface === "direct";
  const [image, setImage] = useState<ImageForm>(() => imageFormFrom(node.instance_info ?? {}));
  const [configdrive, setConfigdrive] = useState("");
  const [traits, setTraits] = useState("");
  // Errors show once the user has tried to deploy (then as they fix them), never while they
  // first type. (Not on leaving a field: an error appearing then moves the buttons under the
  // pointer, and the click meant for Deploy or Cancel is lost.)
  const [attempts, setAttempts] = useState(0);
  // The server's refusal shows at the field it names until that field is edited.
  const [dismissedRefusal, setDismissedRefusal] = useState<string | null>(null);
  const formRef = useRef<HTMLFormElement>(null);

  const errors: Partial<Record<DeployField, string>> = imageFormErrors(image, { checksumRequired: direct });
  if (configdrive.trim().startsWith("{")) {
    try {
      const v = JSON.parse(configdrive);
      if (typeof v !== "object" || v === null || Array.isArray(v)) errors.configdrive = "Must be a JSON object.";
    } catch (err) {
      errors.configdrive = `Not valid JSON: ${(err as Error).message}`;
    }
  }
  const unknown = traits.split(/[\s,]+/).filter((t) => t && !node.traits.includes(t));
  if (unknown.length) errors.traits = `The node does not have: ${unknown.join(", ")}`;

  const refusal = error && error !== dismissedRefusal ? error : null;
  const refusedField = refusal ? fieldOfRefusal(refusal) : null;
  const shown = (f: DeployField): string | undefined =>
    (attempts > 0 ? errors[f] : undefined) ?? (f === refusedField ? refusal ?? undefined : undefined);
  const edited = (f: DeployField) => {
    if (f === refusedField) setDismissedRefusal(refusal);
  };

  // After a submit refused by the form, or by the server about a field, focus goes to the first
  // field in error.
  const focusFirstError = () => formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  useEffect(() => {
    if (attempts > 0) focusFirstError();
  }, [attempts]);
  useEffect(() => {
    if (refusedField) focusFirstError();
  }, [refusal, refusedField]);

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    setDismissedRefusal(null);
    if (Object.keys(errors).length) {
      setAttempts((n) => n + 1);
      return;
    }
    onSubmit({ imageOps: imagePatchOps(image, node.instance_info ?? {}, direct), configdrive, traits });
  };
  const imageErrors = Object.fromEntries((["image_source", "checksum_algo", "checksum", "image_download_source"] as const).map((f) => [f, shown(f)]));
  return (
    <form ref={formRef} onSubmit={submit} className="space-y-4" noValidate>
      <ImageFields
        form={image}
        errors={imageErrors}
        onChange={(field, value) => {
          setImage((f) => ({ ...f, [field]: value }));
          edited(field);
        }}
        showDownloadSource={direct}
        checksumRequired={direct}
      />
      <Field label="Config drive (optional)" hint='A URL, base64 gzipped ISO, or a JSON object {"meta_data": …, "user_data": …, "network_data": …}.' error={shown("configdrive")}>
        {(p) => <TextArea {...p} rows={4} value={configdrive} onChange={(e) => setConfigdrive(e.target.value)} />}
      </Field>
      <Field label="Instance traits (optional)" hint={`Space or comma separated; deploy templates with these names add their steps. Node traits: ${node.traits.join(", ") || "none"}`} error={shown("traits")}>
        {(p) => <TextInput {...p} value={traits} onChange={(e) => setTraits(e.target.value)} />}
      </Field>
      {refusal && !refusedField && <Banner tone="error">{refusal}</Banner>}
      <div className="flex justify-end gap-2">
        <Button onClick={onClose}>Cancel</Button>
        <Button type="submit" variant="primary" disabled={pending}>{pending ? "Deploying…" : "Deploy"}</Button>
      </div>
    </form>
  );
}

function ConfirmDialog({ open, title, text, confirm, danger, pending, onClose, onConfirm }: {
  open: boolean; title: string; text: string; confirm: string; danger?: boolean; pending: boolean; onClose: () => void; onConfirm: () => void;
}) {
  return (
    <Dialog
      open={open}
      title={title}
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant={danger ? "danger" : "primary"} disabled={pending} onClick={onConfirm}>{confirm}</Button>
        </>
      }
    >
      <p className="text-sm">{text}</p>
    </Dialog>
  );
}

function SingleInputDialog({ open, title, label, hint, type = "text", required, confirm, pending, onClose, onSubmit }: {
  open: boolean; title: string; label: string; hint?: string; type?: string; required?: boolean; confirm: string; pending: boolean;
  onClose: () => void; onSubmit: (value: string) => void;
}) {
  const [value, setValue] = useState("");
  const [error, setError] = useState<string | null>(null);
  return (
    <Dialog open={open} title={title} onClose={onClose}>
      <form
        className="space-y-4"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          if (required && !value) return setError(`${label} is required.`);
          setError(null);
          onSubmit(value);
        }}
      >
        <Field label={label} hint={hint} error={error}>
          {(p) => <TextInput {...p} type={type} value={value} onChange={(e) => setValue(e.target.value)} />}
        </Field>
        <div className="flex justify-end gap-2">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" disabled={pending}>{confirm}</Button>
        </div>
      </form>
    </Dialog>
  );
}

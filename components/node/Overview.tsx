"use client";
// Overview tab: every state flag, last error, driver and interfaces, properties, instance_info,
// driver_info (secrets stay "******"), ports and traits, with editors. Each editor captures the
// node's ETag when it opens and sends it as If-Match, so a change made meanwhile by someone else
// is reported ("changed by someone else") instead of overwritten; typed input survives errors.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Card, DictFields, Empty, Fields, Mono } from "@/components/Card.tsx";
import { useApi } from "@/components/Providers.tsx";
import { Badge, PowerState, StateBadge } from "@/components/StateBadge.tsx";
import { Banner, Button, Field, Select, TextInput } from "@/components/ui.tsx";
import { queryKeys } from "@/lib/client/keys.ts";
import { addTrait, errorText, fetchNode, isRedacted, isRedactedDict, isStale, nodeKeys, nodePorts, patchNode, projects as listProjects, removeTrait } from "@/lib/client/node.ts";
import type { ApiNode } from "@/lib/shared/wire.ts";
import { INTERFACE_NAMES } from "@/lib/shared/interfaces.ts";
import { authorize, type Principal } from "@/lib/shared/policy.ts";
import { dictPatch, dictToRows, fieldPatch, MASK, rowErrors, type DictRow, type PatchOp } from "./patch.ts";


function when(ts: string | null | undefined): string {
  if (!ts) return "—";
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? ts : d.toISOString().replace("T", " ").slice(0, 19) + " UTC";
}

function denyText(rule: string): string {
  return `Needs ${rule}`;
}

export function Overview({ node, etag, principal }: { node: ApiNode; etag: string | null; principal: Principal }) {
  const api = useApi();
  const projects = useQuery({ queryKey: nodeKeys.projects(node.uuid), queryFn: () => listProjects(api), staleTime: 60_000 });
  const projectName = (id: string | null) => {
    if (!id) return <Empty />;
    const p = projects.data?.find((x) => x.id === id);
    return p ? <span title={id}>{p.name}</span> : <Mono>{id}</Mono>;
  };
  const can = (rule: string) => authorize(rule, principal, node);

  return (
    <div className="space-y-6">
      {node.last_error && !isRedacted(node.last_error) && (
        <div className="rounded-xl border border-rose-200 bg-rose-50 px-4 py-3 text-sm text-rose-800 dark:border-rose-900/60 dark:bg-rose-950/40 dark:text-rose-200" data-testid="last-error">
          <div className="font-semibold">Last error</div>
          <pre className="mt-1 whitespace-pre-wrap break-words font-sans">{node.last_error}</pre>
        </div>
      )}
      <div className="grid gap-6 lg:grid-cols-2">
        <Card title="State">
          <Fields
            items={[
              ["Provision state", <span key="p" className="inline-flex items-center gap-2"><StateBadge state={node.provision_state} />{node.target_provision_state && <span className="text-xs text-amber-700 dark:text-amber-400">→ {node.target_provision_state}</span>}</span>],
              ["Provision updated", when(node.provision_updated_at)],
              ["Power", <PowerState key="w" power={node.power_state} target={node.target_power_state} />],
              ["Maintenance", node.maintenance ? <span key="m" data-testid="maintenance">yes{node.maintenance_reason ? ` — ${node.maintenance_reason}` : ""}</span> : "no"],
              ["Fault", node.fault],
              ["Protected", node.protected ? `yes${node.protected_reason ? ` — ${node.protected_reason}` : ""}` : "no"],
              ["Retired", node.retired ? `yes${node.retired_reason ? ` — ${node.retired_reason}` : ""}` : "no"],
              ["Reservation", isRedacted(node.reservation) ? <Empty key="r">hidden (needs baremetal:node:get:reservation)</Empty> : node.reservation ? <Mono key="r">{node.reservation}</Mono> : "not locked"],
              ...(isRedacted(node.last_error) ? [["Last error", <Empty key="e">hidden (needs baremetal:node:get:last_error)</Empty>] as [React.ReactNode, React.ReactNode]] : []),
              ["Conductor", node.conductor ? <Mono key="c">{node.conductor}</Mono> : null],
              ["Console", node.console_enabled ? "enabled" : "disabled"],
              ["Boot mode", node.boot_mode ? `${node.boot_mode}${node.secure_boot ? " (secure boot)" : ""}` : null],
              ["Instance", node.instance_uuid ? <Mono key="i">{node.instance_uuid}</Mono> : null],
              ["Created", when(node.created_at)],
              ["Updated", when(node.updated_at)],
            ]}
          />
        </Card>

        <GeneralCard node={node} etag={etag} principal={principal} projects={projects.data ?? []} projectName={projectName} />

        <Card title="Driver and interfaces">
          <Fields items={[["Driver", <Mono key="d">{node.driver}</Mono>]]} />
          <div className="grid grid-cols-2 gap-x-4 px-4 pb-3 text-sm sm:grid-cols-3" data-testid="interfaces">
            {INTERFACE_NAMES.map((i) => {
              const v = (node as unknown as Record<string, string | undefined>)[`${i}_interface`];
              return (
                <div key={i} className="flex justify-between gap-2 border-b border-slate-100 py-1.5 dark:border-slate-800">
                  <span className="text-slate-500 dark:text-slate-400">{i}</span>
                  {v ? <Mono>{v}</Mono> : <Empty />}
                </div>
              );
            })}
          </div>
        </Card>

        <TraitsCard node={node} etag={etag} canAdd={can("baremetal:node:traits:set")} canRemove={can("baremetal:node:traits:delete")} />

        <DictCard title="Properties" field="properties" node={node} etag={etag} editReason={can("baremetal:node:update:properties") ? null : denyText("baremetal:node:update:properties")} />
        <DictCard title="Extra" field="extra" node={node} etag={etag} editReason={can("baremetal:node:update_extra") ? null : denyText("baremetal:node:update_extra")} />
        <DictCard title="Driver info" field="driver_info" node={node} etag={etag} editReason={can("baremetal:node:update:driver_info") ? null : denyText("baremetal:node:update:driver_info")} />
        <Card title="Instance info">
          <DictFields dict={node.instance_info ?? {}} emptyText="no instance" />
        </Card>
      </div>
      <PortsCard uuid={node.uuid} />
    </div>
  );
}

// ---- name, description, owner, lessee, resource class ----

interface GeneralForm {
  name: string;
  description: string;
  owner: string;
  lessee: string;
  resource_class: string;
}

function formOf(n: ApiNode): GeneralForm {
  return { name: n.name ?? "", description: n.description ?? "", owner: n.owner ?? "", lessee: n.lessee ?? "", resource_class: n.resource_class ?? "" };
}

function GeneralCard({ node, etag, principal, projects, projectName }: {
  node: ApiNode; etag: string | null; principal: Principal; projects: { id: string; name: string }[]; projectName: (id: string | null) => React.ReactNode;
}) {
  const api = useApi();
  const qc = useQueryClient();
  const latest = useLatestNode(node.uuid);
  // The version the edit started from: its values and ETag (a later live update doesn't move it).
  const [base, setBase] = useState<{ node: ApiNode; etag: string | null } | null>(null);
  const [form, setForm] = useState<GeneralForm>(formOf(node));
  const can = (rule: string) => authorize(rule, principal, node);
  const rules: Record<keyof GeneralForm, string> = {
    name: "baremetal:node:update:name",
    description: "baremetal:node:update",
    owner: "baremetal:node:update:owner",
    lessee: "baremetal:node:update:lessee",
    resource_class: "baremetal:node:update",
  };
  const save = useMutation({
    mutationFn: async () => {
      const b = base!.node;
      const ops: PatchOp[] = [
        ...(can(rules.name) ? fieldPatch("name", b.name, form.name) : []),
        ...(can(rules.description) ? fieldPatch("description", b.description, form.description) : []),
        ...(can(rules.owner) ? fieldPatch("owner", b.owner, form.owner) : []),
        ...(can(rules.lessee) ? fieldPatch("lessee", b.lessee, form.lessee) : []),
        ...(can(rules.resource_class) ? fieldPatch("resource_class", b.resource_class, form.resource_class) : []),
      ];
      if (!ops.length) return null;
      return patchNode(api, node.uuid, ops, base!.etag);
    },
    onSuccess: (r) => {
      if (r) qc.setQueryData(nodeKeys.node(node.uuid), r);
      setBase(null);
      void qc.invalidateQueries({ queryKey: queryKeys.node(node.uuid) });
    },
  });
  const editing = base !== null;
  const start = () => {
    setBase({ node, etag });
    setForm(formOf(node));
    save.reset();
  };
  const canEditAny = Object.values(rules).some(can);
  const projectOptions = (current: string) => {
    const list = projects.some((p) => p.id === current) || !current ? projects : [...projects, { id: current, name: current }];
    return [<option key="" value="">— none —</option>, ...list.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)];
  };

  return (
    <Card
      title="General"
      actions={!editing && <Button size="sm" variant="ghost" onClick={start} disabledReason={canEditAny ? null : "Needs baremetal:node:update"}>Edit</Button>}
    >
      {!editing ? (
        <Fields
          items={[
            ["Name", node.name],
            ["Description", node.description],
            ["Owner", projectName(node.owner)],
            ["Lessee", projectName(node.lessee)],
            ["Resource class", node.resource_class],
            ["Conductor group", node.conductor_group || <Empty key="g">default</Empty>],
          ]}
        />
      ) : (
        <form
          className="space-y-3 px-4 py-3"
          data-testid="general-form"
          onSubmit={(e) => {
            e.preventDefault();
            save.mutate();
          }}
        >
          <Field label="Name" hint={can(rules.name) ? "Letters, digits and - . _ ~" : denyText(rules.name)}>
            {(p) => <TextInput {...p} value={form.name} disabled={!can(rules.name)} onChange={(e) => setForm({ ...form, name: e.target.value })} />}
          </Field>
          <Field label="Description" hint={can(rules.description) ? undefined : denyText(rules.description)}>
            {(p) => <TextInput {...p} value={form.description} disabled={!can(rules.description)} onChange={(e) => setForm({ ...form, description: e.target.value })} />}
          </Field>
          <div className="grid gap-3 sm:grid-cols-2">
            <Field label="Owner" hint={can(rules.owner) ? undefined : denyText(rules.owner)}>
              {(p) => <Select {...p} value={form.owner} disabled={!can(rules.owner)} onChange={(e) => setForm({ ...form, owner: e.target.value })}>{projectOptions(form.owner)}</Select>}
            </Field>
            <Field label="Lessee" hint={can(rules.lessee) ? undefined : denyText(rules.lessee)}>
              {(p) => <Select {...p} value={form.lessee} disabled={!can(rules.lessee)} onChange={(e) => setForm({ ...form, lessee: e.target.value })}>{projectOptions(form.lessee)}</Select>}
            </Field>
          </div>
          <Field label="Resource class" hint={can(rules.resource_class) ? undefined : denyText(rules.resource_class)}>
            {(p) => <TextInput {...p} value={form.resource_class} disabled={!can(rules.resource_class)} onChange={(e) => setForm({ ...form, resource_class: e.target.value })} />}
          </Field>
          <SaveBar
            error={save.error}
            pending={save.isPending}
            onCancel={() => setBase(null)}
            onRebase={async () => {
              const fresh = await latest();
              setBase({ node: fresh.node, etag: fresh.etag });
              save.reset();
            }}
          />
        </form>
      )}
    </Card>
  );
}

/** Reads the node again (and updates the page with it): the base for a retry after a conflict. */
function useLatestNode(uuid: string) {
  const api = useApi();
  const qc = useQueryClient();
  return () => qc.fetchQuery({ queryKey: nodeKeys.node(uuid), queryFn: () => fetchNode(api, uuid), staleTime: 0 });
}

/** Save / Cancel, the API's error in full, and for a stale ETag a way to continue from the current version. */
function SaveBar({ error, pending, onCancel, onRebase }: { error: unknown; pending: boolean; onCancel: () => void; onRebase: () => Promise<void> }) {
  return (
    <div className="space-y-2">
      {error ? (
        <Banner tone="error" data-testid={isStale(error) ? "edit-conflict" : "edit-error"}>
          {errorText(error)}
          {isStale(error) && (
            <div className="mt-2">
              <Button size="sm" onClick={() => void onRebase()}>Use the current version and keep my input</Button>
            </div>
          )}
        </Banner>
      ) : null}
      <div className="flex justify-end gap-2">
        <Button size="sm" onClick={onCancel}>Cancel</Button>
        <Button size="sm" type="submit" variant="primary" disabled={pending}>{pending ? "Saving…" : "Save"}</Button>
      </div>
    </div>
  );
}

// ---- properties / extra / driver_info ----

function DictCard({ title, field, node, etag, editReason }: {
  title: string; field: "properties" | "extra" | "driver_info"; node: ApiNode; etag: string | null; editReason: string | null;
}) {
  const api = useApi();
  const qc = useQueryClient();
  const latest = useLatestNode(node.uuid);
  const [base, setBase] = useState<{ dict: Record<string, unknown>; etag: string | null } | null>(null);
  const [rows, setRows] = useState<DictRow[]>([]);
  const dict = (node[field] ?? {}) as Record<string, unknown>;
  const errors = rowErrors(rows);
  const save = useMutation({
    mutationFn: async () => {
      const ops = dictPatch(field, base!.dict, rows);
      if (!ops.length) return null;
      return patchNode(api, node.uuid, ops, base!.etag);
    },
    onSuccess: (r) => {
      if (r) qc.setQueryData(nodeKeys.node(node.uuid), r);
      setBase(null);
      void qc.invalidateQueries({ queryKey: queryKeys.node(node.uuid) });
    },
  });
  const editing = base !== null;
  const slug = field.replace("_", "-");
  return (
    <Card
      title={title}
      actions={!editing && (
        <Button size="sm" variant="ghost" disabledReason={editReason ?? (isRedactedDict(dict) ? `Needs baremetal:node:get:${field}` : null)} onClick={() => {
          setBase({ dict, etag });
          setRows(dictToRows(dict));
          save.reset();
        }}>Edit</Button>
      )}
    >
      {!editing ? (
        <div data-testid={`${slug}-view`}>
          {isRedactedDict(dict) ? <p className="px-4 py-3 text-sm text-slate-500 dark:text-slate-400">hidden (needs baremetal:node:get:{field})</p> : <DictFields dict={dict} />}
        </div>
      ) : (
        <form
          className="space-y-2 px-4 py-3"
          data-testid={`${slug}-form`}
          onSubmit={(e) => {
            e.preventDefault();
            if (!Object.keys(errors).length) save.mutate();
          }}
        >
          <p className="text-xs text-slate-500 dark:text-slate-400">
            Values that are JSON (numbers, true/false, objects, &quot;quoted text&quot;) are stored as such; anything else as text.
            {field === "driver_info" && " Secrets are never shown: leave one empty to keep it."}
          </p>
          {rows.map((r, i) => (
            <div key={i} className="grid grid-cols-[minmax(0,2fr)_minmax(0,3fr)_auto] items-start gap-2">
              <div>
                <label className="sr-only" htmlFor={`${slug}-k-${i}`}>Key {i + 1}</label>
                <TextInput id={`${slug}-k-${i}`} value={r.key} invalid={!!errors[i]} onChange={(e) => setRows(rows.map((x, j) => (j === i ? { ...x, key: e.target.value } : x)))} className="font-mono" />
                {errors[i] && <p role="alert" className="mt-0.5 text-xs text-rose-600 dark:text-rose-400">{errors[i]}</p>}
              </div>
              <div>
                <label className="sr-only" htmlFor={`${slug}-v-${i}`}>Value of {r.key || `key ${i + 1}`}</label>
                <TextInput
                  id={`${slug}-v-${i}`}
                  type={r.secret ? "password" : "text"}
                  autoComplete={r.secret ? "new-password" : "off"}
                  placeholder={r.secret ? `${MASK} (unchanged)` : undefined}
                  value={r.text}
                  onChange={(e) => setRows(rows.map((x, j) => (j === i ? { ...x, text: e.target.value } : x)))}
                  className="font-mono"
                />
              </div>
              <Button size="sm" variant="ghost" aria-label={`Remove ${r.key || `row ${i + 1}`}`} onClick={() => setRows(rows.filter((_, j) => j !== i))}>✕</Button>
            </div>
          ))}
          <Button size="sm" onClick={() => setRows([...rows, { key: "", text: "" }])}>Add a key</Button>
          <SaveBar
            error={save.error}
            pending={save.isPending}
            onCancel={() => setBase(null)}
            onRebase={async () => {
              const fresh = await latest();
              setBase({ dict: (fresh.node[field] ?? {}) as Record<string, unknown>, etag: fresh.etag });
              save.reset();
            }}
          />
        </form>
      )}
    </Card>
  );
}

// ---- traits ----

const TRAIT = /^(CUSTOM_[A-Z0-9_]+|[A-Z][A-Z0-9_]*)$/;

function TraitsCard({ node, etag, canAdd, canRemove }: { node: ApiNode; etag: string | null; canAdd: boolean; canRemove: boolean }) {
  const api = useApi();
  const qc = useQueryClient();
  const [trait, setTrait] = useState("");
  const [error, setError] = useState<string | null>(null);
  const change = useMutation({
    mutationFn: ({ op, name }: { op: "add" | "remove"; name: string }) =>
      op === "add" ? addTrait(api, node.uuid, name, etag) : removeTrait(api, node.uuid, name, etag),
    onSuccess: (_r, v) => {
      if (v.op === "add") setTrait("");
      setError(null);
    },
    onError: (err) => setError(errorText(err)),
    onSettled: () => void qc.invalidateQueries({ queryKey: queryKeys.node(node.uuid) }),
  });
  return (
    <Card title={`Traits (${node.traits.length})`}>
      <ul className="flex flex-wrap gap-2 px-4 py-3" data-testid="traits">
        {node.traits.length ? node.traits.map((t) => (
          <li key={t}>
            <Badge tone="gray">
              <Mono>{t}</Mono>
              <button
                type="button"
                aria-label={`Remove trait ${t}`}
                title={canRemove ? `Remove ${t}` : "Needs baremetal:node:traits:delete"}
                aria-disabled={!canRemove || undefined}
                onClick={() => canRemove && change.mutate({ op: "remove", name: t })}
                className="ml-1 rounded px-0.5 text-slate-500 dark:text-slate-400 hover:text-rose-600 aria-disabled:cursor-not-allowed"
              >
                ✕
              </button>
            </Badge>
          </li>
        )) : <li><Empty>no traits</Empty></li>}
      </ul>
      <form
        className="flex items-start gap-2 border-t border-slate-100 px-4 py-3 dark:border-slate-800"
        onSubmit={(e) => {
          e.preventDefault();
          const name = trait.trim();
          if (!TRAIT.test(name)) return setError("A trait is upper case letters, digits and _ (custom ones start with CUSTOM_).");
          change.mutate({ op: "add", name });
        }}
      >
        <div className="flex-1">
          <label htmlFor="new-trait" className="sr-only">New trait</label>
          <TextInput id="new-trait" placeholder="CUSTOM_GPU" value={trait} disabled={!canAdd} onChange={(e) => setTrait(e.target.value.toUpperCase())} invalid={!!error} className="font-mono" />
          {error && <p role="alert" className="mt-1 text-xs text-rose-600 dark:text-rose-400">{error}</p>}
        </div>
        <Button type="submit" size="sm" disabledReason={canAdd ? null : "Needs baremetal:node:traits:set"}>Add trait</Button>
      </form>
    </Card>
  );
}

// ---- ports ----

function PortsCard({ uuid }: { uuid: string }) {
  const api = useApi();
  const ports = useQuery({ queryKey: nodeKeys.ports(uuid), queryFn: () => nodePorts(api, uuid) });
  return (
    <Card title={`Ports${ports.data ? ` (${ports.data.length})` : ""}`}>
      {ports.isPending ? (
        <div className="h-16 animate-pulse" />
      ) : ports.isError ? (
        <p className="px-4 py-3 text-sm text-rose-600">{errorText(ports.error)}</p>
      ) : ports.data.length ? (
        <div className="overflow-x-auto">
          <table className="w-full text-left text-sm" data-testid="ports">
            <thead className="text-xs uppercase tracking-wide text-slate-500 dark:text-slate-400">
              <tr className="border-b border-slate-200 dark:border-slate-800">
                <th className="px-4 py-2 font-medium">MAC address</th>
                <th className="px-4 py-2 font-medium">UUID</th>
                <th className="px-4 py-2 font-medium">PXE</th>
                <th className="px-4 py-2 font-medium">Physical network</th>
                <th className="px-4 py-2 font-medium">Switch port</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
              {ports.data.map((p) => (
                <tr key={p.uuid}>
                  <td className="px-4 py-2"><Mono>{p.address}</Mono></td>
                  <td className="px-4 py-2"><Mono className="text-slate-500 dark:text-slate-400">{p.uuid}</Mono></td>
                  <td className="px-4 py-2">{p.pxe_enabled ? "yes" : "no"}</td>
                  <td className="px-4 py-2">{p.physical_network ?? <Empty />}</td>
                  <td className="px-4 py-2">
                    {p.local_link_connection?.port_id ? (
                      <Mono>{String(p.local_link_connection.switch_info ?? p.local_link_connection.switch_id ?? "")} {String(p.local_link_connection.port_id)}</Mono>
                    ) : <Empty />}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p className="px-4 py-3 text-sm text-slate-500 dark:text-slate-400">no ports</p>
      )}
    </Card>
  );
}

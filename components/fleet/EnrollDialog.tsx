"use client";
// Enrolling a node from the fleet page: a hardware type from GET /v1/drivers, a form built from its
// driver_info properties (components/fleet/enroll.ts), optional interface overrides, then
// POST /v1/nodes and one POST /v1/ports per MAC address. The server's refusal is shown at the form
// with everything typed kept; a port that fails leaves the node enrolled and says so.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useCallback, useId, useMemo, useState } from "react";
import { useApi } from "@/components/Providers.tsx";
import { Banner, Button, Dialog, Field, Select, Spinner, TextArea, TextInput } from "@/components/ui.tsx";
import { ApiError } from "@/lib/client/api.ts";
import { createNode, createPort, driverDetail, driverProperties, enrollKeys, listDrivers } from "@/lib/client/enroll.ts";
import { queryKeys } from "@/lib/client/keys.ts";
import { errorText, projects as listProjects } from "@/lib/client/node.ts";
import type { ApiNode } from "@/lib/shared/wire.ts";
import type { InterfaceName } from "@/lib/shared/interfaces.ts";
import { authorize, isSystemScoped, type Principal } from "@/lib/shared/policy.ts";
import { driverFields, emptyForm, formErrors, interfaceChoices, nodeBody, parseMacs, type DriverField, type EnrollForm } from "./enroll.ts";

/** The fleet page's "Enroll node" button (only for viewers the policy lets create nodes). */
export function EnrollButton({ principal }: { principal: Principal }) {
  const [open, setOpen] = useState(false);
  // Stable: the dialog moves focus into itself whenever onClose changes, and the fleet page
  // re-renders on every live update.
  const close = useCallback(() => setOpen(false), []);
  if (!authorize("baremetal:node:create", principal)) return null;
  return (
    <>
      <Button variant="primary" onClick={() => setOpen(true)}>Enroll node</Button>
      {open && <EnrollDialog principal={principal} onClose={close} />}
    </>
  );
}

interface PortFailure {
  mac: string;
  message: string;
}

export function EnrollDialog({ principal, onClose }: { principal: Principal; onClose: () => void }) {
  const api = useApi();
  const qc = useQueryClient();
  const router = useRouter();
  const formId = useId();
  const [form, setForm] = useState<EnrollForm>(() => emptyForm());
  const [showErrors, setShowErrors] = useState(false);
  const [serverError, setServerError] = useState<string | null>(null);
  // Set once the node exists: a second submit must not enroll it twice.
  const [created, setCreated] = useState<{ node: ApiNode; added: string[]; failures: PortFailure[] } | null>(null);
  const systemAdmin = isSystemScoped(principal);

  const drivers = useQuery({ queryKey: enrollKeys.drivers, queryFn: () => listDrivers(api), staleTime: 60_000 });
  // Project admins may enroll but not read the driver list (baremetal:driver:get is a system rule): they type the name.
  const driverListHidden = drivers.error instanceof ApiError && drivers.error.status === 403;
  const driverKnown = !!form.driver && !!drivers.data?.some((d) => d.name === form.driver);
  const props = useQuery({
    queryKey: enrollKeys.properties(form.driver), queryFn: () => driverProperties(api, form.driver), enabled: driverKnown, staleTime: 60_000,
  });
  const detail = useQuery({
    queryKey: enrollKeys.driver(form.driver), queryFn: () => driverDetail(api, form.driver), enabled: driverKnown, staleTime: 60_000,
  });
  const projects = useQuery({ queryKey: queryKeys.projects, queryFn: () => listProjects(api), enabled: systemAdmin, staleTime: 60_000 });

  const fields = useMemo(() => (props.data ? driverFields(props.data) : []), [props.data]);
  const choices = useMemo(() => (detail.data ? interfaceChoices(detail.data) : []), [detail.data]);
  const errors = formErrors(form, fields);
  const shown = showErrors ? errors : {};

  const set = (patch: Partial<EnrollForm>) => setForm((f) => ({ ...f, ...patch }));
  const setInfo = (key: string, value: string) => setForm((f) => ({ ...f, driverInfo: { ...f.driverInfo, [key]: value } }));

  const enroll = useMutation({
    mutationFn: async () => {
      const node = created?.node ?? (await createNode(api, nodeBody(form)));
      const added = [...(created?.added ?? [])];
      const failures: PortFailure[] = [];
      for (const mac of parseMacs(form.macs).macs) {
        if (added.includes(mac)) continue;
        try {
          await createPort(api, node.uuid, mac);
          added.push(mac);
        } catch (err) {
          failures.push({ mac, message: errorText(err) });
        }
      }
      return { node, added, failures };
    },
    onSuccess: (result) => {
      void qc.invalidateQueries({ queryKey: queryKeys.nodes });
      if (result.failures.length) {
        setCreated(result);
        return;
      }
      router.push(`/nodes/${result.node.uuid}`);
    },
    onError: (err) => setServerError(errorText(err)),
  });

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    setShowErrors(true);
    setServerError(null);
    if (Object.keys(errors).length) return;
    enroll.mutate();
  };

  const chooseDriver = (driver: string) => {
    // Another hardware type has other fields: drop the values typed for the previous one.
    setForm((f) => ({ ...f, driver, driverInfo: {}, interfaces: {} }));
  };

  const createdName = created ? created.node.name ?? created.node.uuid : "";

  return (
    <Dialog
      open
      wide
      title="Enroll a node"
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>{created ? "Close" : "Cancel"}</Button>
          {created && <Link href={`/nodes/${created.node.uuid}`} className="inline-flex items-center rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium dark:border-slate-700">Open the node</Link>}
          {/* Not before the driver's fields are known: their required checks would be skipped. */}
          <Button type="submit" form={formId} variant="primary" disabled={enroll.isPending || (driverKnown && props.isPending)}>
            {enroll.isPending && <Spinner label="Enrolling" />}
            {created ? "Add the failed ports again" : "Enroll"}
          </Button>
        </>
      }
    >
      <form id={formId} onSubmit={submit} noValidate className="space-y-4" data-testid="enroll-form">
        {created && (
          <Banner tone="warning" data-testid="enroll-port-error">
            Node <b>{createdName}</b> was enrolled, but {created.failures.length === 1 ? "a port" : "some ports"} could not be added:
            <ul className="mt-1 list-disc pl-5">
              {created.failures.map((f) => <li key={f.mac}><span className="font-mono">{f.mac}</span>: {f.message}</li>)}
            </ul>
            The node is kept. Fix the addresses and try again, or add ports on the node&apos;s page.
          </Banner>
        )}

        <div className="grid gap-4 sm:grid-cols-2">
          {driverListHidden ? (
            <Field label="Hardware type" hint="Your role cannot list the hardware types (baremetal:driver:get): type its name, and the driver_info below." error={shown.driver}>
              {(ids) => <TextInput {...ids} value={form.driver} disabled={!!created} onChange={(e) => set({ driver: e.target.value.trim() })} />}
            </Field>
          ) : (
            <Field label="Hardware type" error={shown.driver ?? (drivers.error ? `The hardware types could not be read: ${errorText(drivers.error)}` : null)}>
              {(ids) => (
                <Select {...ids} value={form.driver} disabled={!!created || drivers.isPending} onChange={(e) => chooseDriver(e.target.value)}>
                  <option value="">{drivers.isPending ? "Loading…" : "Choose a hardware type"}</option>
                  {drivers.data?.map((d) => <option key={d.name} value={d.name}>{d.name}</option>)}
                </Select>
              )}
            </Field>
          )}
          <Field label="Name" hint="Optional; letters, digits and - . _ ~">
            {(ids) => <TextInput {...ids} value={form.name} disabled={!!created} autoComplete="off" onChange={(e) => set({ name: e.target.value })} />}
          </Field>
          <Field label="Resource class" hint="Optional; the flavor's resource class, e.g. baremetal.large">
            {(ids) => <TextInput {...ids} value={form.resourceClass} disabled={!!created} autoComplete="off" onChange={(e) => set({ resourceClass: e.target.value })} />}
          </Field>
          {systemAdmin ? (
            <Field label="Owner" hint="The project that owns the node (optional)">
              {(ids) => (
                <Select {...ids} value={form.owner} disabled={!!created} onChange={(e) => set({ owner: e.target.value })}>
                  <option value="">No owner</option>
                  {projects.data?.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
                </Select>
              )}
            </Field>
          ) : (
            <p className="self-end text-sm text-slate-500 dark:text-slate-400">The node will be owned by your project.</p>
          )}
        </div>

        {form.driver && (
          <DriverInfoFields
            driver={form.driver}
            fields={fields}
            loading={driverKnown && props.isPending}
            loadError={props.error ? errorText(props.error) : null}
            values={form.driverInfo}
            errors={shown}
            disabled={!!created}
            onChange={setInfo}
          />
        )}

        {form.driver && (
          <Field label="More driver_info" hint="Settings not listed above, one key=value per line (optional)." error={shown.extraDriverInfo}>
            {(ids) => <TextArea {...ids} rows={2} value={form.extraDriverInfo} disabled={!!created} spellCheck={false} onChange={(e) => set({ extraDriverInfo: e.target.value })} />}
          </Field>
        )}

        {choices.length > 0 && (
          <details className="rounded-lg border border-slate-200 px-3 py-2 dark:border-slate-800">
            <summary className="cursor-pointer text-sm font-medium">Interfaces (optional: the hardware type&apos;s defaults otherwise)</summary>
            <div className="mt-3 grid gap-3 sm:grid-cols-3">
              {choices.map((c) => (
                <Field key={c.kind} label={`${c.kind} interface`}>
                  {(ids) => (
                    <Select {...ids} value={form.interfaces[c.kind] ?? ""} disabled={!!created}
                      onChange={(e) => setForm((f) => ({ ...f, interfaces: { ...f.interfaces, [c.kind as InterfaceName]: e.target.value } }))}>
                      <option value="">default ({c.defaultName ?? "none"})</option>
                      {c.options.map((o) => <option key={o} value={o}>{o}</option>)}
                    </Select>
                  )}
                </Field>
              ))}
            </div>
          </details>
        )}

        <Field label="Port MAC addresses" hint="One port per MAC address (the NICs the node boots from), separated by spaces or new lines. Optional." error={shown.macs}>
          {(ids) => <TextArea {...ids} rows={2} value={form.macs} spellCheck={false} placeholder="52:54:00:12:34:56" onChange={(e) => set({ macs: e.target.value })} />}
        </Field>

        {serverError && <Banner tone="error" data-testid="enroll-error">{serverError}</Banner>}
        {showErrors && Object.keys(errors).length > 0 && (
          <p className="text-sm text-rose-600 dark:text-rose-400" role="alert">Fix the {Object.keys(errors).length === 1 ? "field" : "fields"} marked above.</p>
        )}
      </form>
    </Dialog>
  );
}

function DriverInfoFields({ driver, fields, loading, loadError, values, errors, disabled, onChange }: {
  driver: string;
  fields: DriverField[];
  loading: boolean;
  loadError: string | null;
  values: Record<string, string>;
  errors: Record<string, string>;
  disabled: boolean;
  onChange: (key: string, value: string) => void;
}) {
  if (loading) return <p className="text-sm text-slate-500 dark:text-slate-400"><Spinner label="Loading the driver's properties" /> Loading {driver}&apos;s driver_info fields…</p>;
  if (loadError) return <Banner tone="error">The driver_info fields of {driver} could not be read: {loadError}</Banner>;
  if (!fields.length) return null;
  const optionalFrom = fields.findIndex((f) => f.need !== "required");
  const required = optionalFrom < 0 ? fields : fields.slice(0, optionalFrom);
  const rest = optionalFrom < 0 ? [] : fields.slice(optionalFrom);
  const render = (f: DriverField) => (
    <Field
      key={f.name}
      label={
        <span className="font-mono">
          {f.name}{" "}
          {f.need === "required" && <span className="ml-0.5 font-sans text-rose-600 dark:text-rose-400">(required)</span>}
          {f.need === "conditional" && <span className="ml-0.5 font-sans text-xs font-normal text-slate-500 dark:text-slate-400">(conditional)</span>}
        </span>
      }
      hint={f.help}
      error={errors[`driver_info.${f.name}`]}
    >
      {(ids) => (
        <TextInput
          {...ids}
          name={`driver_info.${f.name}`}
          type={f.secret ? "password" : "text"}
          // Never offered by the browser's password manager as a login: these are the BMC's credentials.
          autoComplete={f.secret ? "new-password" : "off"}
          spellCheck={false}
          aria-required={f.need === "required" || undefined}
          value={values[f.name] ?? ""}
          disabled={disabled}
          onChange={(e) => onChange(f.name, e.target.value)}
        />
      )}
    </Field>
  );
  return (
    <fieldset className="space-y-3 rounded-lg border border-slate-200 px-3 pb-3 pt-2 dark:border-slate-800" data-testid="driver-info-fields">
      <legend className="px-1 text-sm font-semibold">driver_info for {driver}</legend>
      {required.length > 0 && <div className="grid gap-3 sm:grid-cols-2">{required.map(render)}</div>}
      {rest.length > 0 && (
        <>
          {required.length > 0 && <p className="pt-1 text-xs font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400">Optional</p>}
          <div className="grid gap-3 sm:grid-cols-2">{rest.map(render)}</div>
        </>
      )}
    </fieldset>
  );
}

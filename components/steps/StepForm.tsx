"use client";
// A form generated from one step's argsinfo (docs/api-extensions.md "Available steps"): strings,
// numbers, booleans, enums as selects, objects with known keys as fieldsets, arrays of objects as
// repeatable rows, a value of no declared type as text (JSON only for objects and lists), anything
// else as a JSON field checked as you type. BIOS settings are typed from the node's registry when
// it is known (names to choose from, each value by its setting). An argument left empty is not
// sent. Problems come from lib/client/steps.ts (the server's rules) and from the server's 400, and
// show at a field once the user has acted on it (or asked to see them all).
import { createContext, useCallback, useContext, useId, useMemo, useState } from "react";
import { cx } from "@/components/format.ts";
import { biosSettingProperties, isBiosSettingsArg, type BiosRegistryEntry, type StepProblems } from "@/lib/client/steps.ts";
import { isReservedStep, RESERVED_STEP_DESCRIPTIONS, type ArgSchema, type AvailableStep } from "@/lib/shared/steps.ts";

/** Field style without a width (give one: w-full, w-20, ...). */
export const inputBase =
  "rounded-md border border-slate-300 bg-white px-2 py-1 text-sm text-slate-900 shadow-sm focus:border-amber-500 focus:outline-none focus:ring-2 focus:ring-amber-500/30 disabled:bg-slate-100 disabled:text-slate-500 dark:border-slate-700 dark:bg-slate-950 dark:text-slate-100 dark:disabled:bg-slate-900";
export const inputClass = `${inputBase} w-full`;
const labelClass = "block text-xs font-medium text-slate-700 dark:text-slate-300";
const helpClass = "mt-0.5 text-xs text-slate-500 dark:text-slate-400";
const errorClass = "mt-0.5 text-xs text-red-700 dark:text-red-400";

type Args = Record<string, unknown>;

/** Splits messages about `path…` into those under `sub` (e.g. "settings[0].name") and the rest. */
function errorsUnder(errors: string[], sub: string): string[] {
  // "settings[0]: 'name' is a required property" is about settings[0].name.
  const key = /^(.*)\.([^.[\]]+)$/.exec(sub);
  const missing = key ? `${key[1]}: '${key[2]}' is a required property` : null;
  return errors.filter((e) => {
    const about = e.startsWith("argument ") ? e.slice("argument ".length) : e;
    return about === missing || about.startsWith(`${sub}:`) || about.startsWith(`${sub}.`) || about.startsWith(`${sub}[`);
  });
}

/**
 * Which fields show their problems: those holding a value, and empty ones once the user changed
 * or left them. A fresh form does not greet the user with "required".
 */
interface Touched {
  shown(path: string): boolean;
  touch(path: string): void;
}
const TouchedContext = createContext<Touched>({ shown: () => true, touch: () => undefined });

function useTouched(path: string, value?: unknown): { show: boolean; touch: () => void } {
  const t = useContext(TouchedContext);
  return { show: value !== undefined || t.shown(path), touch: () => t.touch(path) };
}

export interface StepFormProps {
  /** The step's arguments now. */
  args: Args;
  /** The step as the node declares it (undefined: unknown step, edit its arguments as JSON). */
  declared: AvailableStep | undefined;
  /** `interface.step`, for reserved steps (wait takes `seconds`). */
  stepName: string;
  onChange: (args: Args) => void;
  /** Problems of this step (client checks). */
  problems: StepProblems;
  /** Messages of the server's last 400 that name this step. */
  serverErrors?: string[];
  /** A JSON field holds text that does not parse (path, message) or is fine again (null). */
  onInvalid: (path: string, message: string | null) => void;
  readOnly?: boolean;
  /** The node's BIOS registry, when the form is for a node: BIOS settings are typed from it. */
  bios?: BiosRegistryEntry[] | null;
}

export function StepForm({ args, declared, stepName, onChange, problems, serverErrors = [], onInvalid, readOnly, bios }: StepFormProps) {
  const [touchedPaths, setTouchedPaths] = useState<ReadonlySet<string>>(() => new Set());
  const touch = useCallback((path: string) => setTouchedPaths((t) => (t.has(path) ? t : new Set(t).add(path))), []);
  const touched = useMemo<Touched>(() => ({
    // A field's problems show once it (or a field inside it) was touched.
    shown: (path) => [...touchedPaths].some((p) => p === path || p.startsWith(`${path}.`) || p.startsWith(`${path}[`)),
    touch,
  }), [touchedPaths, touch]);
  const [iface] = stepName.split(".");
  const step = stepName.split(".").slice(1).join(".");
  const reserved = isReservedStep(step);
  const info = reserved ? (step === "wait" ? { seconds: { description: "Seconds to wait (empty: wait until released)", required: false, type: "integer" as const } } : {}) : declared?.argsinfo ?? null;
  const set = (name: string, v: unknown) => {
    const next = { ...args };
    if (v === undefined) delete next[name];
    else next[name] = v;
    onChange(next);
  };
  // Arguments present but not declared stay visible so they can be removed.
  const unknownArgs = info ? Object.keys(args).filter((k) => !(k in info)) : [];
  return (
    <TouchedContext.Provider value={touched}>
    <div className="space-y-3" data-testid="step-form">
      {declared?.description && <p className="text-xs text-slate-600 dark:text-slate-400">{declared.description}</p>}
      {reserved && <p className="text-xs text-slate-600 dark:text-slate-400">{RESERVED_STEP_DESCRIPTIONS[step]} (handled by the conductor itself)</p>}
      {problems.general.length > 0 && (
        <ul className="space-y-0.5" aria-live="polite">
          {problems.general.map((m, i) => <li key={i} className={errorClass}>{m}</li>)}
        </ul>
      )}
      {serverErrors.length > 0 && (
        <div role="alert" className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-xs text-red-800 dark:border-red-800 dark:bg-red-950/40 dark:text-red-300" data-testid="step-server-error">
          <p className="font-medium">The server refused this step:</p>
          <ul className="mt-1 list-disc pl-4">{serverErrors.map((m, i) => <li key={i}>{m}</li>)}</ul>
        </div>
      )}
      {info === null ? (
        <JsonArg
          label="Arguments (JSON object)"
          help={declared ? "This step takes no declared arguments." : "Unknown step: its arguments cannot be checked here."}
          value={args}
          path="args"
          onChange={(v) => onChange((v ?? {}) as Args)}
          onInvalid={onInvalid}
          expect="object"
          errors={Object.values(problems.args).flat()}
          readOnly={readOnly}
        />
      ) : Object.keys(info).length === 0 && unknownArgs.length === 0 ? (
        <p className="text-xs text-slate-500 dark:text-slate-400">No arguments.</p>
      ) : (
        <div className="grid gap-3 sm:grid-cols-2">
          {Object.entries(info).map(([name, a]) => (
            <ArgField
              key={name}
              name={name}
              schema={a}
              required={a.required}
              description={a.description}
              value={args[name]}
              onChange={(v) => set(name, v)}
              errors={problems.args[name] ?? []}
              onInvalid={onInvalid}
              path={name}
              readOnly={readOnly}
              rowProperties={isBiosSettingsArg({ interface: iface, step }, name) && a.items?.properties
                ? (row) => biosSettingProperties(a.items!.properties!, bios, row.name)
                : undefined}
            />
          ))}
          {unknownArgs.map((name) => (
            <div key={name} className="sm:col-span-2">
              <p className={errorClass}>{(problems.args[name] ?? [`unexpected argument ${name}`]).join("; ")}</p>
              {!readOnly && (
                <button type="button" className="text-xs text-red-700 underline dark:text-red-400" onClick={() => set(name, undefined)}>
                  Remove argument {name}
                </button>
              )}
            </div>
          ))}
        </div>
      )}
    </div>
    </TouchedContext.Provider>
  );
}

interface ArgFieldProps {
  name: string;
  schema: ArgSchema;
  required: boolean;
  description?: string;
  value: unknown;
  onChange: (v: unknown) => void;
  errors: string[];
  onInvalid: (path: string, message: string | null) => void;
  path: string;
  readOnly?: boolean;
  /** For a list of objects: the keys of one row, refined by what the row holds (BIOS settings). */
  rowProperties?: (row: Args) => NonNullable<ArgSchema["properties"]>;
}

/** One argument, rendered by its schema. */
function ArgField(props: ArgFieldProps) {
  const { schema } = props;
  const { show } = useTouched(props.path, props.value);
  const shownProps = show ? props : { ...props, errors: [] };
  const objectItems = schema.type === "array" && schema.items?.type === "object" && schema.items.properties;
  if (objectItems) return <ObjectRows {...props} />;
  if (schema.type === "object" && schema.properties) return <ObjectFieldset {...props} />;
  if (schema.allowed_values?.length || schema.type === "boolean") return <EnumArg {...shownProps} />;
  if (schema.type === "string" || schema.type === "integer" || schema.type === "number") return <ScalarArg {...shownProps} />;
  // A value of no declared type (e.g. a BIOS setting's value without the registry): text.
  if (schema.type === undefined) return <ScalarArg {...shownProps} />;
  return (
    <div className="sm:col-span-2">
      <JsonArg
        label={<ArgLabel name={props.name} required={props.required} type={schema.type} />}
        help={props.description}
        value={props.value}
        path={props.path}
        onChange={props.onChange}
        onInvalid={props.onInvalid}
        expect={schema.type}
        errors={shownProps.errors}
        readOnly={props.readOnly}
      />
    </div>
  );
}

function ArgLabel({ name, required, type }: { name: string; required: boolean; type?: string }) {
  return (
    <>
      <span className="font-mono">{name}</span>
      {required && <span className="ml-0.5 text-red-600 dark:text-red-400" aria-hidden>*</span>}
      {type && <span className="ml-1.5 font-normal text-slate-500 dark:text-slate-400">{type}</span>}
      {required && <span className="sr-only"> (required)</span>}
    </>
  );
}

function Messages({ id, help, errors }: { id: string; help?: string; errors: string[] }) {
  return (
    <div id={id}>
      {help && <p className={helpClass}>{help}</p>}
      {errors.map((e, i) => <p key={i} className={errorClass}>{e}</p>)}
    </div>
  );
}

/** Text typed into a field of no declared type: a JSON object or list when it parses as one, else the text itself. */
function looseValue(raw: string): unknown {
  const t = raw.trim();
  if (t.startsWith("{") || t.startsWith("[")) {
    try {
      return JSON.parse(t) as unknown;
    } catch {
      return raw;
    }
  }
  return raw;
}

function ScalarArg({ name, schema, required, description, value, onChange, errors, readOnly, path }: ArgFieldProps) {
  const id = useId();
  const { touch } = useTouched(path);
  const numeric = schema.type === "integer" || schema.type === "number";
  const loose = schema.type === undefined;
  const text = value === undefined || value === null ? "" : typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value);
  const help = loose ? [description, "Sent as text; start with { or [ for a JSON object or list."].filter(Boolean).join(" ") : description;
  return (
    <div>
      <label htmlFor={id} className={labelClass}><ArgLabel name={name} required={required} type={schema.type} /></label>
      <input
        id={id}
        className={cx(inputClass, "mt-1", errors.length > 0 && "border-red-500 dark:border-red-500")}
        value={text}
        inputMode={schema.type === "integer" ? "numeric" : numeric ? "decimal" : undefined}
        aria-required={required || undefined}
        aria-invalid={errors.length > 0 || undefined}
        aria-describedby={`${id}-msg`}
        disabled={readOnly}
        onBlur={touch}
        onChange={(e) => {
          touch();
          const raw = e.target.value;
          if (raw === "") return onChange(undefined);
          if (loose) return onChange(looseValue(raw));
          if (!numeric) return onChange(raw);
          // A number that parses is stored as a number; anything else stays text and fails the type check.
          const n = Number(raw.trim());
          onChange(raw.trim() !== "" && Number.isFinite(n) && /^-?\d*\.?\d+(e-?\d+)?$/i.test(raw.trim()) ? n : raw);
        }}
      />
      <Messages id={`${id}-msg`} help={help} errors={errors} />
    </div>
  );
}

function EnumArg({ name, schema, required, description, value, onChange, errors, readOnly, path }: ArgFieldProps) {
  const id = useId();
  const { touch } = useTouched(path);
  const options: unknown[] = schema.allowed_values?.length ? schema.allowed_values : [true, false];
  const index = options.findIndex((o) => o === value);
  // A current value outside the allowed ones is kept as an option so the user sees it.
  const stray = value !== undefined && index < 0;
  return (
    <div>
      <label htmlFor={id} className={labelClass}><ArgLabel name={name} required={required} type={schema.type} /></label>
      <select
        id={id}
        className={cx(inputClass, "mt-1", errors.length > 0 && "border-red-500 dark:border-red-500")}
        value={stray ? "stray" : index < 0 ? "" : String(index)}
        aria-required={required || undefined}
        aria-invalid={errors.length > 0 || undefined}
        aria-describedby={`${id}-msg`}
        disabled={readOnly}
        onBlur={touch}
        onChange={(e) => {
          touch();
          const v = e.target.value;
          if (v === "") onChange(undefined);
          else if (v !== "stray") onChange(options[Number(v)]);
        }}
      >
        <option value="">{required ? "— choose —" : "(not set)"}</option>
        {options.map((o, i) => <option key={i} value={String(i)}>{typeof o === "string" ? o : JSON.stringify(o)}</option>)}
        {stray && <option value="stray">{JSON.stringify(value)} (not allowed)</option>}
      </select>
      <Messages id={`${id}-msg`} help={description} errors={errors} />
    </div>
  );
}

/** A JSON value typed as text: parsed on every change; text that does not parse is reported, not sent. */
function JsonArg({ label, help, value, path, onChange, onInvalid, expect, errors, readOnly }: {
  label: React.ReactNode; help?: string; value: unknown; path: string; onChange: (v: unknown) => void;
  onInvalid: (path: string, message: string | null) => void; expect?: string; errors: string[]; readOnly?: boolean;
}) {
  const id = useId();
  const render = (v: unknown) => (v === undefined ? "" : JSON.stringify(v, null, 2));
  const [text, setText] = useState(() => render(value));
  const [parsedFrom, setParsedFrom] = useState<unknown>(value);
  const [localError, setLocalError] = useState<string | null>(null);
  // The value changed from outside (JSON view of the list, reorder): show it.
  if (parsedFrom !== value && localError === null) {
    setParsedFrom(value);
    setText(render(value));
  }
  const all = localError ? [localError, ...errors] : errors;
  return (
    <div>
      <label htmlFor={id} className={labelClass}>{label}</label>
      <textarea
        id={id}
        className={cx(inputClass, "mt-1 font-mono text-xs", all.length > 0 && "border-red-500 dark:border-red-500")}
        rows={Math.min(10, Math.max(2, text.split("\n").length))}
        value={text}
        spellCheck={false}
        aria-invalid={all.length > 0 || undefined}
        aria-describedby={`${id}-msg`}
        disabled={readOnly}
        onChange={(e) => {
          const t = e.target.value;
          setText(t);
          if (t.trim() === "") {
            setLocalError(null);
            onInvalid(path, null);
            setParsedFrom(undefined);
            onChange(undefined);
            return;
          }
          try {
            const v: unknown = JSON.parse(t);
            if (expect === "object" && (v === null || typeof v !== "object" || Array.isArray(v))) throw new Error("must be a JSON object");
            setLocalError(null);
            onInvalid(path, null);
            setParsedFrom(v);
            onChange(v);
          } catch (err) {
            const msg = `Not valid JSON${expect ? ` (${expect})` : ""}: ${(err as Error).message}`;
            setLocalError(msg);
            onInvalid(path, msg);
          }
        }}
      />
      <Messages id={`${id}-msg`} help={help} errors={all} />
    </div>
  );
}

function ObjectFieldset({ name, schema, required, description, value, onChange, errors, onInvalid, path, readOnly }: ArgFieldProps) {
  const msgId = useId();
  const { show } = useTouched(path, value);
  const obj = value && typeof value === "object" && !Array.isArray(value) ? (value as Args) : {};
  const set = (k: string, v: unknown) => {
    const next = { ...obj };
    if (v === undefined) delete next[k];
    else next[k] = v;
    onChange(Object.keys(next).length ? next : undefined);
  };
  return (
    <fieldset className="rounded-md border border-slate-200 p-3 sm:col-span-2 dark:border-slate-700" aria-describedby={msgId}>
      <legend className={cx(labelClass, "px-1")}><ArgLabel name={name} required={required} type="object" /></legend>
      <div className="grid gap-3 sm:grid-cols-2">
        {Object.entries(schema.properties ?? {}).map(([k, sub]) => (
          <ArgField key={k} name={k} schema={sub} required={!!sub.required} description={sub.description} value={obj[k]}
            onChange={(v) => set(k, v)} errors={errorsUnder(errors, `${path}.${k}`)} onInvalid={onInvalid} path={`${path}.${k}`} readOnly={readOnly} />
        ))}
      </div>
      <Messages id={msgId} help={description} errors={show ? errors.filter((e) => !Object.keys(schema.properties ?? {}).some((k) => errorsUnder([e], `${path}.${k}`).length)) : []} />
    </fieldset>
  );
}

/** An array of objects: one row per item, a field per known key, add/remove rows. */
function ObjectRows({ name, schema, required, description, value, onChange, errors, onInvalid, path, readOnly, rowProperties }: ArgFieldProps) {
  const msgId = useId();
  const { show, touch } = useTouched(path, value);
  const rows = Array.isArray(value) ? (value as unknown[]) : [];
  const props = schema.items?.properties ?? {};
  const propsOf = (r: Args) => (rowProperties ? rowProperties(r) : props);
  const setRow = (i: number, k: string, v: unknown) => {
    const next = rows.map((r) => (r && typeof r === "object" && !Array.isArray(r) ? { ...(r as Args) } : {})) as Args[];
    if (v === undefined) delete next[i][k];
    else next[i][k] = v;
    onChange(next);
  };
  return (
    <fieldset className="rounded-md border border-slate-200 p-3 sm:col-span-2 dark:border-slate-700" data-testid={`arg-rows-${name}`} aria-describedby={msgId}>
      <legend className={cx(labelClass, "px-1")}><ArgLabel name={name} required={required} type={`array of objects`} /></legend>
      {rows.length === 0 && <p className="text-xs text-slate-500 dark:text-slate-400">No rows{required ? " — add at least one" : " (not sent)"}.</p>}
      <ol className="space-y-2">
        {rows.map((row, i) => {
          const r = row && typeof row === "object" && !Array.isArray(row) ? (row as Args) : {};
          return (
            <li key={i} className="flex items-end gap-2 rounded bg-slate-50 p-2 dark:bg-slate-800/50">
              <span className="w-6 pb-1.5 text-right text-xs text-slate-500 dark:text-slate-400">{i + 1}.</span>
              <div className="grid flex-1 gap-2 sm:grid-cols-2">
                {Object.entries(propsOf(r)).map(([k, sub]) => (
                  <ArgField key={k} name={k} schema={sub} required={!!sub.required} description={sub.description} value={r[k]}
                    onChange={(v) => setRow(i, k, v)} errors={errorsUnder(errors, `${path}[${i}].${k}`)} onInvalid={onInvalid} path={`${path}[${i}].${k}`} readOnly={readOnly} />
                ))}
              </div>
              {!readOnly && (
                <button
                  type="button"
                  className="rounded px-2 py-1 text-xs text-red-700 hover:bg-red-50 dark:text-red-400 dark:hover:bg-red-950/40"
                  aria-label={`Remove row ${i + 1} of ${name}`}
                  onClick={() => {
                    const next = rows.filter((_, j) => j !== i);
                    onChange(next.length ? next : undefined);
                  }}
                >
                  Remove
                </button>
              )}
            </li>
          );
        })}
      </ol>
      {!readOnly && (
        <button
          type="button"
          className="mt-2 rounded border border-slate-300 px-2 py-1 text-xs hover:bg-slate-50 dark:border-slate-600 dark:hover:bg-slate-800"
          onClick={() => {
            touch();
            onChange([...rows, {}]);
          }}
        >
          Add a row to {name}
        </button>
      )}
      {/* Messages about a row's field are shown at that field; the rest (whole array, whole row) here. */}
      <Messages id={msgId} help={description} errors={show ? errors.filter((e) => !rows.some((_, i) => Object.keys(props).some((k) => errorsUnder([e], `${path}[${i}].${k}`).length))) : []} />
    </fieldset>
  );
}

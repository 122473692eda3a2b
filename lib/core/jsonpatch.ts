// JSON Patch (RFC 6902) as Ironic applies it to a resource's API view (reference §2.6): each
// operation in turn on a copy. Error texts follow Ironic/python-jsonpatch, which clients show
// verbatim. The request's schema (a list of {op, path, value}) is checked in lib/api/jsonpatch.ts.
import { Invalid } from "./errors.ts";
import { maskSecretsAt } from "./secrets.ts";
import { jsonDepth, MAX_JSON_DEPTH } from "../shared/json_depth.ts";
import { pyRepr } from "../shared/pyrepr.ts";

export type PatchOp = "add" | "replace" | "remove" | "test" | "move" | "copy";

export interface PatchOperation {
  op: PatchOp;
  path: string;
  value?: unknown;
  from?: string;
}

export { pyRepr };

/** Splits a JSON pointer into keys (unescaping ~1 and ~0). */
export function pointerKeys(path: string): string[] {
  if (path === "") return [];
  return path.slice(1).split("/").map((k) => k.replace(/~1/g, "/").replace(/~0/g, "~"));
}

export class PatchError extends Invalid {}

/**
 * What a failed patch may quote of the document it applies to: the caller's view of it, never the
 * stored values (the document holds unmasked secrets). Secret-looking keys are always masked.
 */
export interface PatchView {
  /** Root fields the caller may not read, each with what the caller reads instead. */
  hidden?: Readonly<Record<string, unknown>>;
  /** Keys masked under a root field besides the secret-looking ones (instance_info: configdrive, image_url). */
  alsoMasked?: Readonly<Record<string, ReadonlySet<string>>>;
}

/**
 * One operation being applied: how to split paths, which operation errors name, and `seen`, the
 * document as the caller sees it, patched alongside the real one so errors quote only that.
 */
interface Step {
  escapes: boolean;
  view: PatchView;
  /** The operation as the client sent it (move/copy run as remove + add, but errors name the move/copy). */
  sent: PatchOperation;
  seen: Record<string, unknown>;
}

function splitPath(path: string, escapes: boolean): string[] {
  return escapes ? pointerKeys(path) : path.slice(1).split("/");
}

function hasOwn(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

function isHidden(view: PatchView, root: string): boolean {
  return view.hidden !== undefined && hasOwn(view.hidden, root);
}

/** A value put at `keys` by the client, as the caller's view shows it there. */
function maskedAt(view: PatchView, keys: readonly string[], value: unknown): unknown {
  return maskSecretsAt(keys, value, view.alsoMasked?.[keys[0]]);
}

/** The caller's view of a whole document: hidden fields replaced, secrets masked. */
function viewOf(view: PatchView, doc: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(doc).map(([k, v]) => [k, isHidden(view, k) ? clone(view.hidden![k]) : maskedAt(view, [k], v)]));
}

/**
 * What the caller's view holds at `keys`: where the view has no such path (inside a mask or a
 * hidden field's placeholder), what it shows instead.
 */
function seenAt(seen: unknown, keys: readonly string[]): unknown {
  let cur = seen;
  for (const k of keys) {
    if (Array.isArray(cur) && /^(0|[1-9]\d*)$/.test(k) && Number(k) < cur.length) cur = cur[Number(k)];
    else if (isContainer(cur) && !Array.isArray(cur) && hasOwn(cur, k)) cur = cur[k];
    else return cur;
  }
  return cur;
}

const REMOVED = Symbol("removed");

/**
 * Puts (or removes) a value in the caller's view, where the view has that path at all: not in a
 * hidden field (the caller reads its placeholder whatever changes there), not inside a mask.
 */
function setSeen(step: Step, keys: readonly string[], value: unknown, insert: boolean): void {
  if (isHidden(step.view, keys[0])) return;
  let parent: unknown = step.seen;
  for (const k of keys.slice(0, -1)) {
    const next = seenAt(parent, [k]);
    if (next === parent || !isContainer(next)) return;
    parent = next;
  }
  const key = keys[keys.length - 1];
  if (Array.isArray(parent)) {
    const idx = key === "-" ? parent.length : Number(key);
    if (value === REMOVED) parent.splice(idx, 1);
    else if (insert) parent.splice(idx, 0, value);
    else parent[idx] = value;
  } else if (isContainer(parent)) {
    const obj = parent as Record<string, unknown>;
    if (value === REMOVED) delete obj[key];
    else obj[key] = value;
  }
}

/** Applies an operation that succeeded on the document to the caller's view of it. */
function mirror(step: Step, op: PatchOperation): void {
  const keys = splitPath(op.path, step.escapes);
  switch (op.op) {
    case "add":
    case "replace":
      setSeen(step, keys, maskedAt(step.view, keys, clone(op.value)), op.op === "add");
      return;
    case "remove":
      setSeen(step, keys, REMOVED, false);
      return;
    case "move":
    case "copy": {
      const fromKeys = splitPath(op.from ?? "", step.escapes);
      const value = clone(seenAt(step.seen, fromKeys));
      if (op.op === "move") setSeen(step, fromKeys, REMOVED, false);
      setSeen(step, keys, maskedAt(step.view, keys, value), true);
      return;
    }
  }
}

function fail(step: Step, reason: string): never {
  const op = step.sent;
  const quoted: Record<string, unknown> = {};
  for (const k of Object.keys(op)) quoted[k] = (op as unknown as Record<string, unknown>)[k];
  // The client's own value, masked as it would be once stored at that path.
  if (hasOwn(quoted, "value")) quoted.value = maskedAt(step.view, splitPath(op.path, step.escapes), op.value);
  throw new PatchError(`Couldn't apply patch '${pyRepr(quoted)}'. Reason: ${reason}`);
}

/** `member 'k' not found in <container at containerKeys>`, the container as the caller sees it. */
function notFoundIn(step: Step, key: string, containerKeys: readonly string[]): never {
  fail(step, `member '${key}' not found in ${pyRepr(seenAt(step.seen, containerKeys))}`);
}

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

function isContainer(v: unknown): v is Record<string, unknown> | unknown[] {
  return v !== null && typeof v === "object";
}

/** Walks to the parent of the last key; errors like python-jsonpatch. */
function walk(doc: unknown, keys: string[], step: Step): { parent: Record<string, unknown> | unknown[]; key: string } {
  let cur: unknown = doc;
  for (let i = 0; i < keys.length - 1; i++) {
    const k = keys[i];
    if (Array.isArray(cur)) {
      const idx = arrayIndex(cur, k, step, false);
      cur = cur[idx];
    } else if (isContainer(cur) && hasOwn(cur, k)) {
      cur = (cur as Record<string, unknown>)[k];
    } else {
      notFoundIn(step, k, keys.slice(0, i));
    }
  }
  if (!isContainer(cur)) notFoundIn(step, keys[keys.length - 1], keys.slice(0, -1));
  return { parent: cur as Record<string, unknown> | unknown[], key: keys[keys.length - 1] };
}

function arrayIndex(arr: unknown[], k: string, step: Step, forAdd: boolean): number {
  if (forAdd && k === "-") return arr.length;
  if (!/^(0|[1-9]\d*)$/.test(k)) fail(step, `'${k}' is not a valid sequence index`);
  const idx = Number(k);
  if (idx > arr.length || (!forAdd && idx >= arr.length)) fail(step, "index out of range");
  return idx;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (isContainer(v)) {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  }
  return v;
}

function getAt(doc: unknown, keys: string[], step: Step): unknown {
  if (keys.length === 0) return doc;
  const { parent, key } = walk(doc, keys, step);
  if (Array.isArray(parent)) return parent[arrayIndex(parent, key, step, false)];
  if (!hasOwn(parent, key)) notFoundIn(step, key, keys.slice(0, -1));
  return parent[key];
}

function applyOne(doc: Record<string, unknown>, op: PatchOperation, step: Step): void {
  const keys = splitPath(op.path, step.escapes);
  const hasValue = hasOwn(op, "value");
  switch (op.op) {
    case "add":
    case "replace": {
      if (!hasValue) fail(step, "The operation does not contain a 'value' member");
      // Each operation may nest a little deeper than the body itself; the document as a whole
      // stays within what readJson accepts, so everything that walks it later can recurse.
      if (keys.length + jsonDepth(op.value) > MAX_JSON_DEPTH) {
        throw new PatchError(`Couldn't apply patch: the value at ${op.path} would nest the document deeper than ${MAX_JSON_DEPTH} levels.`);
      }
      const { parent, key } = walk(doc, keys, step);
      const value = clone(op.value);
      if (Array.isArray(parent)) {
        const idx = arrayIndex(parent, key, step, op.op === "add");
        if (op.op === "add") parent.splice(idx, 0, value);
        else parent[idx] = value;
      } else {
        if (op.op === "replace" && !hasOwn(parent, key)) {
          fail(step, `can't replace a non-existent object '${key}'`);
        }
        parent[key] = value;
      }
      return;
    }
    case "remove": {
      const { parent, key } = walk(doc, keys, step);
      if (Array.isArray(parent)) {
        parent.splice(arrayIndex(parent, key, step, false), 1);
      } else {
        if (!hasOwn(parent, key)) fail(step, `can't remove a non-existent object '${key}'`);
        delete parent[key];
      }
      return;
    }
    case "test": {
      if (!hasValue) fail(step, "The operation does not contain a 'value' member");
      const actual = getAt(doc, keys, step);
      if (!deepEqual(actual, op.value)) {
        fail(step, `${pyRepr(seenAt(step.seen, keys))} is not equal to tested value ${pyRepr(maskedAt(step.view, keys, op.value))}`);
      }
      return;
    }
    case "move":
    case "copy": {
      const fromKeys = splitPath(op.from ?? "", step.escapes);
      const value = clone(getAt(doc, fromKeys, step));
      if (op.op === "move") {
        if (op.path.startsWith(`${op.from}/`)) fail(step, "Cannot move values into their own children");
        applyOne(doc, { op: "remove", path: op.from! }, step);
      }
      applyOne(doc, { op: "add", path: op.path, value }, step);
      return;
    }
  }
}

export interface ApplyOptions {
  /** Refuse `add` of a key the document's root does not already have (Ironic does). */
  noNewRootKeys?: boolean;
  escapes?: boolean;
  /** What errors may quote of the document (default: everything, secrets masked). */
  view?: PatchView;
}

/** Applies the operations to a deep copy of `doc`; returns the patched copy. */
export function applyPatch<T extends Record<string, unknown>>(doc: T, ops: PatchOperation[], opts: ApplyOptions = {}): T {
  const out = clone(doc);
  const escapes = opts.escapes ?? false;
  const view = opts.view ?? {};
  const seen = viewOf(view, out);
  for (const op of ops) {
    if (opts.noNewRootKeys && op.op === "add") {
      const keys = splitPath(op.path, escapes);
      if (keys.length === 1 && !hasOwn(out, keys[0])) {
        throw new PatchError(`Adding a new attribute (${op.path}) to the root of the resource is not allowed.`);
      }
    }
    const step: Step = { escapes, view, sent: op, seen };
    applyOne(out, op, step);
    mirror(step, op);
  }
  return out;
}

/** The root attribute an operation touches ("/extra/foo" → "extra"). */
export function rootOf(path: string): string {
  const i = path.indexOf("/", 1);
  return i < 0 ? path.slice(1) : path.slice(1, i);
}

/** Values given for an exact path (e.g. "/driver"), in order, for add/replace operations. */
export function patchValues(ops: PatchOperation[], path: string): unknown[] {
  return ops.filter((o) => o.path === path && (o.op === "add" || o.op === "replace")).map((o) => o.value);
}

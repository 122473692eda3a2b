// JSON Patch (RFC 6902) as Ironic applies it to a resource's API view (reference §2.6):
// the request schema (list of {op, path, value}), then each operation in turn on a copy.
// Error texts follow Ironic/python-jsonpatch, which clients show verbatim.
import { Invalid } from "../core/errors.ts";
import { pyRepr } from "../core/pyrepr.ts";
import { schemaCheck, type Schema } from "./schema.ts";

export type PatchOp = "add" | "replace" | "remove" | "test" | "move" | "copy";

export interface PatchOperation {
  op: PatchOp;
  path: string;
  value?: unknown;
  from?: string;
}

export { pyRepr };

export interface PatchSchemaOptions {
  /** Operations allowed (Ironic: add, replace, remove). */
  ops?: readonly PatchOp[];
  /** Allow ~0/~1 escapes in paths (API ≥1.98). */
  escapes?: boolean;
}

const patchSchemas = new Map<string, Schema>();

/** Ironic's `patch` schema (ironic/common/args.py), with `from` when move/copy are allowed. */
function patchSchema(ops: readonly PatchOp[], escapes: boolean): Schema {
  const key = `${ops.join(",")}|${escapes}`;
  let schema = patchSchemas.get(key);
  if (!schema) {
    const properties: Record<string, Schema> = {
      path: { type: "string", pattern: escapes ? "^(/([\\w-]|~[01])+)+$" : "^(/[\\w-]+)+$" },
      op: { type: "string", enum: ops },
      value: {},
    };
    if (ops.some((o) => o === "move" || o === "copy")) properties.from = { type: "string" };
    schema = { type: "array", items: { type: "object", properties, additionalProperties: false, required: ["op", "path"] } };
    patchSchemas.set(key, schema);
  }
  return schema;
}

/** Checks the body is a list of well-formed operations; returns it typed. */
export function validatePatch(body: unknown, opts: PatchSchemaOptions = {}): PatchOperation[] {
  schemaCheck("patch", patchSchema(opts.ops ?? ["add", "replace", "remove"], opts.escapes ?? false), body);
  for (const o of body as Record<string, unknown>[]) {
    if ((o.op === "move" || o.op === "copy") && typeof o.from !== "string") throw new Invalid("Schema error for patch: 'from' is a required property");
  }
  return body as PatchOperation[];
}

/** Splits a JSON pointer into keys (unescaping ~1 and ~0). */
export function pointerKeys(path: string): string[] {
  if (path === "") return [];
  return path.slice(1).split("/").map((k) => k.replace(/~1/g, "/").replace(/~0/g, "~"));
}

export class PatchError extends Invalid {}

function fail(op: PatchOperation, reason: string): never {
  const shown: Record<string, unknown> = {};
  for (const k of Object.keys(op)) shown[k] = (op as unknown as Record<string, unknown>)[k];
  throw new PatchError(`Couldn't apply patch '${pyRepr(shown)}'. Reason: ${reason}`);
}

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

function isContainer(v: unknown): v is Record<string, unknown> | unknown[] {
  return v !== null && typeof v === "object";
}

/** Walks to the parent of the last key; errors like python-jsonpatch. */
function walk(doc: unknown, keys: string[], op: PatchOperation): { parent: Record<string, unknown> | unknown[]; key: string } {
  let cur: unknown = doc;
  for (let i = 0; i < keys.length - 1; i++) {
    const k = keys[i];
    if (Array.isArray(cur)) {
      const idx = arrayIndex(cur, k, op, false);
      cur = cur[idx];
    } else if (isContainer(cur) && Object.prototype.hasOwnProperty.call(cur, k)) {
      cur = (cur as Record<string, unknown>)[k];
    } else {
      fail(op, `member '${k}' not found in ${pyRepr(cur)}`);
    }
  }
  if (!isContainer(cur)) fail(op, `member '${keys[keys.length - 1]}' not found in ${pyRepr(cur)}`);
  return { parent: cur as Record<string, unknown> | unknown[], key: keys[keys.length - 1] };
}

function arrayIndex(arr: unknown[], k: string, op: PatchOperation, forAdd: boolean): number {
  if (forAdd && k === "-") return arr.length;
  if (!/^(0|[1-9]\d*)$/.test(k)) fail(op, `'${k}' is not a valid sequence index`);
  const idx = Number(k);
  if (idx > arr.length || (!forAdd && idx >= arr.length)) fail(op, "index out of range");
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

function getAt(doc: unknown, keys: string[], op: PatchOperation): unknown {
  if (keys.length === 0) return doc;
  const { parent, key } = walk(doc, keys, op);
  if (Array.isArray(parent)) return parent[arrayIndex(parent, key, op, false)];
  if (!Object.prototype.hasOwnProperty.call(parent, key)) fail(op, `member '${key}' not found in ${pyRepr(parent)}`);
  return parent[key];
}

function applyOne(doc: Record<string, unknown>, op: PatchOperation, escapes: boolean): void {
  const keys = escapes ? pointerKeys(op.path) : op.path.slice(1).split("/");
  const hasValue = Object.prototype.hasOwnProperty.call(op, "value");
  switch (op.op) {
    case "add":
    case "replace": {
      if (!hasValue) fail(op, "The operation does not contain a 'value' member");
      const { parent, key } = walk(doc, keys, op);
      const value = clone(op.value);
      if (Array.isArray(parent)) {
        const idx = arrayIndex(parent, key, op, op.op === "add");
        if (op.op === "add") parent.splice(idx, 0, value);
        else parent[idx] = value;
      } else {
        if (op.op === "replace" && !Object.prototype.hasOwnProperty.call(parent, key)) {
          fail(op, `can't replace a non-existent object '${key}'`);
        }
        parent[key] = value;
      }
      return;
    }
    case "remove": {
      const { parent, key } = walk(doc, keys, op);
      if (Array.isArray(parent)) {
        parent.splice(arrayIndex(parent, key, op, false), 1);
      } else {
        if (!Object.prototype.hasOwnProperty.call(parent, key)) fail(op, `can't remove a non-existent object '${key}'`);
        delete parent[key];
      }
      return;
    }
    case "test": {
      if (!hasValue) fail(op, "The operation does not contain a 'value' member");
      const actual = getAt(doc, keys, op);
      if (!deepEqual(actual, op.value)) fail(op, `${pyRepr(actual)} is not equal to tested value ${pyRepr(op.value)}`);
      return;
    }
    case "move":
    case "copy": {
      const fromKeys = escapes ? pointerKeys(op.from ?? "") : (op.from ?? "").slice(1).split("/");
      const value = clone(getAt(doc, fromKeys, op));
      if (op.op === "move") {
        if (op.path.startsWith(`${op.from}/`)) fail(op, "Cannot move values into their own children");
        applyOne(doc, { op: "remove", path: op.from! }, escapes);
      }
      applyOne(doc, { op: "add", path: op.path, value }, escapes);
      return;
    }
  }
}

export interface ApplyOptions {
  /** Refuse `add` of a key the document's root does not already have (Ironic does). */
  noNewRootKeys?: boolean;
  escapes?: boolean;
}

/** Applies the operations to a deep copy of `doc`; returns the patched copy. */
export function applyPatch<T extends Record<string, unknown>>(doc: T, ops: PatchOperation[], opts: ApplyOptions = {}): T {
  const out = clone(doc);
  for (const op of ops) {
    if (opts.noNewRootKeys && op.op === "add") {
      const keys = opts.escapes ? pointerKeys(op.path) : op.path.slice(1).split("/");
      if (keys.length === 1 && !Object.prototype.hasOwnProperty.call(out, keys[0])) {
        throw new PatchError(`Adding a new attribute (${op.path}) to the root of the resource is not allowed.`);
      }
    }
    applyOne(out, op, opts.escapes ?? false);
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

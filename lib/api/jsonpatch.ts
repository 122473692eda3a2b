// The JSON Patch request as Ironic checks it (reference §2.6): a list of {op, path, value}.
// Applying the operations is the core's (lib/core/jsonpatch.ts), re-exported here for the API.
import { Invalid } from "../core/errors.ts";
import type { PatchOp, PatchOperation } from "../core/jsonpatch.ts";
import { schemaCheck, type Schema } from "./schema.ts";

export * from "../core/jsonpatch.ts";

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


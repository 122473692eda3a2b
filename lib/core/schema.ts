// The JSON-schema subset Ironic's request schemas use, checked the way python-jsonschema (4.10,
// what Ironic 21.4 runs on) does: every keyword in the schema's own key order, all errors
// collected, the best match reported (jsonschema.validate → exceptions.best_match) with
// jsonschema's exact messages ('x' is a required property, [] is too short, ...) and Python reprs.
// Ironic wraps them in different ways; the helpers at the end build each one.
import { Invalid } from "./errors.ts";
import { pyPformat, pyRepr } from "../shared/pyrepr.ts";

export type JsonType = "string" | "integer" | "number" | "boolean" | "object" | "array" | "null";

/**
 * A JSON schema (Draft 4 keywords Ironic uses). Keywords are checked in the object's key order,
 * as jsonschema iterates a schema dict, so write schemas in the order Ironic writes them.
 * `nullable: true` adds "null" to `type` (Ironic spells it `['string', 'null']`); `type: "any"` is `{}`.
 * Other keys (`description`, `title`, `$schema`) are only shown, as jsonschema shows them.
 */
export interface Schema {
  type?: JsonType | readonly JsonType[] | "any";
  nullable?: boolean;
  enum?: readonly unknown[];
  minLength?: number;
  maxLength?: number;
  /** A Python regular expression (as Ironic writes it); searched, not anchored. */
  pattern?: string;
  minimum?: number;
  /** Draft 4's form (a schema with "$schema" draft-04, as Ironic's RAID schema): minimum is exclusive. */
  exclusiveMinimum?: boolean;
  maximum?: number;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  properties?: Readonly<Record<string, Schema>>;
  required?: readonly string[];
  additionalProperties?: boolean;
  /** Property → the properties it needs (the array form). */
  dependencies?: Readonly<Record<string, readonly string[]>>;
  anyOf?: readonly Schema[];
  description?: string;
  title?: string;
  $schema?: string;
}

/** One failed keyword, as a jsonschema ValidationError. */
export interface SchemaError {
  message: string;
  /** The keyword that failed ("required", "enum", ...). */
  keyword: string;
  /** Where in the instance, from the validated value (jsonschema's relative_path). */
  path: (string | number)[];
  /** Keywords and keys leading to the failed keyword (jsonschema's relative_schema_path). */
  schemaPath: (string | number)[];
  /** The (sub)schema holding the keyword and the value it judged. */
  schema: Schema;
  instance: unknown;
  /** For anyOf: the errors of every alternative. */
  context: SchemaError[];
}

const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

function isType(v: unknown, t: JsonType): boolean {
  switch (t) {
    case "null": return v === null;
    case "boolean": return typeof v === "boolean";
    case "string": return typeof v === "string";
    case "number": return typeof v === "number" && Number.isFinite(v);
    case "integer": return typeof v === "number" && Number.isInteger(v);
    case "array": return Array.isArray(v);
    case "object": return v !== null && typeof v === "object" && !Array.isArray(v);
  }
}

function typesOf(schema: Schema): JsonType[] | null {
  if (schema.type === undefined || schema.type === "any") return null;
  const list: JsonType[] = typeof schema.type === "string" ? [schema.type] : [...schema.type];
  if (schema.nullable && !list.includes("null")) list.push("null");
  return list;
}

/** Python equality of JSON values (1 == 1.0; True is not 1 for enum, as jsonschema's unbool). */
function pyEqual(a: unknown, b: unknown): boolean {
  if (typeof a === "boolean" || typeof b === "boolean") return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => pyEqual(x, b[i]));
  }
  if (a !== null && b !== null && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => hasOwn(b, k) && pyEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return a === b;
}

const patternCache = new Map<string, RegExp>();
/** A Python pattern as a JS RegExp: \w is Unicode (letters, digits, _), a final $ allows one trailing newline. */
function regex(pattern: string): RegExp {
  let re = patternCache.get(pattern);
  if (!re) {
    let inClass = false;
    let js = "";
    for (let i = 0; i < pattern.length; i++) {
      const ch = pattern[i];
      if (ch === "\\") {
        const next = pattern[i + 1];
        js += next === "w" ? (inClass ? "\\p{L}\\p{N}_" : "[\\p{L}\\p{N}_]") : ch + next;
        i++;
        continue;
      }
      if (ch === "[") inClass = true;
      else if (ch === "]") inClass = false;
      js += ch === "$" && !inClass && i === pattern.length - 1 ? "\\n?$" : ch;
    }
    patternCache.set(pattern, (re = new RegExp(js, "u")));
  }
  return re;
}

/** Every error of `instance` against `schema`, in jsonschema's order (iter_errors). */
export function schemaErrors(schema: Schema, instance: unknown, path: (string | number)[] = [], schemaPath: (string | number)[] = []): SchemaError[] {
  const out: SchemaError[] = [];
  const fail = (keyword: string, message: string, context: SchemaError[] = []) =>
    out.push({ message, keyword, path, schemaPath: [...schemaPath, keyword], schema, instance, context });
  const isObject = isType(instance, "object");
  const obj = instance as Record<string, unknown>;
  for (const keyword of Object.keys(schema) as (keyof Schema)[]) {
    if (schema[keyword] === undefined) continue;
    switch (keyword) {
      case "type": {
        const types = typesOf(schema);
        if (types && !types.some((t) => isType(instance, t))) fail("type", `${pyRepr(instance)} is not of type ${types.map((t) => `'${t}'`).join(", ")}`);
        break;
      }
      case "nullable":
        // "null" in the type list; with no type of its own it allows anything.
        break;
      case "enum":
        if (!schema.enum!.some((e) => pyEqual(instance, e))) fail("enum", `${pyRepr(instance)} is not one of ${pyRepr(schema.enum)}`);
        break;
      case "minLength":
        if (typeof instance === "string" && [...instance].length < schema.minLength!) fail("minLength", `${pyRepr(instance)} is too short`);
        break;
      case "maxLength":
        if (typeof instance === "string" && [...instance].length > schema.maxLength!) fail("maxLength", `${pyRepr(instance)} is too long`);
        break;
      case "pattern":
        if (typeof instance === "string" && !regex(schema.pattern!).test(instance)) fail("pattern", `${pyRepr(instance)} does not match ${pyRepr(schema.pattern)}`);
        break;
      case "minimum":
        if (isType(instance, "number")) {
          const exclusive = schema.exclusiveMinimum === true;
          if (exclusive ? (instance as number) <= schema.minimum! : (instance as number) < schema.minimum!) {
            fail("minimum", `${pyRepr(instance)} is ${exclusive ? "less than or equal to" : "less than"} the minimum of ${schema.minimum}`);
          }
        }
        break;
      case "maximum":
        if (isType(instance, "number") && (instance as number) > schema.maximum!) fail("maximum", `${pyRepr(instance)} is greater than the maximum of ${schema.maximum}`);
        break;
      case "minItems":
        if (Array.isArray(instance) && instance.length < schema.minItems!) fail("minItems", `${pyRepr(instance)} is too short`);
        break;
      case "maxItems":
        if (Array.isArray(instance) && instance.length > schema.maxItems!) fail("maxItems", `${pyRepr(instance)} is too long`);
        break;
      case "items":
        if (Array.isArray(instance)) {
          // Draft 2020-12 "items" (what jsonschema.validate uses): the schema path has no index.
          instance.forEach((item, i) => out.push(...schemaErrors(schema.items!, item, [...path, i], [...schemaPath, "items"])));
        }
        break;
      case "properties":
        if (isObject) {
          for (const [k, sub] of Object.entries(schema.properties!)) {
            if (hasOwn(obj, k)) out.push(...schemaErrors(sub, obj[k], [...path, k], [...schemaPath, "properties", k]));
          }
        }
        break;
      case "required":
        if (isObject) for (const r of schema.required!) if (!hasOwn(obj, r)) fail("required", `${pyRepr(r)} is a required property`);
        break;
      case "dependencies":
        if (isObject) {
          for (const [k, needs] of Object.entries(schema.dependencies!)) {
            if (!hasOwn(obj, k)) continue;
            for (const n of needs) if (!hasOwn(obj, n)) fail("dependencies", `${pyRepr(n)} is a dependency of ${pyRepr(k)}`);
          }
        }
        break;
      case "additionalProperties":
        if (isObject && schema.additionalProperties === false) {
          const extra = Object.keys(obj).filter((k) => !hasOwn(schema.properties ?? {}, k));
          if (extra.length) {
            fail("additionalProperties", `Additional properties are not allowed (${extra.map(pyRepr).join(", ")} ${extra.length === 1 ? "was" : "were"} unexpected)`);
          }
        }
        break;
      case "anyOf": {
        const all: SchemaError[] = [];
        let matched = false;
        schema.anyOf!.forEach((sub, i) => {
          if (matched) return;
          const errs = schemaErrors(sub, instance, [], [i]);
          if (!errs.length) matched = true;
          else all.push(...errs);
        });
        if (!matched) fail("anyOf", `${pyRepr(instance)} is not valid under any of the given schemas`, all);
        break;
      }
    }
  }
  return out;
}

// jsonschema.exceptions.relevance: shallower errors first, anyOf is weak, then errors whose own
// schema's type does not fit the value.
function relevance(e: SchemaError): number[] {
  const types = typesOf(e.schema);
  const matchesType = types !== null && types.some((t) => isType(e.instance, t));
  return [-e.path.length, e.keyword === "anyOf" ? 0 : 1, 0, matchesType ? 0 : 1];
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/** jsonschema.exceptions.best_match. */
export function bestMatch(errors: SchemaError[]): SchemaError | null {
  if (!errors.length) return null;
  let best = errors[0];
  for (const e of errors.slice(1)) if (compare(relevance(e), relevance(best)) > 0) best = e;
  while (best.context.length) {
    const sorted = best.context.map((e, i) => ({ e, i, r: relevance(e) })).sort((x, y) => compare(x.r, y.r) || x.i - y.i);
    if (sorted.length >= 2 && compare(sorted[0].r, sorted[1].r) === 0) return best;
    best = sorted[0].e;
  }
  return best;
}

/** The error jsonschema.validate(value, schema) raises, or null when the value fits. */
export function firstSchemaError(schema: Schema, value: unknown): SchemaError | null {
  return bestMatch(schemaErrors(schema, value));
}

/** str(ValidationError): the message, the failed keyword with its schema, and the instance. */
export function jsonschemaText(e: SchemaError): string {
  const index = (word: string, keys: (string | number)[]) => (keys.length ? `${word}[${keys.map(pyRepr).join("][")}]` : word);
  const block = (v: unknown) => pyPformat(v, 72).split("\n").join("\n    ");
  return [
    e.message, "",
    `Failed validating ${pyRepr(e.keyword)} in ${index("schema", e.schemaPath.slice(0, -1))}:`,
    `    ${block(pythonSchema(e.schema))}`, "",
    `On ${index("instance", e.path)}:`,
    `    ${block(e.instance)}`,
  ].join("\n");
}

/** The schema as the Python dict Ironic wrote (type lists instead of `nullable`, no "any"). */
function pythonSchema(schema: Schema): unknown {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === "nullable" || v === undefined) continue;
    if (k === "type") {
      const types = typesOf(schema);
      if (types) out.type = types.length === 1 ? types[0] : types;
    } else if (k === "items") out.items = pythonSchema(v as Schema);
    else if (k === "anyOf") out.anyOf = (v as Schema[]).map(pythonSchema);
    else if (k === "properties") out.properties = Object.fromEntries(Object.entries(v as Record<string, Schema>).map(([p, s]) => [p, pythonSchema(s)]));
    else out[k] = v;
  }
  return out;
}

/**
 * Ironic's args.schema validator (ironic/common/args.py): "Schema error for <what>: <message>",
 * plus ". Possible root cause: <message>" from the best alternative when an anyOf failed.
 */
export function ironicSchemaMessage(what: string, e: SchemaError): string {
  let text = `Schema error for ${what}: ${e.message}`;
  let cause: string | null = null;
  for (let cur: SchemaError | null = e; cur && cur.context.length; ) {
    cur = bestMatch(cur.context);
    cause = cur?.message ?? cause;
  }
  if (cause !== null) text += `. Possible root cause: ${cause}`;
  return text;
}

/** Throws 400 "Schema error for <what>: ..." (Ironic's args.schema) unless `value` fits. */
export function schemaCheck(what: string, schema: Schema, value: unknown): void {
  const e = firstSchemaError(schema, value);
  if (e) throw new Invalid(ironicSchemaMessage(what, e));
}

/**
 * For Ingot's own bodies and forms: the first problem as "<root><path>: <jsonschema message>"
 * (the path names the field, e.g. "args.traits[1]: 5 is not of type 'string'"), or null.
 */
export function check(schema: Schema, value: unknown, root = "body"): string | null {
  const e = firstSchemaError(schema, value);
  if (!e) return null;
  const where = e.path.map((k) => (typeof k === "number" ? `[${k}]` : `.${k}`)).join("");
  return `${root}${where}: ${e.message}`;
}

/** Throws a 400 naming the field when `value` does not fit `schema` (Ingot's own endpoints). */
export function validate<T>(schema: Schema, value: unknown, what = "body"): T {
  const problem = check(schema, value, what);
  if (problem) throw new Invalid(`Invalid input for field/attribute ${problem}`);
  return value as T;
}

export const dict: Schema = { type: "object" };
export const nullableString = (maxLength?: number): Schema => ({ type: "string", nullable: true, maxLength });

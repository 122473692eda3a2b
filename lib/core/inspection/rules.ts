// Inspection rules in the in-tree Ironic format (reference §9.2, API 1.96): validation and the
// engine. The engine is pure: it works on a RuleTarget (the node as a snake_case document, its
// traits, its ports, the inventory and plugin data) and the caller persists what changed.
//
// Differences from Ironic, on purpose:
// - every string argument is templated (Ironic formats only some, e.g. not eq's `values`), and a
//   string that is exactly one placeholder keeps the value's type ("{inventory[cpu][count]}" → 8,
//   not "8"), so numbers compare as numbers;
// - `loop` may also be a string placeholder resolving to a list ("{inventory[disks]}");
// - multiple = first / last use only the first / last loop item, as documented upstream;
// - set-port-attribute & co. accept a port's MAC address as well as its UUID;
// - `api-call` is not offered (a rule cannot make the conductor call out); it is refused with a 400.
import { Invalid } from "../errors.ts";
import { BlockList, isIP } from "node:net";

type Dict = Record<string, unknown>;

export const PHASES = ["main"] as const;
export const MULTIPLE = ["any", "all", "first", "last"] as const;
export type Multiple = (typeof MULTIPLE)[number];

export interface RuleCondition {
  op: string;
  args: Dict;
  multiple?: Multiple;
  loop?: unknown[] | Dict | string;
}

export interface RuleAction {
  op: string;
  args: Dict;
  loop?: unknown[] | Dict | string;
}

export interface InspectionRuleDef {
  uuid: string;
  description: string | null;
  priority: number;
  phase: string;
  sensitive: boolean;
  conditions: RuleCondition[];
  actions: RuleAction[];
}

/** Keys whose values rules see as "***" (reference §9.2). */
export const SENSITIVE_FIELDS = new Set(["password", "auth_token", "bmc_password"]);
export const RULE_MASK = "***";
export type MaskSecrets = "always" | "never" | "sensitive";

/** A rule could not be evaluated or applied (bad regex at run time, missing port, ...). */
export class RuleError extends Error {}

/** A rule asked for the inspection to fail (action `fail`), or one of its actions failed. */
export class InspectionRuleFailure extends Error {
  constructor(readonly ruleUuid: string, message: string, readonly requested = false) {
    super(message);
  }
}

export interface RuleLog {
  rule: string;
  level: "debug" | "info" | "warning" | "error" | "critical";
  message: string;
}

/** What rules read and change. The caller builds it and persists the differences afterwards. */
export interface RuleTarget {
  /** The node as the API shows it (snake_case keys); settable fields may be changed. */
  node: Dict;
  traits: string[];
  /** The node's ports as API documents (uuid, address, extra, local_link_connection, ...). */
  ports: Dict[];
  inventory: Dict;
  pluginData: Dict;
  logs: RuleLog[];
}

// ---- templating ----

function pyStr(v: unknown): string {
  if (typeof v === "string") return v;
  return pyRepr(v);
}

function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (typeof v === "number") return String(v);
  if (typeof v === "string") return `'${v.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(", ")}]`;
  return `{${Object.entries(v as Dict).map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(", ")}}`;
}

function maskDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(maskDeep);
  if (!v || typeof v !== "object") return v;
  return Object.fromEntries(Object.entries(v as Dict).map(([k, x]) => [k, SENSITIVE_FIELDS.has(k) ? RULE_MASK : maskDeep(x)]));
}

interface FormatContext {
  roots: Dict;
  /** Roots whose secrets are masked (inventory, plugin_data, item). */
  masked: Set<string>;
}

const UNRESOLVED = Symbol("unresolved");

/** Looks up `node.driver`, `inventory[cpu][count]`, `item[0]` ...; UNRESOLVED when missing. */
function resolveField(field: string, ctx: FormatContext): unknown {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)/.exec(field);
  if (!m || !(m[1] in ctx.roots)) return UNRESOLVED;
  const mask = ctx.masked.has(m[1]);
  let cur: unknown = ctx.roots[m[1]];
  let rest = field.slice(m[1].length);
  while (rest.length) {
    let key: string;
    const attr = /^\.([A-Za-z_][A-Za-z0-9_]*)/.exec(rest);
    const idx = /^\[([^\]]+)\]/.exec(rest);
    if (attr) {
      key = attr[1];
      rest = rest.slice(attr[0].length);
    } else if (idx) {
      key = idx[1];
      rest = rest.slice(idx[0].length);
    } else return UNRESOLVED;
    if (Array.isArray(cur) && /^-?\d+$/.test(key)) {
      const i = Number(key);
      cur = cur[i < 0 ? cur.length + i : i];
    } else if (cur && typeof cur === "object" && !Array.isArray(cur) && Object.hasOwn(cur, key)) {
      if (mask && SENSITIVE_FIELDS.has(key)) return RULE_MASK;
      cur = (cur as Dict)[key];
    } else return UNRESOLVED;
    if (cur === undefined) return UNRESOLVED;
  }
  return mask ? maskDeep(cur) : cur;
}

/**
 * Python str.format-style templating: `{a[b][0]}`, `{node.driver}`, `{{`/`}}` escapes. A string
 * that is one placeholder keeps the value's type; anything unresolvable leaves the string as it
 * was (as Ironic does).
 */
export function formatString(s: string, ctx: FormatContext): unknown {
  if (!s.includes("{")) return s.includes("}}") ? s.replace(/\}\}/g, "}") : s;
  const whole = /^\{([^{}]+)\}$/.exec(s);
  if (whole) {
    const v = resolveField(whole[1], ctx);
    return v === UNRESOLVED ? s : v;
  }
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "{" && s[i + 1] === "{") {
      out += "{";
      i++;
    } else if (c === "}" && s[i + 1] === "}") {
      out += "}";
      i++;
    } else if (c === "{") {
      const end = s.indexOf("}", i);
      if (end < 0) return s;
      const v = resolveField(s.slice(i + 1, end), ctx);
      if (v === UNRESOLVED) return s;
      out += pyStr(v);
      i = end;
    } else if (c === "}") return s;
    else out += c;
  }
  return out;
}

function formatDeep(v: unknown, ctx: FormatContext, twice: boolean): unknown {
  if (typeof v === "string") {
    let r = formatString(v, ctx);
    // Loop items may carry placeholders themselves ({item[value]} → "{inventory[...]}").
    if (twice && typeof r === "string" && r !== v && r.includes("{")) r = formatString(r, ctx);
    return r;
  }
  if (Array.isArray(v)) return v.map((x) => formatDeep(x, ctx, twice));
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.entries(v as Dict).map(([k, x]) => [pyStr(formatString(k, ctx)), formatDeep(x, ctx, twice)]));
  }
  return v;
}

function formatContext(target: RuleTarget, mask: boolean, item?: { value: unknown }): FormatContext {
  const roots: Dict = { node: target.node, inventory: target.inventory, plugin_data: target.pluginData };
  if (item) roots.item = item.value;
  return { roots, masked: mask ? new Set(["inventory", "plugin_data", "item"]) : new Set() };
}

// ---- operators (conditions) ----

interface OpDef {
  required: string[];
  optional: string[];
  /** Literal-argument checks at validation time (messages without the op name). */
  validate?(args: Dict): string[];
  check(args: Dict, inLoop: boolean): boolean;
}

function asNumber(v: unknown): number | null {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  return null;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as Dict);
  const kb = Object.keys(b as Dict);
  return ka.length === kb.length && ka.every((k) => deepEqual((a as Dict)[k], (b as Dict)[k]));
}

function looseEqual(a: unknown, b: unknown): boolean {
  if (deepEqual(a, b)) return true;
  if ((typeof a === "number" && typeof b === "string") || (typeof a === "string" && typeof b === "number")) {
    return asNumber(a) !== null && asNumber(a) === asNumber(b);
  }
  return false;
}

function compare(a: unknown, b: unknown): number {
  const na = asNumber(a);
  const nb = asNumber(b);
  if (na !== null && nb !== null) return na - nb;
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  throw new RuleError(`cannot order ${pyRepr(a)} and ${pyRepr(b)}`);
}

function chain(rel: (a: unknown, b: unknown) => boolean) {
  return (args: Dict, inLoop: boolean): boolean => {
    let values = args.values;
    if (!Array.isArray(values)) throw new RuleError(`expected a list for 'values', got ${pyRepr(values)}`);
    if (values.length < 2) return true;
    if (inLoop) values = values.map(pyStr);
    const vs = values as unknown[];
    for (let i = 0; i + 1 < vs.length; i++) if (!rel(vs[i], vs[i + 1])) return false;
    return true;
  };
}

const hasPlaceholder = (v: unknown) => typeof v === "string" && /\{[^{}]+\}/.test(v);

/** Python-ish regex → JS: named groups (?P<n>...) and (?P=n). */
function toJsRegex(src: string, anchored: boolean): RegExp {
  const js = src.replace(/\(\?P</g, "(?<").replace(/\(\?P=(\w+)\)/g, "\\k<$1>");
  try {
    return new RegExp(anchored ? `^(?:${js})$` : js);
  } catch (err) {
    throw new RuleError(`invalid regular expression ${pyRepr(src)}: ${(err as Error).message}`);
  }
}

function regexProblems(args: Dict): string[] {
  if (typeof args.regex !== "string") return ["'regex' must be a string"];
  if (hasPlaceholder(args.regex)) return [];
  try {
    toJsRegex(args.regex, false);
    return [];
  } catch (err) {
    return [(err as Error).message];
  }
}

function parseSubnet(subnet: unknown): { net: string; prefix: number; type: "ipv4" | "ipv6" } {
  if (typeof subnet !== "string") throw new RuleError(`invalid subnet ${pyRepr(subnet)}`);
  const [addr, p] = subnet.trim().split("/");
  const version = isIP(addr);
  if (!version) throw new RuleError(`invalid subnet ${pyRepr(subnet)}`);
  const max = version === 4 ? 32 : 128;
  const prefix = p === undefined ? max : Number(p);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) throw new RuleError(`invalid subnet ${pyRepr(subnet)}`);
  return { net: addr, prefix, type: version === 4 ? "ipv4" : "ipv6" };
}

function inNet(address: unknown, subnet: unknown): boolean {
  const s = parseSubnet(subnet);
  const addr = typeof address === "string" ? address.trim() : "";
  const version = isIP(addr);
  if (!version) throw new RuleError(`invalid IP address ${pyRepr(address)}`);
  if ((version === 4 ? "ipv4" : "ipv6") !== s.type) return false;
  const list = new BlockList();
  list.addSubnet(s.net, s.prefix, s.type);
  return list.check(addr, s.type);
}

const isEmptyValue = (v: unknown) =>
  v === null || v === undefined || v === "" || (Array.isArray(v) && v.length === 0) ||
  (typeof v === "object" && !Array.isArray(v) && v !== null && Object.keys(v).length === 0) ||
  (typeof v === "string" && ["None", "[]", "{}"].includes(v));

export const OPERATORS: Record<string, OpDef> = {
  eq: { required: ["values"], optional: [], check: chain(looseEqual) },
  lt: { required: ["values"], optional: [], check: chain((a, b) => compare(a, b) < 0) },
  gt: { required: ["values"], optional: [], check: chain((a, b) => compare(a, b) > 0) },
  "is-empty": { required: ["value"], optional: [], check: (a) => isEmptyValue(a.value) },
  "in-net": {
    required: ["address", "subnet"], optional: [],
    validate: (a) => {
      if (hasPlaceholder(a.subnet)) return [];
      try {
        parseSubnet(a.subnet);
        return [];
      } catch (err) {
        return [(err as Error).message];
      }
    },
    check: (a) => inNet(a.address, a.subnet),
  },
  matches: { required: ["value", "regex"], optional: [], validate: regexProblems, check: (a) => toJsRegex(String(a.regex), true).test(pyStr(a.value)) },
  contains: { required: ["value", "regex"], optional: [], validate: regexProblems, check: (a) => toJsRegex(String(a.regex), false).test(pyStr(a.value)) },
  "one-of": {
    required: ["value", "values"], optional: [],
    validate: (a) => (Array.isArray(a.values) || hasPlaceholder(a.values) ? [] : ["'values' must be a list"]),
    check: (a) => {
      if (!Array.isArray(a.values)) throw new RuleError(`expected a list for 'values', got ${pyRepr(a.values)}`);
      return a.values.some((v) => looseEqual(a.value, v));
    },
  },
  "is-none": { required: ["value"], optional: [], check: (a) => a.value === null || a.value === undefined || a.value === "None" },
  "is-true": {
    required: ["value"], optional: [],
    check: ({ value: v }) => typeof v === "boolean" ? v : typeof v === "number" ? v !== 0 : typeof v === "string" ? ["yes", "true"].includes(v.toLowerCase()) : false,
  },
  "is-false": {
    required: ["value"], optional: [],
    check: ({ value: v }) => typeof v === "boolean" ? !v : typeof v === "number" ? v === 0 : typeof v === "string" ? ["no", "false"].includes(v.toLowerCase()) : v === null || v === undefined,
  },
};

/** `!op` → [op, true]; more than one "!" is refused. */
export function parseOp(op: string): [string, boolean] {
  const trimmed = op.trim();
  if ((trimmed.match(/!/g) ?? []).length > 1) {
    throw new Invalid(`Multiple exclamation marks are not allowed in operator ${pyRepr(op)}; negate with one, e.g. !eq.`);
  }
  const inverted = trimmed.startsWith("!");
  return [trimmed.replace(/^!/, "").trim(), inverted];
}

// ---- actions ----

/** Node fields rules may set (snake_case, as in the API). */
export const SETTABLE_NODE_FIELDS = [
  "automated_clean", "description", "driver_info", "extra", "instance_info", "lessee", "name", "network_data", "owner",
  "properties", "resource_class", "retired", "retired_reason", "shard",
] as const;
const DICT_NODE_FIELDS = new Set(["driver_info", "extra", "instance_info", "network_data", "properties"]);
const BOOL_NODE_FIELDS = new Set(["automated_clean", "retired"]);
/** Port fields rules may set. */
export const SETTABLE_PORT_FIELDS = [
  "category", "description", "extra", "is_smartnic", "local_link_connection", "name", "physical_network", "pxe_enabled", "vendor",
] as const;
const DICT_PORT_FIELDS = new Set(["extra", "local_link_connection"]);
const BOOL_PORT_FIELDS = new Set(["is_smartnic", "pxe_enabled"]);

interface Ctx {
  target: RuleTarget;
  rule: string;
}

interface ActionDef {
  required: string[];
  optional: string[];
  validate?(args: Dict): string[];
  run(c: Ctx, args: Dict): void;
}

export function normalizePath(path: unknown): string[] {
  if (typeof path !== "string" || path.trim() === "") throw new RuleError(`invalid path ${pyRepr(path)}`);
  const parts = path.includes("/") ? path.replace(/^\/+|\/+$/g, "").split("/") : path.split(".");
  if (parts.some((p) => p === "")) throw new RuleError(`invalid path ${pyRepr(path)}`);
  return parts;
}

type FieldRules = { settable: readonly string[]; dicts: Set<string>; bools: Set<string>; what: string };
const NODE_FIELDS: FieldRules = { settable: SETTABLE_NODE_FIELDS, dicts: DICT_NODE_FIELDS, bools: BOOL_NODE_FIELDS, what: "node" };
const PORT_FIELDS: FieldRules = { settable: SETTABLE_PORT_FIELDS, dicts: DICT_PORT_FIELDS, bools: BOOL_PORT_FIELDS, what: "port" };

function checkRoot(parts: string[], f: FieldRules): void {
  if (!f.settable.includes(parts[0])) {
    throw new RuleError(`${f.what} field ${parts[0]} cannot be changed by inspection rules (allowed: ${f.settable.join(", ")})`);
  }
  if (parts.length > 1 && !f.dicts.has(parts[0])) throw new RuleError(`${f.what} field ${parts[0]} is not a dictionary`);
}

function checkTopValue(field: string, value: unknown, f: FieldRules): void {
  if (f.dicts.has(field) && (!value || typeof value !== "object" || Array.isArray(value))) {
    throw new RuleError(`${f.what} field ${field} must be a dictionary, not ${pyRepr(value)}`);
  }
  if (f.bools.has(field) && typeof value !== "boolean") throw new RuleError(`${f.what} field ${field} must be a boolean, not ${pyRepr(value)}`);
  if (!f.dicts.has(field) && !f.bools.has(field) && value !== null && typeof value !== "string") {
    throw new RuleError(`${f.what} field ${field} must be a string or null, not ${pyRepr(value)}`);
  }
}

/** The container holding the last path part (creating dicts on the way). */
function containerFor(doc: Dict, parts: string[], create: boolean): Dict {
  let cur = doc;
  for (const p of parts.slice(0, -1)) {
    let next = cur[p];
    if (next === undefined || next === null) {
      if (!create) throw new RuleError(`${parts.join("/")} does not exist`);
      next = {};
      cur[p] = next;
    }
    if (typeof next !== "object" || Array.isArray(next)) throw new RuleError(`${p} in ${parts.join("/")} is not a dictionary`);
    cur = next as Dict;
  }
  return cur;
}

function setPath(doc: Dict, path: unknown, value: unknown, f: FieldRules): void {
  const parts = normalizePath(path);
  checkRoot(parts, f);
  if (parts.length === 1) {
    checkTopValue(parts[0], value, f);
    doc[parts[0]] = value;
    return;
  }
  if (!doc[parts[0]]) doc[parts[0]] = {};
  containerFor(doc, parts, true)[parts.at(-1)!] = value;
}

function extendPath(doc: Dict, path: unknown, value: unknown, unique: unknown, f: FieldRules | null): void {
  const parts = normalizePath(path);
  if (f) {
    checkRoot(parts, f);
    if (parts.length === 1) throw new RuleError(`${f.what} field ${parts[0]} is not a list`);
  }
  const container = containerFor(doc, parts, true);
  const key = parts.at(-1)!;
  const current = container[key] ?? [];
  if (!Array.isArray(current)) throw new RuleError(`cannot extend ${parts.join("/")}: it is not a list`);
  if (!(unique === true || unique === "true" || unique === "True") || !current.some((v) => deepEqual(v, value))) current.push(value);
  container[key] = current;
}

function deletePath(doc: Dict, path: unknown, f: FieldRules | null): boolean {
  const parts = normalizePath(path);
  if (f) {
    checkRoot(parts, f);
    if (parts.length === 1) {
      doc[parts[0]] = f.dicts.has(parts[0]) ? {} : f.bools.has(parts[0]) ? false : null;
      return true;
    }
  }
  let container: Dict;
  try {
    container = containerFor(doc, parts, false);
  } catch {
    return false;
  }
  const key = parts.at(-1)!;
  if (!Object.hasOwn(container, key)) return false;
  delete container[key];
  return true;
}

function findPort(c: Ctx, id: unknown): Dict {
  const want = String(id ?? "").toLowerCase();
  const port = c.target.ports.find((p) => p.uuid === want || String(p.address ?? "").toLowerCase() === want);
  if (!port) throw new RuleError(`Port ${String(id)} could not be found.`);
  return port;
}

/** properties.capabilities ("a:b,c:d" or a dict) as ordered pairs. */
function readCapabilities(props: Dict): [string, string][] {
  const raw = props.capabilities;
  if (raw && typeof raw === "object" && !Array.isArray(raw)) return Object.entries(raw as Dict).map(([k, v]) => [k, pyStr(v)]);
  if (typeof raw !== "string" || raw.trim() === "") return [];
  return raw.split(",").filter(Boolean).map((pair) => {
    const i = pair.indexOf(":");
    return i < 0 ? [pair.trim(), ""] : [pair.slice(0, i).trim(), pair.slice(i + 1).trim()];
  });
}

function writeCapabilities(node: Dict, caps: [string, string][]): void {
  const props = { ...((node.properties as Dict) ?? {}) };
  const wasDict = props.capabilities && typeof props.capabilities === "object";
  if (!caps.length) delete props.capabilities;
  else props.capabilities = wasDict ? Object.fromEntries(caps) : caps.map(([k, v]) => `${k}:${v}`).join(",");
  node.properties = props;
}

const TRAIT_RE = /^[A-Z0-9_]+$/;
const LOG_LEVELS = ["debug", "info", "warning", "error", "critical"] as const;
const MAX_TRAITS = 50;

function unsetPluginData(c: Ctx, path: unknown): void {
  if (!deletePath(c.target.pluginData, path, null)) {
    c.target.logs.push({ rule: c.rule, level: "warning", message: `plugin data ${String(path)} not found; nothing to unset` });
  }
}

export const ACTIONS: Record<string, ActionDef> = {
  fail: {
    required: ["msg"], optional: [],
    run: (c, a) => {
      throw new InspectionRuleFailure(c.rule, pyStr(a.msg), true);
    },
  },
  log: {
    required: ["msg"], optional: ["level"],
    validate: (a) => (a.level === undefined || LOG_LEVELS.includes(String(a.level).toLowerCase() as RuleLog["level"]) ? [] : [`invalid log level ${pyRepr(a.level)}; choose from ${LOG_LEVELS.join(", ")}`]),
    run: (c, a) => {
      const level = String(a.level ?? "info").toLowerCase() as RuleLog["level"];
      if (!LOG_LEVELS.includes(level)) throw new RuleError(`invalid log level ${pyRepr(a.level)}; choose from ${LOG_LEVELS.join(", ")}`);
      c.target.logs.push({ rule: c.rule, level, message: pyStr(a.msg) });
    },
  },
  "set-attribute": { required: ["path", "value"], optional: [], run: (c, a) => setPath(c.target.node, a.path, a.value, NODE_FIELDS) },
  "extend-attribute": { required: ["path", "value"], optional: ["unique"], run: (c, a) => extendPath(c.target.node, a.path, a.value, a.unique, NODE_FIELDS) },
  "del-attribute": {
    required: ["path"], optional: [],
    run: (c, a) => {
      if (!deletePath(c.target.node, a.path, NODE_FIELDS)) throw new RuleError(`node attribute ${String(a.path)} does not exist`);
    },
  },
  "set-capability": {
    required: ["name", "value"], optional: [],
    run: (c, a) => {
      const name = pyStr(a.name);
      // Replaced in place when present, appended otherwise.
      const caps = readCapabilities((c.target.node.properties as Dict) ?? {});
      const at = caps.findIndex(([k]) => k === name);
      if (at >= 0) caps[at] = [name, pyStr(a.value)];
      else caps.push([name, pyStr(a.value)]);
      writeCapabilities(c.target.node, caps);
    },
  },
  "unset-capability": {
    required: ["name"], optional: [],
    run: (c, a) => writeCapabilities(c.target.node, readCapabilities((c.target.node.properties as Dict) ?? {}).filter(([k]) => k !== pyStr(a.name))),
  },
  "add-trait": {
    required: ["name"], optional: [],
    validate: (a) => (typeof a.name !== "string" || hasPlaceholder(a.name) || (TRAIT_RE.test(a.name) && a.name.length <= 255) ? [] : [`invalid trait ${pyRepr(a.name)}`]),
    run: (c, a) => {
      const name = a.name;
      if (typeof name !== "string" || !TRAIT_RE.test(name) || name.length > 255) throw new RuleError(`invalid trait ${pyRepr(name)}`);
      if (c.target.traits.includes(name)) return;
      if (c.target.traits.length >= MAX_TRAITS) throw new RuleError(`cannot add trait ${name}: the node already has ${MAX_TRAITS} traits`);
      c.target.traits.push(name);
    },
  },
  "remove-trait": {
    required: ["name"], optional: [],
    run: (c, a) => {
      const i = c.target.traits.indexOf(String(a.name));
      if (i >= 0) c.target.traits.splice(i, 1);
      else c.target.logs.push({ rule: c.rule, level: "warning", message: `trait ${String(a.name)} is not on the node; nothing to remove` });
    },
  },
  "set-plugin-data": {
    required: ["path", "value"], optional: [],
    run: (c, a) => {
      const parts = normalizePath(a.path);
      containerFor(c.target.pluginData, parts, true)[parts.at(-1)!] = a.value;
    },
  },
  "extend-plugin-data": { required: ["path", "value"], optional: ["unique"], run: (c, a) => extendPath(c.target.pluginData, a.path, a.value, a.unique, null) },
  "unset-plugin-data": { required: ["path"], optional: [], run: (c, a) => unsetPluginData(c, a.path) },
  "set-port-attribute": { required: ["port_id", "path", "value"], optional: [], run: (c, a) => setPath(findPort(c, a.port_id), a.path, a.value, PORT_FIELDS) },
  "extend-port-attribute": {
    required: ["port_id", "path", "value"], optional: ["unique"],
    run: (c, a) => extendPath(findPort(c, a.port_id), a.path, a.value, a.unique, PORT_FIELDS),
  },
  "del-port-attribute": {
    required: ["port_id", "path"], optional: [],
    run: (c, a) => {
      if (!deletePath(findPort(c, a.port_id), a.path, PORT_FIELDS)) throw new RuleError(`port attribute ${String(a.path)} does not exist`);
    },
  },
};

// ---- validation ----

const RULE_KEYS = ["uuid", "description", "priority", "phase", "sensitive", "conditions", "actions"];

function argsToDict(def: { required: string[]; optional: string[] }, args: unknown): Dict | string {
  if (Array.isArray(args)) {
    // Deprecated list form: positional required then optional arguments.
    const names = [...def.required, ...def.optional];
    if (args.length < def.required.length) return `missing required argument(s): ${def.required.slice(args.length).join(", ")}`;
    if (args.length > names.length) return `too many arguments (${args.length}); expected ${names.join(", ")}`;
    return Object.fromEntries(args.map((v, i) => [names[i], v]));
  }
  if (!args || typeof args !== "object") return "args must be either a list or a dictionary";
  return args as Dict;
}

function argProblems(def: { required: string[]; optional: string[]; validate?(a: Dict): string[] }, args: Dict): string[] {
  const out: string[] = [];
  const missing = def.required.filter((k) => !(k in args));
  const unexpected = Object.keys(args).filter((k) => !def.required.includes(k) && !def.optional.includes(k));
  if (missing.length) out.push(`missing required argument(s): ${missing.join(", ")}`);
  if (unexpected.length) out.push(`unexpected argument(s): ${unexpected.join(", ")} (allowed: ${[...def.required, ...def.optional].join(", ")})`);
  if (!out.length && def.validate) out.push(...def.validate(args));
  return out;
}

function loopProblem(loop: unknown): string | null {
  if (loop === undefined || loop === null) return null;
  if (Array.isArray(loop) || (typeof loop === "object")) return null;
  if (typeof loop === "string" && /^\{[^{}]+\}$/.test(loop)) return null;
  return `'loop' must be a list, a dictionary or one placeholder such as "{inventory[disks]}", not ${pyRepr(loop)}`;
}

/**
 * Validates a rule body (POST, or the result of a PATCH) and returns it normalized (args as
 * dictionaries, defaults filled). Throws Invalid with every problem found.
 */
export function validateRule(body: unknown, opts: { builtIn?: boolean } = {}): Omit<InspectionRuleDef, "uuid"> & { uuid?: string } {
  if (!body || typeof body !== "object" || Array.isArray(body)) throw new Invalid(`Validation failed for inspection rule: ${pyRepr(body)} is not of type 'object'`);
  const b = body as Dict;
  const errors: string[] = [];
  const extra = Object.keys(b).filter((k) => !RULE_KEYS.includes(k));
  if (extra.length) errors.push(`Additional properties are not allowed (${extra.map((k) => `'${k}'`).join(", ")} ${extra.length > 1 ? "were" : "was"} unexpected)`);
  if (b.uuid !== undefined && b.uuid !== null && typeof b.uuid !== "string") errors.push(`uuid must be a string, not ${pyRepr(b.uuid)}`);
  const description = b.description ?? null;
  if (description !== null && typeof description !== "string") errors.push(`description must be a string or null, not ${pyRepr(description)}`);
  else if (typeof description === "string" && description.length > 255) errors.push("description is longer than 255 characters");
  const priority = b.priority ?? 0;
  if (typeof priority !== "number" || !Number.isInteger(priority)) errors.push(`priority must be an integer, not ${pyRepr(priority)}`);
  else if (!opts.builtIn && (priority < 0 || priority > 9999)) errors.push(`Priority must be between 0 and 9999 for user-defined rules (got ${priority}).`);
  const sensitive = b.sensitive ?? false;
  if (typeof sensitive !== "boolean") errors.push(`sensitive must be a boolean, not ${pyRepr(sensitive)}`);
  const phase = b.phase ?? "main";
  if (typeof phase !== "string" || !(PHASES as readonly string[]).includes(phase)) errors.push(`Invalid phase: ${pyStr(phase)}. Valid phases are: ${PHASES.join(", ")}`);

  const conditions: RuleCondition[] = [];
  const rawConditions = b.conditions ?? [];
  if (!Array.isArray(rawConditions)) errors.push(`conditions must be a list, not ${pyRepr(rawConditions)}`);
  else {
    rawConditions.forEach((c, i) => {
      const where = `condition ${i + 1}`;
      if (!c || typeof c !== "object" || Array.isArray(c)) return void errors.push(`${where} must be a dictionary with 'op' and 'args'`);
      const cd = c as Dict;
      const unknown = Object.keys(cd).filter((k) => !["op", "args", "multiple", "loop"].includes(k));
      if (unknown.length) errors.push(`${where}: unexpected key(s) ${unknown.join(", ")} (allowed: op, args, multiple, loop)`);
      if (typeof cd.op !== "string") return void errors.push(`${where}: 'op' is required and must be a string`);
      let op: string;
      let inverted: boolean;
      try {
        [op, inverted] = parseOp(cd.op);
      } catch (err) {
        return void errors.push(`${where}: ${(err as Error).message}`);
      }
      const def = OPERATORS[op];
      if (!def) return void errors.push(`Unsupported condition operator: ${op} (supported: ${Object.keys(OPERATORS).join(", ")}, each may be negated with "!")`);
      if (!("args" in cd)) return void errors.push(`Invalid parameters for condition operator ${op}: 'args' is required`);
      const args = argsToDict(def, cd.args);
      if (typeof args === "string") return void errors.push(`Invalid parameters for condition operator ${op}: ${args}`);
      const problems = argProblems(def, args);
      if (problems.length) errors.push(`Invalid parameters for condition operator ${op}: ${problems.join("; ")}`);
      if (cd.multiple !== undefined && !(MULTIPLE as readonly unknown[]).includes(cd.multiple)) {
        errors.push(`${where}: 'multiple' must be one of ${MULTIPLE.join(", ")}, not ${pyRepr(cd.multiple)}`);
      }
      const lp = loopProblem(cd.loop);
      if (lp) errors.push(`${where}: ${lp}`);
      const out: RuleCondition = { op: `${inverted ? "!" : ""}${op}`, args };
      if (cd.loop !== undefined && cd.loop !== null && !(Array.isArray(cd.loop) && cd.loop.length === 0)) {
        out.loop = cd.loop as RuleCondition["loop"];
        out.multiple = (cd.multiple as Multiple | undefined) ?? "any";
      } else if (cd.multiple !== undefined) out.multiple = cd.multiple as Multiple;
      conditions.push(out);
    });
  }

  const actions: RuleAction[] = [];
  const rawActions = b.actions;
  if (rawActions === undefined) errors.push("'actions' is a required property");
  else if (!Array.isArray(rawActions)) errors.push(`actions must be a list, not ${pyRepr(rawActions)}`);
  else if (rawActions.length === 0) errors.push("actions must contain at least one action");
  else {
    rawActions.forEach((a, i) => {
      const where = `action ${i + 1}`;
      if (!a || typeof a !== "object" || Array.isArray(a)) return void errors.push(`${where} must be a dictionary with 'op' and 'args'`);
      const ad = a as Dict;
      const unknown = Object.keys(ad).filter((k) => !["op", "args", "loop"].includes(k));
      if (unknown.length) errors.push(`${where}: unexpected key(s) ${unknown.join(", ")} (allowed: op, args, loop)`);
      if (typeof ad.op !== "string") return void errors.push(`${where}: 'op' is required and must be a string`);
      if (ad.op === "api-call") return void errors.push("Unsupported action operator: api-call (Ingot does not let rules make the conductor call URLs)");
      const def = ACTIONS[ad.op];
      if (!def) return void errors.push(`Unsupported action operator: ${ad.op} (supported: ${Object.keys(ACTIONS).join(", ")})`);
      if (!("args" in ad)) return void errors.push(`Invalid parameters for action operator ${ad.op}: 'args' is required`);
      const args = argsToDict(def, ad.args);
      if (typeof args === "string") return void errors.push(`Invalid parameters for action operator ${ad.op}: ${args}`);
      const problems = argProblems(def, args);
      if (problems.length) errors.push(`Invalid parameters for action operator ${ad.op}: ${problems.join("; ")}`);
      const lp = loopProblem(ad.loop);
      if (lp) errors.push(`${where}: ${lp}`);
      const out: RuleAction = { op: ad.op, args };
      if (ad.loop !== undefined && ad.loop !== null) out.loop = ad.loop as RuleAction["loop"];
      actions.push(out);
    });
  }

  if (errors.length === 1) throw new Invalid(errors[0].startsWith("Unsupported") || errors[0].startsWith("Invalid") || errors[0].startsWith("Priority") ? errors[0] : `Validation failed for inspection rule: ${errors[0]}`);
  if (errors.length > 1) throw new Invalid(`Multiple validation errors occurred: ${errors.join("; ")}`);
  return {
    ...(typeof b.uuid === "string" ? { uuid: b.uuid } : {}),
    description: description as string | null,
    priority: priority as number,
    phase: phase as string,
    sensitive: sensitive as boolean,
    conditions,
    actions,
  };
}

// ---- evaluation ----

/** The loop items of a condition/action (a dict is one item), or null when it has no loop. */
function loopItems(loop: unknown, target: RuleTarget, mask: boolean): unknown[] | null {
  if (loop === undefined || loop === null) return null;
  if (Array.isArray(loop)) return loop.length ? loop : null;
  if (typeof loop === "string") {
    const v = formatString(loop, formatContext(target, mask));
    if (Array.isArray(v)) return v;
    if (v && typeof v === "object") return [v];
    throw new RuleError(`loop ${pyRepr(loop)} did not resolve to a list`);
  }
  return [loop];
}

function conditionHolds(cond: RuleCondition, target: RuleTarget, mask: boolean): boolean {
  const [op, inverted] = parseOp(cond.op);
  const def = OPERATORS[op];
  if (!def) throw new RuleError(`unsupported operator ${op}`);
  const one = (item?: { value: unknown }): boolean => {
    const ctx = formatContext(target, mask, item);
    const args = formatDeep(cond.args, ctx, item !== undefined) as Dict;
    const r = def.check(args, item !== undefined);
    return inverted ? !r : r;
  };
  const items = loopItems(cond.loop, target, mask);
  if (!items) return one();
  if (items.length === 0) return false;
  switch (cond.multiple ?? "any") {
    case "all": return items.every((v) => one({ value: v }));
    case "first": return one({ value: items[0] });
    case "last": return one({ value: items.at(-1) });
    default: return items.some((v) => one({ value: v }));
  }
}

function runAction(action: RuleAction, c: Ctx, mask: boolean): void {
  const def = ACTIONS[action.op];
  if (!def) throw new RuleError(`unsupported action ${action.op}`);
  const items = loopItems(action.loop, c.target, mask);
  const runOne = (item?: { value: unknown }) => {
    const args = formatDeep(action.args, formatContext(c.target, mask, item), item !== undefined) as Dict;
    def.run(c, args);
  };
  if (!items) runOne();
  else for (const v of items) runOne({ value: v });
}

export function shouldMask(setting: MaskSecrets, rule: Pick<InspectionRuleDef, "sensitive">): boolean {
  return setting === "always" || (setting === "sensitive" && !rule.sensitive);
}

/** Rules in evaluation order: priority descending, then in creation order (stable). */
export function sortRules<T extends Pick<InspectionRuleDef, "priority">>(rules: T[]): T[] {
  return rules.map((r, i) => [r, i] as const).sort((a, b) => b[0].priority - a[0].priority || a[1] - b[1]).map(([r]) => r);
}

/** Whether all of a rule's conditions hold (no conditions: true). */
export function ruleMatches(rule: InspectionRuleDef, target: RuleTarget, mask = true): boolean {
  return rule.conditions.every((c) => conditionHolds(c, target, mask));
}

/**
 * Applies rules in priority order to `target` (mutated). Returns the uuids of the rules whose
 * actions ran. Throws InspectionRuleFailure when a rule fails the inspection or breaks.
 */
export function applyRules(rules: InspectionRuleDef[], target: RuleTarget, maskSetting: MaskSecrets = "always"): string[] {
  const applied: string[] = [];
  for (const rule of sortRules(rules)) {
    const mask = shouldMask(maskSetting, rule);
    try {
      if (!ruleMatches(rule, target, mask)) continue;
      const c: Ctx = { target, rule: rule.uuid };
      for (const action of rule.actions) runAction(action, c, mask);
      applied.push(rule.uuid);
    } catch (err) {
      if (err instanceof InspectionRuleFailure) throw err;
      throw new InspectionRuleFailure(rule.uuid, `Inspection rule ${rule.uuid} failed: ${(err as Error).message}`);
    }
  }
  return applied;
}

// The enroll dialog's form, built from what the API says about a hardware type: its driver_info
// properties (GET /v1/drivers/{d}/properties: name → description ending in "Required." or
// "Optional.", Ironic's convention) and its interfaces (GET /v1/drivers/{d}?detail=true). Pure:
// unit-tested in enroll.test.ts; the dialog (EnrollDialog.tsx) only renders it.
import { INTERFACE_NAMES, type InterfaceName } from "@/lib/shared/interfaces.ts";
import { isSecretKey } from "@/lib/shared/secrets.ts";

/** required: the driver needs it; conditional: "Required only if …" another setting; optional. */
export type FieldNeed = "required" | "conditional" | "optional";

export interface DriverField {
  name: string;
  /** The description without its trailing "Required." / "Optional." (the form shows that as a mark). */
  help: string;
  need: FieldNeed;
  /** A password or key: a password input, never echoed back (the API masks it too). */
  secret: boolean;
}

// Conditional fields last: they only matter once another (optional) setting asks for them.
const NEED_ORDER: Record<FieldNeed, number> = { required: 0, optional: 1, conditional: 2 };

export function needOf(description: string): FieldNeed {
  if (/\brequired only\b/i.test(description)) return "conditional";
  // "…. Required." (Ironic's wording): a sentence that is just "Required".
  if (/(^|[.!?]\s+)Required\s*(\.|$)/.test(description.trim())) return "required";
  // "Required only if …", "Required for rescue mode", "Required unless …": needed in some cases only,
  // so the form must not refuse to enroll without it (validation says when it is missing).
  return /(^|[.!?]\s+)Required\b/i.test(description.trim()) ? "conditional" : "optional";
}

function helpText(description: string): string {
  return description.replace(/\s*(Required|Optional)\.\s*$/i, "").trim();
}

/** The driver_info fields to ask for: required first, then optional, then conditional; otherwise in the driver's order. */
export function driverFields(properties: Record<string, string>): DriverField[] {
  const fields = Object.entries(properties).map(([name, description], i) => ({
    field: { name, help: helpText(String(description ?? "")), need: needOf(String(description ?? "")), secret: isSecretKey(name) },
    i,
  }));
  fields.sort((a, b) => NEED_ORDER[a.field.need] - NEED_ORDER[b.field.need] || a.i - b.i);
  return fields.map((f) => f.field);
}

export interface InterfaceChoice {
  kind: InterfaceName;
  /** What the node gets when nothing is chosen. */
  defaultName: string | null;
  options: string[];
}

/** Interface kinds where the hardware type offers a choice (more than one enabled implementation). */
export function interfaceChoices(detail: Record<string, unknown>): InterfaceChoice[] {
  const out: InterfaceChoice[] = [];
  for (const kind of INTERFACE_NAMES) {
    const enabled = detail[`enabled_${kind}_interfaces`];
    if (!Array.isArray(enabled) || enabled.length < 2) continue;
    const def = detail[`default_${kind}_interface`];
    out.push({ kind, defaultName: typeof def === "string" ? def : null, options: enabled.map(String) });
  }
  return out;
}

export interface EnrollForm {
  driver: string;
  name: string;
  resourceClass: string;
  description: string;
  /** "" = nobody (system admins) or the caller's project (the API sets it for project admins). */
  owner: string;
  /** Values typed for the driver's fields (empty = not sent). */
  driverInfo: Record<string, string>;
  /** Further driver_info as "key=value" lines (fields the driver does not list, or no driver list at all). */
  extraDriverInfo: string;
  /** Chosen interface per kind ("" = the hardware type's default). */
  interfaces: Partial<Record<InterfaceName, string>>;
  /** MAC addresses of the ports to create, separated by spaces, commas or new lines. */
  macs: string;
}

export function emptyForm(driver = ""): EnrollForm {
  return { driver, name: "", resourceClass: "", description: "", owner: "", driverInfo: {}, extraDriverInfo: "", interfaces: {}, macs: "" };
}

/** "key=value" lines → pairs; blank lines and "#" comments are skipped. */
export function parseKeyValueLines(text: string): { pairs: [string, string][]; errors: string[] } {
  const pairs: [string, string][] = [];
  const errors: string[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const eq = line.indexOf("=");
    if (eq <= 0) {
      errors.push(`Line ${i + 1}: expected key=value, got "${isSecretKey(line) ? "******" : line}"`);
      return;
    }
    pairs.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
  });
  return { pairs, errors };
}

const MAC = /^[0-9a-f]{2}([:-])[0-9a-f]{2}(\1[0-9a-f]{2}){4}$/i;

/** The MAC addresses typed, lower case with colons; what is not a MAC address is listed in `invalid`. */
export function parseMacs(text: string): { macs: string[]; invalid: string[] } {
  const macs: string[] = [];
  const invalid: string[] = [];
  for (const token of text.split(/[\s,;]+/).filter(Boolean)) {
    if (!MAC.test(token)) invalid.push(token);
    else {
      const mac = token.toLowerCase().replace(/-/g, ":");
      if (!macs.includes(mac)) macs.push(mac);
    }
  }
  return { macs, invalid };
}

/** Problems the form can tell before asking the server (field → message; "" for the form as a whole). */
export function formErrors(form: EnrollForm, fields: DriverField[]): Record<string, string> {
  const errors: Record<string, string> = {};
  if (!form.driver) errors.driver = "Choose a hardware type.";
  for (const f of fields) {
    if (f.need === "required" && !(form.driverInfo[f.name] ?? "").trim()) errors[`driver_info.${f.name}`] = `${f.name} is required by the ${form.driver} hardware type.`;
  }
  const kv = parseKeyValueLines(form.extraDriverInfo);
  if (kv.errors.length) errors.extraDriverInfo = kv.errors.join("; ");
  const dup = kv.pairs.map(([k]) => k).find((k) => (form.driverInfo[k] ?? "") !== "");
  if (dup) errors.extraDriverInfo = `${dup} is already set in the field above.`;
  const { invalid } = parseMacs(form.macs);
  if (invalid.length) errors.macs = `Not a MAC address: ${invalid.join(", ")} (expected six hexadecimal pairs, e.g. 52:54:00:12:34:56).`;
  return errors;
}

/** The body of POST /v1/nodes for the form (only what was filled in). */
export function nodeBody(form: EnrollForm): Record<string, unknown> {
  const body: Record<string, unknown> = { driver: form.driver };
  if (form.name.trim()) body.name = form.name.trim();
  if (form.resourceClass.trim()) body.resource_class = form.resourceClass.trim();
  if (form.description.trim()) body.description = form.description.trim();
  if (form.owner) body.owner = form.owner;
  const info: Record<string, string> = {};
  for (const [k, v] of Object.entries(form.driverInfo)) {
    // Secrets are sent exactly as typed (a password may begin or end with a space); other values trimmed.
    const value = isSecretKey(k) ? v : v.trim();
    if (value !== "") info[k] = value;
  }
  for (const [k, v] of parseKeyValueLines(form.extraDriverInfo).pairs) if (!(k in info)) info[k] = v;
  if (Object.keys(info).length) body.driver_info = info;
  for (const kind of INTERFACE_NAMES) {
    const chosen = form.interfaces[kind];
    if (chosen) body[`${kind}_interface`] = chosen;
  }
  return body;
}

// Python's repr() and pprint.pformat() of JSON values, so messages read exactly like Ironic's
// ({'interface': 'bios', 'step': 'x'}; jsonschema's "Failed validating ..." blocks).

/** repr() of a Python str: single quotes unless the text has ' and no ", escapes as Python's. */
function strRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === "\\") out += "\\\\";
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (c < 0x20 || (c >= 0x7f && c <= 0xa0) || c === 0xad) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else if (c === 0x2028 || c === 0x2029) out += `\\u${c.toString(16)}`;
    else out += ch;
  }
  return out + quote;
}

/** repr() of a JSON number: floats keep Python's spelling where JS and Python differ. */
function numRepr(n: number): string {
  if (Number.isNaN(n)) return "nan";
  if (!Number.isFinite(n)) return n > 0 ? "inf" : "-inf";
  return String(n);
}

/** Python-style repr of a JSON value (dicts in insertion order, as repr() shows them). */
export function pyRepr(v: unknown): string {
  return repr(v, false);
}

function repr(v: unknown, sortDicts: boolean): string {
  if (v === null || v === undefined) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (typeof v === "string") return strRepr(v);
  if (typeof v === "number") return numRepr(v);
  if (Array.isArray(v)) return `[${v.map((x) => repr(x, sortDicts)).join(", ")}]`;
  if (typeof v === "object") {
    return `{${dictItems(v as Record<string, unknown>, sortDicts).map(([k, x]) => `${strRepr(k)}: ${repr(x, sortDicts)}`).join(", ")}}`;
  }
  return String(v);
}

function dictItems(d: Record<string, unknown>, sorted: boolean): [string, unknown][] {
  const items = Object.entries(d);
  return sorted ? items.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) : items;
}

/**
 * pprint.pformat(value, width) of a JSON value (Python 3.11: dict keys sorted, one item per line
 * once a container does not fit, long strings split into parenthesised chunks).
 */
export function pyPformat(value: unknown, width = 80): string {
  const out: string[] = [];
  format(value, out, 0, 0, 0, width);
  return out.join("");
}

function format(v: unknown, out: string[], indent: number, allowance: number, level: number, width: number): void {
  const rep = repr(v, true);
  if (rep.length > width - indent - allowance) {
    if (Array.isArray(v)) {
      out.push("[");
      formatItems(v, out, indent, allowance + 1, level + 1, width);
      out.push("]");
      return;
    }
    if (v !== null && typeof v === "object") {
      out.push("{");
      const items = dictItems(v as Record<string, unknown>, true);
      const inner = indent + 1;
      items.forEach(([k, x], i) => {
        const last = i === items.length - 1;
        const keyRep = strRepr(k);
        out.push(keyRep, ": ");
        format(x, out, inner + keyRep.length + 2, last ? allowance + 1 : 1, level + 1, width);
        if (!last) out.push(`,\n${" ".repeat(inner)}`);
      });
      out.push("}");
      return;
    }
    if (typeof v === "string" && v.length) {
      out.push(formatString(v, indent, allowance, level + 1, width));
      return;
    }
  }
  out.push(rep);
}

function formatItems(items: unknown[], out: string[], indent: number, allowance: number, level: number, width: number): void {
  const inner = indent + 1;
  items.forEach((x, i) => {
    const last = i === items.length - 1;
    if (i > 0) out.push(`,\n${" ".repeat(inner)}`);
    format(x, out, inner, last ? allowance : 1, level, width);
  });
}

/** pprint's _pprint_str: a too-long string becomes adjacent literals split after whitespace. */
function formatString(s: string, indent: number, allowance: number, level: number, width: number): string {
  const chunks: string[] = [];
  const lines = s.match(/[^\n\r]*(?:\r\n|\n|\r|$)/g)!.filter((l) => l !== "");
  if (level === 1) {
    indent += 1;
    allowance += 1;
  }
  let maxWidth1 = width - indent;
  const maxWidth = width - indent;
  let rep = "";
  lines.forEach((line, i) => {
    rep = strRepr(line);
    if (i === lines.length - 1) maxWidth1 -= allowance;
    if (rep.length <= maxWidth1) {
      chunks.push(rep);
      return;
    }
    const parts = line.match(/\S*\s*/g)!.filter((p, j, all) => !(p === "" && j === all.length - 1));
    let maxWidth2 = maxWidth;
    let current = "";
    parts.forEach((part, j) => {
      const candidate = current + part;
      if (j === parts.length - 1 && i === lines.length - 1) maxWidth2 -= allowance;
      if (strRepr(candidate).length > maxWidth2) {
        if (current) chunks.push(strRepr(current));
        current = part;
      } else {
        current = candidate;
      }
    });
    if (current) chunks.push(strRepr(current));
  });
  if (chunks.length === 1) return rep;
  const body = chunks.join(`\n${" ".repeat(indent)}`);
  return level === 1 ? `(${body})` : body;
}

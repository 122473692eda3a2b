// The type test of a step argument, shared by the API's step validation (lib/core/steps.ts) and the
// browser's step forms (lib/client/steps.ts), so both give the same verdict. Pure: no imports.
export function argTypeMatches(type: string, v: unknown): boolean {
  switch (type) {
    case "string": return typeof v === "string";
    case "integer": return typeof v === "number" && Number.isInteger(v);
    case "number": return typeof v === "number" && Number.isFinite(v);
    case "boolean": return typeof v === "boolean";
    case "array": return Array.isArray(v);
    case "object": return v !== null && typeof v === "object" && !Array.isArray(v);
    default: return true;
  }
}

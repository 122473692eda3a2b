// The transition table is pure vocabulary shared with the browser: it lives in lib/shared/states.ts.
// This re-export keeps the core's imports short.
export * from "../shared/states.ts";

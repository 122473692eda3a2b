// Secret masking is pure and shared with the browser: it lives in lib/shared/secrets.ts.
// This re-export keeps the core's imports short.
export * from "../shared/secrets.ts";

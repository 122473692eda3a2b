// The policy rules and `authorize` are pure and shared with the browser: they live in
// lib/shared/policy.ts. This re-export keeps the core's imports short.
export * from "../shared/policy.ts";

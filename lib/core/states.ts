// The transition table is pure vocabulary shared with the browser: it lives in lib/shared/states.ts.
// This re-export keeps the core's imports short.
export * from "../shared/states.ts";
/** The kinds of step (lib/shared/steps.ts), here too for the history and the drivers. */
export type { StepKind } from "../shared/steps.ts";

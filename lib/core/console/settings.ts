// Console settings, from the environment (tests override with setConsoleSettings()).
export interface ConsoleSettings {
  /** Bound of each node's console log (INGOT_CONSOLE_LOG_KB, default 256 KiB). */
  logBytes: number;
  /** Lifetime of a graphical console token (INGOT_CONSOLE_TOKEN_TIMEOUT, default 600 s). */
  tokenTimeoutSeconds: number;
  /** Bytes of recent serial output kept per TCP serial source for resume (sim ports keep 64 KiB). */
  resumeBytes: number;
}

function envNum(name: string, dflt: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return dflt;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : dflt;
}

let overrides: Partial<ConsoleSettings> = {};

export function consoleSettings(): ConsoleSettings {
  return {
    logBytes: Math.floor(envNum("INGOT_CONSOLE_LOG_KB", 256) * 1024),
    tokenTimeoutSeconds: envNum("INGOT_CONSOLE_TOKEN_TIMEOUT", 600),
    resumeBytes: 64 * 1024,
    ...overrides,
  };
}

/** Tests: override settings; no argument resets to the environment. */
export function setConsoleSettings(o?: Partial<ConsoleSettings>): void {
  overrides = o ?? {};
}

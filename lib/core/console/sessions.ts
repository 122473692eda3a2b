// Live console sessions of this process (websocket relays), so stopping a console, deleting a
// node or an expired graphical token can close them.
import type { ConsoleKind } from "./types.ts";

export interface LiveSession {
  uuid: string;
  kind: ConsoleKind;
  user: string;
  readOnly: boolean;
  startedAt: number;
  /** Graphical sessions: when their console token expires (ms since epoch). */
  expiresAt?: number;
  close(code: number, reason: string): void;
}

const sessions = new Set<LiveSession>();

export function registerSession(s: LiveSession): () => void {
  sessions.add(s);
  return () => void sessions.delete(s);
}

export function listSessions(uuid?: string): LiveSession[] {
  return [...sessions].filter((s) => uuid === undefined || s.uuid === uuid);
}

/** Closes the node's sessions (of one kind, or all); returns how many. */
export function closeSessions(uuid: string, kind: ConsoleKind | null, code: number, reason: string): number {
  let n = 0;
  for (const s of listSessions(uuid)) {
    if (kind && s.kind !== kind) continue;
    sessions.delete(s);
    s.close(code, reason);
    n++;
  }
  return n;
}

/** Closes graphical sessions whose console token expired; returns how many. */
export function closeExpiredSessions(now = Date.now()): number {
  let n = 0;
  for (const s of [...sessions]) {
    if (s.expiresAt === undefined || s.expiresAt > now) continue;
    sessions.delete(s);
    s.close(4401, "console token expired");
    n++;
  }
  return n;
}

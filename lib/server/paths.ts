// Where Ingot keeps its local state (SQLite database by default, the session secret, stamps).
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

export function dataDir(): string {
  return resolve(/*turbopackIgnore: true*/ process.env.INGOT_DATA_DIR || join(/*turbopackIgnore: true*/ process.cwd(), "data"));
}

/**
 * AUTH_SECRET for Auth.js: the environment's, else one generated once and kept in
 * data/auth-secret so restarts keep sessions valid. Sets process.env.AUTH_SECRET.
 */
export function ensureAuthSecret(): string {
  if (process.env.AUTH_SECRET) return process.env.AUTH_SECRET;
  const file = join(dataDir(), "auth-secret");
  let secret = "";
  if (existsSync(file)) secret = readFileSync(file, "utf8").trim();
  if (!secret) {
    mkdirSync(dirname(file), { recursive: true });
    secret = randomBytes(32).toString("base64url");
    writeFileSync(file, secret + "\n", { mode: 0o600 });
    try {
      chmodSync(file, 0o600);
    } catch {
      // best effort
    }
  }
  process.env.AUTH_SECRET = secret;
  return secret;
}

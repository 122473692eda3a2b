// Shared steps for the browser tests: logging in, and the Bare Metal API as the admin (HTTP Basic)
// to set up nodes. Specs share one server and the demo fleet: each creates its own nodes with a
// unique prefix and never asserts global counts.
import { createRequire } from "node:module";
import { expect, type APIRequestContext, type Page } from "@playwright/test";
import Database from "better-sqlite3";
import { logIn } from "../lib/testing/browser.ts";
import { E2E_ADMIN_PASSWORD, E2E_DATABASE_URL } from "./env.ts";

export const ADMIN = { username: "admin", password: E2E_ADMIN_PASSWORD };

export function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
}

export async function login(page: Page, username = ADMIN.username, password = ADMIN.password): Promise<void> {
  await logIn(page, username, password);
}

export async function logout(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page).toHaveURL(/\/login/);
}

export interface Api {
  get<T = unknown>(path: string): Promise<T>;
  post<T = unknown>(path: string, body?: unknown, expectStatus?: number): Promise<T>;
  patch<T = unknown>(path: string, body: unknown): Promise<T>;
  put<T = unknown>(path: string, body?: unknown, expectStatus?: number): Promise<T>;
  del(path: string): Promise<void>;
}

/** The API under /baremetal/v1 as `username` (default: the admin), at the latest microversion. */
export function api(request: APIRequestContext, username = ADMIN.username, password = ADMIN.password): Api {
  const headers = { Authorization: basicAuth(username, password), "X-OpenStack-Ironic-API-Version": "latest" };
  const call = async <T>(method: string, path: string, body: unknown, expectStatus?: number): Promise<T> => {
    const res = await request.fetch(`/baremetal/v1${path}`, { method, headers, data: body === undefined ? undefined : body });
    const text = await res.text();
    if (expectStatus !== undefined) expect(res.status(), `${method} ${path}: ${text}`).toBe(expectStatus);
    else expect(res.ok(), `${method} ${path} → ${res.status()}: ${text}`).toBe(true);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  return {
    get: (path) => call("GET", path, undefined),
    post: (path, body, s) => call("POST", path, body, s),
    patch: (path, body) => call("PATCH", path, body),
    put: (path, body, s) => call("PUT", path, body, s),
    del: async (path) => {
      await call("DELETE", path, undefined);
    },
  };
}

export const adminApi = (request: APIRequestContext): Api => api(request);

/** Creates `count` sim nodes named `<prefix>-01`…; returns their UUIDs in order. */
export async function createNodes(request: APIRequestContext, prefix: string, count: number, extra: Record<string, unknown> = {}): Promise<string[]> {
  const a = adminApi(request);
  const uuids: string[] = [];
  for (let i = 1; i <= count; i++) {
    const node = await a.post<{ uuid: string }>("/nodes", { name: `${prefix}-${String(i).padStart(2, "0")}`, driver: "sim", resource_class: "baremetal.e2e", ...extra }, 201);
    uuids.push(node.uuid);
  }
  return uuids;
}

/** Waits until the node's provision_state is `state` and it has no target (default 60 s). */
export async function waitForState(request: APIRequestContext, uuid: string, state: string, timeout = 60_000): Promise<void> {
  const a = adminApi(request);
  await expect
    .poll(async () => {
      const n = await a.get<{ provision_state: string; target_provision_state: string | null; last_error: string | null }>(`/nodes/${uuid}`);
      return n.target_provision_state ? `${n.provision_state} → ${n.target_provision_state}` : n.provision_state;
    }, { timeout, intervals: [200, 500, 1000] })
    .toBe(state);
}

/** Moves enroll nodes to manageable (validates power credentials on the sim BMC). */
export async function manage(request: APIRequestContext, uuids: string[]): Promise<void> {
  const a = adminApi(request);
  for (const uuid of uuids) await a.put(`/nodes/${uuid}/states/provision`, { target: "manage" }, 202);
  for (const uuid of uuids) await waitForState(request, uuid, "manageable");
}

/**
 * Moves a node's creation and every history row it has so far `days` into the past, straight in
 * the e2e server's database (the API rightly cannot backdate anything), so a test can make a node
 * that has existed for months and then act on it today. Bumps the node's version so no cached
 * rendering of it survives.
 */
export function backdateNode(uuid: string, days: number): void {
  const db = new Database(E2E_DATABASE_URL.replace(/^file:/, ""));
  try {
    db.pragma("busy_timeout = 5000");
    const node = db.prepare(`SELECT "id", "createdAt" FROM "Node" WHERE "uuid" = ?`).get(uuid) as { id: number; createdAt: string } | undefined;
    if (!node) throw new Error(`no node ${uuid}`);
    const back = (stored: string) => new Date(Date.parse(stored) - days * 86_400_000).toISOString();
    db.transaction(() => {
      db.prepare(`UPDATE "Node" SET "createdAt" = ?, "version" = "version" + 1 WHERE "id" = ?`).run(back(node.createdAt), node.id);
      const rows = db.prepare(`SELECT "id", "createdAt" FROM "NodeHistory" WHERE "nodeId" = ?`).all(node.id) as { id: number; createdAt: string }[];
      const update = db.prepare(`UPDATE "NodeHistory" SET "createdAt" = ? WHERE "id" = ?`);
      for (const r of rows) update.run(back(r.createdAt), r.id);
    })();
  } finally {
    db.close();
  }
}

const AXE_SOURCE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/** axe's WCAG 2.1 A/AA rules (or just `rules`) on the page, or on the element `within` selects. */
export async function axeViolations(page: Page, rules?: string[], within?: string): Promise<AxeViolation[]> {
  await page.addScriptTag({ path: AXE_SOURCE });
  return page.evaluate(async ({ only, selector }) => {
    const axe = (window as unknown as { axe: { run(ctx: Element | Document, opts: unknown): Promise<{ violations: AxeViolation[] }> } }).axe;
    const runOnly = only ? { type: "rule", values: only } : { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] };
    const context = selector ? document.querySelector(selector) : document;
    if (!context) throw new Error(`axe: nothing matches ${selector}`);
    const result = await axe.run(context, { runOnly });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target, failureSummary: n.failureSummary })) }));
  }, { only: rules ?? null, selector: within ?? null });
}

export function describeViolations(v: AxeViolation[]): string {
  return v.map((x) => `${x.id} (${x.impact}): ${x.help}\n${x.nodes.map((n) => `  ${n.target.join(" ")}: ${n.failureSummary ?? ""}`).join("\n")}`).join("\n");
}

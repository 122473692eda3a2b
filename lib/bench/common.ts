// What the benchmark scripts share: percentiles, waiting for a spawned server to answer, and
// writing their sections of docs/benchmarks.md.
import type { ChildProcess } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Polls `url` until it answers 2xx; fails when the child exits or after `timeoutMs`. */
export async function waitForServer(url: string, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; ) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await sleep(100);
  }
  throw new Error("server did not start");
}

/**
 * Replaces the `<!-- name:start -->…<!-- name:end -->` section of docs/benchmarks.md with `section`
 * (which carries the markers), or appends it; each benchmark owns one section and keeps the others.
 */
export function writeBenchSection(name: string, section: string): void {
  const file = join(process.cwd(), "docs", "benchmarks.md");
  let doc = existsSync(file) ? readFileSync(file, "utf8") : "# Benchmarks\n";
  const re = new RegExp(`<!-- ${name}:start -->[\\s\\S]*?<!-- ${name}:end -->\\n?`);
  const block = section.endsWith("\n") ? section : `${section}\n`;
  doc = re.test(doc) ? doc.replace(re, block) : `${doc.trimEnd()}\n\n${block}`;
  writeFileSync(file, doc);
}

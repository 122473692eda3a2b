// In a child process: vitest treats an unhandled rejection in its own process as a failed run.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const SCRIPT = `
  const { logUnhandledRejections } = await import("./lib/server/unhandled.ts");
  if (process.argv.includes("--handled")) logUnhandledRejections();
  Promise.reject(new Error("a stray rejection"));
  setTimeout(() => console.log("still serving"), 100);
`;

describe("unhandled promise rejections in the server process", () => {
  it("are logged with their error and the process goes on", async () => {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", "--input-type=module", "-e", SCRIPT, "--", "--handled"]);
    expect(stderr).toMatch(/\[ingot\] unhandled promise rejection \(a bug, please report it; the server keeps running\): Error: a stray rejection/);
    expect(stdout).toBe("still serving\n");
  });

  it("stop the process without the handler (Node's default, what the handler prevents)", async () => {
    await expect(run(process.execPath, ["--import", "tsx", "--input-type=module", "-e", SCRIPT])).rejects.toMatchObject({ code: 1, stdout: "" });
  });
});

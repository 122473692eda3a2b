// How a job performs each node's action is registered at start-up (lib/server/server.ts), not by
// importing a module: here the whole API is loaded (lib/testing/api.ts) and nothing registered it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getNodeByUuid } from "../db/nodes.ts";
import { sql } from "../db/sql.ts";
import { jobsIdle, setJobExecutor } from "../jobs.ts";
import { api } from "../../testing/api.ts";
import { createTestDb, type TestDb } from "../../testing/env.ts";
import { systemUser } from "../../testing/principals.ts";
import { serviceJobExecutor } from "./job_actions.ts";
import { jobItems, startJob } from "./jobs.ts";

let db: TestDb;
beforeAll(async () => {
  process.env.INGOT_API_AUTH = "noauth";
  db = await createTestDb();
});
afterAll(async () => {
  await jobsIdle();
  await db.cleanup();
});

const admin = systemUser("admin");

async function maintenanceJob(name: string) {
  const r = await api("POST", "/v1/nodes", { body: { driver: "fake-hardware", name } });
  expect(r.status, r.error ?? "").toBe(201);
  const job = await startJob(admin, { action: "maintenance_on", args: { reason: "job" }, selection: {}, targets: [{ uuid: r.body.uuid, name }] });
  await jobsIdle();
  return { uuid: r.body.uuid as string, items: await jobItems(job) };
}

describe("the job executor", () => {
  it("is not registered by importing the API or the job services: a job fails its nodes and says so", async () => {
    const { uuid, items } = await maintenanceJob("exec-none");
    expect(items.map((i) => [i.state, i.message])).toEqual([["failed", expect.stringContaining("no job executor registered")]]);
    expect((await getNodeByUuid(await sql(), uuid))!.maintenance).toBe(false);
  });

  it("once registered as start-up does, performs each node's action through the services", async () => {
    setJobExecutor(serviceJobExecutor);
    const { uuid, items } = await maintenanceJob("exec-services");
    expect(items.map((i) => [i.state, i.message])).toEqual([["succeeded", null]]);
    expect((await getNodeByUuid(await sql(), uuid))!.maintenance).toBe(true);
  });
});

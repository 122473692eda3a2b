// Bulk jobs for a caller (the job runner itself is lib/core/jobs.ts).
import { sql } from "../db/sql.ts";
import { getJob, mayAccessJob, type JobRecord } from "../jobs.ts";
import type { Principal } from "../policy.ts";

/** The job if the caller created it (or is a system admin), else null: others learn nothing. */
export async function jobIfVisible(principal: Principal, id: string): Promise<JobRecord | null> {
  const job = await getJob(await sql(), id);
  return job && mayAccessJob(principal, job) ? job : null;
}

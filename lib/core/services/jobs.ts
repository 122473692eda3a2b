// Bulk jobs for a caller (the runner itself is lib/core/jobs.ts): which nodes a selection means,
// starting, reading, listing and cancelling jobs. Only the creator (or a system admin) sees a job.
import { sql } from "../db/sql.ts";
import { Invalid, NotFound } from "../errors.ts";
import { matchingNodeUuids, type FleetQuery } from "../fleet.ts";
import {
  cancelJob, createJob, getJob, getJobItems, JobError, listJobs, mayAccessJob, MAX_JOB_NODES, targetsForIdents,
  type Dict, type ItemState, type JobAction, type JobItemRecord, type JobRecord, type JobState, type JobTarget,
} from "../jobs.ts";
import type { Principal } from "../policy.ts";

/** The job if the caller may see it, else null: others learn nothing. */
export async function jobIfVisible(principal: Principal, id: string): Promise<JobRecord | null> {
  const job = await getJob(await sql(), id);
  return job && mayAccessJob(principal, job) ? job : null;
}

export async function visibleJob(principal: Principal, id: string): Promise<JobRecord> {
  const job = await jobIfVisible(principal, id);
  if (!job) throw new NotFound(`Job ${id} could not be found.`);
  return job;
}

/** The nodes named (as the caller sees them). */
export async function namedTargets(principal: Principal, idents: string[]): Promise<JobTarget[]> {
  return targetsForIdents(await sql(), principal, idents);
}

/** Every node the fleet query matches for the caller, but `except`. */
export async function matchingTargets(principal: Principal, query: FleetQuery, except: Set<string>): Promise<JobTarget[]> {
  const db = await sql();
  const uuids = (await matchingNodeUuids(db, principal, query)).filter((u) => !except.has(u));
  if (uuids.length > MAX_JOB_NODES) throw new Invalid(`Too many nodes for one job: ${uuids.length} (at most ${MAX_JOB_NODES}).`);
  return targetsForIdents(db, principal, uuids);
}

export async function startJob(principal: Principal, job: { action: JobAction; args: Dict; selection: Dict; targets: JobTarget[] }): Promise<JobRecord> {
  try {
    return await createJob(await sql(), { principal, ...job });
  } catch (err) {
    if (err instanceof JobError) throw new Invalid(err.message);
    throw err;
  }
}

export async function jobItems(job: JobRecord, states?: ItemState[]): Promise<JobItemRecord[]> {
  return getJobItems(await sql(), job.id, states);
}

/** The caller's jobs (a system admin's: everyone's unless `mine`), newest first. */
export async function listJobsFor(
  principal: Principal, q: { mine: boolean; state?: JobState; limit: number; marker?: string },
): Promise<JobRecord[]> {
  const everyone = principal.noauth || principal.systemRole === "admin";
  return listJobs(await sql(), { userId: everyone && !q.mine ? undefined : principal.userId, state: q.state, limit: q.limit, marker: q.marker });
}

/** Cancels a job the caller may see; the job as it is afterwards. */
export async function cancelJobFor(job: JobRecord): Promise<JobRecord> {
  return (await cancelJob(await sql(), job.id)) ?? job;
}

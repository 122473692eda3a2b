// Who may see and use a runbook (reference §5.4, §7.2), for the runbook API and for the
// provisioning verbs that name one (clean/service with "runbook").
import { sql } from "../db/sql.ts";
import { Forbidden, NotFound } from "../errors.ts";
import { authorize, type Principal } from "../policy.ts";
import { findRunbook, type RunbookRecord } from "../runbooks.ts";

export function runbookVisible(who: Principal, rb: Pick<RunbookRecord, "public" | "owner">): boolean {
  if (authorize("baremetal:runbook:get", who, { owner: rb.owner })) return true;
  return rb.public && authorize("baremetal:runbook:list", who);
}

/** `baremetal:runbook:use`; a public runbook may also be used by any project member. */
export function mayUseRunbook(who: Principal, rb: Pick<RunbookRecord, "public" | "owner">): boolean {
  if (authorize("baremetal:runbook:use", who, { owner: rb.owner })) return true;
  return rb.public && who.projectId !== null && who.projectRole !== null && who.projectRole !== "reader";
}

/** The runbook named `ident` when the caller may see it (404 otherwise) and use it (403 otherwise). */
export async function usableRunbook(who: Principal, ident: string): Promise<RunbookRecord> {
  const rb = await findRunbook(await sql(), ident);
  if (!rb || !runbookVisible(who, rb)) throw new NotFound(`Runbook ${ident} could not be found.`);
  if (!mayUseRunbook(who, rb)) throw new Forbidden();
  return rb;
}

/** The runbook named `ident` (uuid or name) if the caller may see it, else null. */
export async function runbookIfVisible(who: Principal, ident: string): Promise<RunbookRecord | null> {
  const rb = await findRunbook(await sql(), ident);
  return rb && runbookVisible(who, rb) ? rb : null;
}

// Who may see and use a runbook (reference §5.4, §7.2), for the runbook API and for the
// provisioning verbs that name one (clean/service with "runbook"); the runbook API's reads and
// writes (its policy checks stay in lib/api/v1/runbooks.ts).
import type { PageRequest } from "../db/page.ts";
import {
  deleteRunbookRow, deleteRunbookTrait, insertRunbook, insertRunbookTrait, pageRunbooks, runbookNameTaken, runbookRowByUuid,
  setRunbookTraits, touchRunbook, updateRunbookRow, type RunbookFields, type RunbookFilter,
} from "../db/runbooks.ts";
import { sql } from "../db/sql.ts";
import { isUniqueViolation } from "../db/unique.ts";
import { Conflict, Forbidden, NotFound } from "../errors.ts";
import { authorize, type Principal } from "../policy.ts";
import { findRunbook, getRunbook, withRunbookTraits, type RunbookRecord } from "../runbooks.ts";
import { isUuidLike } from "../uuid.ts";

export type { RunbookFields, RunbookFilter };

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

/** The runbook named `ident` (uuid or name); 404 when there is none. Visibility is the caller's. */
export async function loadRunbook(ident: string): Promise<RunbookRecord> {
  return getRunbook(await sql(), ident);
}

/** A page of runbooks with their traits, after the runbook with uuid `marker` (only uuids are markers). */
export async function listRunbooks(filter: RunbookFilter, page: PageRequest, marker: string | null): Promise<RunbookRecord[]> {
  const db = await sql();
  let markerRow;
  if (marker !== null) {
    markerRow = isUuidLike(marker) ? await runbookRowByUuid(db, marker) : undefined;
    if (!markerRow) throw new NotFound(`Runbook ${marker} could not be found.`);
  }
  return withRunbookTraits(db, await pageRunbooks(db, filter, page, markerRow));
}

export async function createRunbook(uuid: string, fields: RunbookFields, traits: string[]): Promise<RunbookRecord> {
  const db = await sql();
  if (await runbookNameTaken(db, fields.name)) throw new Conflict(`A runbook with name ${fields.name} already exists.`);
  try {
    await insertRunbook(db, uuid, fields);
  } catch (err) {
    if (isUniqueViolation(err)) {
      const sameName = await runbookNameTaken(db, fields.name);
      throw new Conflict(sameName ? `A runbook with name ${fields.name} already exists.` : `A runbook with UUID ${uuid} already exists.`);
    }
    throw err;
  }
  const rb = await getRunbook(db, uuid);
  if (traits.length) await setRunbookTraits(db, rb.id, traits);
  return getRunbook(db, uuid);
}

export async function changeRunbook(rb: RunbookRecord, fields: RunbookFields): Promise<RunbookRecord> {
  const db = await sql();
  if (fields.name !== rb.name && (await runbookNameTaken(db, fields.name, rb.id))) {
    throw new Conflict(`A runbook with name ${fields.name} already exists.`);
  }
  try {
    await updateRunbookRow(db, rb.id, fields);
  } catch (err) {
    if (isUniqueViolation(err)) throw new Conflict(`A runbook with name ${fields.name} already exists.`);
    throw err;
  }
  return getRunbook(db, rb.uuid);
}

export async function deleteRunbook(rb: RunbookRecord): Promise<void> {
  await deleteRunbookRow(await sql(), rb.id);
}

export async function replaceRunbookTraits(rb: RunbookRecord, traits: string[]): Promise<void> {
  const db = await sql();
  await setRunbookTraits(db, rb.id, traits);
  await touchRunbook(db, rb.id);
}

export async function addRunbookTrait(rb: RunbookRecord, trait: string): Promise<void> {
  const db = await sql();
  await insertRunbookTrait(db, rb.id, trait);
  await touchRunbook(db, rb.id);
}

export async function removeRunbookTrait(rb: RunbookRecord, trait: string): Promise<void> {
  const db = await sql();
  await deleteRunbookTrait(db, rb.id, trait);
  await touchRunbook(db, rb.id);
}

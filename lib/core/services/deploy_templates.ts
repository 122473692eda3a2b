// Deploy templates for the API's module (lib/api/v1/deploy_templates.ts): lookups, the
// uniqueness rules and optimistic writes (ETag = version). Policy is the route's (system rules).
import {
  deleteTemplateRow, findTemplate, insertTemplate, pageTemplates, templateByUuid, templateNameTaken, templatesNamed, updateTemplate,
  type DeployTemplateRow,
} from "../db/deploy_templates.ts";
import type { PageRequest } from "../db/page.ts";
import { sql } from "../db/sql.ts";
import { isUniqueViolation } from "../db/unique.ts";
import { Conflict, NotFound, PreconditionFailed } from "../errors.ts";

export type { DeployTemplateRow };

function notFound(ident: string): NotFound {
  return new NotFound(`Deploy template ${ident} could not be found.`);
}

export async function getTemplate(ident: string): Promise<DeployTemplateRow> {
  const row = await findTemplate(await sql(), ident);
  if (!row) throw notFound(ident);
  return row;
}

export async function rowsNamed(names: string[]): Promise<DeployTemplateRow[]> {
  return templatesNamed(await sql(), names);
}

/** A page after the template with uuid `marker` (only uuids are markers). */
export async function listTemplates(page: PageRequest, marker: string | null, markerIsUuid: boolean): Promise<DeployTemplateRow[]> {
  const db = await sql();
  let markerRow: DeployTemplateRow | undefined;
  if (marker !== null) {
    markerRow = markerIsUuid ? await templateByUuid(db, marker) : undefined;
    if (!markerRow) throw notFound(marker);
  }
  return pageTemplates(db, page, markerRow);
}

export async function createTemplate(t: { uuid: string; name: string; steps: unknown; extra: unknown }): Promise<DeployTemplateRow> {
  const db = await sql();
  if (await templateNameTaken(db, t.name)) throw new Conflict(`A deploy template with name ${t.name} already exists.`);
  try {
    await insertTemplate(db, t);
  } catch (err) {
    if (isUniqueViolation(err)) {
      const sameName = await templateNameTaken(db, t.name);
      throw new Conflict(sameName ? `A deploy template with name ${t.name} already exists.` : `A deploy template with UUID ${t.uuid} already exists.`);
    }
    throw err;
  }
  return getTemplate(t.uuid);
}

/** Writes the template read as `row` (412 when it changed since). */
export async function changeTemplate(row: DeployTemplateRow, t: { name: string; steps: unknown; extra: unknown }): Promise<DeployTemplateRow> {
  const db = await sql();
  if (t.name !== row.name && (await templateNameTaken(db, t.name, row.id))) {
    throw new Conflict(`A deploy template with name ${t.name} already exists.`);
  }
  let written: boolean;
  try {
    written = await updateTemplate(db, row.id, Number(row.version), t);
  } catch (err) {
    if (isUniqueViolation(err)) throw new Conflict(`A deploy template with name ${t.name} already exists.`);
    throw err;
  }
  if (!written) throw new PreconditionFailed(`Deploy template ${row.uuid} was changed concurrently; fetch it again and retry.`);
  return getTemplate(row.uuid);
}

export async function deleteTemplate(row: DeployTemplateRow): Promise<void> {
  await deleteTemplateRow(await sql(), row.id);
}

-- AlterTable
ALTER TABLE "NodeHistory" ADD COLUMN     "error" TEXT,
ADD COLUMN     "fromState" TEXT,
ADD COLUMN     "kind" TEXT NOT NULL DEFAULT 'note',
ADD COLUMN     "powerTarget" TEXT,
ADD COLUMN     "provisionEvent" TEXT,
ADD COLUMN     "step" TEXT,
ADD COLUMN     "stepInterface" TEXT,
ADD COLUMN     "stepKind" TEXT,
ADD COLUMN     "toState" TEXT;


-- Backfill (hand-written). Rows written before this migration carry their structure only in the
-- English sentence. It is parsed here once, as the conductor wrote it up to now, so that no reader
-- ever parses sentences again (the dashboard used to, on every render). Only what the timeline
-- charts is recovered: provision transitions, step start/finish/failure/release, power changes
-- and failed power changes; every other old row stays "note" (it was drawn as a plain event then
-- too).

-- `Provision state changed from "<from>" to "<to>" (event "<event>")[: note]`
UPDATE "NodeHistory" h SET "kind" = 'provision_transition', "fromState" = p.m[1], "toState" = p.m[2], "provisionEvent" = p.m[3]
FROM (SELECT "id", regexp_match("event", '^Provision state changed from "([^"]*)" to "([^"]*)" \(event "([^"]*)"\)') AS m
      FROM "NodeHistory" WHERE "event" LIKE 'Provision state changed from %') p
WHERE h."id" = p."id" AND p.m IS NOT NULL;

-- `Power state changed from "<from or None>" to "<to>" (target "<target>")` or `(<a driver's note>)`
UPDATE "NodeHistory" h SET "kind" = 'power_change', "fromState" = NULLIF(p.m[1], 'None'), "toState" = p.m[2], "powerTarget" = p.m[3]
FROM (SELECT "id", regexp_match("event", '^Power state changed from "([^"]*)" to "([^"]*)"(?: \(target "([^"]*)"\))?') AS m
      FROM "NodeHistory" WHERE "event" LIKE 'Power state changed from %') p
WHERE h."id" = p."id" AND p.m IS NOT NULL;

-- `Failed to change power state to "<target>" for node <uuid>: <error>`
UPDATE "NodeHistory" h SET "kind" = 'power_change_failed', "powerTarget" = p.m[1], "error" = p.m[2]
FROM (SELECT "id", regexp_match("event", '^Failed to change power state to "([^"]*)"[^:]*(?:: (.*))?$') AS m
      FROM "NodeHistory" WHERE "event" LIKE 'Failed to change power state to %') p
WHERE h."id" = p."id" AND p.m IS NOT NULL;

-- `Started|Finished|Released (unhold) <clean|deploy|service> step <interface>.<step>`, `Failed …: <error>`
UPDATE "NodeHistory" h SET
  "kind" = CASE p.m[1] WHEN 'Started' THEN 'step_started' WHEN 'Finished' THEN 'step_finished' WHEN 'Failed' THEN 'step_failed' ELSE 'step_released' END,
  "stepKind" = p.m[2], "stepInterface" = p.m[3], "step" = p.m[4], "error" = CASE WHEN p.m[1] = 'Failed' THEN p.m[5] END
FROM (SELECT "id", regexp_match("event", '^(Started|Finished|Failed|Released \(unhold\)) (clean|deploy|service) step ([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)(?::\s*(.*))?$') AS m
      FROM "NodeHistory" WHERE "kind" = 'note') p
WHERE h."id" = p."id" AND p.m IS NOT NULL;

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_NodeHistory" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "uuid" TEXT NOT NULL,
    "nodeId" INTEGER NOT NULL,
    "event" TEXT NOT NULL,
    "eventType" TEXT NOT NULL,
    "severity" TEXT NOT NULL,
    "user" TEXT,
    "project" TEXT,
    "conductor" TEXT,
    "state" TEXT,
    "targetProvisionState" TEXT,
    "durationSeconds" REAL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "kind" TEXT NOT NULL DEFAULT 'note',
    "fromState" TEXT,
    "toState" TEXT,
    "provisionEvent" TEXT,
    "powerTarget" TEXT,
    "stepKind" TEXT,
    "stepInterface" TEXT,
    "step" TEXT,
    "error" TEXT,
    CONSTRAINT "NodeHistory_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_NodeHistory" ("conductor", "createdAt", "durationSeconds", "event", "eventType", "id", "nodeId", "project", "severity", "state", "targetProvisionState", "user", "uuid") SELECT "conductor", "createdAt", "durationSeconds", "event", "eventType", "id", "nodeId", "project", "severity", "state", "targetProvisionState", "user", "uuid" FROM "NodeHistory";
DROP TABLE "NodeHistory";
ALTER TABLE "new_NodeHistory" RENAME TO "NodeHistory";
CREATE UNIQUE INDEX "NodeHistory_uuid_key" ON "NodeHistory"("uuid");
CREATE INDEX "NodeHistory_nodeId_id_idx" ON "NodeHistory"("nodeId", "id");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;


-- Backfill (hand-written). Rows written before this migration carry their structure only in the
-- English sentence. It is parsed here once, as the conductor wrote it up to now, so that no reader
-- ever parses sentences again (the dashboard used to, on every render). Only what the timeline
-- charts is recovered: provision transitions, step start/finish/failure/release, power changes
-- and failed power changes; every other old row stays "note" (it was drawn as a plain event then
-- too). SQLite has no regular expressions, hence substr/instr on the fixed prefixes.

-- `Provision state changed from "<from>" to "<to>" (event "<event>")[: note]`
UPDATE "NodeHistory" SET "kind" = 'provision_transition', "fromState" = substr("event", 31, instr(substr("event", 31), '"') - 1)
WHERE "event" GLOB 'Provision state changed from "*" to "*" (event "*")*';
UPDATE "NodeHistory" SET "toState" = substr("event", 37 + length("fromState"), instr(substr("event", 37 + length("fromState")), '"') - 1)
WHERE "kind" = 'provision_transition';
UPDATE "NodeHistory" SET "provisionEvent" = substr("event", 47 + length("fromState") + length("toState"), instr(substr("event", 47 + length("fromState") + length("toState")), '"') - 1)
WHERE "kind" = 'provision_transition';

-- `Power state changed from "<from or None>" to "<to>" (target "<target>")` or `(<a driver's note>)`
UPDATE "NodeHistory" SET "kind" = 'power_change', "fromState" = substr("event", 27, instr(substr("event", 27), '"') - 1)
WHERE "event" GLOB 'Power state changed from "*" to "*"*';
UPDATE "NodeHistory" SET "toState" = substr("event", 33 + length("fromState"), instr(substr("event", 33 + length("fromState")), '"') - 1)
WHERE "kind" = 'power_change';
UPDATE "NodeHistory" SET "powerTarget" = substr("event", 44 + length("fromState") + length("toState"), instr(substr("event", 44 + length("fromState") + length("toState")), '"') - 1)
WHERE "kind" = 'power_change' AND substr("event", 35 + length("fromState") + length("toState"), 9) = '(target "';
UPDATE "NodeHistory" SET "fromState" = NULL WHERE "kind" = 'power_change' AND "fromState" = 'None';

-- `Failed to change power state to "<target>" for node <uuid>: <error>`
UPDATE "NodeHistory" SET "kind" = 'power_change_failed', "powerTarget" = substr("event", 34, instr(substr("event", 34), '"') - 1),
  "error" = CASE WHEN instr("event", ': ') > 0 THEN substr("event", instr("event", ': ') + 2) END
WHERE "event" GLOB 'Failed to change power state to "*"*';

-- `Started|Finished|Released (unhold) <clean|deploy|service> step <interface>.<step>`, `Failed …: <error>`
WITH verb("prefix", "kind") AS (
  VALUES ('Started ', 'step_started'), ('Finished ', 'step_finished'), ('Failed ', 'step_failed'), ('Released (unhold) ', 'step_released')
), after_verb AS (
  SELECT h."id", v."kind", substr(h."event", length(v."prefix") + 1) AS "rest"
  FROM "NodeHistory" h JOIN verb v ON substr(h."event", 1, length(v."prefix")) = v."prefix"
  WHERE h."kind" = 'note'
), after_kind AS (
  SELECT "id", "kind", substr("rest", 1, instr("rest", ' ') - 1) AS "stepKind", substr("rest", instr("rest", ' ') + 1) AS "rest" FROM after_verb
), named AS (
  SELECT "id", "kind", "stepKind",
    CASE WHEN instr("rest", ':') > 0 THEN substr("rest", 6, instr("rest", ':') - 6) ELSE substr("rest", 6) END AS "name",
    CASE WHEN instr("rest", ':') > 0 THEN ltrim(substr("rest", instr("rest", ':') + 1), ' ' || char(9) || char(10) || char(13)) END AS "error"
  FROM after_kind WHERE "stepKind" IN ('clean', 'deploy', 'service') AND "rest" GLOB 'step *'
), parsed AS (
  SELECT "id", "kind", "stepKind", substr("name", 1, instr("name", '.') - 1) AS "stepInterface", substr("name", instr("name", '.') + 1) AS "step", "error"
  FROM named WHERE "name" GLOB '?*.?*' AND "name" NOT GLOB '*[^A-Za-z0-9_.-]*'
)
UPDATE "NodeHistory" SET "kind" = parsed."kind", "stepKind" = parsed."stepKind", "stepInterface" = parsed."stepInterface", "step" = parsed."step",
  "error" = CASE WHEN parsed."kind" = 'step_failed' THEN parsed."error" END
FROM parsed WHERE parsed."id" = "NodeHistory"."id";

-- AlterTable
ALTER TABLE "Node" ADD COLUMN "health" TEXT;

-- CreateTable
CREATE TABLE "Runbook" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "uuid" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "steps" TEXT NOT NULL DEFAULT '[]',
    "disableRamdisk" BOOLEAN NOT NULL DEFAULT false,
    "public" BOOLEAN NOT NULL DEFAULT false,
    "owner" TEXT,
    "description" TEXT,
    "extra" TEXT NOT NULL DEFAULT '{}',
    "version" INTEGER NOT NULL DEFAULT 1,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME
);

-- CreateTable
CREATE TABLE "RunbookTrait" (
    "runbookId" INTEGER NOT NULL,
    "trait" TEXT NOT NULL,

    PRIMARY KEY ("runbookId", "trait"),
    CONSTRAINT "RunbookTrait_runbookId_fkey" FOREIGN KEY ("runbookId") REFERENCES "Runbook" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "InspectionRule" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "uuid" TEXT NOT NULL,
    "description" TEXT,
    "priority" INTEGER NOT NULL DEFAULT 0,
    "phase" TEXT NOT NULL DEFAULT 'main',
    "sensitive" BOOLEAN NOT NULL DEFAULT false,
    "conditions" TEXT NOT NULL DEFAULT '[]',
    "actions" TEXT NOT NULL DEFAULT '[]',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME
);

-- CreateTable
CREATE TABLE "FirmwareComponent" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "nodeId" INTEGER NOT NULL,
    "component" TEXT NOT NULL,
    "initialVersion" TEXT NOT NULL,
    "currentVersion" TEXT,
    "lastVersionFlashed" TEXT,
    "vendor" TEXT,
    "model" TEXT,
    "serialNumber" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME,
    CONSTRAINT "FirmwareComponent_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "NodeStepCache" (
    "nodeId" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "steps" TEXT NOT NULL DEFAULT '[]',
    "updatedAt" DATETIME NOT NULL,

    PRIMARY KEY ("nodeId", "kind"),
    CONSTRAINT "NodeStepCache_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "Runbook_uuid_key" ON "Runbook"("uuid");

-- CreateIndex
CREATE UNIQUE INDEX "Runbook_name_key" ON "Runbook"("name");

-- CreateIndex
CREATE UNIQUE INDEX "InspectionRule_uuid_key" ON "InspectionRule"("uuid");

-- CreateIndex
CREATE UNIQUE INDEX "FirmwareComponent_nodeId_component_key" ON "FirmwareComponent"("nodeId", "component");


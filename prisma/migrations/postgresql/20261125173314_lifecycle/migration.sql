-- AlterTable
ALTER TABLE "Node" ADD COLUMN     "health" TEXT;

-- CreateTable
CREATE TABLE "Runbook" (
    "id" SERIAL NOT NULL,
    "uuid" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "steps" TEXT NOT NULL DEFAULT '[]',
    "disableRamdisk" BOOLEAN NOT NULL DEFAULT false,
    "public" BOOLEAN NOT NULL DEFAULT false,
    "owner" TEXT,
    "description" TEXT,
    "extra" TEXT NOT NULL DEFAULT '{}',
    "version" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3),

    CONSTRAINT "Runbook_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RunbookTrait" (
    "runbookId" INTEGER NOT NULL,
    "trait" TEXT NOT NULL,

    CONSTRAINT "RunbookTrait_pkey" PRIMARY KEY ("runbookId","trait")
);

-- CreateTable
CREATE TABLE "InspectionRule" (
    "id" SERIAL NOT NULL,
    "uuid" TEXT NOT NULL,
    "description" TEXT,
    "priority" INTEGER NOT NULL DEFAULT 0,
    "phase" TEXT NOT NULL DEFAULT 'main',
    "sensitive" BOOLEAN NOT NULL DEFAULT false,
    "conditions" TEXT NOT NULL DEFAULT '[]',
    "actions" TEXT NOT NULL DEFAULT '[]',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3),

    CONSTRAINT "InspectionRule_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "FirmwareComponent" (
    "id" SERIAL NOT NULL,
    "nodeId" INTEGER NOT NULL,
    "component" TEXT NOT NULL,
    "initialVersion" TEXT NOT NULL,
    "currentVersion" TEXT,
    "lastVersionFlashed" TEXT,
    "vendor" TEXT,
    "model" TEXT,
    "serialNumber" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3),

    CONSTRAINT "FirmwareComponent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "NodeStepCache" (
    "nodeId" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "steps" TEXT NOT NULL DEFAULT '[]',
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "NodeStepCache_pkey" PRIMARY KEY ("nodeId","kind")
);

-- CreateIndex
CREATE UNIQUE INDEX "Runbook_uuid_key" ON "Runbook"("uuid");

-- CreateIndex
CREATE UNIQUE INDEX "Runbook_name_key" ON "Runbook"("name");

-- CreateIndex
CREATE UNIQUE INDEX "InspectionRule_uuid_key" ON "InspectionRule"("uuid");

-- CreateIndex
CREATE UNIQUE INDEX "FirmwareComponent_nodeId_component_key" ON "FirmwareComponent"("nodeId", "component");

-- AddForeignKey
ALTER TABLE "RunbookTrait" ADD CONSTRAINT "RunbookTrait_runbookId_fkey" FOREIGN KEY ("runbookId") REFERENCES "Runbook"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "FirmwareComponent" ADD CONSTRAINT "FirmwareComponent_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "NodeStepCache" ADD CONSTRAINT "NodeStepCache_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node"("id") ON DELETE CASCADE ON UPDATE CASCADE;


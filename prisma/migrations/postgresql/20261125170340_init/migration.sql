-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "Node" (
    "id" SERIAL NOT NULL,
    "uuid" TEXT NOT NULL,
    "name" TEXT,
    "driver" TEXT NOT NULL,
    "driverInfo" TEXT NOT NULL DEFAULT '{}',
    "driverInternalInfo" TEXT NOT NULL DEFAULT '{}',
    "properties" TEXT NOT NULL DEFAULT '{}',
    "instanceInfo" TEXT NOT NULL DEFAULT '{}',
    "instanceUuid" TEXT,
    "instanceName" TEXT,
    "chassisId" INTEGER,
    "powerState" TEXT,
    "targetPowerState" TEXT,
    "provisionState" TEXT NOT NULL,
    "targetProvisionState" TEXT,
    "provisionUpdatedAt" TIMESTAMP(3),
    "maintenance" BOOLEAN NOT NULL DEFAULT false,
    "maintenanceReason" TEXT,
    "fault" TEXT,
    "consoleEnabled" BOOLEAN NOT NULL DEFAULT false,
    "lastError" TEXT,
    "reservation" TEXT,
    "cleanStep" TEXT NOT NULL DEFAULT '{}',
    "deployStep" TEXT NOT NULL DEFAULT '{}',
    "serviceStep" TEXT NOT NULL DEFAULT '{}',
    "raidConfig" TEXT NOT NULL DEFAULT '{}',
    "targetRaidConfig" TEXT NOT NULL DEFAULT '{}',
    "inspectionStartedAt" TIMESTAMP(3),
    "inspectionFinishedAt" TIMESTAMP(3),
    "extra" TEXT NOT NULL DEFAULT '{}',
    "resourceClass" TEXT,
    "bootInterface" TEXT,
    "consoleInterface" TEXT,
    "deployInterface" TEXT,
    "inspectInterface" TEXT,
    "managementInterface" TEXT,
    "networkInterface" TEXT,
    "powerInterface" TEXT,
    "raidInterface" TEXT,
    "rescueInterface" TEXT,
    "storageInterface" TEXT,
    "vendorInterface" TEXT,
    "biosInterface" TEXT,
    "firmwareInterface" TEXT,
    "conductorGroup" TEXT NOT NULL DEFAULT '',
    "conductorAffinity" TEXT,
    "automatedClean" BOOLEAN,
    "protected" BOOLEAN NOT NULL DEFAULT false,
    "protectedReason" TEXT,
    "owner" TEXT,
    "lessee" TEXT,
    "description" TEXT,
    "allocationId" INTEGER,
    "retired" BOOLEAN NOT NULL DEFAULT false,
    "retiredReason" TEXT,
    "networkData" TEXT NOT NULL DEFAULT '{}',
    "bootMode" TEXT,
    "secureBoot" BOOLEAN,
    "shard" TEXT,
    "parentNode" TEXT,
    "disablePowerOff" BOOLEAN NOT NULL DEFAULT false,
    "version" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3),

    CONSTRAINT "Node_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "NodeTrait" (
    "nodeId" INTEGER NOT NULL,
    "trait" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "NodeTrait_pkey" PRIMARY KEY ("nodeId","trait")
);

-- CreateTable
CREATE TABLE "Chassis" (
    "id" SERIAL NOT NULL,
    "uuid" TEXT NOT NULL,
    "description" TEXT,
    "extra" TEXT NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3),

    CONSTRAINT "Chassis_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Port" (
    "id" SERIAL NOT NULL,
    "uuid" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "name" TEXT,
    "nodeId" INTEGER NOT NULL,
    "portgroupId" INTEGER,
    "extra" TEXT NOT NULL DEFAULT '{}',
    "internalInfo" TEXT NOT NULL DEFAULT '{}',
    "pxeEnabled" BOOLEAN NOT NULL DEFAULT true,
    "localLinkConnection" TEXT NOT NULL DEFAULT '{}',
    "physicalNetwork" TEXT,
    "isSmartnic" BOOLEAN NOT NULL DEFAULT false,
    "description" TEXT,
    "vendor" TEXT,
    "category" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3),

    CONSTRAINT "Port_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Portgroup" (
    "id" SERIAL NOT NULL,
    "uuid" TEXT NOT NULL,
    "name" TEXT,
    "address" TEXT,
    "nodeId" INTEGER NOT NULL,
    "extra" TEXT NOT NULL DEFAULT '{}',
    "internalInfo" TEXT NOT NULL DEFAULT '{}',
    "standalonePortsSupported" BOOLEAN NOT NULL DEFAULT true,
    "mode" TEXT,
    "properties" TEXT NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3),

    CONSTRAINT "Portgroup_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Conductor" (
    "id" SERIAL NOT NULL,
    "hostname" TEXT NOT NULL,
    "conductorGroup" TEXT NOT NULL DEFAULT '',
    "online" BOOLEAN NOT NULL DEFAULT true,
    "drivers" TEXT NOT NULL DEFAULT '[]',
    "rpcUrl" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3),

    CONSTRAINT "Conductor_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DeployTemplate" (
    "id" SERIAL NOT NULL,
    "uuid" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "steps" TEXT NOT NULL DEFAULT '[]',
    "extra" TEXT NOT NULL DEFAULT '{}',
    "version" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3),

    CONSTRAINT "DeployTemplate_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "NodeHistory" (
    "id" SERIAL NOT NULL,
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
    "durationSeconds" DOUBLE PRECISION,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "NodeHistory_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "BiosSetting" (
    "nodeId" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "value" TEXT,
    "attributeType" TEXT,
    "allowableValues" TEXT,
    "lowerBound" INTEGER,
    "upperBound" INTEGER,
    "minLength" INTEGER,
    "maxLength" INTEGER,
    "readOnly" BOOLEAN,
    "resetRequired" BOOLEAN,
    "unique" BOOLEAN,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3),

    CONSTRAINT "BiosSetting_pkey" PRIMARY KEY ("nodeId","name")
);

-- CreateTable
CREATE TABLE "NodeInventory" (
    "nodeId" INTEGER NOT NULL,
    "inventory" TEXT NOT NULL,
    "pluginData" TEXT NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3),

    CONSTRAINT "NodeInventory_pkey" PRIMARY KEY ("nodeId")
);

-- CreateTable
CREATE TABLE "Allocation" (
    "id" SERIAL NOT NULL,
    "uuid" TEXT NOT NULL,
    "name" TEXT,
    "nodeId" INTEGER,
    "state" TEXT NOT NULL,
    "lastError" TEXT,
    "resourceClass" TEXT,
    "traits" TEXT NOT NULL DEFAULT '[]',
    "candidateNodes" TEXT NOT NULL DEFAULT '[]',
    "extra" TEXT NOT NULL DEFAULT '{}',
    "owner" TEXT,
    "conductorAffinity" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3),

    CONSTRAINT "Allocation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "VolumeConnector" (
    "id" SERIAL NOT NULL,
    "uuid" TEXT NOT NULL,
    "nodeId" INTEGER NOT NULL,
    "type" TEXT NOT NULL,
    "connectorId" TEXT NOT NULL,
    "extra" TEXT NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3),

    CONSTRAINT "VolumeConnector_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "VolumeTarget" (
    "id" SERIAL NOT NULL,
    "uuid" TEXT NOT NULL,
    "nodeId" INTEGER NOT NULL,
    "volumeType" TEXT NOT NULL,
    "volumeId" TEXT NOT NULL,
    "bootIndex" INTEGER NOT NULL,
    "properties" TEXT NOT NULL DEFAULT '{}',
    "extra" TEXT NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3),

    CONSTRAINT "VolumeTarget_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "User" (
    "id" TEXT NOT NULL,
    "username" TEXT NOT NULL,
    "email" TEXT,
    "name" TEXT,
    "passwordHash" TEXT NOT NULL,
    "systemRole" TEXT,
    "disabled" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3),

    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Project" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Project_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Membership" (
    "userId" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "role" TEXT NOT NULL,

    CONSTRAINT "Membership_pkey" PRIMARY KEY ("userId","projectId")
);

-- CreateTable
CREATE TABLE "ApiToken" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "projectId" TEXT,
    "name" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),
    "lastUsedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ApiToken_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Node_uuid_key" ON "Node"("uuid");

-- CreateIndex
CREATE UNIQUE INDEX "Node_name_key" ON "Node"("name");

-- CreateIndex
CREATE UNIQUE INDEX "Node_instanceUuid_key" ON "Node"("instanceUuid");

-- CreateIndex
CREATE INDEX "Node_provisionState_idx" ON "Node"("provisionState");

-- CreateIndex
CREATE INDEX "Node_owner_idx" ON "Node"("owner");

-- CreateIndex
CREATE INDEX "Node_lessee_idx" ON "Node"("lessee");

-- CreateIndex
CREATE INDEX "Node_reservation_idx" ON "Node"("reservation");

-- CreateIndex
CREATE INDEX "Node_resourceClass_idx" ON "Node"("resourceClass");

-- CreateIndex
CREATE INDEX "Node_conductorGroup_idx" ON "Node"("conductorGroup");

-- CreateIndex
CREATE UNIQUE INDEX "Chassis_uuid_key" ON "Chassis"("uuid");

-- CreateIndex
CREATE UNIQUE INDEX "Port_uuid_key" ON "Port"("uuid");

-- CreateIndex
CREATE UNIQUE INDEX "Port_address_key" ON "Port"("address");

-- CreateIndex
CREATE UNIQUE INDEX "Port_name_key" ON "Port"("name");

-- CreateIndex
CREATE INDEX "Port_nodeId_idx" ON "Port"("nodeId");

-- CreateIndex
CREATE UNIQUE INDEX "Portgroup_uuid_key" ON "Portgroup"("uuid");

-- CreateIndex
CREATE UNIQUE INDEX "Portgroup_name_key" ON "Portgroup"("name");

-- CreateIndex
CREATE UNIQUE INDEX "Portgroup_address_key" ON "Portgroup"("address");

-- CreateIndex
CREATE INDEX "Portgroup_nodeId_idx" ON "Portgroup"("nodeId");

-- CreateIndex
CREATE UNIQUE INDEX "Conductor_hostname_key" ON "Conductor"("hostname");

-- CreateIndex
CREATE UNIQUE INDEX "DeployTemplate_uuid_key" ON "DeployTemplate"("uuid");

-- CreateIndex
CREATE UNIQUE INDEX "DeployTemplate_name_key" ON "DeployTemplate"("name");

-- CreateIndex
CREATE UNIQUE INDEX "NodeHistory_uuid_key" ON "NodeHistory"("uuid");

-- CreateIndex
CREATE INDEX "NodeHistory_nodeId_id_idx" ON "NodeHistory"("nodeId", "id");

-- CreateIndex
CREATE UNIQUE INDEX "Allocation_uuid_key" ON "Allocation"("uuid");

-- CreateIndex
CREATE UNIQUE INDEX "Allocation_name_key" ON "Allocation"("name");

-- CreateIndex
CREATE UNIQUE INDEX "Allocation_nodeId_key" ON "Allocation"("nodeId");

-- CreateIndex
CREATE UNIQUE INDEX "VolumeConnector_uuid_key" ON "VolumeConnector"("uuid");

-- CreateIndex
CREATE UNIQUE INDEX "VolumeConnector_type_connectorId_key" ON "VolumeConnector"("type", "connectorId");

-- CreateIndex
CREATE UNIQUE INDEX "VolumeTarget_uuid_key" ON "VolumeTarget"("uuid");

-- CreateIndex
CREATE UNIQUE INDEX "VolumeTarget_nodeId_bootIndex_key" ON "VolumeTarget"("nodeId", "bootIndex");

-- CreateIndex
CREATE UNIQUE INDEX "User_username_key" ON "User"("username");

-- CreateIndex
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");

-- CreateIndex
CREATE UNIQUE INDEX "Project_name_key" ON "Project"("name");

-- CreateIndex
CREATE UNIQUE INDEX "ApiToken_tokenHash_key" ON "ApiToken"("tokenHash");

-- AddForeignKey
ALTER TABLE "Node" ADD CONSTRAINT "Node_chassisId_fkey" FOREIGN KEY ("chassisId") REFERENCES "Chassis"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "NodeTrait" ADD CONSTRAINT "NodeTrait_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Port" ADD CONSTRAINT "Port_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Port" ADD CONSTRAINT "Port_portgroupId_fkey" FOREIGN KEY ("portgroupId") REFERENCES "Portgroup"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Portgroup" ADD CONSTRAINT "Portgroup_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "NodeHistory" ADD CONSTRAINT "NodeHistory_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "BiosSetting" ADD CONSTRAINT "BiosSetting_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "NodeInventory" ADD CONSTRAINT "NodeInventory_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "VolumeConnector" ADD CONSTRAINT "VolumeConnector_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "VolumeTarget" ADD CONSTRAINT "VolumeTarget_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Membership" ADD CONSTRAINT "Membership_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Membership" ADD CONSTRAINT "Membership_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ApiToken" ADD CONSTRAINT "ApiToken_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;


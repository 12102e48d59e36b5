-- CreateTable
CREATE TABLE "ClusterEndpointSet" (
    "cluster" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "endpoints" JSONB NOT NULL,
    "updatedBy" TEXT NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ClusterEndpointSet_pkey" PRIMARY KEY ("cluster")
);

-- CreateTable
CREATE TABLE "NodeClusterStatus" (
    "nodeId" TEXT NOT NULL,
    "clusters" JSONB NOT NULL DEFAULT '[]',
    "endpointAcks" JSONB NOT NULL DEFAULT '{}',
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "NodeClusterStatus_pkey" PRIMARY KEY ("nodeId")
);

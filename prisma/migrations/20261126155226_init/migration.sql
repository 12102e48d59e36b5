-- CreateEnum
CREATE TYPE "Role" AS ENUM ('admin', 'editor', 'viewer');

-- CreateTable
CREATE TABLE "WorkingConfigMeta" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "revision" INTEGER NOT NULL DEFAULT 0,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedBy" TEXT,

    CONSTRAINT "WorkingConfigMeta_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Listener" (
    "id" SERIAL NOT NULL,
    "position" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "port" INTEGER NOT NULL,
    "protocol" TEXT NOT NULL,
    "routeConfig" TEXT,
    "tcp" JSONB,
    "tls" JSONB,
    "httpFilters" JSONB NOT NULL,
    "limits" JSONB NOT NULL,

    CONSTRAINT "Listener_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RouteConfig" (
    "id" SERIAL NOT NULL,
    "position" INTEGER NOT NULL,
    "name" TEXT NOT NULL,

    CONSTRAINT "RouteConfig_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "VirtualHost" (
    "id" SERIAL NOT NULL,
    "routeConfigId" INTEGER NOT NULL,
    "position" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "domains" TEXT[],
    "rateLimit" TEXT,
    "requestHeaders" JSONB,
    "responseHeaders" JSONB,

    CONSTRAINT "VirtualHost_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Route" (
    "id" SERIAL NOT NULL,
    "virtualHostId" INTEGER NOT NULL,
    "order" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "match" JSONB NOT NULL,
    "route" JSONB,
    "redirect" JSONB,
    "directResponse" JSONB,
    "requestHeaders" JSONB,
    "responseHeaders" JSONB,

    CONSTRAINT "Route_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Cluster" (
    "id" SERIAL NOT NULL,
    "position" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "discovery" TEXT NOT NULL,
    "kubernetes" JSONB,
    "consul" JSONB,
    "dnsResolvers" TEXT[],
    "dnsRefreshMs" INTEGER NOT NULL,
    "lbPolicy" TEXT NOT NULL,
    "protocol" TEXT NOT NULL,
    "connectTimeoutMs" INTEGER NOT NULL,
    "idleTimeoutMs" INTEGER NOT NULL,
    "tls" JSONB,
    "healthCheck" JSONB,
    "outlierDetection" JSONB,
    "circuitBreakers" JSONB,

    CONSTRAINT "Cluster_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Endpoint" (
    "id" SERIAL NOT NULL,
    "clusterId" INTEGER NOT NULL,
    "position" INTEGER NOT NULL,
    "address" TEXT NOT NULL,
    "port" INTEGER NOT NULL,
    "weight" INTEGER NOT NULL,

    CONSTRAINT "Endpoint_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Secret" (
    "id" SERIAL NOT NULL,
    "position" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "certificate" TEXT NOT NULL,
    "privateKey" TEXT,

    CONSTRAINT "Secret_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RateLimitPolicy" (
    "id" SERIAL NOT NULL,
    "position" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "scope" TEXT NOT NULL,
    "requests" INTEGER NOT NULL,
    "per" TEXT NOT NULL,
    "burst" INTEGER,
    "key" JSONB NOT NULL,

    CONSTRAINT "RateLimitPolicy_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ConfigVersion" (
    "version" INTEGER NOT NULL,
    "hash" TEXT NOT NULL,
    "snapshot" JSONB NOT NULL,
    "author" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "parentVersion" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ConfigVersion_pkey" PRIMARY KEY ("version")
);

-- CreateTable
CREATE TABLE "Node" (
    "id" TEXT NOT NULL,
    "group" TEXT NOT NULL DEFAULT 'default',
    "labels" JSONB NOT NULL DEFAULT '{}',
    "proxyVersion" TEXT,
    "remoteAddress" TEXT,
    "connected" BOOLEAN NOT NULL DEFAULT false,
    "appliedVersion" INTEGER,
    "appliedHash" TEXT,
    "nackedVersion" INTEGER,
    "lastError" TEXT,
    "lastAckAt" TIMESTAMP(3),
    "lastNackAt" TIMESTAMP(3),
    "lastSeen" TIMESTAMP(3),
    "connectedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Node_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AuditLog" (
    "id" SERIAL NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "target" TEXT,
    "details" JSONB,

    CONSTRAINT "AuditLog_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "User" (
    "id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "passwordHash" TEXT NOT NULL,
    "role" "Role" NOT NULL DEFAULT 'viewer',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Session" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Session_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Listener_name_key" ON "Listener"("name");

-- CreateIndex
CREATE UNIQUE INDEX "RouteConfig_name_key" ON "RouteConfig"("name");

-- CreateIndex
CREATE INDEX "VirtualHost_routeConfigId_position_idx" ON "VirtualHost"("routeConfigId", "position");

-- CreateIndex
CREATE UNIQUE INDEX "VirtualHost_routeConfigId_name_key" ON "VirtualHost"("routeConfigId", "name");

-- CreateIndex
CREATE INDEX "Route_virtualHostId_order_idx" ON "Route"("virtualHostId", "order");

-- CreateIndex
CREATE UNIQUE INDEX "Route_virtualHostId_name_key" ON "Route"("virtualHostId", "name");

-- CreateIndex
CREATE UNIQUE INDEX "Cluster_name_key" ON "Cluster"("name");

-- CreateIndex
CREATE INDEX "Endpoint_clusterId_position_idx" ON "Endpoint"("clusterId", "position");

-- CreateIndex
CREATE UNIQUE INDEX "Secret_name_key" ON "Secret"("name");

-- CreateIndex
CREATE UNIQUE INDEX "RateLimitPolicy_name_key" ON "RateLimitPolicy"("name");

-- CreateIndex
CREATE INDEX "ConfigVersion_hash_idx" ON "ConfigVersion"("hash");

-- CreateIndex
CREATE INDEX "AuditLog_at_idx" ON "AuditLog"("at");

-- CreateIndex
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");

-- CreateIndex
CREATE INDEX "Session_userId_idx" ON "Session"("userId");

-- AddForeignKey
ALTER TABLE "VirtualHost" ADD CONSTRAINT "VirtualHost_routeConfigId_fkey" FOREIGN KEY ("routeConfigId") REFERENCES "RouteConfig"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Route" ADD CONSTRAINT "Route_virtualHostId_fkey" FOREIGN KEY ("virtualHostId") REFERENCES "VirtualHost"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Endpoint" ADD CONSTRAINT "Endpoint_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Session" ADD CONSTRAINT "Session_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AlterTable
ALTER TABLE "Listener" ADD COLUMN     "accessLog" JSONB,
ADD COLUMN     "tracing" JSONB;

-- CreateTable
CREATE TABLE "StatsBucket" (
    "id" BIGSERIAL NOT NULL,
    "resolution" INTEGER NOT NULL,
    "bucketStart" TIMESTAMP(3) NOT NULL,
    "nodeId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "listener" TEXT NOT NULL DEFAULT '',
    "cluster" TEXT NOT NULL DEFAULT '',
    "requests" INTEGER NOT NULL,
    "c1xx" INTEGER NOT NULL DEFAULT 0,
    "c2xx" INTEGER NOT NULL DEFAULT 0,
    "c3xx" INTEGER NOT NULL DEFAULT 0,
    "c4xx" INTEGER NOT NULL DEFAULT 0,
    "c5xx" INTEGER NOT NULL DEFAULT 0,
    "bytesIn" BIGINT NOT NULL DEFAULT 0,
    "bytesOut" BIGINT NOT NULL DEFAULT 0,
    "latencySum" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "latency" JSONB NOT NULL,

    CONSTRAINT "StatsBucket_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Span" (
    "traceId" TEXT NOT NULL,
    "spanId" TEXT NOT NULL,
    "parentSpanId" TEXT,
    "nodeId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "startTime" TIMESTAMP(3) NOT NULL,
    "startUnixNano" TEXT NOT NULL,
    "durationMs" DOUBLE PRECISION NOT NULL,
    "status" TEXT NOT NULL,
    "route" TEXT NOT NULL DEFAULT '',
    "cluster" TEXT NOT NULL DEFAULT '',
    "httpStatus" INTEGER NOT NULL DEFAULT 0,
    "responseFlags" TEXT NOT NULL DEFAULT '-',
    "attributes" JSONB NOT NULL,

    CONSTRAINT "Span_pkey" PRIMARY KEY ("traceId","spanId")
);

-- CreateTable
CREATE TABLE "HealthEvent" (
    "id" BIGSERIAL NOT NULL,
    "nodeId" TEXT NOT NULL,
    "cluster" TEXT NOT NULL,
    "endpoint" TEXT NOT NULL,
    "healthy" BOOLEAN NOT NULL,
    "reason" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "HealthEvent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "StatsBucket_resolution_kind_bucketStart_idx" ON "StatsBucket"("resolution", "kind", "bucketStart");

-- CreateIndex
CREATE INDEX "StatsBucket_resolution_bucketStart_idx" ON "StatsBucket"("resolution", "bucketStart");

-- CreateIndex
CREATE INDEX "Span_startTime_idx" ON "Span"("startTime");

-- CreateIndex
CREATE INDEX "Span_kind_route_startTime_idx" ON "Span"("kind", "route", "startTime");

-- CreateIndex
CREATE INDEX "HealthEvent_cluster_at_idx" ON "HealthEvent"("cluster", "at");

-- CreateIndex
CREATE INDEX "HealthEvent_at_idx" ON "HealthEvent"("at");

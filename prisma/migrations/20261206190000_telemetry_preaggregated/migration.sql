-- Issue #21: the console pre-aggregates stats windows before storing them. Raw rows are
-- now per route / cluster (nodeId ""), per node and listener (kind "node"), and per node
-- group and window start (kind "group", what the SLO guard reads).
-- AlterTable
ALTER TABLE "StatsBucket" ADD COLUMN     "group" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "windows" INTEGER NOT NULL DEFAULT 1;

-- CreateIndex
CREATE INDEX "StatsBucket_resolution_kind_group_windowStart_idx" ON "StatsBucket"("resolution", "kind", "group", "windowStart");

-- Traffic-management fields added to config v1 by issue #3 (defaults as in config-model).
ALTER TABLE "Cluster" ADD COLUMN "panicThresholdPercent" INTEGER NOT NULL DEFAULT 50;
ALTER TABLE "Cluster" ADD COLUMN "ringHashMinimumRingSize" INTEGER NOT NULL DEFAULT 1024;
ALTER TABLE "RateLimitPolicy" ADD COLUMN "failOpen" BOOLEAN NOT NULL DEFAULT true;

-- #19 item 7: rollouts by percentage steps across a group (rollout state) and the per-node cut of a group's target.
-- AlterTable
ALTER TABLE "DeployTarget" ADD COLUMN     "baseVersion" INTEGER,
ADD COLUMN     "cut" DOUBLE PRECISION;

-- AlterTable
ALTER TABLE "Rollout" ADD COLUMN     "bakeMs" INTEGER,
ADD COLUMN     "pausedAt" TIMESTAMP(3),
ADD COLUMN     "pausedBy" TEXT,
ADD COLUMN     "stepIndex" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "stepStartedAt" TIMESTAMP(3),
ADD COLUMN     "steps" JSONB;

-- The SLO guard reads StatsBucket (issue #7) instead of its own NodeStatsWindow table:
-- raw rows keep the start of the stats window they came from.
-- AlterTable
ALTER TABLE "StatsBucket" ADD COLUMN     "windowStart" TIMESTAMP(3);

-- DropTable
DROP TABLE "NodeStatsWindow";

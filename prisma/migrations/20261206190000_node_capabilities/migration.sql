-- Nodes announce what they can enforce (hello `capabilities`, e.g. Redis for global rate limits).
ALTER TABLE "Node" ADD COLUMN "capabilities" JSONB NOT NULL DEFAULT '{}';

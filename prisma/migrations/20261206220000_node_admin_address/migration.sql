-- Nodes announce their admin server's host:port (hello `admin`): the console's Prometheus
-- service discovery (GET /api/v1/prometheus/targets) lists it.
ALTER TABLE "Node" ADD COLUMN "adminAddress" TEXT;

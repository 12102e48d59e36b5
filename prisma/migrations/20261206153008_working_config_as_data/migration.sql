-- The working config becomes data: one JSONB document per resource (ConfigResource) and
-- a structured change set per revision (ConfigChange). The rows of the eight normalised
-- tables are moved into ConfigResource first, in document order, then those tables go.
-- jsonb_strip_nulls is safe: no config-model resource field is nullable (a NULL column
-- meant "not set").

-- CreateTable
CREATE TABLE "ConfigResource" (
    "kind" TEXT NOT NULL,
    "scope" TEXT NOT NULL DEFAULT '',
    "name" TEXT NOT NULL,
    "position" DOUBLE PRECISION NOT NULL,
    "spec" JSONB NOT NULL,

    CONSTRAINT "ConfigResource_pkey" PRIMARY KEY ("kind","scope","name")
);

-- CreateTable
CREATE TABLE "ConfigChange" (
    "revision" INTEGER NOT NULL,
    "actor" TEXT NOT NULL,
    "ip" TEXT,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "source" TEXT NOT NULL,
    "changes" JSONB NOT NULL,

    CONSTRAINT "ConfigChange_pkey" PRIMARY KEY ("revision")
);

-- Move the working config
INSERT INTO "ConfigResource" ("kind", "scope", "name", "position", "spec")
SELECT 'listeners', '', l."name", l."position", jsonb_strip_nulls(jsonb_build_object(
    'name', l."name", 'address', l."address", 'port', l."port", 'protocol', l."protocol",
    'routeConfig', l."routeConfig", 'tcp', l."tcp", 'tls', l."tls", 'httpFilters', l."httpFilters",
    'limits', l."limits", 'tracing', l."tracing", 'accessLog', l."accessLog"))
FROM "Listener" l;

INSERT INTO "ConfigResource" ("kind", "scope", "name", "position", "spec")
SELECT 'routeConfigs', '', rc."name", rc."position", jsonb_build_object(
    'name', rc."name",
    'virtualHosts', COALESCE((
        SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
            'name', vh."name", 'domains', to_jsonb(vh."domains"), 'rateLimit', vh."rateLimit",
            'requestHeaders', vh."requestHeaders", 'responseHeaders', vh."responseHeaders")) ORDER BY vh."position")
        FROM "VirtualHost" vh WHERE vh."routeConfigId" = rc."id"), '[]'::jsonb))
FROM "RouteConfig" rc;

INSERT INTO "ConfigResource" ("kind", "scope", "name", "position", "spec")
SELECT 'routes', rc."name" || '/' || vh."name", r."name", r."order", jsonb_strip_nulls(jsonb_build_object(
    'name', r."name", 'match', r."match", 'route', r."route", 'redirect', r."redirect",
    'directResponse', r."directResponse", 'requestHeaders', r."requestHeaders", 'responseHeaders', r."responseHeaders"))
FROM "Route" r JOIN "VirtualHost" vh ON vh."id" = r."virtualHostId" JOIN "RouteConfig" rc ON rc."id" = vh."routeConfigId";

INSERT INTO "ConfigResource" ("kind", "scope", "name", "position", "spec")
SELECT 'clusters', '', c."name", c."position", jsonb_strip_nulls(jsonb_build_object(
    'name', c."name", 'discovery', c."discovery",
    'endpoints', COALESCE((
        SELECT jsonb_agg(jsonb_build_object('address', e."address", 'port', e."port", 'weight', e."weight") ORDER BY e."position")
        FROM "Endpoint" e WHERE e."clusterId" = c."id"), '[]'::jsonb),
    'kubernetes', c."kubernetes", 'consul', c."consul", 'dnsResolvers', to_jsonb(c."dnsResolvers"),
    'dnsRefreshMs', c."dnsRefreshMs", 'lbPolicy', c."lbPolicy", 'protocol', c."protocol",
    'connectTimeoutMs', c."connectTimeoutMs", 'idleTimeoutMs', c."idleTimeoutMs",
    'panicThresholdPercent', c."panicThresholdPercent", 'ringHashMinimumRingSize', c."ringHashMinimumRingSize",
    'tls', c."tls", 'healthCheck', c."healthCheck", 'outlierDetection', c."outlierDetection",
    'circuitBreakers', c."circuitBreakers"))
FROM "Cluster" c;

INSERT INTO "ConfigResource" ("kind", "scope", "name", "position", "spec")
SELECT 'secrets', '', s."name", s."position", jsonb_strip_nulls(jsonb_build_object(
    'name', s."name", 'type', s."type", 'certificate', s."certificate", 'privateKey', s."privateKey"))
FROM "Secret" s;

INSERT INTO "ConfigResource" ("kind", "scope", "name", "position", "spec")
SELECT 'rateLimitPolicies', '', p."name", p."position", jsonb_strip_nulls(jsonb_build_object(
    'name', p."name", 'scope', p."scope", 'requests', p."requests", 'per', p."per",
    'burst', p."burst", 'key', p."key", 'failOpen', p."failOpen"))
FROM "RateLimitPolicy" p;

-- DropForeignKey
ALTER TABLE "Endpoint" DROP CONSTRAINT "Endpoint_clusterId_fkey";

-- DropForeignKey
ALTER TABLE "Route" DROP CONSTRAINT "Route_virtualHostId_fkey";

-- DropForeignKey
ALTER TABLE "VirtualHost" DROP CONSTRAINT "VirtualHost_routeConfigId_fkey";

-- DropTable
DROP TABLE "Cluster";

-- DropTable
DROP TABLE "Endpoint";

-- DropTable
DROP TABLE "Listener";

-- DropTable
DROP TABLE "RateLimitPolicy";

-- DropTable
DROP TABLE "Route";

-- DropTable
DROP TABLE "RouteConfig";

-- DropTable
DROP TABLE "Secret";

-- DropTable
DROP TABLE "VirtualHost";

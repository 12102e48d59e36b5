# Switchyard images, multi-stage: one builder compiles everything (npm run build), then
# one small runtime image per role with that role's production dependencies only, the
# compiled JavaScript, Node 24, NODE_ENV=production, a non-root user and a health check.
#   docker build --target proxy .     the switchyard-proxy data plane (no Next.js, Prisma or PostgreSQL)
#   docker build --target console .   the console: Next.js pages, REST API, control plane
#   docker build --target demo .      the demo upstream service and the demo seed
ARG NODE_IMAGE=node:24-bookworm-slim
ARG RUNTIME_IMAGE=debian:bookworm-slim

# ---- builder: full install (dev dependencies too), type-check and compile ----
FROM ${NODE_IMAGE} AS builder
WORKDIR /app
ENV NEXT_TELEMETRY_DISABLED=1 TURBO_TELEMETRY_DISABLED=1
COPY package.json package-lock.json turbo.json tsconfig.base.json ./
COPY packages/config-model/package.json packages/config-model/
COPY packages/db/package.json packages/db/prisma.config.ts packages/db/
COPY apps/proxy/package.json apps/proxy/
COPY apps/web/package.json apps/web/
COPY apps/demo/package.json apps/demo/
COPY apps/cli/package.json apps/cli/
# prisma/: the db package's postinstall generates the Prisma client from it.
COPY prisma prisma
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && rm -rf apps/web/.next/cache

# ---- production node_modules of one workspace each (no install scripts: nothing to generate) ----
FROM ${NODE_IMAGE} AS manifests
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/config-model/package.json packages/config-model/
COPY packages/db/package.json packages/db/
COPY apps/proxy/package.json apps/proxy/
COPY apps/web/package.json apps/web/
COPY apps/demo/package.json apps/demo/
COPY apps/cli/package.json apps/cli/
COPY scripts/prune-node-modules.sh /usr/local/bin/prune-node-modules

# npm puts a workspace's dependency under the workspace's own node_modules when the root
# holds another version of it: those folders are copied too (made empty when npm made none).
FROM manifests AS proxy-modules
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund --workspace @switchyard/proxy && rm -rf /root/.npm \
  && mkdir -p packages/config-model/node_modules packages/db/node_modules apps/proxy/node_modules && prune-node-modules node_modules packages/config-model/node_modules packages/db/node_modules apps/proxy/node_modules

FROM manifests AS console-modules
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund --workspace @switchyard/web && rm -rf /root/.npm \
  && mkdir -p packages/config-model/node_modules packages/db/node_modules apps/web/node_modules && prune-node-modules node_modules packages/config-model/node_modules packages/db/node_modules apps/web/node_modules

FROM manifests AS demo-modules
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund --workspace @switchyard/demo && rm -rf /root/.npm \
  && mkdir -p packages/config-model/node_modules packages/db/node_modules apps/demo/node_modules && prune-node-modules node_modules packages/config-model/node_modules packages/db/node_modules apps/demo/node_modules

# ---- runtime base: Debian slim with the node binary alone ----
# Deleting npm in a layer above the node image would not shrink it (the layers below still
# hold it): the runtime starts from bookworm-slim and takes only node, plus the same
# unprivileged `node` user (uid/gid 1000) the node image has.
FROM ${NODE_IMAGE} AS node-binary
FROM ${RUNTIME_IMAGE} AS runtime
COPY --from=node-binary /usr/local/bin/node /usr/local/bin/node
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/sh --create-home node
ENV NODE_ENV=production
WORKDIR /app
COPY package.json ./

# ---- the data plane ----
FROM runtime AS proxy
COPY --from=proxy-modules /app/node_modules node_modules
COPY --from=proxy-modules /app/packages/config-model/node_modules packages/config-model/node_modules
COPY --from=proxy-modules /app/apps/proxy/node_modules apps/proxy/node_modules
COPY --from=builder /app/packages/config-model/package.json packages/config-model/
COPY --from=builder /app/packages/config-model/dist packages/config-model/dist
COPY --from=builder /app/apps/proxy/package.json apps/proxy/
COPY --from=builder /app/apps/proxy/bin apps/proxy/bin
COPY --from=builder /app/apps/proxy/dist apps/proxy/dist
# The last-known-good cache (mount a volume here); the node user writes it.
RUN mkdir -p /var/cache/switchyard && chown node:node /var/cache/switchyard
USER node
EXPOSE 8080 9901
# The admin server's /ready (SWITCHYARD_ADMIN_PORT when --admin moves it from 9901).
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.SWITCHYARD_ADMIN_PORT||9901)+'/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "/app/apps/proxy/bin/switchyard-proxy.js"]

# ---- the console ----
FROM runtime AS console
COPY --from=console-modules /app/node_modules node_modules
COPY --from=console-modules /app/packages/config-model/node_modules packages/config-model/node_modules
COPY --from=console-modules /app/packages/db/node_modules packages/db/node_modules
COPY --from=console-modules /app/apps/web/node_modules apps/web/node_modules
COPY --from=builder /app/packages/config-model/package.json packages/config-model/
COPY --from=builder /app/packages/config-model/dist packages/config-model/dist
COPY --from=builder /app/packages/db/package.json packages/db/
COPY --from=builder /app/packages/db/dist packages/db/dist
# The console applies these at start.
COPY --from=builder /app/prisma/migrations prisma/migrations
COPY --from=builder /app/apps/web/package.json /app/apps/web/next.config.ts apps/web/
COPY --from=builder /app/apps/web/dist apps/web/dist
# .next is the node user's: Next writes its cache there while serving.
COPY --from=builder --chown=node:node /app/apps/web/.next apps/web/.next
USER node
ENV PORT=3000 HOST=0.0.0.0
EXPOSE 3000
# Over HTTPS when SWITCHYARD_TLS_CERT is set (loopback: the certificate names the service, not 127.0.0.1).
HEALTHCHECK --interval=5s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const t=!!process.env.SWITCHYARD_TLS_CERT;require(t?'https':'http').get({host:'127.0.0.1',port:process.env.PORT||3000,path:'/api/v1/healthz',rejectUnauthorized:false},r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"]
CMD ["node", "/app/apps/web/dist/server.js"]

# ---- the demo: upstream service and seed ----
FROM runtime AS demo
COPY --from=demo-modules /app/node_modules node_modules
COPY --from=demo-modules /app/packages/config-model/node_modules packages/config-model/node_modules
COPY --from=demo-modules /app/packages/db/node_modules packages/db/node_modules
COPY --from=builder /app/packages/config-model/package.json packages/config-model/
COPY --from=builder /app/packages/config-model/dist packages/config-model/dist
COPY --from=builder /app/packages/db/package.json packages/db/
COPY --from=builder /app/packages/db/dist packages/db/dist
COPY --from=builder /app/prisma/migrations prisma/migrations
COPY --from=builder /app/apps/demo/package.json apps/demo/
COPY --from=builder /app/apps/demo/dist apps/demo/dist
USER node
CMD ["node", "/app/apps/demo/dist/upstream.js", "--host", "0.0.0.0"]

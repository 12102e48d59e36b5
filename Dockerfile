# One image per role, built from the same workspace install (Node 24 images).
#   docker build --target console .   the Next.js console + REST API + control plane
#   docker build --target proxy .     the switchyard-proxy data plane
#   docker build --target demo .      the demo upstream service and the seed script
FROM node:24-bookworm-slim AS deps
WORKDIR /app
ENV NEXT_TELEMETRY_DISABLED=1
COPY package.json package-lock.json turbo.json tsconfig.base.json ./
COPY packages/config-model/package.json packages/config-model/
COPY packages/db/package.json packages/db/prisma.config.ts packages/db/
COPY apps/proxy/package.json apps/proxy/
COPY apps/web/package.json apps/web/
# prisma/ and prisma.config.ts: the db package's postinstall generates the Prisma client.
COPY prisma prisma
RUN npm ci --no-audit --no-fund
COPY . .

FROM deps AS console
RUN npm run build -w @switchyard/web
ENV NODE_ENV=production PORT=3000 HOST=0.0.0.0
EXPOSE 3000
WORKDIR /app/apps/web
CMD ["/app/node_modules/.bin/tsx", "server.ts"]

FROM deps AS proxy
EXPOSE 8080 9901
ENTRYPOINT ["node", "/app/apps/proxy/bin/switchyard-proxy.js"]

FROM deps AS demo
CMD ["/app/node_modules/.bin/tsx", "demo/upstream.ts", "--host", "0.0.0.0"]

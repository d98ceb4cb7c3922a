# syntax=docker/dockerfile:1
# Three stages: production node_modules, the TypeScript build (dev dependencies), and the runtime image
# (production dependencies, compiled code and the data files only; runs as the unprivileged `node` user).
FROM node:22-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts ./scripts
RUN npm run build

FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
# Two glibc malloc arenas instead of up to 8 per core: the refresh fetches in a worker thread, whose arena
# otherwise keeps what it freed. Measured with bench/scale.ts (embedded, the catalog of every region): the
# refresh's peak 313 → 290 MiB, the peak under 40 s of distinct questions 369-394 → 360 MiB.
ENV MALLOC_ARENA_MAX=2
# The PNG charts (src/charts/png.ts) draw their labels with a system font, and the slim image has none.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Owned by root and read-only to the app user; the code never writes next to itself.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /app/dist ./dist
COPY migrations ./migrations
COPY seed ./seed
COPY public ./public
COPY schema.graphql ./
# The embedded database (only used without DATABASE_URL) needs a writable directory.
RUN mkdir -p /app/.data && chown node:node /app/.data
# Numeric (the image's `node` user) so Kubernetes' runAsNonRoot can verify it without a runAsUser.
USER 1000:1000
EXPOSE 3000
# Exec form: node is PID 1 and receives SIGTERM itself; the app handles it (close-with-grace: stop
# accepting, finish in-flight requests, close the database, exit 0). No tini/--init needed for that;
# node does not reap orphaned children, but the service starts none.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/src/server.js"]

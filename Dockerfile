# syntax=docker/dockerfile:1
# nianbao on the current Node LTS. Two stages: dependencies are built (better-sqlite3
# may need compilers) in the first, and only the result is copied into a slim,
# non-root runtime. State lives in Redis (REDIS_URL) in production; without it, in
# the embedded store under /data (mount a volume).

FROM node:22-bookworm-slim AS deps
WORKDIR /app
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:22-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production DATA_DIR=/data HEALTH_PORT=8081
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --chown=root:root package.json tsconfig.json ./
COPY --chown=root:root flows ./flows
COPY --chown=root:root src ./src
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
# The code stays owned by root and read-only for the bot; only /data is writable.
USER node
EXPOSE 8080 8081
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.HEALTH_PORT+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# npm would swallow SIGTERM; run the entry point directly so the bot drains and closes the store.
CMD ["node", "--import", "tsx", "src/main.ts"]

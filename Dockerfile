# The bot on the current Node LTS. State lives in Redis (REDIS_URL) in
# production; without it, in the embedded store under /data (mount a volume).
FROM node:22-bookworm-slim
WORKDIR /app
# Compilers for better-sqlite3 when no prebuilt binary fits.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev
COPY tsconfig.json ./
COPY src ./src
COPY flows ./flows
ENV NODE_ENV=production DATA_DIR=/data
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
# npm would swallow SIGTERM; run the entry point directly so the bot drains and closes the store.
CMD ["node", "--import", "tsx", "src/main.ts"]

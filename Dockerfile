# nemesisd: the control plane of a simulated Xen host.
#   docker build -t nemesisd .
#   docker run -p 8000:8000 -e NEMESIS_TOKEN=change-me -v nemesis-data:/app/data nemesisd
# In a container the daemon must listen on 0.0.0.0, and a non-loopback
# address needs NEMESIS_TOKEN (or NEMESIS_INSECURE=1): it refuses to start otherwise.
FROM node:20-slim

# better-sqlite3 has a native part: build tools, in case no prebuilt binary fits.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY package.json package-lock.json ./
# Exactly the lock file; tsx (which runs the TypeScript sources) is a runtime dependency.
RUN npm ci --omit=dev && npm cache clean --force

COPY tsconfig.json ./
COPY src ./src
COPY migrations ./migrations

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    NEMESIS_DB=/app/data/nemesis.db \
    NEMESIS_PCPUS=4 \
    LOG_LEVEL=info
RUN mkdir -p /app/data && chown node:node /app/data
VOLUME ["/app/data"]
USER node
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# What `npm start` runs, but as PID 1 itself: npm does not pass SIGTERM on to the
# script it started, so `docker stop` would kill the daemon without a graceful shutdown.
# The daemon handles SIGTERM: it finishes in-flight requests, closes the database, exits 0.
CMD ["node", "--import", "tsx", "src/main.ts"]

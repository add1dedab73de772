# Multi-stage: build with the full Node 24 image, run on the slim one with production
# dependencies only, as a non-root user. No HEALTHCHECK: Kubernetes probes /healthz and /readyz.
FROM node:24-bookworm AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
# --ignore-scripts: the `node` devDependency is the developer toolchain, the image has its own Node.
RUN npm ci --ignore-scripts --no-audit --no-fund && npx tsc -p tsconfig.build.json \
 && npm prune --omit=dev --ignore-scripts

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY bin ./bin
USER 65532:65532
EXPOSE 8443 9090
ENTRYPOINT ["node", "/app/bin/extguard.js"]
CMD ["serve"]

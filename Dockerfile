# The image `npm run image` builds without a container engine (docs/image.md), for those with one:
# the build stage runs the very command tools/image/build.ts runs to assemble the root filesystem
# (pinned Debian packages, the Node binary package-lock.json pins, the app), and the final stage
# is that filesystem with tools/image/config.json's settings. test/unit/image.test.ts holds the
# two equal. Same bytes as `npm run image`: pass --build-arg SOURCE_DATE_EPOCH=$(git log -1 --format=%ct).
FROM node:24-bookworm AS rootfs
WORKDIR /src
COPY . .
ARG SOURCE_DATE_EPOCH
# apt lists for `apt-get download pkg=version`; npm ci installs the `node` package (the Node
# binary the image ships) and runs `prepare` (npm run build: dist/).
RUN apt-get update && npm ci --no-audit --no-fund
RUN node tools/image/assemble.ts --out build/image/rootfs
# COPY gives root ownership unless told otherwise: the one nonroot-owned directory goes separately.
RUN mkdir /rootfs /homes && tar -xpf build/image/rootfs/rootfs.tar --numeric-owner -C /rootfs \
 && mv /rootfs/home/nonroot /homes/nonroot

FROM scratch
COPY --from=rootfs /rootfs/ /
COPY --from=rootfs --chown=65532:65532 /homes/ /home/
USER 65532:65532
ENV PATH=/usr/local/bin:/usr/bin:/bin
ENV NODE_ENV=production
WORKDIR /app
EXPOSE 8443/tcp 9090/tcp
LABEL org.opencontainers.image.title="extguard" \
      org.opencontainers.image.description="Kubernetes admission webhook: declared external services, no plaintext credentials." \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/extguard/extguard"
# No HEALTHCHECK: Kubernetes probes /healthz and /readyz. The default command serves with the
# certificate the manifests mount at /etc/extguard/tls (docker run -v ./certs:/etc/extguard/tls:ro);
# without it, serve exits with a message naming the flags and the mount.
ENTRYPOINT ["/usr/local/bin/node", "/app/bin/extguard.js"]
CMD ["serve", "--tls-cert=/etc/extguard/tls/tls.crt", "--tls-key=/etc/extguard/tls/tls.key"]

# syntax=docker/dockerfile:1.7
# Herald's runtime image: `herald start` on Node 24 with production dependencies only, as a non-root user.
# The bundle is not in the image: the service reads it from S3 (HERALD_BUNDLE=s3://bucket/key), so a
# notifications change ships as a new object and a new task definition, not a new image.
# Build context: the repository root (see .dockerignore). Deployed by infra/ (Pulumi); see infra/README.md.
ARG NODE_IMAGE=node:24-bookworm-slim

# ── dependencies: the locked production tree, without the optional compiler tools and embedded database ──
FROM ${NODE_IMAGE} AS deps
WORKDIR /srv/herald/app
COPY package.json package-lock.json ./
COPY infra/image/install-production.sh /tmp/install-production.sh
RUN --mount=type=cache,target=/root/.npm sh /tmp/install-production.sh /srv/herald/app

# ── runtime ──
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    HERALD_HOST=0.0.0.0
# RDS's certificate authorities, so DATABASE_URL can say sslmode=verify-full (RDS forces TLS; Node does not
# trust Amazon's RDS CAs by default).
ADD --chmod=644 https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem /etc/ssl/certs/rds-global-bundle.pem
WORKDIR /srv/herald/app
COPY --from=deps /srv/herald/app/node_modules ./node_modules
COPY . .
# Files stay root-owned and read-only to the process: it writes nothing but logs (stdout) and Node's
# compile cache (in /tmp). Herald's TypeScript runs through Node's own type stripping: no loader.
USER node
EXPOSE 3000
# For `docker run` and compose; ECS and the load balancer use their own checks (/readyz), see infra/service.ts.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "compiler/cli/herald.js"]
CMD ["start"]

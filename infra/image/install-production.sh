#!/bin/sh
# The production install of Herald, as the Dockerfile runs it (and test/infra/image.test.ts, outside Docker):
#   sh infra/image/install-production.sh APP_DIR
# APP_DIR holds package.json and package-lock.json.
#
# `npm ci --omit=dev` into APP_DIR/node_modules: exactly the locked runtime dependencies, and nothing else.
# Herald's TypeScript runs through Node's own type stripping (compiler/cli/herald.js), so `herald start`
# needs no loader, compiler or test tool.
set -eu
app="${1:-.}"
cd "$app"
npm ci --omit=dev --no-audit --no-fund

#!/bin/sh
# The production install of Herald, as the Dockerfile runs it (and test/infra/image.test.ts, outside Docker):
#   sh infra/image/install-production.sh APP_DIR
# APP_DIR holds package.json and package-lock.json.
#
# 1. `npm ci --omit=dev` into APP_DIR/node_modules: exactly the locked runtime dependencies.
# 2. tsx, at the version the lock file pins, into APP_DIR/../node_modules. Herald's TypeScript runs through
#    tsx's loader (compiler/cli/herald.js), and tsx is a devDependency, so the omit-dev tree lacks it.
#    Installing it one directory up keeps the app's tree exactly what the lock file says (no `npm install`
#    rewriting it) while Node's resolution still finds it from APP_DIR: node_modules lookups walk upwards.
set -eu
app="${1:-.}"
cd "$app"
npm ci --omit=dev --no-audit --no-fund
tsx_version=$(node -p "require('./package-lock.json').packages['node_modules/tsx'].version")
npm install --prefix .. --no-save --no-package-lock --no-audit --no-fund "tsx@${tsx_version}"

#!/usr/bin/env bash
# Creates .dev.vars (what `wrangler dev` reads; git-ignored) from
# .dev.vars.example when it is missing, with a fresh random development-only
# SECRET_KEY. An existing .dev.vars is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f .dev.vars ] && exit 0
key="django-insecure-dev-$(node -p "require('node:crypto').randomBytes(32).toString('base64url')")"
sed "s|^SECRET_KEY=.*|SECRET_KEY=\"$key\"|" .dev.vars.example > .dev.vars
echo "created .dev.vars from .dev.vars.example with a random development-only SECRET_KEY"

#!/usr/bin/env bash
# Runs the example Django origin: migrate, load the Worker's sample catalog,
# create the demo users (all idempotent), then serve it with Debian's gunicorn
# on 127.0.0.1:8000 (BIND to change it).
#
#   examples/django-origin/run.sh
#
# Environment (see README.md here): SECRET_KEY and the Worker's SESSION_*
# settings (when SECRET_KEY is not set: all of them from the repository's
# .dev.vars, as `wrangler dev` reads them, so both sides share sessions),
# DEMO_PASSWORD (default: a random one, printed), SQLITE_PATH, BIND,
# WEB_CONCURRENCY (gunicorn workers, default 1).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
PYTHON=/usr/bin/python3   # Debian's interpreter: the one with python3-django

if ! "$PYTHON" -c 'import django' 2>/dev/null; then
  echo "run.sh: Django is missing: apt-get install python3-django gunicorn (or scripts/install-deps.sh)" >&2
  exit 1
fi
if ! command -v gunicorn >/dev/null; then
  echo "run.sh: gunicorn is missing: apt-get install gunicorn (or scripts/install-deps.sh)" >&2
  exit 1
fi

# Without SECRET_KEY in the environment, take the Worker's development
# settings from the repository's .dev.vars (what `wrangler dev` reads):
# SECRET_KEY, SECRET_KEY_FALLBACKS and SESSION_*, so both sides share sessions.
if [ -z "${SECRET_KEY:-}" ] && [ -f "$repo/.dev.vars" ]; then
  while IFS= read -r line || [ -n "$line" ]; do
    [[ "$line" =~ ^(SECRET_KEY|SECRET_KEY_FALLBACKS|SESSION_[A-Z_]+)[[:space:]]*=[[:space:]]*(.*)$ ]] || continue
    name=${BASH_REMATCH[1]}; value=${BASH_REMATCH[2]}
    if [[ "$value" =~ ^\"(.*)\"[[:space:]]*$ || "$value" =~ ^\'(.*)\'[[:space:]]*$ ]]; then value=${BASH_REMATCH[1]}; fi
    export "$name=$value"
  done < "$repo/.dev.vars"
  [ -n "${SECRET_KEY:-}" ] && echo "run.sh: SECRET_KEY and session settings from .dev.vars (as wrangler dev)"
fi
if [ -z "${SECRET_KEY:-}" ]; then
  echo "run.sh: SECRET_KEY is not set and $repo/.dev.vars has none (scripts/dev-vars.sh creates it)" >&2
  exit 1
fi

if [ -z "${DEMO_PASSWORD:-}" ]; then
  DEMO_PASSWORD="$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(12))')"
  echo "run.sh: demo users reader and librarian, password: $DEMO_PASSWORD"
fi
export DEMO_PASSWORD

cd "$here"
echo "run.sh: migrate, sample catalog, demo users"
"$PYTHON" manage.py setup_origin

bind="${BIND:-127.0.0.1:8000}"
echo "run.sh: gunicorn on http://$bind/"
exec gunicorn --bind "$bind" --access-logfile - locallibrary.wsgi

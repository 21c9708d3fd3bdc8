#!/usr/bin/env bash
# Runs the example Django origin: migrate, load the Worker's sample catalog,
# create the demo users (all idempotent), then serve it with Debian's gunicorn
# on 127.0.0.1:8000 (BIND to change it).
#
#   examples/django-origin/run.sh
#
# Environment (see README.md here): SECRET_KEY (default: the repository's
# .dev.vars, i.e. the key `wrangler dev` uses, so both sides share sessions),
# the Worker's SESSION_* settings, DEMO_PASSWORD (default: a random one,
# printed), SQLITE_PATH, BIND, WEB_CONCURRENCY (gunicorn workers, default 1).
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

if [ -z "${SECRET_KEY:-}" ]; then
  if [ -f "$repo/.dev.vars" ]; then
    SECRET_KEY="$(sed -n 's/^SECRET_KEY *= *"\{0,1\}\([^"]*\)"\{0,1\} *$/\1/p' "$repo/.dev.vars" | head -1)"
  fi
  if [ -z "${SECRET_KEY:-}" ]; then
    echo "run.sh: SECRET_KEY is not set and $repo/.dev.vars has none (scripts/dev.sh creates it)" >&2
    exit 1
  fi
  echo "run.sh: SECRET_KEY from .dev.vars (the key wrangler dev uses)"
fi
export SECRET_KEY

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

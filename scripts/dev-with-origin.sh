#!/usr/bin/env bash
# The Worker in front of a real Django site, in one command: the example
# Django origin (examples/django-origin/run.sh, gunicorn) on
# http://127.0.0.1:8000 and, in front of it, `wrangler dev` on
# http://localhost:8787 with ORIGIN=http://127.0.0.1:8000 (everything
# scripts/dev.sh does first: install, .dev.vars, build, D1 migrations).
# Both read SECRET_KEY and the session settings from .dev.vars, so they share
# sessions. Ctrl-C stops both.
#   ORIGIN_PORT (default 8000), PORT (default 8787); extra arguments go to wrangler dev.
set -euo pipefail
cd "$(dirname "$0")/.."
origin_port="${ORIGIN_PORT:-8000}"
origin="http://127.0.0.1:$origin_port"

echo "== dependencies for the origin (python3-django, gunicorn)"
scripts/install-deps.sh --no-test-deps --origin
scripts/dev-vars.sh

echo "== the Django origin on $origin/ (examples/django-origin/run.sh)"
# Its own process group, so stopping it stops gunicorn and its workers.
BIND="127.0.0.1:$origin_port" setsid examples/django-origin/run.sh &
origin_pid=$!
stop_origin() { kill -TERM -- "-$origin_pid" 2>/dev/null || true; }
trap stop_origin EXIT
trap 'exit 130' INT TERM

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$origin_port") 2>/dev/null; }
for _ in $(seq 1 150); do
  if ! kill -0 "$origin_pid" 2>/dev/null; then echo "the origin exited; see its output above" >&2; exit 1; fi
  listening && break
  sleep 0.2
done
listening || { echo "the origin did not answer on $origin within 30 s" >&2; exit 1; }

scripts/dev.sh --var "ORIGIN:$origin" "$@"

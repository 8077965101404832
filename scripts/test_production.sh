#!/usr/bin/env bash
# The production configuration end to end, as docker/Dockerfile and docker/compose.yml run it:
# DEBUG off, the front-end files fetched and checked, collectstatic into whitenoise's manifest
# storage, migrate and the default schedules, a small demo data set, then gunicorn with
# docker/gunicorn.conf.py on a free local port, and scripts/check_production.py signing in as every
# demo role and requesting its pages and the static files they name.
#
# The database is a SQLite file in a temporary folder unless DATABASE_URL names another one (which
# is then migrated and filled with the demo data). Tasks run in-process, as without a worker.
# CHILDREN (default 40) sets the size of the made-up returns of each of the two authorities.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
WORK=$(mktemp -d -t qa-production.XXXXXX)
CHILDREN=${CHILDREN:-40}
gunicorn_pid=""

finish() {
  local status=$?
  if [ -n "$gunicorn_pid" ]; then
    kill "$gunicorn_pid" 2>/dev/null || true
    wait "$gunicorn_pid" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ] && [ -s "$WORK/gunicorn.log" ]; then
    echo "== gunicorn's log (last 300 lines) =="
    tail -n 300 "$WORK/gunicorn.log"
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap finish EXIT

# What docker/.env.example sets, for this machine. SECURE_SSL_REDIRECT stays on as in production:
# the checker sends X-Forwarded-Proto: https as the TLS-terminating proxy does.
export DEBUG=false
export SECRET_KEY
SECRET_KEY=$($PY -c 'import secrets; print(secrets.token_urlsafe(50))')
export ALLOWED_HOSTS=127.0.0.1
export SECURE_SSL_REDIRECT=true
export DATABASE_URL=${DATABASE_URL:-sqlite:///$WORK/db.sqlite3}
export STATIC_ROOT=$WORK/static MEDIA_ROOT=$WORK/media
export LOG_LEVEL=WARNING
unset CELERY_BROKER_URL

# Each step's output goes to a log, shown only when the step fails.
step() {
  local started=$SECONDS
  if ! "$@" >"$WORK/step.log" 2>&1; then
    echo "FAILED: $*"
    cat "$WORK/step.log"
    return 1
  fi
  printf '%4ss  %s\n' "$((SECONDS - started))" "$*" | cut -c1-150
}

echo "== Build: the front-end files, the deployment checks, collectstatic (as docker/Dockerfile) =="
step $PY scripts/fetch_assets.py
step $PY manage.py check --deploy --fail-level WARNING
step $PY manage.py collectstatic --no-input -v 0
test -s "$STATIC_ROOT/staticfiles.json" || { echo "collectstatic wrote no manifest"; exit 1; }

echo "== Start: migrate and the schedules (as the web container), then the demo data =="
echo "     database: ${DATABASE_URL%%://*}"
step $PY manage.py migrate --no-input -v 0
step $PY manage.py setup_schedules
step $PY manage.py seed_demo --quiet
step $PY manage.py generate_returns --authorities 2 --codes 991,992 --names Ashdown,Brackenford \
  --children-per-authority "$CHILDREN" --seed 2026 --out "$WORK/returns" \
  --teams "Front Door,Assessment Team,Child Protection North,Child Protection South,Children in Care"
for pair in 991:quinn 992:quentin; do
  code=${pair%%:*} lead=${pair#*:}
  returns=$WORK/returns/$code
  step $PY manage.py import_returns --authority "$code" --user "$lead" \
    "$returns"/cin_census_*.xml "$returns"/ssda903_*.csv "$returns"/annex_a.xlsx
  step $PY manage.py generate_practice --authority "$code" --seed 2026 --out "$returns/practice.csv"
  step $PY manage.py import_practice --authority "$code" --user "$lead" "$returns/practice.csv"
done
step $PY manage.py seed_demo_audits
step $PY manage.py seed_demo_outcomes
step $PY manage.py compute_measures
step $PY manage.py run_scheduled_job reports.tasks.generate_quarterly_reports
for part in surveys workshops knowledge feedback; do
  step $PY manage.py "seed_demo_$part"
done
$PY manage.py seed_demo --logins >"$WORK/logins.txt"

echo "== Serve: gunicorn --config docker/gunicorn.conf.py =="
port=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
WEB_BIND=127.0.0.1:$port .venv/bin/gunicorn --config docker/gunicorn.conf.py >"$WORK/gunicorn.log" 2>&1 &
gunicorn_pid=$!
echo "     http://127.0.0.1:$port (pid $gunicorn_pid)"

echo "== Check: every role's pages, the static files they name, the container's health check =="
$PY scripts/check_production.py --base-url "http://127.0.0.1:$port" --logins "$WORK/logins.txt"
step env WEB_BIND=127.0.0.1:$port $PY docker/healthcheck.py
# And no request at all, whatever its status, ended in a server error.
if grep -q "Internal Server Error" "$WORK/gunicorn.log"; then
  echo "gunicorn logged an internal server error"
  exit 1
fi
echo "== Production smoke test passed in ${SECONDS}s =="

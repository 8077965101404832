#!/usr/bin/env bash
# The suite on the production services: PostgreSQL and Redis (started here when they are not
# running), then the tests marked "services" against a real Celery worker.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PG_URL=${PG_URL:-postgres://qa:qa@127.0.0.1:5432/qa_platform}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "Starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
  for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "Starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  for _ in $(seq 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done
fi

# The application's role; CREATEDB because the tests create their own databases.
psql_admin() { psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -qtAc "$1" 2>/dev/null || runuser -u postgres -- psql -v ON_ERROR_STOP=1 -qtAc "$1"; }
if [ "$(psql_admin "SELECT 1 FROM pg_roles WHERE rolname = 'qa'")" != "1" ]; then
  psql_admin "CREATE ROLE qa LOGIN PASSWORD 'qa' CREATEDB"
fi

export DATABASE_URL=$PG_URL CACHE_URL=$REDIS_URL/1
unset CELERY_BROKER_URL

echo "== The whole suite on PostgreSQL and Redis (tasks in-process) =="
$PY -m pytest -n 2 -q

echo "== The real-worker tests: a Celery worker on Redis, both sides on one PostgreSQL test database =="
export CELERY_BROKER_URL=$REDIS_URL/0 TEST_DATABASE_NAME=test_qa_services
WORKER_DB_URL="${PG_URL%/*}/$TEST_DATABASE_NAME"
redis-cli -h 127.0.0.1 -p 6379 -n 0 flushdb >/dev/null
DJANGO_SETTINGS_MODULE=qa_system.test_settings DATABASE_URL=$WORKER_DB_URL DATABASE_CONN_MAX_AGE=0 \
  .venv/bin/celery -A qa_system worker --concurrency=1 --loglevel=WARNING --without-gossip --without-mingle \
  --logfile=/tmp/qa-test-worker.log &
worker=$!
trap 'kill $worker 2>/dev/null || true; wait $worker 2>/dev/null || true' EXIT
status=0
$PY -m pytest -m services -q --create-db -p no:xdist || status=$?
kill $worker 2>/dev/null || true; wait $worker 2>/dev/null || true
[ $status -eq 0 ] || exit $status

echo "== The fault tests: workers killed with SIGKILL mid-aggregation, Redis stopped under the pages =="
unset TEST_DATABASE_NAME
bash scripts/test_faults.sh

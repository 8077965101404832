#!/usr/bin/env bash
# The fault tests (tests/faults): real Celery workers killed with SIGKILL during the aggregation,
# and Redis stopped under the web pages. They start a Redis server of their own on FAULT_REDIS_PORT
# (never the shared one) and their own workers, on one PostgreSQL test database shared with them.
set -euo pipefail
cd "$(dirname "$0")/.."
PG_URL=${PG_URL:-postgres://qa:qa@127.0.0.1:5432/qa_platform}
export FAULT_REDIS_PORT=${FAULT_REDIS_PORT:-6391}
export QA_FAULT_TESTS=1 DATABASE_URL=$PG_URL DATABASE_CONN_MAX_AGE=0 TEST_DATABASE_NAME=test_qa_faults
export CELERY_BROKER_URL=redis://127.0.0.1:$FAULT_REDIS_PORT/0 CACHE_URL=redis://127.0.0.1:$FAULT_REDIS_PORT
exec .venv/bin/python -m pytest -m faults -q --create-db -p no:xdist tests/faults "$@"

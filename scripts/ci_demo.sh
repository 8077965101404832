#!/usr/bin/env bash
# `make demo` as a new user runs it: built on the embedded database, served on 127.0.0.1:8000. CI
# waits for the site to answer, checks that the build left nothing running and stored values
# (scripts/check_demo.py), asks for the login page, then stops the server.
set -euo pipefail
cd "$(dirname "$0")/.."
if curl -fsS -o /dev/null http://127.0.0.1:8000/ 2>/dev/null; then
  echo "Something already serves on 127.0.0.1:8000: stop it first."; exit 1
fi
log=$(mktemp)
setsid make demo >"$log" 2>&1 &
demo=$!
stop() { kill -- -"$demo" 2>/dev/null || true; wait "$demo" 2>/dev/null || true; }
trap stop EXIT
for _ in $(seq 1800); do
  if curl -fsS -o /dev/null http://127.0.0.1:8000/healthz 2>/dev/null; then break; fi
  if ! kill -0 "$demo" 2>/dev/null; then echo "make demo stopped before serving:"; tail -50 "$log"; exit 1; fi
  sleep 1
done
curl -fsS -o /dev/null http://127.0.0.1:8000/healthz || { echo "make demo never served:"; tail -50 "$log"; exit 1; }
grep -q "Serving on http://127.0.0.1:8000" "$log" || { echo "make demo did not say where it serves"; exit 1; }
grep -q "^alice  *Practitioner" "$log" || { echo "make demo did not print the logins:"; tail -50 "$log"; exit 1; }
curl -fsS http://127.0.0.1:8000/accounts/login/ | grep -qi "password"
DEBUG=true .venv/bin/python scripts/check_demo.py
echo "make demo: built, served and checked in $SECONDS s"

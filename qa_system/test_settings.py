"""Settings for the test suite: the production settings, made fast and self-contained.

``DATABASE_URL`` and ``CELERY_BROKER_URL`` still come from the environment, so the same suite runs
on the embedded default (SQLite, tasks in-process) and on PostgreSQL with Redis (``make test-services``).
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-with-enough-length-to-pass-checks-0123456789")

from qa_system import env  # noqa: E402
from qa_system.settings import *  # noqa: E402, F403
from qa_system.settings import CACHES, DATABASES, STORAGES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SECURE_SSL_REDIRECT = False
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
MEDIA_ROOT = Path(env.text("TEST_MEDIA_ROOT") or "/tmp/qa-platform-test-media")  # noqa: F405

# The real-worker tests (marked "services") need the worker to read the rows they commit: both
# sides then use this fixed test database name instead of one per xdist process.
if env.text("TEST_DATABASE_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": env.text("TEST_DATABASE_NAME")}

# Background work started from a page runs in the request, not in a thread (qa_system.background).
QA_BACKGROUND_THREADS = False

# The real-worker tests wait for the incremental recompute that an import asks for.
QA_RECOMPUTE_DEBOUNCE_SECONDS = 0

# With Redis as the cache (make test-services), each xdist worker gets a Redis database of its own:
# the tests empty the cache before each test, and a cached value of one worker's test database
# must never be read by the other's.
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    _worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    _index = int(_worker[2:]) if _worker[2:].isdigit() else 0
    _server = CACHES["default"]["LOCATION"].split("://", 1)
    _host = _server[1].split("/", 1)[0]
    CACHES = {"default": {**CACHES["default"], "LOCATION": f"{_server[0]}://{_host}/{2 + _index}"}}

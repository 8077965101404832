"""Settings of the benchmark runs: production's (``DEBUG`` off, so no query log and cached
templates) with what a plain-HTTP run on 127.0.0.1 needs: no HTTPS redirect or secure-only
cookies, static files without a collected manifest, and background jobs run in the caller so
that the incremental job after a change is timed where it happens."""

import os
import warnings

os.environ.setdefault("SECRET_KEY", "benchmark-only-not-a-secret")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SECURE_HSTS_SECONDS", "0")
os.environ.setdefault("LOG_LEVEL", "WARNING")

from qa_system.settings import *  # noqa: E402,F403
from qa_system.settings import STORAGES  # noqa: E402

DEBUG = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
QA_BACKGROUND_THREADS = False
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
# Static files are not collected for a benchmark; WhiteNoise says so once per process.
warnings.filterwarnings("ignore", message="No directory at")

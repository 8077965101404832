"""gunicorn's settings for the web container, and for the benchmark's load test (``bench/load.py``),
so that the load test measures what is deployed. Options given on the command line win.

Threads, not only processes: a request spends much of its time waiting for PostgreSQL, and a
synchronous worker waiting holds a whole process. With ``gthread`` each of the ``WEB_CONCURRENCY``
processes serves ``WEB_THREADS`` requests at once; Python runs one thread of a process at a time,
so the processes use the cores and the threads fill the waits. Django opens one database
connection per thread (kept for ``DATABASE_CONN_MAX_AGE`` seconds), so PostgreSQL sees up to
processes × threads connections from each web container: keep that under its ``max_connections``
(100 by default) with the workers' connections added.
"""

import os

wsgi_app = "qa_system.wsgi:application"
bind = os.environ.get("WEB_BIND", "0.0.0.0:8000")
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))  # about one per core
threads = int(os.environ.get("WEB_THREADS", "8"))
# A request that takes longer than this is stuck: its worker is restarted. Uploads are imported by
# a background job, and the PDF report is made by the worker, so no page needs long.
timeout = 60
graceful_timeout = 30
keepalive = 5  # seconds an idle keep-alive connection from the proxy is kept open
# Start each worker afresh after a few thousand requests (with jitter, not all at once), so that
# memory a long-lived process gathers is given back.
max_requests = 5000
max_requests_jitter = 500
accesslog = os.environ.get("WEB_ACCESS_LOG", "-")
# Worker heartbeat files in memory, not on the container's overlay file system.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

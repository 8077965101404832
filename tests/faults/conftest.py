"""The fault tests run against real services that they start and stop themselves: a Redis server
of their own (``FAULT_REDIS_PORT``, never the machine's shared one) and Celery workers on it, on
the PostgreSQL test database that the tests and the workers share (``scripts/test_faults.sh``
sets the environment). Skipped elsewhere, with the reason."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PORT = int(os.environ.get("FAULT_REDIS_PORT", "6391"))


def pytest_collection_modifyitems(config, items):
    if os.environ.get("QA_FAULT_TESTS") == "1":
        return
    skip = pytest.mark.skip(
        reason="fault tests start their own Redis and workers: run by scripts/test_faults.sh"
    )
    for item in items:
        if "faults" in item.keywords:
            item.add_marker(skip)


class RedisServer:
    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=PORT, socket_connect_timeout=0.5).ping())
        except redis.exceptions.RedisError:
            return False

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(PORT),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        for _ in range(100):
            if self.ping():
                return
            time.sleep(0.1)
        raise RuntimeError(f"redis-server did not start on port {PORT}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def flush(self) -> None:
        import redis

        redis.Redis(port=PORT).flushall()


@pytest.fixture
def redis_server():
    server = RedisServer()
    server.start()
    server.flush()
    yield server
    server.stop()


class Workers:
    """Celery workers (solo pool: the worker is one process) on the test database."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.started: list[subprocess.Popen] = []

    def start(self, *, kill_at: str = "") -> subprocess.Popen:
        from django.db import connection

        settings = connection.settings_dict
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "qa_system.test_settings",
            "DATABASE_URL": (
                f"postgres://{settings['USER']}:{settings['PASSWORD']}@{settings['HOST']}:{settings['PORT']}/"
                f"{settings['NAME']}"
            ),
            "DATABASE_CONN_MAX_AGE": "0",
            "CELERY_VISIBILITY_TIMEOUT": "5",
            "QA_KILL_AT": kill_at,
        }
        log = self.log_dir / f"worker-{len(self.started)}-{kill_at or 'plain'}.log"
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "qa_system",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--include",
                "tests.faults.kill_switch",
                f"--logfile={log}",
            ],
            cwd=ROOT,
            env=env,
        )
        self.started.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(20)
                except subprocess.TimeoutExpired:
                    process.kill()


@pytest.fixture
def workers(tmp_path):
    started = Workers(tmp_path)
    yield started
    started.stop_all()
    for log in tmp_path.glob("worker-*.log"):
        print(f"--- {log.name}\n{log.read_text()[-4000:]}")


def wait_for(condition, *, timeout: float = 120, every: float = 0.5, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(every)
    raise AssertionError(f"Timed out after {timeout} s waiting for {what}")

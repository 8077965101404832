"""The settings fail loudly on bad values, and production settings pass Django's deploy checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_check(env_overrides: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS"}
    }
    env.update({"DJANGO_SETTINGS_MODULE": "qa_system.settings", **env_overrides})
    return subprocess.run(
        [sys.executable, "manage.py", "check", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_missing_secret_key_with_debug_off_fails_clearly():
    result = run_check({"DEBUG": "false"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_bad_database_url_fails_clearly():
    result = run_check({"DEBUG": "true", "DATABASE_URL": "mysql//nope"})
    assert result.returncode != 0
    assert "DATABASE_URL must be a sqlite:// or postgres:// URL" in result.stderr


@pytest.mark.parametrize("value", ["maybe", "2", "yess"])
def test_bad_boolean_fails_clearly(value):
    result = run_check({"DEBUG": value})
    assert result.returncode != 0
    assert "DEBUG must be one of true/false" in result.stderr


def test_bad_broker_url_fails_clearly():
    result = run_check({"DEBUG": "true", "CELERY_BROKER_URL": "localhost:6379"})
    assert result.returncode != 0
    assert "CELERY_BROKER_URL must be a redis:// or amqp:// URL" in result.stderr


def test_production_settings_pass_check_deploy():
    result = run_check(
        {
            "DEBUG": "false",
            "SECRET_KEY": "a-production-like-secret-key-that-is-long-and-random-Zq83kd92jd0s8d7f6g5h4j3",
            "ALLOWED_HOSTS": "qa.example.org",
            "DATABASE_URL": "sqlite:////tmp/qa-check-deploy.sqlite3",
        },
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_defaults_are_the_embedded_ones():
    from qa_system import env

    os.environ.pop("QA_UNSET_FOR_TEST", None)
    assert (
        env.database("QA_UNSET_FOR_TEST", "sqlite:////tmp/x.sqlite3")["ENGINE"]
        == "django.db.backends.sqlite3"
    )
    assert env.broker("QA_UNSET_FOR_TEST") == ""

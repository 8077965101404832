"""Typed readers for settings taken from the environment.

Each reader rejects a value it cannot interpret with ``ImproperlyConfigured`` naming the variable,
so a typo in a deployment fails at start-up instead of silently running with a default.
"""

import os

import environ
from django.core.exceptions import ImproperlyConfigured

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}
DATABASE_SCHEMES = {"sqlite", "postgres", "postgresql", "pgsql"}
BROKER_SCHEMES = {"redis", "rediss", "amqp", "pyamqp", "memory"}


def text(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def boolean(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of true/false/1/0/yes/no/on/off, not {raw!r}.")


def integer(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}.")
    return value


def listing(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def database(name: str, default: str) -> dict:
    """Parse a database URL such as ``postgres://user:pass@host:5432/db`` or ``sqlite:////path``."""
    url = os.environ.get(name) or default
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in DATABASE_SCHEMES:
        raise ImproperlyConfigured(
            f"{name} must be a sqlite:// or postgres:// URL, not {url!r} "
            "(example: postgres://qa:secret@127.0.0.1:5432/qa_platform)."
        )
    config = environ.Env.db_url_config(url)
    if not config.get("NAME"):
        raise ImproperlyConfigured(f"{name} names no database: {url!r}.")
    return config


def broker(name: str) -> str:
    """The Celery broker URL; empty means no broker, so tasks run in-process."""
    url = os.environ.get(name, "").strip()
    if url and url.split("://", 1)[0].lower() not in BROKER_SCHEMES:
        raise ImproperlyConfigured(f"{name} must be a redis:// or amqp:// URL, not {url!r}.")
    return url


def email(name: str, default: str) -> dict:
    url = os.environ.get(name) or default
    config = environ.Env.email_url_config(url)
    if not config.get("EMAIL_BACKEND"):
        raise ImproperlyConfigured(
            f"{name} must be an email URL such as consolemail:// or smtp+tls://user:pass@host:587, "
            f"not {url!r}."
        )
    return config

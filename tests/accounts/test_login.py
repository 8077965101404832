import re
import time
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _attempt(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_login_with_the_right_password(personas, client):
    response = _attempt(client, "alice", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_lockout_after_repeated_failures(personas, client):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _attempt(client, "alice", "wrong").status_code == 200
    locked = _attempt(client, "alice", "wrong")
    assert locked.status_code == 429
    # Still locked, even with the right password.
    again = _attempt(client, "alice", PASSWORD)
    assert again.status_code == 429
    assert b"Too many failed sign-ins" in again.content


PROXY = "10.0.0.2"  # the TLS proxy: every request reaches the platform from it
X, Y = "203.0.113.7", "198.51.100.20"


def _through_proxy(client, username, password, *, client_address, forwarded=None):
    """A sign-in through the proxy, which appends the address it received the request from to
    whatever X-Forwarded-For the client sent."""
    header = f"{forwarded}, {client_address}" if forwarded else client_address
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=header,
    )


def _fail_until_locked(client, username, client_address):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _through_proxy(client, username, "wrong", client_address=client_address).status_code == 200
    assert _through_proxy(client, username, "wrong", client_address=client_address).status_code == 429


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_the_proxy_failures_lock_that_account_at_that_address_only(personas, client):
    _fail_until_locked(client, "alice", X)
    locked = _through_proxy(client, "alice", PASSWORD, client_address=X)
    assert locked.status_code == 429
    # Alice elsewhere, and Bob behind the same proxy at the same address, still sign in.
    assert _through_proxy(client, "alice", PASSWORD, client_address=Y).status_code == 302
    client.logout()
    assert _through_proxy(client, "bob", PASSWORD, client_address=X).status_code == 302


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_the_proxy_a_forged_header_does_not_change_the_address(personas, client):
    _fail_until_locked(client, "alice", X)
    # The client's own X-Forwarded-For entries stand left of the one the proxy wrote.
    again = _through_proxy(client, "alice", PASSWORD, client_address=X, forwarded=Y)
    assert again.status_code == 429


@override_settings(TRUSTED_PROXY_COUNT=0)
def test_without_a_trusted_proxy_the_forwarded_header_is_ignored(personas, client):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("login"),
            {"username": "alice", "password": "wrong"},
            REMOTE_ADDR=X,
            HTTP_X_FORWARDED_FOR=f"192.0.2.{_}",  # a new address each time: no escape
        )
    escape = client.post(
        reverse("login"), {"username": "alice", "password": PASSWORD}, REMOTE_ADDR=X, HTTP_X_FORWARDED_FOR=Y
    )
    assert escape.status_code == 429
    # Alice from another REMOTE_ADDR is not locked.
    other = client.post(reverse("login"), {"username": "alice", "password": PASSWORD}, REMOTE_ADDR=Y)
    assert other.status_code == 302


def test_the_locked_out_page_says_what_happened_and_what_to_do(personas, client):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _attempt(client, "alice", "wrong")
    page = _attempt(client, "alice", PASSWORD)
    assert page.status_code == 429
    text = " ".join(page.content.decode().split())
    assert "Too many failed sign-ins" in text
    assert (
        f"After {settings.AXES_FAILURE_LIMIT} wrong passwords, signing in to this account from this device "
        f"or network is paused for {settings.AXES_COOLOFF_TIME.total_seconds() / 60:.0f} minutes." in text
    )
    assert "ask your QA lead to unlock it" in text


def test_sessions_expire_after_inactivity():
    assert settings.SESSION_COOKIE_AGE == 60 * 60
    assert "accounts.middleware.SlidingSessionMiddleware" in settings.MIDDLEWARE


def _expiry(client):
    from django.contrib.sessions.models import Session

    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_session_expiry_moves_with_activity_at_most_once_a_minute(personas, login):
    client = login(personas.alice)  # signing in writes the session and counts as a refresh
    signed_in = _expiry(client)
    start = time.time()
    with mock.patch("accounts.middleware.time.time", return_value=start + 30):
        client.get(reverse("home"))
    assert _expiry(client) == signed_in  # within the minute: no write
    with mock.patch("accounts.middleware.time.time", return_value=start + 61):
        client.get(reverse("home"))
    assert _expiry(client) > signed_in
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE


def test_logout_is_a_post(personas, login):
    client = login(personas.alice)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_password_reset_sends_an_email(personas, client):
    response = client.post(reverse("password_reset"), {"email": "alice@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "alice@example.org" in mail.outbox[0].to


def test_password_change(personas, login):
    client = login(personas.alice)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another-long-passphrase",
            "new_password2": "another-long-passphrase",
        },
    )
    assert response.status_code == 302
    personas.alice.refresh_from_db()
    assert personas.alice.check_password("another-long-passphrase")


def test_login_page_renders_with_bootstrap(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b"bootstrap.min.css" in response.content
    assert "Content-Security-Policy" in response.headers


def test_inline_scripts_are_allowed_by_their_nonce(client):
    response = client.get(reverse("login"))
    policy = response.headers["Content-Security-Policy"]
    script_src = next(part for part in policy.split(";") if part.strip().startswith("script-src"))
    nonce = re.search(r'<script[^>]* nonce="([^"]+)"', response.content.decode()).group(1)
    assert f"'nonce-{nonce}'" in script_src

"""Email notifications: every email the platform sends to its users goes through ``send``.

Emails are plain text, rendered from a template under ``templates/emails/``. They name the case by
its LA child ID only, never the family's details: an email leaves the platform's access control.

Templates available to everyone (the context keys each one reads):

- ``emails/notice.txt``: any short notice. ``lines`` (a list of paragraphs), optional ``link``.
- ``emails/audit_assigned.txt``: ``audit``, ``role`` ("practitioner" or "auditor").
- ``emails/audit_your_turn.txt``: ``audit``, ``moved_by``, ``status_label``.
- ``emails/audit_submitted.txt``: ``audit``, ``moved_by``.
- ``emails/audit_sent_back.txt``: ``audit``, ``moved_by``, ``comment``, ``status_label``.
- ``emails/audit_signed_off.txt``: ``audit``, ``moved_by``.

Every template also gets ``recipient`` and ``site_url`` (``settings.SITE_URL``, empty when unset).
"""

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string


def template_path(template: str) -> str:
    """``"audit_assigned"`` → ``"emails/audit_assigned.txt"``; a path with a folder is kept."""
    path = template if "/" in template else f"emails/{template}"
    return path if path.endswith(".txt") else f"{path}.txt"


def recipients(to: Iterable) -> list:
    """The users of ``to`` who can receive an email: active, with an address, each once, in order."""
    seen: set[int] = set()
    chosen = []
    for user in to:
        if user is None or not getattr(user, "is_active", False) or not (user.email or "").strip():
            continue
        if user.pk in seen:
            continue
        seen.add(user.pk)
        chosen.append(user)
    return chosen


def send(*, to: Iterable, subject: str, template: str, context: dict) -> int:
    """Email each user in ``to`` (once each, in the given order) a plain-text message rendered from
    ``template`` with ``context`` plus ``recipient`` (the user it goes to) and ``site_url``.
    ``template`` is a path under ``templates/`` ("emails/audit_assigned.txt"); a bare name
    ("audit_assigned") means that file under ``emails/``. Users without an email address,
    inactive users and ``None`` are skipped. Sends at once (callers inside a transaction that may
    roll back wrap the call in ``transaction.on_commit``). Returns the number of emails sent."""
    path = template_path(template)
    # A header cannot hold a line break; a subject built from user text might.
    one_line_subject = " ".join(subject.split())
    site_url = getattr(settings, "SITE_URL", "")
    messages = [
        EmailMessage(
            subject=one_line_subject,
            body=render_to_string(path, {**context, "recipient": user, "site_url": site_url}),
            to=[user.email],
        )
        for user in recipients(to)
    ]
    if not messages:
        return 0
    return get_connection().send_messages(messages) or 0

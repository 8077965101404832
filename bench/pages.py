"""Server time of the pages (Django's test client, in process) and of the PDF report."""

import time
from datetime import date

from django.test import Client

from accounts.models import User
from bench.measure import sql_profile, summary_ms

PAGES = {"dashboard": "/outcomes/", "case_list": "/cases/"}


def time_page(username: str, url: str, *, repeats: int) -> dict:
    """Median and 95th percentile over ``repeats`` requests (after one warm-up), and the queries of
    one request."""
    client = Client()
    client.force_login(User.objects.get(username=username))
    first = client.get(url)
    if first.status_code != 200:
        return {"error": f"{url} answered {first.status_code} for {username}"}
    with sql_profile() as queries:
        client.get(url)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    return {**summary_ms(times), "queries": queries.statements, "bytes": len(first.content)}


def time_pages(users: dict[str, str], *, repeats: int) -> dict:
    """``users``: label (e.g. "large authority") -> username of a leader."""
    return {
        f"{page} ({label})": time_page(username, url, repeats=repeats)
        for page, url in PAGES.items()
        for label, username in users.items()
    }


def time_pdf(code: str, quarter_start: date, *, repeats: int = 2) -> dict:
    """``reports.services.render_pdf`` for one authority and quarter; the first run loads fonts."""
    from accounts.models import Authority
    from reports.services import render_pdf

    authority = Authority.objects.get(code=code)
    times, size = [], 0
    for _ in range(repeats):
        started = time.perf_counter()
        rendered = render_pdf(authority=authority, quarter_start=quarter_start)
        times.append(time.perf_counter() - started)
        size = len(getattr(rendered, "content", b"") or b"")
    return {"first_s": round(times[0], 2), "warm_s": round(min(times[1:] or times), 2), "bytes": size}

"""The address a request came from, as the login lockout (django-axes) counts it.

Behind reverse proxies every request reaches the platform from the nearest proxy's address. Each
proxy appends the address it received the request from to ``X-Forwarded-For``, so with
``TRUSTED_PROXY_COUNT`` proxies in front the client's address is that many entries from the right
of the header; whatever stands further left was sent by the client and could be anything. With no
proxy (the default, 0) the header is ignored: a client sending its own cannot pass for another.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: ``REMOTE_ADDR`` without trusted proxies, else the entry of
    ``X-Forwarded-For`` that the outermost proxy wrote. A request that did not pass every proxy
    (too few entries) or whose entry is not an address counts as coming from ``REMOTE_ADDR``."""
    remote = request.META.get("REMOTE_ADDR") or None
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if len(forwarded) < count:
        return remote
    candidate = forwarded[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote

"""The web container's health check (docker/compose.yml), also run by scripts/test_production.sh.

Asks gunicorn for /healthz over plain HTTP from inside the container, as Docker does. The request
names a host from ALLOWED_HOSTS: Django refuses any other Host with 400, 127.0.0.1 included when
ALLOWED_HOSTS is only the public name. /healthz is exempt from the HTTPS redirect
(SECURE_REDIRECT_EXEMPT) and answers "ok" when the database does. Exits 0 when healthy.
"""

import os
import sys
import urllib.request


def main() -> int:
    port = os.environ.get("WEB_BIND", "0.0.0.0:8000").rsplit(":", 1)[-1]
    hosts = [host.strip() for host in os.environ.get("ALLOWED_HOSTS", "").split(",") if host.strip()]
    # ".example.org" allows example.org and its subdomains; "*" allows any name.
    host = next((host.lstrip(".") for host in hosts if host != "*"), "localhost")
    request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz", headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=4) as response:
            body = response.read()
    except OSError as error:
        print(f"unhealthy: {error}", file=sys.stderr)
        return 1
    if body != b"ok":
        print(f"unhealthy: /healthz answered {body[:80]!r}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

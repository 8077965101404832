"""Request the platform as people would, through gunicorn in its production configuration.

Run by scripts/test_production.sh against a server it has started with ``DEBUG=false``; not a
pytest module, so the normal suite never collects it. Standard library only.

Every request carries ``X-Forwarded-Proto: https``, as the TLS-terminating proxy in front of the
docker web container sets it (docker/README.md): Django then takes the request as secure, so the
SSL redirect, the secure session and CSRF cookies and the CSRF origin check all run as deployed.
Cookies are kept by hand, because a browser sends ``Secure`` cookies over the proxy's HTTPS while
this client talks plain HTTP to gunicorn.

For one login of every demo role (read from ``manage.py seed_demo --logins``) it signs in through
the login form, requests the role's main pages, every entry of its navigation bar and the first
detail page linked from its lists (and, for the roles that use the admin, every admin list),
and checks that each answers 200, that the pages name static files by their hashed (manifest)
names and that whitenoise serves each of those files, and the source map it names, with the right
type. Exits 1 after listing every failure.
"""

import argparse
import http.client
import re
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from email.message import Message
from html.parser import HTMLParser
from http.cookies import SimpleCookie

PROXY_HEADERS = {"X-Forwarded-Proto": "https"}
TIMEOUT_SECONDS = 60

# Each role's main pages (labels as accounts.models.Role gives them), beyond the common pages and
# the navigation bar, which is crawled too: these must answer 200 even if the menu changes.
COMMON_PAGES = ["/", "/platform-feedback/mine/", "/platform-feedback/", "/accounts/password_change/"]
ROLE_PAGES = {
    "Practitioner": [
        "/cases/",
        "/audits/",
        "/learning/",
        "/reports/",
        "/reflections/",
        "/teams/",
        "/surveys/",
        "/workshops/",
        "/journal/",
        "/knowledge/",
    ],
    "Team manager": ["/cases/", "/audits/", "/moderation/", "/escalations/", "/outcomes/", "/reports/"],
    "QA lead": [
        "/cases/",
        "/audits/",
        "/outcomes/",
        "/qa/",
        "/qa/jobs/",
        "/jobs/",
        "/imports/",
        "/reports/",
        "/exports/",
        "/moderation/",
        "/moderation/agreement/",
        "/escalations/",
        "/authority/",
        "/knowledge/access/",
        "/admin/",
    ],
    "Leader": ["/cases/", "/outcomes/", "/reports/", "/imports/", "/jobs/", "/exports/", "/authority/"],
    "Cross-authority analyst": [
        "/outcomes/compare/",
        "/authorities/",
        "/reports/",
        "/surveys/",
        "/journal/",
    ],
    "Platform admin": [
        "/admin/",
        "/authorities/",
        "/outcomes/compare/",
        "/platform-feedback/inbox/",
        "/knowledge/access/",
    ],
    "Programme team": [
        "/workshops/",
        "/journal/",
        "/knowledge/",
        "/surveys/",
        "/platform-feedback/inbox/",
        "/admin/",
    ],
}
# Detail pages: the first link of each pattern found on a role's pages is requested too.
DETAIL_LINKS = [
    re.compile(pattern)
    for pattern in [
        r"^/cases/\d+/$",
        r"^/cases/\d+/practice/$",
        r"^/audits/\d+/$",
        r"^/imports/\d+/$",
        r"^/jobs/\d+/$",
        r"^/reports/\d+/$",
        r"^/reports/\d+/download/$",
        r"^/outcomes/(?!compare/)[\w-]+/$",
        r"^/moderation/\d+/$",
        r"^/escalations/\d+/$",
        r"^/teams/\d+/$",
        r"^/workshops/\d+/$",
        r"^/workshops/\d+/results/$",
        r"^/reflections/\d+/$",
        r"^/journal/\d+/$",
        r"^/knowledge/\d+/$",
        r"^/surveys/\d+/report/\w+/$",
        r"^/platform-feedback/\d+/$",
    ]
]
ADMIN_LIST = re.compile(r"^/admin/\w+/\w+/$")
HASHED = re.compile(r"\.[0-9a-f]{12}\.[\w.]+$")
SOURCE_MAP = re.compile(rb"[#@]\s*sourceMappingURL=([^\s*]+)")
CONTENT_TYPES = {
    ".css": ("text/css",),
    ".js": ("text/javascript", "application/javascript"),
    ".map": ("application/json",),
    ".svg": ("image/svg+xml",),
    ".png": ("image/png",),
    ".ico": ("image/x-icon", "image/vnd.microsoft.icon"),
    ".woff2": ("font/woff2",),
}


@dataclass
class Response:
    status: int
    headers: Message
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Links(HTMLParser):
    """The links of a page: anchors, navigation entries, and the static files it loads."""

    def __init__(self) -> None:
        super().__init__()
        self.anchors: list[str] = []
        self.nav: list[str] = []
        self.assets: list[str] = []
        self.site_page = False  # built on templates/base.html, whose navigation bar it shows

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "a" and values.get("href"):
            self.anchors.append(values["href"])
            if {"nav-link", "dropdown-item", "navbar-brand"} & set(values.get("class", "").split()):
                self.nav.append(values["href"])
        elif tag == "link" and values.get("href"):
            self.assets.append(values["href"])
        elif tag in ("script", "img") and values.get("src"):
            self.assets.append(values["src"])
        elif tag == "nav" and "qa-navbar" in values.get("class", "").split():
            self.site_page = True


def parse(html: str) -> Links:
    links = Links()
    links.feed(html)
    return links


@dataclass
class Client:
    """One browser: its own cookies, every request through the (simulated) HTTPS proxy."""

    host: str
    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    insecure_cookies: set[str] = field(default_factory=set)

    @property
    def origin(self) -> str:
        return f"https://{self.host}:{self.port}"

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        proxied: bool = True,
    ) -> Response:
        sent = dict(PROXY_HEADERS) if proxied else {}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        sent.update(headers or {})
        connection = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT_SECONDS)
        try:
            connection.request(method, path, body=body, headers=sent)
            raw = connection.getresponse()
            response = Response(raw.status, raw.headers, raw.read())
        finally:
            connection.close()
        self._keep_cookies(response)
        return response

    def get(self, path: str, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def _keep_cookies(self, response: Response) -> None:
        for header in response.headers.get_all("Set-Cookie") or []:
            jar: SimpleCookie = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                    continue
                self.cookies[name] = morsel.value
                if not morsel["secure"]:
                    self.insecure_cookies.add(name)

    def log_in(self, username: str, password: str) -> Response:
        form = self.get("/accounts/login/")
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
        if form.status != 200 or not match:
            raise AssertionError(f"the login form answered {form.status} without a CSRF token")
        fields = {"username": username, "password": password, "csrfmiddlewaretoken": match[1], "next": ""}
        return self.request(
            "POST",
            "/accounts/login/",
            body=urllib.parse.urlencode(fields).encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": self.origin,
                "Referer": f"{self.origin}/accounts/login/",
            },
        )


class ClientFactory:
    def __init__(self, base_url: str) -> None:
        parts = urllib.parse.urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80

    def __call__(self) -> Client:
        return Client(self.host, self.port)


@dataclass
class Checker:
    client_for: ClientFactory
    failures: list[str] = field(default_factory=list)
    static_seen: dict[str, str] = field(default_factory=dict)  # URL -> the page that named it
    requests: int = 0

    def fail(self, message: str) -> None:
        self.failures.append(message)
        print(f"  FAIL {message}")

    def expect(self, who: str, client: Client, path: str, status: int, **kwargs) -> Response | None:
        try:
            response = client.get(path, **kwargs)
        except (OSError, http.client.HTTPException) as error:
            self.fail(f"{who}: GET {path}: {error!r}")
            return None
        self.requests += 1
        if response.status != status:
            where = response.headers.get("Location", "")
            self.fail(f"{who}: GET {path} answered {response.status} {where}, not {status}")
        return response

    def page(self, who: str, client: Client, path: str) -> Links | None:
        """GET a page that must answer 200; its links, when it is HTML."""
        response = self.expect(who, client, path, 200)
        if response is None or response.status != 200:
            return None
        return self.inspect(who, path, response)

    def inspect(self, who: str, path: str, response: Response) -> Links | None:
        """Check the static files an HTML page names, and note them for ``static_files``."""
        if not response.content_type.startswith("text/html"):
            return None
        links = parse(response.text)
        local = [url for url in links.assets if url.startswith("/static/")]
        unhashed = [url for url in local if not HASHED.search(urllib.parse.urlsplit(url).path)]
        if unhashed:
            self.fail(f"{who}: {path} names static files without their manifest hash: {unhashed}")
        # Self-contained pages (a report made to be saved or printed) carry their styles inline.
        if links.site_page and not local:
            self.fail(f"{who}: {path} loads no static file")
        for url in local:
            self.static_seen.setdefault(url, path)
        return links

    # --- The checks ---------------------------------------------------------------------------

    def server(self) -> None:
        """Production behaviour that needs no login."""
        print("server")
        anonymous = self.client_for()
        health = self.expect("healthz", anonymous, "/healthz", 200, proxied=False)
        if health and health.text != "ok":
            self.fail(f"/healthz answered {health.text!r}, not 'ok'")
        # The docker health check asks over plain HTTP: /healthz is exempt from the SSL redirect,
        # nothing else is; and a Host outside ALLOWED_HOSTS is refused.
        plain = self.expect("plain HTTP", anonymous, "/", 301, proxied=False)
        if plain and not plain.headers.get("Location", "").startswith("https://"):
            self.fail(f"plain HTTP redirected to {plain.headers.get('Location')!r}, not to https://")
        self.expect("unknown host", anonymous, "/healthz", 400, headers={"Host": "elsewhere.example"})
        home = self.expect("anonymous", anonymous, "/cases/", 302)
        if home and not home.headers.get("Location", "").startswith("/accounts/login/"):
            self.fail(f"anonymous /cases/ redirected to {home.headers.get('Location')!r}, not to the login")
        login = self.expect("anonymous", anonymous, "/accounts/login/", 200)
        if login:
            hsts = login.headers.get("Strict-Transport-Security", "")
            if "max-age=" not in hsts:
                self.fail(f"no HSTS header on an HTTPS response: {hsts!r}")
            if "Content-Security-Policy" not in login.headers:
                self.fail("no Content-Security-Policy header")
            self.inspect("anonymous", "/accounts/login/", login)
        self.expect("anonymous", anonymous, "/no-such-page/", 404)
        self.expect("anonymous", anonymous, "/static/no-such-file.css", 404)

    def role(self, role: str, username: str, password: str) -> None:
        print(f"{role} ({username})")
        who = f"{role} ({username})"
        client = self.client_for()
        try:
            login = client.log_in(username, password)
        except (AssertionError, OSError, http.client.HTTPException) as error:
            self.fail(f"{who}: signing in: {error}")
            return
        if login.status != 302 or login.headers.get("Location") != "/":
            self.fail(f"{who}: signing in answered {login.status} {login.headers.get('Location')!r}")
            return
        for name in ("sessionid", "csrftoken"):
            if name not in client.cookies:
                self.fail(f"{who}: no {name} cookie after signing in")
            if name in client.insecure_cookies:
                self.fail(f"{who}: the {name} cookie is not marked Secure")
        if role not in ROLE_PAGES:
            self.fail(f"{who}: no pages listed for the role {role!r} in scripts/check_production.py")
        home = self.page(who, client, "/")
        wanted = COMMON_PAGES + ROLE_PAGES.get(role, []) + (home.nav if home else [])
        visited: dict[str, Links | None] = {}
        for path in dict.fromkeys(url for url in wanted if url.startswith("/")):
            visited[path] = self.page(who, client, path)
        anchors = [url for links in visited.values() if links for url in links.anchors]
        details = []
        for pattern in DETAIL_LINKS:
            found = next((url for url in anchors if pattern.match(url) and url not in visited), None)
            if found:
                details.append(found)
        for path in details:
            if path.endswith("/download/"):
                self.expect(who, client, path, 200)
            else:
                visited[path] = self.page(who, client, path)
        admin = visited.get("/admin/")
        admin_lists = sorted({url for url in admin.anchors if ADMIN_LIST.match(url)}) if admin else []
        for path in admin_lists:
            self.page(who, client, path)
        print(
            f"  {len(visited) - len(details)} pages, {len(details)} detail pages, {len(admin_lists)} admin lists"
        )

    def static_files(self) -> None:
        """Every static file the pages named, as whitenoise serves it, and the source maps they name."""
        print(f"static files ({len(self.static_seen)} named by the pages)")
        if not self.static_seen:
            self.fail("no page named a static file")
        client = self.client_for()
        queue = list(self.static_seen)
        done: set[str] = set()
        while queue:
            url = queue.pop(0)
            if url in done:
                continue
            done.add(url)
            path = urllib.parse.urlsplit(url).path
            response = self.expect("static", client, url, 200)
            if response is None or response.status != 200:
                continue
            suffix = "." + path.rsplit(".", 1)[-1]
            allowed = CONTENT_TYPES.get(suffix)
            if allowed and not response.content_type.startswith(allowed):
                self.fail(f"static {url} served as {response.content_type!r}, not {allowed[0]}")
            if HASHED.search(path) and "immutable" not in response.headers.get("Cache-Control", ""):
                self.fail(f"static {url} is hashed but not cached as immutable")
            if suffix in (".css", ".js"):
                compressed = client.get(url, headers={"Accept-Encoding": "gzip"})
                if compressed.headers.get("Content-Encoding") != "gzip":
                    self.fail(f"static {url} is not served compressed")
                for match in SOURCE_MAP.finditer(response.body):
                    reference = match[1].decode()
                    if not reference.startswith("data:"):
                        queue.append(urllib.parse.urljoin(url, reference))


def read_logins(text: str) -> tuple[dict[str, str], str]:
    """The first login of each role, and the password, from ``seed_demo --logins``'s table."""
    lines = text.splitlines()
    rule = next(index for index, line in enumerate(lines) if line.startswith("---"))
    login_width, role_width = (len(part) for part in lines[rule].split()[:2])
    logins: dict[str, str] = {}
    for line in lines[rule + 1 :]:
        if not line.strip():
            break
        username = line[:login_width].strip()
        role = line[login_width + 1 : login_width + 1 + role_width].strip()
        logins.setdefault(role, username)
    password = re.search(r"password: (\S+)", text)
    if not logins or not password:
        raise SystemExit("could not read the logins table of seed_demo --logins")
    return logins, password[1]


def wait_until_up(factory: ClientFactory, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if factory().get("/healthz", proxied=False).status == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"the server did not answer /healthz within {seconds:.0f} seconds")
        time.sleep(0.25)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--base-url", required=True, help="where gunicorn listens, e.g. http://127.0.0.1:8123"
    )
    parser.add_argument("--logins", required=True, help="a file holding the output of seed_demo --logins")
    parser.add_argument("--wait", type=float, default=60, help="seconds to wait for the server to answer")
    args = parser.parse_args()
    with open(args.logins, encoding="utf-8") as handle:
        logins, password = read_logins(handle.read())
    factory = ClientFactory(args.base_url)
    wait_until_up(factory, args.wait)
    started = time.monotonic()
    checker = Checker(factory)
    checker.server()
    for role, username in logins.items():
        checker.role(role, username, password)
    checker.static_files()
    elapsed = time.monotonic() - started
    if checker.failures:
        print(f"\n{len(checker.failures)} failures in {checker.requests} requests:")
        for failure in checker.failures:
            print(f"  {failure}")
        return 1
    print(f"\nall {checker.requests} requests as expected ({len(logins)} roles, {elapsed:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

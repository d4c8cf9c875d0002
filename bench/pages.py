"""Page weight and server time of the main pages through the whole Django stack (issue #4).

Police stations work on weak machines and thin lines, so the pages have a byte budget
(``FIRST_LOAD_TARGET``, ``SUBSEQUENT_TARGET``). A page's weight is what a browser fetches:

* first load: the HTML and every stylesheet and script it references, each counted once, with
  whatever those stylesheets pull in (``@import``, ``url()``), fonts included — every byte the
  browser downloads counts (issue #16; issue #4's budget left fonts out and hid 887 KB of TTF);
* subsequent navigation: the HTML alone, static files being cached (whitenoise serves them
  with far-future expiry in production).

Each is given uncompressed and gzip-compressed. The app does not compress HTML itself
(no GZipMiddleware, no proxy in docker-compose), so the uncompressed HTML is what is sent
today; static files go out pre-compressed by whitenoise. tests/test_page_weight.py asserts the
uncompressed figures, the stricter reading of the targets.

Static files are read through the staticfiles finders, not over HTTP: the test client does not
serve them outside DEBUG, and the bytes are the same.
"""

from __future__ import annotations

import gzip
import re
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from posixpath import dirname, normpath
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders

KB = 1000  # targets in kilobytes of 1,000 bytes: the stricter reading
FIRST_LOAD_TARGET = 150 * KB
SUBSEQUENT_TARGET = 30 * KB
SELECT = re.compile(r"<select\b[^>]*?name=\"([^\"]*)\".*?</select>", re.S)
CSS_REFERENCE = re.compile(r"""@import\s+(?:url\()?\s*['"]?([^'")\s;]+)|url\(\s*['"]?([^'")\s]+)""")


def gzipped(data: bytes) -> int:
    # Level 6: the common server default; whitenoise's level 9 files are a few bytes smaller.
    return len(gzip.compress(data, compresslevel=6, mtime=0))


class _References(HTMLParser):
    """The stylesheets and scripts an HTML page makes the browser fetch."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and "stylesheet" in (attrs.get("rel") or "").lower().split() and attrs.get("href"):
            self.urls.append(attrs["href"])
        elif tag == "script" and attrs.get("src"):
            self.urls.append(attrs["src"])


def referenced_assets(html: str) -> list[str]:
    parser = _References()
    parser.feed(html)
    return parser.urls


def static_bytes(url: str) -> bytes:
    """The bytes of a static URL, found the way ``collectstatic`` finds them."""
    path = urlsplit(url).path
    if urlsplit(url).netloc or not path.startswith(settings.STATIC_URL):
        # An asset from elsewhere (a CDN) would break the CSP 'self' rule (docs/ARCHITECTURE.md, Pages).
        raise AssertionError(f"{url} is not one of our static files")
    found = finders.find(path[len(settings.STATIC_URL) :])
    if not found:
        raise AssertionError(f"{url} is referenced by the page but no static file has that name")
    with open(found, "rb") as handle:
        return handle.read()


@dataclass
class Asset:
    url: str
    raw: int
    compressed: int


@dataclass
class PageWeight:
    name: str  # the page, and in the benchmark whose page it is
    html_raw: int
    html_compressed: int
    assets: list[Asset] = field(default_factory=list)
    url: str = ""
    # (name, options, bytes) of the page's biggest <select>: the usual reason a form page is heavy
    # is a choice among every user or article, which grows with the data, not with the page.
    largest_select: tuple[str, int, int] = ("", 0, 0)

    @property
    def first_raw(self) -> int:
        return self.html_raw + sum(a.raw for a in self.assets)

    @property
    def first_compressed(self) -> int:
        return self.html_compressed + sum(a.compressed for a in self.assets)

    @property
    def subsequent_raw(self) -> int:
        return self.html_raw

    @property
    def subsequent_compressed(self) -> int:
        return self.html_compressed

    def over_target(self) -> list[str]:
        """What exceeds the budget (uncompressed), in words; empty when the page is within it."""
        problems = []
        if self.first_raw > FIRST_LOAD_TARGET:
            problems.append(
                f"{self.name}: first load {self.first_raw:,} B > {FIRST_LOAD_TARGET:,} B "
                f"({', '.join(f'{a.url} {a.raw:,} B' for a in self.assets)}, HTML {self.html_raw:,} B)"
            )
        if self.subsequent_raw > SUBSEQUENT_TARGET:
            problems.append(f"{self.name}: HTML {self.subsequent_raw:,} B > {SUBSEQUENT_TARGET:,} B")
        if problems and self.largest_select[1]:
            name, options, size = self.largest_select
            problems.append(f"    (its largest select, {name!r}: {options:,} options, {size:,} B)")
        return problems


def page_weight(name: str, response) -> PageWeight:
    """The weight of a page from its response (status 200, HTML), static references followed."""
    assert response.status_code == 200, f"{name}: status {response.status_code}"
    html = response.content
    weight = PageWeight(name, len(html), gzipped(html), url=response.wsgi_request.get_full_path())
    text = html.decode(response.charset or "utf-8")
    selects = [(m.group(1), m.group(0).count("<option"), len(m.group(0).encode())) for m in SELECT.finditer(text)]
    if selects:
        weight.largest_select = max(selects, key=lambda s: s[2])
    pending = [urljoin(response.wsgi_request.path, u) for u in referenced_assets(text)]
    seen: set[str] = set()
    while pending:
        url = pending.pop(0)
        path = urlsplit(url).path
        if path in seen:
            continue
        seen.add(path)
        data = static_bytes(url)
        weight.assets.append(Asset(path, len(data), gzipped(data)))
        if path.endswith(".css"):
            for imported, referenced in CSS_REFERENCE.findall(data.decode("utf-8")):
                target = imported or referenced
                if not target.startswith("data:"):
                    pending.append(normpath(urljoin(dirname(path) + "/", target)))
    return weight


@dataclass
class PageTiming:
    page: str
    who: str
    username: str
    url: str
    runs: list[float]  # seconds
    html_bytes: int = 0
    queries: int = 0
    sql_ms: float = 0.0  # of one request: where the time goes
    slowest_ms: float = 0.0
    slowest_sql: str = ""

    @property
    def median_ms(self) -> float:
        import statistics

        return statistics.median(self.runs) * 1000

    @property
    def p95_ms(self) -> float:
        ordered = sorted(self.runs)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000


class _SqlClock:
    def __init__(self):
        self.statements: list[tuple[float, str]] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.statements.append(((time.perf_counter() - started) * 1000, sql))


def server_time(client, url: str, runs: int, *, page: str, who: str, username: str) -> PageTiming:
    """Wall time of ``client.get(url)``: every middleware, the view, its queries and the template.

    The test client calls the WSGI handler in process, so no network or server queueing is
    included: it is the time a gunicorn worker would spend on the request. One more request,
    not among the timed ones, records the SQL share and the slowest statement, so that a slow
    page says at once whether the database or Python (templates, forms) is to blame.
    """
    from django.db import connection

    response = client.get(url)  # warm: templates compiled, translations loaded, connection open
    assert response.status_code == 200, f"{page} for {username}: status {response.status_code}"
    timing = PageTiming(page, who, username, url, [], html_bytes=len(response.content))
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        timing.runs.append(time.perf_counter() - started)
        assert response.status_code == 200, f"{page} for {username}: status {response.status_code}"
    clock = _SqlClock()
    with connection.execute_wrapper(clock):
        client.get(url)
    timing.queries = len(clock.statements)
    timing.sql_ms = sum(ms for ms, _ in clock.statements)
    timing.slowest_ms, slowest = max(clock.statements)
    timing.slowest_sql = " ".join(slowest.split())[:90]
    return timing


def main_pages(user) -> dict[str, list[str]]:
    """The five main pages (registration besides the evidence page) as ``user`` opens them; for an
    administrator, the administration workspace's lists.

    The case and the evidence item are the newest ``user`` sees; the act drafting form is given
    once per act type, because its weight depends on the type's structured fields, and only to
    a user who may draft (supervisors and prosecutors may not).
    """
    from django.urls import reverse

    from cases.models import Case, ProceduralActType
    from evidence.models import EvidenceItem

    if user.role == "administrator":
        # No case: the administration workspace's lists, which grow with users, units and the Code.
        return {
            "workspace": [reverse("manage:home")],
            "users": [reverse("manage:users")],
            "units": [reverse("manage:units")],
            "articles": [reverse("reference:articles")],
            "act types": [reverse("reference:act-types")],
        }
    case = Case.objects.restrict(user, "view").first()  # Meta.ordering: the newest
    own = Case.objects.restrict(user, "change").first()
    item = EvidenceItem.objects.restrict(user, "view").order_by("-pk").first()
    types = ProceduralActType.draftable().order_by("code")
    pages = {
        "dashboard": [reverse("home")],
        "case list": [reverse("cases:list")],
        "case page": [reverse("cases:detail", args=[case.pk])],
        "act drafting": [f"{reverse('cases:act-create', args=[own.pk])}?act_type={t.pk}" for t in types] if own else [],
        "evidence page": [reverse("evidence:detail", args=[item.pk])] if item else [],
        "registration": [reverse("cases:register")] if user.role in ("investigator", "supervisor") else [],
    }
    return {name: urls for name, urls in pages.items() if urls}


def weigh(client, pages: dict[str, list[str]]) -> list[PageWeight]:
    """One weight per page: the heaviest of its URLs (the act drafting form of the heaviest type)."""
    weights = []
    for name, urls in pages.items():
        candidates = [page_weight(name, client.get(url)) for url in urls]
        if candidates:
            weights.append(max(candidates, key=lambda w: w.first_raw))
    return weights


def server_times(people, runs: int) -> list[PageTiming]:
    """Case list, case page and dashboard, each ``runs`` times, for every ``(who, user)``.

    Every request goes through the whole stack as the browser's would: session (saved on every
    request, the sliding idle timeout), second-factor check, the view's queries, the template,
    and on the case page the access-log row (an audit write). The case is the user's newest.
    """
    from django.urls import reverse

    from cases.models import Case
    from tests.auth import verified_client  # the same verified session as the test suite's

    timings = []
    for who, user in people:
        client = verified_client(user)
        case = Case.objects.restrict(user, "view").first()
        for page, url in (
            ("case list", reverse("cases:list")),
            ("case page", reverse("cases:detail", args=[case.pk])),
            ("dashboard", reverse("home")),
        ):
            timings.append(server_time(client, url, runs, page=page, who=who, username=user.username))
    from django.test import Client

    # The stack's floor in the same run: no session, one SELECT 1.
    timings.append(server_time(Client(), reverse("healthz"), runs, page="health check", who="anonymous", username="—"))
    return timings


# --- Weight in a real browser (issue #16) -------------------------------------------------------
#
# What Chromium itself fetches over the network, headers included (the DevTools protocol's
# ``encodedDataLength`` of every finished load), from a server that serves the static files as
# production does: collected under hashed names, pre-compressed, cacheable for ever (whitenoise,
# CompressedManifestStaticFilesStorage). First visit: an empty cache. Later navigation: the same
# page again in the same browser, whatever the cache still holds.


@dataclass
class BrowserWeight:
    name: str
    url: str
    first: int  # bytes received on a first visit (empty cache)
    later: int  # bytes received when the page is opened again (warm cache)
    first_by_type: dict[str, int] = field(default_factory=dict)  # Document, Stylesheet, Script, Font, Image, …
    later_by_type: dict[str, int] = field(default_factory=dict)

    def over_target(self) -> list[str]:
        problems = []
        if self.first > FIRST_LOAD_TARGET:
            problems.append(f"{self.name}: first visit {self.first:,} B > {FIRST_LOAD_TARGET:,} B {self.first_by_type}")
        if self.later > SUBSEQUENT_TARGET:
            problems.append(f"{self.name}: later {self.later:,} B > {SUBSEQUENT_TARGET:,} B {self.later_by_type}")
        return problems


class _NetworkLog:
    """Bytes received per load, by resource type, from the DevTools protocol's network events."""

    def __init__(self, cdp):
        self.kinds: dict[str, str] = {}
        self.sizes: dict[str, int] = {}
        self.failed: set[str] = set()
        self.urls: dict[str, str] = {}
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.loadingFinished", lambda e: self.sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])))
        cdp.on("Network.loadingFailed", lambda e: self.failed.add(e["requestId"]))
        cdp.send("Network.enable")

    def settle(self, page, timeout_ms: int = 30000) -> None:
        """Wait until the fonts are in and every request the page made has finished.

        Quicker than Playwright's "networkidle", which always waits 500 ms more. The timeout is
        generous: on a loaded 2-core CI machine a request may take seconds (the bytes counted do not).
        """
        page.evaluate("() => document.fonts.ready.then(() => true)")
        for _ in range(timeout_ms // 20):
            if not self.pending():
                return
            page.wait_for_timeout(20)
        raise AssertionError(f"requests still pending: {sorted(self.urls[r] for r in self.pending())}")

    def _sent(self, event) -> None:
        self.kinds.setdefault(event["requestId"], event.get("type", "Other"))
        self.urls.setdefault(event["requestId"], event["request"]["url"])

    def pending(self) -> set[str]:
        """Requests neither finished nor failed, less those another request for the same URL finished.

        Chromium 156 asks for the favicon twice and answers only one request; the other never
        gets a response, a finish or a failure event. Its bytes are counted once, in the answered one.
        """
        open_ = set(self.kinds) - set(self.sizes) - self.failed
        answered = {self.urls[r] for r in self.sizes if r in self.urls}
        return {r for r in open_ if self.urls.get(r) not in answered}

    def take(self) -> tuple[int, dict[str, int]]:
        by_type: dict[str, int] = {}
        for request, size in self.sizes.items():
            kind = self.kinds.get(request, "Other")
            by_type[kind] = by_type.get(kind, 0) + size
        self.sizes, self.kinds, self.failed, self.urls = {}, {}, set(), {}
        return sum(by_type.values()), by_type


def chromium_weight(browser, base_url: str, name: str, url: str, cookies: list[dict] | None = None) -> BrowserWeight:
    """Open ``url`` twice in a new browser context (its own empty cache) and weigh both visits."""
    context = browser.new_context(base_url=base_url, viewport={"width": 1366, "height": 768})
    try:
        if cookies:
            context.add_cookies(cookies)
        page = context.new_page()
        log = _NetworkLog(context.new_cdp_session(page))
        response = page.goto(url, wait_until="load")
        assert response is not None and response.status == 200, f"{name} {url}: {response and response.status}"
        log.settle(page)
        first, first_by_type = log.take()
        page.goto(url, wait_until="load")
        log.settle(page)
        later, later_by_type = log.take()
        return BrowserWeight(name, url, first, later, first_by_type, later_by_type)
    finally:
        context.close()


def collect_static_as_in_production(root) -> dict:
    """Settings under which ``collectstatic`` into ``root`` and whitenoise serve static files as in production.

    Only the project's own static files (static/) are collected: the pages use no other app's.
    """
    return {
        "STATIC_ROOT": root,
        "STORAGES": {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
        },
        "STATICFILES_FINDERS": ["django.contrib.staticfiles.finders.FileSystemFinder"],
        "WHITENOISE_USE_FINDERS": False,
        "WHITENOISE_AUTOREFRESH": False,
    }


def browser_weights_table(weights: list[BrowserWeight]) -> str:
    """The Markdown table of ``weights`` (KB of 1,000 bytes), with the verdict against the targets."""
    kb = lambda n: f"{n / KB:.1f}"  # noqa: E731
    rows = [
        "| page | first visit, KB | of which fonts | later navigation, KB | within 150 / 30 KB |",
        "|---|---:|---:|---:|---|",
    ]
    for w in weights:
        verdict = "yes" if not w.over_target() else "**no**"
        rows.append(f"| {w.name} | {kb(w.first)} | {kb(w.first_by_type.get('Font', 0))} | {kb(w.later)} | {verdict} |")
    return "\n".join(rows)

"""Issue #30 item 11, in chromium on a 360 px phone: the first visit to the portal downloads nothing twice.

What counts as downloaded: a response body that came over the network. A request answered by the service worker
(`response.from_service_worker`) is not, nor one answered by the HTTP cache (Chromium then received no bytes: its
encodedDataLength is 0, which Playwright reports as a body size of minus the headers), nor a revalidation (a 304
carries headers only: a body size of 0). Requests from the page and from the worker are both recorded.

What counts as twice: the visitor's own navigations always go to the network (pages are network-first: each view
gets a fresh CSRF token, the current catalogue and any message), so a page the worker stored for offline use is
downloaded again when the visitor opens it. Everything else — a page's files, the worker's precache — must never
download what the browser has already downloaded.

The HTTP cache must be on, as on a phone: Playwright's routing (context.route) turns it off, so the map tiles are
blocked through the DevTools protocol instead.
"""

import json
import os
import re
import time
from urllib.parse import urlsplit

import pytest

from tests.browser.test_pwa import controlled
from tests.conftest import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = ("/", "/lapor/", "/lacak/")  # the home page, the filing form, the track page
# ManifestStaticFilesStorage names a file name.<12 hex>.ext: the same file under both names is one file.
HASHED_NAME = re.compile(r"\.[0-9a-f]{12}(\.\w+)$")


def normalised(url):
    parts = urlsplit(url)
    path = HASHED_NAME.sub(r"\1", parts.path)
    return path + (f"?{parts.query}" if parts.query else "")


class Traffic:
    """Every request the browser makes to the site, from the pages and from the service worker, in order."""

    def __init__(self, context, origin):
        self.origin = origin
        self.requests = []
        self.settled = set()
        context.on("request", self._seen)
        context.on("requestfinished", self._settled)
        context.on("requestfailed", self._settled)

    def _seen(self, request):
        if request.url.startswith(self.origin):
            self.requests.append(request)

    def _settled(self, request):
        self.settled.add(request)

    def all_settled(self):
        return all(r in self.settled for r in self.requests)

    def downloads(self):
        """(address, who asked, whether it was the visitor's navigation, body bytes) of each download."""
        out = []
        for request in self.requests:
            response = request.response() if request.failure is None else None
            if response is None or response.from_service_worker or response.status == 304:
                continue
            size = request.sizes()["responseBodySize"]
            if size <= 0:
                continue  # the HTTP cache's copy, or a revalidation
            who = "worker" if request.service_worker else "page"
            # The worker forwards a navigation as it is (network-first): it is still the visitor's.
            navigation = request.is_navigation_request() or request.header_value("sec-fetch-mode") == "navigate"
            out.append((normalised(request.url), who, navigation, size))
        return out


def repeated(downloads):
    """The downloads of an address already downloaded that were not the visitor's own navigation."""
    first, out = {}, []
    for url, who, navigation, _size in downloads:
        if url in first and not navigation:
            out.append(f"{url} by the {who} (first by the {first[url]})")
        first.setdefault(url, who)
    return out


@pytest.mark.parametrize(
    ("landing", "landing_text"), [("/", "Laporkan masalah pelayanan publik"), ("/lapor/", 'id="report-form"')]
)
def test_the_first_visit_downloads_nothing_twice(browser, live_server, catalogue, artifacts, landing, landing_text):
    pages = [landing, *(p for p in PAGES if p != landing)]
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    traffic = Traffic(context, live_server.url)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setBlockedURLs", {"urls": ["*://tile.openstreetmap.org/*"]})

    page.goto(live_server.url + pages[0])
    controlled(page)  # installed (the precache is done) and active
    page.wait_for_load_state("networkidle")
    for path in pages[1:]:
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
    wait_until(lambda: page.evaluate("1") and traffic.all_settled())  # evaluate lets Playwright deliver events

    downloads = traffic.downloads()
    with open(f"{artifacts}/first_visit.json", "w") as fh:
        json.dump(downloads, fh, indent=1)
    print(f"\nfirst visit {pages}: {len(downloads)} downloads, {sum(d[3] for d in downloads)} body bytes")

    assert repeated(downloads) == []
    # The measure sees what it should: the landing page and its style sheet came over the network once...
    urls = [d[0] for d in downloads]
    assert urls.count(landing) == 1 and urls.count("/static/portal/portal.css") == 1
    # ...and the worker still holds what it needs offline: the landing page kept is the real one.
    kept = page.evaluate(
        """async () => { const out = [];
           for (const name of await caches.keys()) { for (const r of await (await caches.open(name)).keys()) out.push(new URL(r.url).pathname); }
           return out; }"""
    )
    assert {"/", "/lapor/", "/offline/", "/perangkat/", "/static/portal/portal.css"} <= set(kept)
    assert landing_text in page.evaluate("async (url) => (await (await caches.match(url)).text())", landing)
    context.close()


def test_a_deploy_replaces_a_file_the_http_cache_still_holds(browser, live_server, catalogue, settings, tmp_path):
    """The worker's precache must not take a changed file's old copy from the HTTP cache (nginx keeps /static/
    30 days under the same name; here Chromium's heuristic freshness of a file last changed 10 days ago)."""
    from sikesal.portal import pwa

    css = tmp_path / "portal" / "portal.css"
    css.parent.mkdir()
    original = (settings.BASE_DIR / "sikesal" / "portal" / "static" / "portal" / "portal.css").read_text()
    css.write_text(original + "\n/* deploy-one */\n")
    ten_days_ago = time.time() - 10 * 86400
    os.utime(css, (ten_days_ago, ten_days_ago))
    settings.STATICFILES_DIRS = [tmp_path, *settings.STATICFILES_DIRS]  # found before the real one
    pwa._cached_version.cache_clear()  # what restarting the processes on a deploy does
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        controlled(page)
        kept = "async () => (await (await caches.match('/static/portal/portal.css')).text())"
        assert "deploy-one" in page.evaluate(kept)

        css.write_text(original + "\n/* deploy-two */\n")
        pwa._cached_version.cache_clear()
        new_cache = "sikesal-static-" + pwa.version()
        page.evaluate("async () => { await (await navigator.serviceWorker.ready).update(); }")
        wait_until(
            lambda: (
                page.evaluate("async () => (await caches.keys()).filter(k => k.startsWith('sikesal-static-'))")
                == [new_cache]
            ),
            timeout=30,
        )
        assert "deploy-two" in page.evaluate(kept)
    finally:
        context.close()
        pwa._cached_version.cache_clear()

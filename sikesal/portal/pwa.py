"""The portal as an installable app (issue #20): the web app manifest, the service worker at the root
scope, the offline page and the "reports on this device" page. See docs/pwa.md.

The service worker's source is sikesal/portal/sw/sw.js; this view fills in its configuration (the
version, what to precache, which paths are never cached) so that one Python list decides what the
worker may keep.
"""

import functools
import hashlib
import json
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

SW_SOURCE = Path(__file__).resolve().parent / "sw" / "sw.js"
THEME_COLOR = "#0b5cab"  # portal.css --brand
BACKGROUND_COLOR = "#f6f7f9"  # portal.css --bg

# Static files every visit needs, fetched when the worker installs (cache-first afterwards).
PRECACHE_STATIC = (
    "portal/portal.css",
    "portal/outbox.js",
    "portal/pwa.js",
    "portal/pwa-file.js",
    "portal/file.js",
    "portal/device.js",
    "portal/favicon.svg",
    "portal/icons/icon-192.png",
)
# Pages kept for offline use (network-first: the network's answer wins whenever there is one).
PRECACHE_PAGES = ("portal:home", "portal:file", "portal:device_reports", "portal:offline")
# Public pages the worker may keep a copy of as they are visited; everything else is never stored.
CACHEABLE_PREFIXES = ("/lapor/", "/lacak/", "/laporan/", "/statistik/", "/perangkat/", "/offline/")
# Never cached whatever the lists above say: personal pages, the back office, APIs, private links and files,
# the confirmation (it shows the private link), log-in and push subscriptions.
NEVER_CACHED = (
    "/saya/",
    "/kantor/",
    "/admin/",
    "/api/",
    "/open311/",
    "/ombudsman/",
    "/pelapor/",
    "/lapor/terkirim/",
    "/lapor/saran-layanan.json",
    "/laporan/peta.json",
    "/lampiran/",
    "/masuk/",
    "/keluar/",
    "/push/",
    "/i18n/",
    "/sw.js",
)


def _static_bytes():
    for path in PRECACHE_STATIC:
        found = finders.find(path)
        yield path.encode() + (Path(found).read_bytes() if found else b"missing")


def _compute_version():
    digest = hashlib.sha256(SW_SOURCE.read_bytes())
    for chunk in _static_bytes():
        digest.update(chunk)
    digest.update(getattr(settings, "SIKESAL_PWA_VERSION", "").encode())
    return digest.hexdigest()[:12]


_cached_version = functools.cache(_compute_version)


def version():
    """Changes whenever the worker's source or a precached static file changes (recomputed on every request
    with DEBUG, once per process otherwise: a deploy restarts the processes)."""
    return _compute_version() if settings.DEBUG else _cached_version()


def _config():
    return {
        "version": version(),
        "precache": [static(p) for p in PRECACHE_STATIC] + [reverse(n) for n in PRECACHE_PAGES],
        "cacheable": ["/", reverse("portal:manifest"), *CACHEABLE_PREFIXES],
        "never": list(NEVER_CACHED),
        "static": settings.STATIC_URL,
        "offline": reverse("portal:offline"),
        "fileUrl": reverse("portal:file"),
        "outbox": static("portal/outbox.js"),
        "icon": static("portal/icons/icon-192.png"),
    }


@require_GET
def service_worker(request):
    source = SW_SOURCE.read_text(encoding="utf-8")
    body = source.replace("self.SIKESAL_SW_CONFIG", json.dumps(_config()), 1)
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def manifest(request):
    data = {
        "name": "SIKESAL Kota Jambi",
        "short_name": "SIKESAL",
        "description": _("Report public-service problems in Kota Jambi and follow them until they are resolved."),
        "lang": get_language(),
        "dir": "ltr",
        "id": "/",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": THEME_COLOR,
        "background_color": BACKGROUND_COLOR,
        "categories": ["government", "utilities"],
        "icons": [
            {"src": static("portal/icons/icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": static("portal/icons/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {
                "src": static("portal/icons/maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
        "shortcuts": [
            {"name": _("File a report"), "url": reverse("portal:file")},
            {"name": _("My reports on this device"), "url": reverse("portal:device_reports")},
        ],
    }
    response = JsonResponse(data, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def offline(request):
    return render(request, "portal/offline.html", {})


@require_GET
def device_reports(request):
    """The reports filed from this browser: the list lives on the device (IndexedDB), this page is its frame,
    readable offline; statuses are refreshed from the public track page."""
    from sikesal.integrations.webpush import vapid

    try:
        push_key = vapid.public_key()
    except Exception:  # no key can be made (a read-only data dir): the page works without push
        push_key = ""
    return render(
        request,
        "portal/device_reports.html",
        {"push_key": push_key},
    )

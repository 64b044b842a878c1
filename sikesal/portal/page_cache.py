"""Whole public pages of one report (track, public report), kept rendered in each web process.

A page is keyed by the report's `version` (every change through the lifecycle's door raises it), its
SP4N-LAPOR! number (written beside the door when the twin is linked), the language and the view, so a
change shows at once; what the key cannot see (a renamed OPD or service in the catalogue) is bounded by
MAX_AGE. Only a plain GET of a 200 page is kept; the visitor's CSRF token is put into the page as it
goes out, never stored in it. Each process keeps at most MAX_PAGES pages, the least recently used going
first.
"""

import secrets

from django.conf import settings
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import translation

from sikesal.core.lru import ExpiringLRU

MAX_PAGES = 5000
MAX_AGE = 300  # seconds

# Rendered where the CSRF token goes; replaced per response. Random per process, so no text can fake it.
CSRF_MARK = f"csrf-{secrets.token_hex(16)}"

_pages = ExpiringLRU(MAX_PAGES, MAX_AGE)


def clear():
    _pages.clear()


def cacheable(request):
    """A plain GET with nothing of the visitor's own in the page (no query, no flash message)."""
    if not settings.SIKESAL_PAGE_CACHE or request.method != "GET" or request.GET:
        return False
    messages = getattr(request, "_messages", None)
    return not (messages and len(messages))


def serve(request, view, stamp, render):
    """The page for `stamp` (the report's identity and version, from one small query) from the cache,
    else `render(csrf_token)` (a response) and keep it when it is a 200."""
    if stamp is None or not cacheable(request):
        return render(None)
    key = (view, request.path, translation.get_language(), *stamp)
    hit = _pages.get(key)
    if hit is None:
        response = render(CSRF_MARK)
        if response.status_code != 200 or response.cookies:
            return response
        hit = response.content.decode(), response["Content-Type"]
        _pages.put(key, hit)
    content, content_type = hit
    return HttpResponse(content.replace(CSRF_MARK, get_token(request)), content_type=content_type)

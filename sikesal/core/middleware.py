import json

from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.exceptions import BadRequest
from django.http import HttpResponseBadRequest, HttpResponseNotAllowed
from django.middleware.gzip import GZipMiddleware
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

# Paths no person browses: partner apps (Open311 authenticates by api_key) and platform webhooks (by
# signature or shared secret). They read no session, log-in or flash message, so those middleware are not
# run for them; the REST API is not here, as a citizen's browser session may call it.
SESSIONLESS_PATHS = ("/open311/", "/webhooks/", "/healthz")


class _PagesOnly:
    """Run the middleware this is mixed into only on paths a person browses (not SESSIONLESS_PATHS)."""

    def __call__(self, request):
        if request.path_info.startswith(SESSIONLESS_PATHS):
            return self.get_response(request)
        return super().__call__(request)


class PageSessionMiddleware(_PagesOnly, SessionMiddleware):
    pass


class PageAuthenticationMiddleware(_PagesOnly, AuthenticationMiddleware):
    pass


class PageMessageMiddleware(_PagesOnly, MessageMiddleware):
    pass


class TextGZipMiddleware(GZipMiddleware):
    """Django's compression, for text only (pages, JSON, XML, CSV, scripts): photos, PDFs and videos are
    compressed already, and compressing them again costs a worker's time for nothing."""

    TEXT = ("text/", "application/json", "application/problem+json", "application/xml", "application/javascript",
            "application/manifest+json")  # fmt: skip

    def process_response(self, request, response):
        if not response.get("Content-Type", "").startswith(self.TEXT):
            return response
        return super().process_response(request, response)


class LanguageMiddleware:
    """Indonesian unless the visitor chose otherwise with the language switch (a cookie).

    Django's LocaleMiddleware follows the browser's Accept-Language, and many Indonesian phones are
    set to English; the city wants its service in Indonesian by default.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.languages = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in self.languages:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class RejectNulMiddleware:
    """400 for a request with a NUL character in its path, query, form fields, file names or cookies.

    No legitimate client sends one, PostgreSQL refuses to store or even compare text containing it (a 500
    from every form or lookup that reaches the database), and it breaks the XML feeds. JSON bodies are the
    API's own to check.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            if self._has_nul(request):
                return self._refusal(request, str(_("The request contains a character that is not allowed.")))
        except BadRequest:  # Django refuses a form body that is not UTF-8 when it is first read
            return self._refusal(request, str(_("The request must be encoded in UTF-8.")))
        return self.get_response(request)

    @staticmethod
    def _refusal(request, detail):
        """In the caller's own format: a problem document for the REST API, the Open311 error list there,
        plain text for pages."""
        path = request.path.replace("\x00", "")
        if path.startswith("/api/"):
            body = {"type": "urn:sikesal:problem:invalid_character", "title": "invalid_character", "status": 400}
            body.update(detail=detail, code="invalid_character")
            return HttpResponseBadRequest(json.dumps(body), content_type="application/problem+json")
        if path.startswith("/open311/"):
            from sikesal.api.open311.render import errors

            return errors("xml" if path.endswith(".xml") else "json", 400, detail)
        return HttpResponseBadRequest(detail, content_type="text/plain; charset=utf-8")

    @staticmethod
    def _has_nul(request):
        if "\x00" in request.path or "\x00" in request.path_info:
            return True
        values = [*request.COOKIES.keys(), *request.COOKIES.values()]
        for key, items in request.GET.lists():
            values += [key, *items]
        if request.method == "POST":
            for key, items in request.POST.lists():
                values += [key, *items]
            values += [f.name or "" for _key, files in request.FILES.lists() for f in files]
        return any("\x00" in value for value in values)


class ContentSecurityPolicyMiddleware:
    """A strict Content-Security-Policy on every response (settings.SIKESAL_CSP): scripts, styles, fonts and
    connections from this site only, images also from the map tile server, no frames, no plugins.

    The pages carry no inline script or style (a test walks them); Leaflet is vendored under static/.
    Paths in SIKESAL_CSP_EXEMPT_PATHS get none (empty by default: the API docs page serves swagger-ui
    from static files, so it needs no exception).
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = settings.SIKESAL_CSP
        self.exempt = tuple(settings.SIKESAL_CSP_EXEMPT_PATHS)

    def __call__(self, request):
        response = self.get_response(request)
        if self.policy and not request.path.startswith(self.exempt):
            response.headers.setdefault("Content-Security-Policy", self.policy)
        return response


class MethodNotAllowedPageMiddleware:
    """A page of the site for a 405 (Django's require_GET/require_POST answer with an empty body).

    The REST API and Open311 answer in their own formats and are left alone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code == 405
            and not response.streaming
            and not response.content
            and not request.path.startswith(("/api/", "/open311/"))
        ):
            allowed = response["Allow"].split(", ") if response.has_header("Allow") else []
            return HttpResponseNotAllowed(allowed, render_to_string("405.html", request=request))
        return response

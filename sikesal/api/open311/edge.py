"""What every Open311 call goes through before and after its view: the format, the method, CORS,
`jurisdiction_id`, UTF-8, and answering in the Open311 error format whatever goes wrong (never HTML).

Settings (all optional):
- SIKESAL_OPEN311_JURISDICTION: the one jurisdiction_id accepted (default "jambikota.go.id").
- SIKESAL_OPEN311_CORS_ORIGINS: origins allowed to read the public GETs from a browser; ["*"] (default)
  for any.
- SIKESAL_OPEN311_CORS_POST_ORIGINS: origins allowed to POST (with an api_key) from a browser; [] (default)
  for none. A key used from a browser is visible to its users, so this is opt-in per partner site.
"""

import functools
import logging
import re
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from sikesal.accounts.models import ApiKey

from .render import errors

log = logging.getLogger(__name__)

FORMATS = ("xml", "json")
PREFLIGHT_MAX_AGE = 86400


def jurisdiction():
    return getattr(settings, "SIKESAL_OPEN311_JURISDICTION", "jambikota.go.id")


def _origins(name, default):
    value = getattr(settings, name, default)
    return [value] if isinstance(value, str) else list(value)


def _allowed_origin(origin, method):
    """The value of Access-Control-Allow-Origin for `origin` calling with `method`, or None."""
    if not origin:
        return None
    if method in ("GET", "HEAD"):
        allowed = _origins("SIKESAL_OPEN311_CORS_ORIGINS", ["*"])
    else:
        allowed = _origins("SIKESAL_OPEN311_CORS_POST_ORIGINS", [])
    if origin in allowed:
        return origin
    if "*" in allowed:
        return "*"
    return None


def _add_cors(request, response, method=None):
    allow = _allowed_origin(request.headers.get("Origin"), method or request.method)
    if allow:
        response["Access-Control-Allow-Origin"] = allow
        if allow != "*":
            patch_vary_headers(response, ["Origin"])
    return response


def _foreign_browser(request):
    """Is this a browser call from a page on another site that may not POST here? CORS only stops a page
    from reading the answer; the request itself would still be carried out, so it is refused here.
    Server-to-server clients send no Origin."""
    origin = request.headers.get("Origin")
    if not origin:
        return False
    own = f"{request.scheme}://{request.get_host()}"
    return origin != own and _allowed_origin(origin, "POST") is None


def _format_of(path):
    """The format a client asked for by the path's extension; JSON when it named none we know."""
    match = re.search(r"\.([A-Za-z]+)$", path or "")
    return match.group(1).lower() if match and match.group(1).lower() in FORMATS else "json"


def _is_utf8(raw):
    """Is a form-encoded string (query string or body) UTF-8 once its %-escapes are undone?"""
    try:
        for part in re.split(rb"[&;]", raw):
            unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _charset_problem(request):
    content_type = request.META.get("CONTENT_TYPE", "")
    match = re.search(r"charset=\"?([\w.:-]+)", content_type, re.I)
    if match and match.group(1).lower() not in ("utf-8", "utf8", "us-ascii", "ascii"):
        return True
    if not _is_utf8(request.META.get("QUERY_STRING", "").encode("latin-1", "replace")):
        return True
    if request.method == "POST" and content_type.startswith("application/x-www-form-urlencoded"):
        return not _is_utf8(request.body)
    return False


def preflight(request, methods):
    """Answer a CORS preflight: 204 and the allowed method, when the origin may make that call."""
    from django.http import HttpResponse

    asked = request.headers.get("Access-Control-Request-Method", "GET").upper()
    response = HttpResponse(status=204)
    response["Allow"] = ", ".join((*methods, "OPTIONS"))
    if asked in methods and _add_cors(request, response, asked).has_header("Access-Control-Allow-Origin"):
        response["Access-Control-Allow-Methods"] = asked
        response["Access-Control-Allow-Headers"] = request.headers.get("Access-Control-Request-Headers", "Content-Type")
        response["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
    return response


def endpoint(*methods):
    """Decorate an Open311 view taking `fmt`: the checks every call shares, in the spec's error format."""
    methods = tuple(m.upper() for m in methods)

    def decorate(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request, *args, fmt, **kwargs):
            if request.method == "OPTIONS":
                return preflight(request, methods)
            response = _checked(request, view, methods, fmt, args, kwargs)
            return _add_cors(request, response)

        return wrapper

    return decorate


def _checked(request, view, methods, fmt, args, kwargs):
    if fmt not in FORMATS:
        return errors("json", 404, _("Unknown format: use .xml or .json."))
    if request.method not in methods and not (request.method == "HEAD" and "GET" in methods):
        response = errors(fmt, 405, _("Method not supported here."))
        response["Allow"] = ", ".join((*methods, "OPTIONS"))
        return response
    if _charset_problem(request):
        return errors(fmt, 400, _("The request must be encoded in UTF-8."))
    given = request.POST.get("jurisdiction_id") or request.GET.get("jurisdiction_id")
    if given and given != jurisdiction():
        return errors(fmt, 404, _("Unknown jurisdiction_id."))
    if request.method == "POST" and _foreign_browser(request):
        return errors(fmt, 403, _("A web page on another site may not send this request (docs/api.md, CORS)."))
    if (
        request.method in ("GET", "HEAD")
        and request.GET.get("api_key")
        and ApiKey.lookup(request.GET["api_key"]) is None
    ):
        # A GET needs no key, but a wrong one is a partner misconfigured: say so rather than ignore it.
        return errors(fmt, 403, _("Invalid api_key."))
    try:
        return view(request, *args, fmt=fmt, **kwargs)
    except Exception:
        log.exception("Open311 %s %s failed", request.method, request.path)
        return errors(fmt, 500, _("Internal error; it has been logged."))


@csrf_exempt
def unknown(request, rest=""):
    """Every other path under /open311/v2/: collapse a doubled slash, else an Open311 404."""
    from django.urls import Resolver404, resolve

    if rest.startswith("/") and rest.strip("/"):
        base = request.path_info[: len(request.path_info) - len(rest)]
        try:
            match = resolve(base + rest.lstrip("/"))
        except Resolver404:
            match = None
        if match is not None and match.func is not unknown:
            return match.func(request, *match.args, **match.kwargs)
    if request.method == "OPTIONS":
        return preflight(request, ("GET",))
    fmt = _format_of(rest)
    return _add_cors(request, errors(fmt, 404, _("No such Open311 resource.")))

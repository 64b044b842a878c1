from django.db import connection
from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.templatetags.static import static


def health(request):
    """Liveness and database reachability, for load balancers and the `up` command's checks."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})


def favicon(request):
    """Browsers ask for /favicon.ico on their own; the icon is the static SVG."""
    return HttpResponsePermanentRedirect(static("portal/favicon.svg"))

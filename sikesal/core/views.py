from django.db import connection
from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.templatetags.static import static


def health(request):
    """Liveness and database reachability, for load balancers and the `up` command's checks, with the state
    of SP4N-LAPOR! when the integration is on (an outage there is reported, the site itself stays `ok`)."""
    from sikesal.integrations.lapor.client import is_enabled

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    answer = {"status": "ok", "database": connection.vendor}
    if is_enabled():
        from sikesal.integrations.lapor.health import outage

        down = outage()
        answer["lapor"] = (
            {"state": "down", "since": down["since"].isoformat(), "waiting": down["waiting"]}
            if down
            else {"state": "ok"}
        )
    return JsonResponse(answer)


def favicon(request):
    """Browsers ask for /favicon.ico on their own; the icon is the static SVG."""
    return HttpResponsePermanentRedirect(static("portal/favicon.svg"))

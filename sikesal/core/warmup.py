"""What a web process would otherwise do on its first requests, done before it takes any (sikesal/wsgi.py).

Django imports the URL configuration (every view and API, with their schemas) on the first request, the
working-day calendar imports the `holidays` package (every country's module) on the first deadline, and
templates and translation catalogues load when first used. Measured on the 2-core bench machine, a new
web process spent about 0.5 s of CPU on its first report: the four web processes of a fresh start made the
first citizens wait that long, and intake's p99 over the first 30 s after a start was 270 ms against about
100 ms later (issue #19). Nothing here touches the database: a process may warm before it can reach it.

Then every object loaded so far (about 150,000: Django, the views, the calendar) is frozen out of the
cyclic garbage collector's reach (`gc.freeze`): they live as long as the process, and each full collection
traversed them all, 65 ms on an idle core and 150-570 ms in a web process under load, every few seconds,
with requests waiting behind it. They are still freed as usual when nothing refers to them.
"""

import gc

from django.conf import settings
from django.template.loader import get_template
from django.urls import get_resolver
from django.utils import timezone, translation

from sikesal.catalogue import calendar

# The pages most visited, whose templates (and the ones they extend and include) are compiled here.
TEMPLATES = ("portal/home.html", "portal/track.html", "portal/track_detail.html", "portal/report_detail.html")


def warm():
    get_resolver().url_patterns  # noqa: B018 - imports the URL configuration, every view with it
    year = timezone.now().astimezone(calendar.WIB).year
    calendar.preload((year, year + 1))
    for code, _ in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Report status")
    for name in TEMPLATES:
        get_template(name)
    freeze()


def freeze():
    """Keep what is loaded now out of the cyclic garbage collector's full collections (see above)."""
    gc.collect()  # what is garbage already goes first, rather than be kept for the life of the process
    gc.freeze()

"""The public statistics page and its CSV download (numbers from sikesal.portal.stats).

Charts are inline SVG drawn here on the server: no script, a few hundred bytes each, readable on a
small phone (each label sits above its bar). They are decoration: the SVG is aria-hidden and the
table under each chart carries the same numbers for everyone.
"""

import csv
from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from sikesal.portal import stats

CHART_WIDTH = 340
BAR_MAX = 270  # leaves room for the value after the longest bar
BAR_HEIGHT = 12
LABEL_CHARS = 46
COLOURS = {"main": "#0b5cab", "closed": "#1d6b36", "second": "#8a4b00"}  # ≥ 4.5:1 on white, as portal.css


def _number(value, suffix=""):
    if value is None:
        return "—"
    return f"{number_format(value)}{suffix}"


def _short(label):
    label = str(label)
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def bar_chart(items, scale=None):
    """An SVG of horizontal bars. items: [(label, [(value, colour_key, text), ...]), ...]."""
    items = list(items)
    if not items:
        return ""
    top = scale or max((v or 0 for _label, bars in items for v, _c, _t in bars), default=0) or 1
    parts, y = [], 0
    for label, bars in items:
        parts.append(format_html('<text x="0" y="{}" font-size="13" fill="#1b1f24">{}</text>', y + 13, _short(label)))
        for i, (value, colour, text) in enumerate(bars):
            bar_y = y + 18 + i * (BAR_HEIGHT + 3)
            width = round(BAR_MAX * min(value or 0, top) / top, 1)
            parts.append(
                format_html(
                    '<rect x="0" y="{}" width="{}" height="{}" rx="2" fill="{}"></rect>'
                    '<text x="{}" y="{}" font-size="12" fill="#1b1f24">{}</text>',
                    bar_y,
                    width,
                    BAR_HEIGHT,
                    COLOURS[colour],
                    width + 4,
                    bar_y + BAR_HEIGHT - 2,
                    text,
                )
            )
        y += 18 + len(bars) * (BAR_HEIGHT + 3) + 6
    return format_html(
        '<svg class="chart stat-chart" viewBox="0 0 {} {}" width="{}" height="{}" aria-hidden="true" '
        'focusable="false">{}</svg>',
        CHART_WIDTH,
        y,
        CHART_WIDTH,
        y,
        format_html_join("", "{}", ((p,) for p in parts)),
    )


def _count_chart(rows, colour="main"):
    return bar_chart((r["label"], [(r["n"], colour, _number(r["n"]))]) for r in rows)


def charts(data):
    status_items = [
        (r["label"], [(r["n"], "main" if group["key"] == "open" else "closed", _number(r["n"]))])
        for group in data["by_status"]
        for r in group["rows"]
    ]
    deadline_items = [
        (
            o["label"],
            [
                (o["verified_pct"], "main", _number(o["verified_pct"], "%")),
                (o["followup_pct"], "second", _number(o["followup_pct"], "%")),
            ],
        )
        for o in data["deadlines"]["rows"]
    ]
    return {
        "status": bar_chart(status_items),
        "opd": _count_chart(data["by_opd"]),
        "service": _count_chart(data["by_service"][:15]),
        "kecamatan": _count_chart(data["by_kecamatan"]),
        "month": _count_chart(data["by_month"][-24:]),
        "deadlines": bar_chart(deadline_items, scale=100),
        "rating": bar_chart(
            (gettext("%(stars)s of 5") % {"stars": r["key"]}, [(r["n"], "second", _number(r["n"]))])
            for r in data["satisfaction"]["distribution"]
        ),
    }


def count_sections(data, drawn):
    """The simple count tables, each with its chart, in page order."""
    return [
        {
            "id": "opd",
            "title": gettext("By OPD"),
            "column": gettext("OPD holding the report"),
            "rows": data["by_opd"],
            "chart": drawn["opd"],
            "note": gettext("Reports not with an OPD are awaiting verification, returned or forwarded elsewhere."),
        },
        {
            "id": "service",
            "title": gettext("By service"),
            "column": gettext("Service"),
            "rows": data["by_service"],
            "chart": drawn["service"],
            "note": gettext("The chart shows the 15 most reported services; the table lists them all.")
            if len(data["by_service"]) > 15
            else "",
        },
        {
            "id": "kecamatan",
            "title": gettext("By kecamatan"),
            "column": gettext("Kecamatan"),
            "rows": data["by_kecamatan"],
            "chart": drawn["kecamatan"],
            "note": "",
        },
        {
            "id": "month",
            "title": gettext("By month of submission (WIB)"),
            "column": gettext("Month"),
            "rows": data["by_month"],
            "chart": drawn["month"],
            "note": gettext("The chart shows the last 24 months; the table lists them all.")
            if len(data["by_month"]) > 24
            else "",
        },
    ]


@require_GET
def statistics(request):
    period = stats.parse_period(request.GET)
    data = stats.compute(period)
    drawn = charts(data)
    query = urlencode(period.query)
    return render(
        request,
        "portal/stats.html",
        {
            "s": data,
            "period": period,
            "charts": drawn,
            "sections": count_sections(data, drawn),
            "years": sorted(set(data["years"]) | ({period.year} if period.year else set()), reverse=True),
            "csv_query": f"?{query}" if query else "",
        },
    )


@require_GET
def statistics_csv(request):
    period = stats.parse_period(request.GET)  # bad values are ignored here too (no page to say so)
    data = stats.compute(period)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="statistik-sikesal-{period.slug}.csv"'
    writer = csv.writer(response)
    writer.writerow(["section", "key", "label", "value"])
    writer.writerows(stats.csv_rows(data))
    return response

"""Horizontal bar charts as inline SVG: no script, readable on a cheap phone, a table beside each."""

from django import template
from django.utils.html import format_html, format_html_join

register = template.Library()


def short(label, width=22):
    """A label that fits the chart's left column, cut at a word (the table beside it has it whole)."""
    label = str(label)
    if len(label) <= width:
        return label
    cut = label[: width - 1].rsplit(" ", 1)[0] if " " in label[: width - 1] else label[: width - 1]
    return cut.rstrip(" ,·-") + "…"


@register.simple_tag
def bars(rows, limit=12):
    rows = list(rows)[:limit]
    top = max((r["n"] or 0 for r in rows), default=0) or 1
    height = 22 * len(rows) + 4
    items = format_html_join(
        "",
        '<g transform="translate(0,{})"><text x="0" y="14" font-size="12">{}</text>'
        '<rect x="130" y="3" width="{}" height="14" fill="#0b5cab"></rect>'
        '<text x="{}" y="14" font-size="12">{}</text></g>',
        (
            (
                22 * i,
                short(r["label"]),
                round(170 * (r["n"] or 0) / top),
                136 + round(170 * (r["n"] or 0) / top),
                r["n"],
            )
            for i, r in enumerate(rows)
        ),
    )
    return format_html('<svg class="chart" viewBox="0 0 340 {}" role="img" aria-hidden="true">{}</svg>', height, items)

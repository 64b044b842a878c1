"""GeoReport v2 output: the same data as JSON (every container an array) or as XML."""

import json
from xml.etree import ElementTree as ET

from django.http import HttpResponse

CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}


def _to_xml(parent, name, value, item_names):
    if isinstance(value, list):
        container = ET.SubElement(parent, name)
        child = item_names.get(name, name[:-1])
        for item in value:
            _to_xml(container, child, item, item_names)
    elif isinstance(value, dict):
        element = ET.SubElement(parent, name)
        for key, sub in value.items():
            _to_xml(element, key, sub, item_names)
    else:
        element = ET.SubElement(parent, name)
        if value is not None:
            element.text = str(value).lower() if isinstance(value, bool) else str(value)


def respond(fmt, root, item, rows, status=200, item_names=None):
    """`rows` is a list of dicts; JSON is that list, XML is <root><item>...</item></root>."""
    if fmt == "json":
        body = json.dumps(rows, ensure_ascii=False)
    else:
        names = {root: item, **(item_names or {})}
        top = ET.Element(root)
        for row in rows:
            _to_xml(top, item, row, names)
        body = '<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="unicode")
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def respond_object(fmt, root, obj, item_names=None):
    """A single top-level object (discovery, service definition)."""
    if fmt == "json":
        return HttpResponse(json.dumps(obj, ensure_ascii=False), content_type=CONTENT_TYPES["json"])
    top = ET.Element(root)
    for key, value in obj.items():
        _to_xml(top, key, value, item_names or {})
    return HttpResponse(
        '<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="unicode"),
        content_type=CONTENT_TYPES["xml"],
    )


def errors(fmt, status, *pairs):
    return respond(
        fmt, "errors", "error", [{"code": str(code), "description": str(text)} for code, text in pairs], status=status
    )

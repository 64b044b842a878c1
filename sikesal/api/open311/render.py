"""GeoReport v2 output: the same data as JSON (every container an array) or as XML.

The XML writer cannot emit a document that an XML parser refuses: every text goes through `clean_text`,
which drops the characters XML 1.0 forbids (the C0 controls but tab, newline and carriage return, lone
surrogates, U+FFFE and U+FFFF), and every element name is checked against the names the writer knows how
to produce. The JSON form gets the same cleaned text, so both formats say the same thing.
"""

import json
import re
from xml.etree import ElementTree as ET

from django.http import HttpResponse

CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}

# Characters outside XML 1.0's Char production: https://www.w3.org/TR/xml/#charsets
_NOT_XML_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


def clean_text(value):
    """`value` as a string that XML 1.0 can carry: characters it forbids are dropped."""
    return _NOT_XML_CHAR.sub("", str(value))


def _clean(value):
    """The same structure with every string cleaned (keys are ours, values may come from anyone)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value


def _element(parent, name):
    if not _XML_NAME.match(name) or name.lower().startswith("xml"):
        raise ValueError(f"not a safe XML element name: {name!r}")
    return ET.SubElement(parent, name) if parent is not None else ET.Element(name)


def _to_xml(parent, name, value, item_names):
    element = _element(parent, name)
    if isinstance(value, list):
        child = item_names.get(name, name[:-1])
        for item in value:
            _to_xml(element, child, item, item_names)
    elif isinstance(value, dict):
        for key, sub in value.items():
            _to_xml(element, key, sub, item_names)
    elif value is not None:
        element.text = str(value).lower() if isinstance(value, bool) else clean_text(value)
    return element


def _xml_document(top):
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(top, encoding="unicode")


def respond(fmt, root, item, rows, status=200, item_names=None):
    """`rows` is a list of dicts; JSON is that list, XML is <root><item>...</item></root>."""
    rows = _clean(rows)
    if fmt == "json":
        body = json.dumps(rows, ensure_ascii=False)
    else:
        body = _xml_document(_to_xml(None, root, rows, {root: item, **(item_names or {})}))
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def respond_object(fmt, root, obj, item_names=None, status=200):
    """A single top-level object (discovery, service definition)."""
    obj = _clean(obj)
    if fmt == "json":
        body = json.dumps(obj, ensure_ascii=False)
    else:
        body = _xml_document(_to_xml(None, root, obj, item_names or {}))
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def errors(fmt, status, *descriptions):
    """The spec's error list: one `{code, description}` per problem; `code` is the HTTP status, an integer."""
    return respond(
        fmt, "errors", "error", [{"code": int(status), "description": str(text)} for text in descriptions], status
    )

"""Checking an Open311 response the way an outside validator would.

- XML: parsed by lxml (libxml2, the parser whose "PCDATA invalid Char value 7" started issue 18), so it
  must be well-formed, then validated against the XSD we wrote from the GeoReport v2 text
  (open311_schema/georeport-v2*.xsd).
- JSON: parsed strictly, then validated against the open311/schema-validation JSON Schemas, copied
  unchanged into open311_schema/upstream/ (see SOURCE.md there), and against our stricter local schemas
  (open311_schemas.py) for what upstream does not cover.
- Both: the exact content types the spec names.

`check_response` infers the document from the method, path and status, so tests/api/conftest.py can run
it on every Open311 response the Django test client sees; `check` takes the kind explicitly.
"""

import json
import re
from pathlib import Path

import jsonschema
from lxml import etree
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from tests.api import open311_schemas as S

HERE = Path(__file__).parent / "open311_schema"
UPSTREAM = HERE / "upstream"
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
REGISTRY = Registry().with_resources(
    (path.as_uri(), Resource.from_contents(json.loads(path.read_text("utf-8")), default_specification=DRAFT4))
    for path in UPSTREAM.glob("*.json")
)


def _upstream(name):
    return {"$ref": (UPSTREAM / name).as_uri()}


def _xsd(name):
    return etree.XMLSchema(etree.parse(str(HERE / name)))


MAIN, CREATED, TOKEN = _xsd("georeport-v2.xsd"), _xsd("georeport-v2-created.xsd"), _xsd("georeport-v2-token.xsd")

# kind → (JSON schemas, XSD, XML root element)
KINDS = {
    "discovery": ([S.DISCOVERY], MAIN, "discovery"),
    "services": ([_upstream("services.json"), S.SERVICES], MAIN, "services"),
    "service_definition": ([_upstream("service-definition.json"), S.SERVICE_DEFINITION], MAIN, "service_definition"),
    "requests": ([_upstream("requests.json"), S.REQUESTS], MAIN, "service_requests"),
    "created": ([S.CREATED], CREATED, "service_requests"),
    "token": ([S.TOKEN], TOKEN, "service_requests"),
    "updates": ([S.UPDATES], MAIN, "service_request_updates"),
    "errors": ([S.ERRORS], MAIN, "errors"),
}
LISTS = {
    "services",
    "service_requests",
    "errors",
    "attributes",
    "values",
    "endpoints",
    "formats",
    "notes",
    "service_request_updates",
}
checked = []  # (kind, fmt) of every response checked in this process, for the coverage test


def parse_xml(content):
    """lxml's strict parse: raises XMLSyntaxError on anything not well-formed; never reaches the network."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    return etree.fromstring(content, parser)


def xml_to_json(element):
    """The JSON shape of a GeoReport XML document: containers become arrays, leaves strings."""
    if element.tag in LISTS:
        return [xml_to_json(child) for child in element]
    children = list(element)
    if not children:
        return element.text or ""
    return {child.tag: xml_to_json(child) for child in children}


def check(content, content_type, kind, fmt):
    """Validate one response body; returns its data (JSON) or its JSON shape (XML)."""
    assert content_type == CONTENT_TYPES[fmt], (kind, fmt, content_type)
    schemas, xsd, root = KINDS[kind]
    if fmt == "xml":
        document = parse_xml(content)
        assert document.tag == root, (kind, document.tag)
        if not xsd.validate(document):
            raise AssertionError(f"{kind}.xml against the XSD: {xsd.error_log}\n{content[:2000]!r}")
        data = xml_to_json(document)
    else:
        data = json.loads(content.decode("utf-8") if isinstance(content, bytes) else content)
        for schema in schemas:
            jsonschema.Draft4Validator(schema, registry=REGISTRY).validate(data)
    checked.append((kind, fmt))
    return data


def kind_of(method, path, status):
    """Which GeoReport document a response to `method path` with `status` must be, or None (no body)."""
    if status in (204, 301, 302, 304) or method in ("OPTIONS", "HEAD"):
        return None
    if status >= 400:
        return "errors"
    path = re.sub(r"^.*?/open311/v2/+", "", path)
    if path.startswith("discovery."):
        return "discovery"
    if path.startswith("services/"):
        return "service_definition"
    if path.startswith("services."):
        return "services"
    if path.startswith("tokens/"):
        return "token"
    if path.startswith("servicerequestupdates."):
        return "updates"
    if path.startswith("requests.") and method == "POST":
        return "created"
    if path.startswith("requests"):
        return "requests"
    raise AssertionError(f"unknown Open311 path {path}")


def format_of(path, content_type):
    return "xml" if content_type.startswith("text/xml") else "json"


def check_response(method, path, response):
    """Check a Django test-client or requests/httpx response to an Open311 path; returns its data or None."""
    kind = kind_of(method.upper(), path, response.status_code)
    if kind is None:
        return None
    content_type = response.headers.get("Content-Type", "")
    assert content_type in CONTENT_TYPES.values(), f"{method} {path}: not an Open311 document ({content_type})"
    return check(response.content, content_type, kind, format_of(path, content_type))

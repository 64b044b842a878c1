"""The rules of SeeClickFix's open311-validator, rewritten in Python to run over real HTTP.

Source: the SeeClickFix/open311-validator repository (Ruby, Apache-2.0, Copyright 2011 SeeClickFix),
files tests/discovery.rb, tests/services.rb, tests/service_definition.rb and lib/resource.rb. The Ruby
tool needs RSpec 1 and an old HTTParty and does not run on a current Ruby, so its rules are rewritten
here one for one, with its rule names; its XML parsing (HTTParty/MultiXml) is replaced by xmltodict,
which has the same shape (one child element becomes a dict, several a list).

One rule is read as the Session class of the same tool reads it, not as TestHelper does: "xml endpoint
should be an array" wraps a single <endpoint> in a list (Session.xml_endpoints uses Array(...));
TestHelper's literal check would fail every server that advertises exactly one endpoint, which the
specification allows.

Run against a running server:  .venv/bin/python -m tests.api.seeclickfix_rules http://127.0.0.1:8000/open311/v2/discovery
"""

import datetime as dt
import re
import sys

import requests
import xmltodict

TIMEOUT = 10


def _as_list(value):
    return value if isinstance(value, list) else [value] if value is not None else []


def _time(value):
    try:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def validate(discovery_url, jurisdiction_id=""):
    """Run every rule; returns [(test, rule, passed, detail)]."""
    results = []

    def rule(test, name, check):
        try:
            outcome = check()
            passed, detail = (outcome, "") if isinstance(outcome, bool) else outcome
        except Exception as exc:  # a rule that raises has failed, as in RSpec
            passed, detail = False, f"{type(exc).__name__}: {exc}"
        results.append((test, name, bool(passed), detail))

    raw_json = requests.get(discovery_url + ".json", timeout=TIMEOUT)
    raw_xml = requests.get(discovery_url + ".xml", timeout=TIMEOUT)
    json_discovery = raw_json.json()
    xml_discovery = xmltodict.parse(raw_xml.content)["discovery"]
    xml_endpoints = _as_list(xml_discovery["endpoints"]["endpoint"])
    json_endpoints = json_discovery["endpoints"]
    all_endpoints = xml_endpoints + json_endpoints
    now = dt.datetime.now(dt.UTC)

    t = "Service Discovery"
    rule(t, 'url should end with "discovery"', lambda: discovery_url[-9:] == "discovery")
    rule(t, "both formats should return results", lambda: raw_xml.text.strip() != "" and raw_json.text.strip() != "")
    rule(t, "both formats should have contacts", lambda: bool(xml_discovery["contact"] and json_discovery["contact"]))
    rule(
        t,
        "both formats should have key_service information",
        lambda: bool(xml_discovery["key_service"] and json_discovery["key_service"]),
    )
    rule(
        t,
        "return valid DateTime objects",
        lambda: bool(_time(xml_discovery["changeset"]) and _time(json_discovery["changeset"])),
    )
    rule(
        t, "contacts should return same for both formats", lambda: xml_discovery["contact"] == json_discovery["contact"]
    )
    rule(t, "xml endpoint should be an array", lambda: isinstance(xml_endpoints, list))
    rule(t, "there should be at least one endpoint", lambda: len(xml_endpoints) > 0)
    for field in ("specification", "url", "changeset", "type"):
        rule(t, f"each endpoint should have a {field}", lambda f=field: all(e.get(f) for e in all_endpoints))
    rule(t, "each endpoint should have a valid changeset", lambda: all(_time(e["changeset"]) for e in all_endpoints))
    rule(
        t,
        "each endpoint should have a changeset in the past",
        lambda: all(_time(e["changeset"]) < now for e in all_endpoints),
    )
    rule(
        t,
        "each endpoint should have an array of formats",
        lambda: (
            all(isinstance(e["formats"]["format"], list) for e in xml_endpoints)
            and all(isinstance(e["formats"], list) for e in json_endpoints)
        ),
    )

    def formats(endpoint):
        f = endpoint["formats"]
        return f if isinstance(f, list) else _as_list(f["format"])

    rule(t, "each endpoint should have at least one supported format", lambda: all(formats(e) for e in all_endpoints))
    v2 = [e for e in all_endpoints if re.match(r"^.*_v2$", e["specification"], re.I)]
    rule(t, "all v2 endpoints should support xml", lambda: bool(v2) and all("text/xml" in formats(e) for e in v2))

    # Services, for every endpoint and format it advertises (lib/session.rb endpoint_array; html skipped).
    t = "Services"
    services = []
    params = {"jurisdiction_id": jurisdiction_id} if jurisdiction_id else {}
    for endpoint in json_endpoints:
        for media_type in endpoint["formats"]:
            fmt = media_type.split("/")[1]
            if fmt.endswith("html"):
                continue
            response = requests.get(f"{endpoint['url']}/services.{fmt}", params=params, timeout=TIMEOUT)
            if fmt == "json":
                listed = response.json()
            else:
                listed = _as_list(xmltodict.parse(response.content)["services"]["service"])
            services.append((endpoint["url"], fmt, response, listed))
    rule(t, "there should be at least one service right?", lambda: all(len(s[3]) > 0 for s in services))
    rule(
        t,
        "all services should have a service code",
        lambda: all(item.get("service_code") is not None for s in services for item in s[3]),
    )

    # Service definitions: fetched for each service with metadata true (the Ruby test has no rule yet
    # beyond fetching them; here each must answer 200).
    t = "Service Definitions"
    for base, fmt, _, listed in services:
        for item in listed:
            if item.get("metadata") in (True, "true"):
                response = requests.get(f"{base}/services/{item['service_code']}.{fmt}", params=params, timeout=TIMEOUT)
                rule(
                    t,
                    f"{item['service_code']}.{fmt} answers",
                    lambda r=response: (r.status_code == 200, f"HTTP {r.status_code}"),
                )
    return results


def main(argv):
    url = argv[1] if len(argv) > 1 else "http://127.0.0.1:8000/open311/v2/discovery"
    results = validate(url, argv[2] if len(argv) > 2 else "")
    for test, name, passed, detail in results:
        print(f"{'PASS' if passed else 'FAIL'}  {test}: {name}{'  (' + detail + ')' if detail else ''}")
    failed = sum(1 for r in results if not r[2])
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

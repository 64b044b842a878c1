"""Schemathesis over the REST API's own OpenAPI document: no 5xx, responses match their schemas,
auth enforced. Bounded to a few examples per operation so CI stays quick."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from sikesal.accounts.models import ApiKey
from sikesal.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
# What the contract promises: never a 5xx, documented statuses, content types and bodies. (Business
# rules, such as a known service or a body of 20 characters, are not all in the schema, so a
# schema-valid request may still be refused with a 400 problem: that is not a failure here.)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def api_key(catalogue):
    key = ApiKey(name="Schemathesis", scopes=["reports:read", "reports:write"], rate_limit_per_minute=100000)
    key.set_key("kunci-schemathesis-789")
    key.save()
    return "kunci-schemathesis-789"


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_contract(case, api_key):
    # The WSGI client asks for gzip like requests does but, unlike an HTTP client, does not undo it.
    response = case.call(headers={"X-API-Key": api_key, "Accept-Encoding": "identity"})
    assert response.status_code < 500, response.text
    case.validate_response(response, checks=CHECKS)


@pytest.mark.django_db(transaction=True)
@schema.include(method="POST").parametrize()
@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
def test_writes_need_auth(case):
    response = case.call(headers={"Accept-Encoding": "identity"})
    assert 400 <= response.status_code < 500, response.text  # no write without a key or a log-in

"""Every Open311 response a test in tests/api receives through Django's test client is validated
(well-formed XML against our XSD, JSON against the upstream and local schemas, exact content types):
a change that breaks the format fails whichever test happens to touch it."""

import pytest
from django.test import Client

from tests.api.open311_check import check_response


@pytest.fixture(autouse=True)
def _validate_every_open311_response(monkeypatch):
    original = Client.request

    def request(self, **environ):
        response = original(self, **environ)
        path = environ.get("PATH_INFO", "")
        if path.startswith("/open311/v2/"):
            check_response(environ.get("REQUEST_METHOD", "GET"), path, response)
        return response

    monkeypatch.setattr(Client, "request", request)

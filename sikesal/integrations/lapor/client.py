"""HTTP client for SP4N-LAPOR!: auth headers, unwrapping, and a clear split of failures.

`Unavailable` (network, timeout, 5xx, 429) means "try again later": the sync retries with backoff.
`AuthFailed` (401/403) is also retried later, never parked: the secret is fixed once, then the work goes.
`Missing` (404 from an optional call) means the service lacks that call: shown, and the sync goes on.
`Rejected` (another 4xx) means LAPOR! refused what we sent: retrying the same request cannot help.

The service honours no idempotency key that we know of, so a write is retried inside one call only when
it surely did not arrive (the connection was refused, or a 429); otherwise `Unavailable.maybe_done` tells
the outbox to look for it before sending it again (outbound.py).
"""

import logging
import time

import httpx
from django.conf import settings
from django.utils import timezone

from sikesal.integrations.lapor import mapping

log = logging.getLogger("sikesal.lapor")


class LaporError(Exception):
    pass


class NotConfigured(LaporError):
    pass


class Unavailable(LaporError):
    def __init__(self, message, retry_after=None, maybe_done=False):
        super().__init__(message)
        self.retry_after = retry_after
        self.maybe_done = maybe_done  # the request may have been carried out although its answer was lost


class AuthFailed(Unavailable):
    """401/403: the secret, token or header is wrong. Nothing is parked; everything retries once fixed."""


class Missing(LaporError):
    """404 from a call the service may not have (mapping.OPTIONAL_CALLS)."""

    def __init__(self, call, message):
        super().__init__(message)
        self.call = call


class Rejected(LaporError):
    def __init__(self, status, message, errors=None):
        details = "; ".join(f"{k}: {v}" for k, v in (errors or {}).items()) if isinstance(errors, dict) else ""
        super().__init__(f"{status}: {message}" + (f" ({details})" if details else ""))
        self.status = status
        self.message = message
        self.errors = errors if isinstance(errors, dict) else {}


def is_enabled():
    return bool(settings.LAPOR_BASE_URL)


# What each path is, for the health page's per-call lines.
CALL_OF_PATH = {
    "institutions": "masters",
    "categories": "masters",
    "locations": "masters",
    "templates": "masters",
    "upload": "upload",
    "create": "create",
    "reject": "route",
    "disposition": "route",
    "detail": "read",
    "followups": "read",
    "followup_add": "followup",
    "list": "pull",
}


class LaporClient:
    def __init__(self, base_url=None, secret=None, token=None, *, timeout=None, attempts=None, max_wait=None):
        base_url = base_url or settings.LAPOR_BASE_URL
        if not base_url:
            raise NotConfigured("LAPOR_BASE_URL is not set: the SP4N-LAPOR! integration is off.")
        self.attempts = attempts or settings.LAPOR_HTTP_ATTEMPTS
        self.max_wait = settings.LAPOR_MAX_RETRY_WAIT if max_wait is None else max_wait
        self.calls = {}  # call -> {"ok_at" | "error_at", "error"}: flushed to the health page by the sync
        self.http = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=timeout or settings.LAPOR_TIMEOUT_SECONDS,
            headers={
                **mapping.auth_headers(secret, token),
                "Accept": "application/json",
                "User-Agent": "SIKESAL-Kota-Jambi/1",
            },
        )

    def close(self):
        self.http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- plumbing -------------------------------------------------------------------------------

    def _note(self, name, error=None):
        now = timezone.now().isoformat()
        entry = self.calls.setdefault(CALL_OF_PATH.get(name, name), {})
        if error is None:
            entry["ok_at"] = now
        else:
            entry.update(error_at=now, error=str(error)[:300])

    def request(
        self, method, name, *, fmt=None, params=None, json=None, data=None, files=None, unsafe=False, attempts=None
    ):
        """Send with a few quick retries for transient trouble; returns the decoded JSON body.

        `unsafe` marks a write that must not arrive twice (create, follow-up): it is retried here only
        when it surely did not arrive."""
        url = mapping.path(name).format(**(fmt or {}))
        last = None
        attempts = attempts or self.attempts
        for attempt in range(1, attempts + 1):
            try:
                response = self.http.request(method, url, params=params, json=json, data=data, files=files)
            except httpx.ConnectError as exc:  # refused: nothing arrived
                last = Unavailable(f"{method} {url}: {exc.__class__.__name__}: {exc}")
            except httpx.TransportError as exc:  # reset, dropped, timed out: it may have arrived
                last = Unavailable(f"{method} {url}: {exc.__class__.__name__}: {exc}", maybe_done=unsafe)
            else:
                status = response.status_code
                if status < 300:
                    try:
                        body = response.json()
                    except ValueError:
                        last = Unavailable(f"{method} {url}: the answer is not JSON", maybe_done=unsafe)
                    else:
                        self._note(name)
                        self._note("auth")
                        return body
                elif status in (401, 403):
                    error = AuthFailed(f"{method} {url}: HTTP {status}: check LAPOR_AUTH_HEADER/SECRET/TOKEN")
                    self._note("auth", error)
                    self._note(name, error)
                    raise error
                elif status == 429:
                    last = Unavailable(f"{method} {url}: HTTP 429", _retry_after(response.headers))
                elif status >= 500 or status == 408:
                    last = Unavailable(f"{method} {url}: HTTP {status}", _retry_after(response.headers), unsafe)
                elif status in (404, 405) and name in mapping.OPTIONAL_CALLS:
                    error = Missing(name, f"{method} {url}: HTTP {status}: SP4N-LAPOR! has no such call")
                    self._note(name, error)
                    raise error
                else:
                    body = _json_or_empty(response)
                    error = Rejected(status, str(body.get("message") or response.text[:300]), body.get("errors"))
                    self._note(name, error)
                    raise error
            if last.maybe_done:
                break  # look before sending again (the caller's job)
            if attempt < attempts:
                wait = min(last.retry_after if last.retry_after is not None else 0.2 * 2**attempt, self.max_wait)
                time.sleep(wait)
        self._note(name, last)
        raise last

    @staticmethod
    def results(body):
        results = body.get("results") if isinstance(body, dict) else None
        if not isinstance(results, dict):
            raise Unavailable("the answer has no `results` object")
        return results

    # -- calls ----------------------------------------------------------------------------------

    def master(self, name):
        """A whole master list (institutions, categories, templates, locations), every page."""
        out, page = [], 1
        while True:
            results = self.results(self.request("GET", name, params={"page": page, "page_size": 1000}))
            data = results.get("data") or []
            out.extend(data)
            if not data or page >= int(results.get("last_page") or 1):
                return out
            page += 1

    def upload(self, files):
        """files: [(name, content_type, bytes)] -> list of upload ids (photos and documents alike)."""
        payload = [("attachments[]", (name, content, ctype)) for name, ctype, content in files]
        return mapping.upload_ids(self.results(self.request("POST", "upload", files=payload)))

    def create(self, fields):
        """The remote id of the created report. A 2xx without one is not a success."""
        body = self.request("POST", "create", json=fields, unsafe=True)
        remote_id = mapping.created_id(body)
        if not remote_id:
            raise Unavailable("the create answer has no complaint_id", maybe_done=True)
        return remote_id

    def reject(self, remote_id, target_id, reason):
        body = {"is_request": 1, "not_authority": 1, "reason": target_id, "reason_description": reason}
        return self.request("POST", "reject", fmt={"id": remote_id}, json=body)

    def disposition(self, remote_id, target_id):
        return self.request("POST", "disposition", fmt={"id": remote_id}, json={"disposition_id": target_id})

    def add_followup(self, fields, files):
        data = {k: str(v) for k, v in fields.items() if v is not None}
        payload = [(f"attachment[{i}]", (name, content, ctype)) for i, (name, ctype, content) in enumerate(files)]
        self.request("POST", "followup_add", data=data, files=payload or None, unsafe=True)

    def detail(self, remote_id):
        return self.results(self.request("GET", "detail", fmt={"id": remote_id}))

    def followups(self, remote_id):
        results = self.results(self.request("GET", "followups", fmt={"id": remote_id}))
        data = results.get("data")
        return data if isinstance(data, list) else []

    def list_page(self, updated_since, page, page_size=None):
        page_size = page_size or mapping.page_size()
        params = {"institution_id": mapping.city_institution_id(), "page": page, "page_size": page_size}
        if updated_since:
            params["updated_since"] = updated_since
        # a list page is read in order, page after page: a few more tries here than a single call gets
        return self.results(self.request("GET", "list", params=params, attempts=max(self.attempts, 5)))


def _retry_after(headers):
    value = headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _json_or_empty(response):
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}

"""HTTP client for SP4N-LAPOR!: auth headers, unwrapping, and a clear split of failures.

`Unavailable` (network, timeout, 5xx, 429) means "try again later": the sync retries with backoff.
`Rejected` (another 4xx) means LAPOR! refused what we sent: retrying the same request cannot help,
so the outbox parks it for a person. Writes carry an idempotency key, so a retry after an answer
that got lost (or a 500 after a commit) cannot create twice where the server honours the key.
"""

import logging
import time

import httpx
from django.conf import settings

from sikesal.integrations.lapor import mapping

log = logging.getLogger("sikesal.lapor")


class LaporError(Exception):
    pass


class NotConfigured(LaporError):
    pass


class Unavailable(LaporError):
    def __init__(self, message, retry_after=None):
        super().__init__(message)
        self.retry_after = retry_after


class Rejected(LaporError):
    def __init__(self, status, message, errors=None):
        details = "; ".join(f"{k}: {v}" for k, v in (errors or {}).items())
        super().__init__(f"{status}: {message}" + (f" ({details})" if details else ""))
        self.status = status
        self.message = message
        self.errors = errors or {}


def is_enabled():
    return bool(settings.LAPOR_BASE_URL)


class LaporClient:
    def __init__(self, base_url=None, secret=None, token=None, *, timeout=None, attempts=None, max_wait=None):
        base_url = base_url or settings.LAPOR_BASE_URL
        if not base_url:
            raise NotConfigured("LAPOR_BASE_URL is not set: the SP4N-LAPOR! integration is off.")
        self.attempts = attempts or settings.LAPOR_HTTP_ATTEMPTS
        self.max_wait = settings.LAPOR_MAX_RETRY_WAIT if max_wait is None else max_wait
        self.http = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=timeout or settings.LAPOR_TIMEOUT_SECONDS,
            headers={
                mapping.AUTH_HEADER: f"Bearer {secret if secret is not None else settings.LAPOR_AUTH_SECRET}",
                mapping.TOKEN_HEADER: token if token is not None else settings.LAPOR_TOKEN,
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

    def request(self, method, path, *, params=None, json=None, data=None, files=None, key=None):
        """Send with a few quick retries for transient trouble; returns the decoded JSON body."""
        headers = {mapping.IDEMPOTENCY_HEADER: key} if key else {}
        last = None
        for attempt in range(1, self.attempts + 1):
            try:
                response = self.http.request(
                    method, path, params=params, json=json, data=data, files=files, headers=headers
                )
            except httpx.TransportError as exc:  # refused, reset, dropped, timed out
                last = Unavailable(f"{method} {path}: {exc.__class__.__name__}: {exc}")
            else:
                if response.status_code < 300:
                    try:
                        return response.json()
                    except ValueError:
                        last = Unavailable(f"{method} {path}: the answer is not JSON")
                elif response.status_code == 429 or response.status_code >= 500 or response.status_code == 408:
                    last = Unavailable(f"{method} {path}: HTTP {response.status_code}", _retry_after(response.headers))
                else:
                    body = _json_or_empty(response)
                    raise Rejected(
                        response.status_code, str(body.get("message") or response.text[:300]), body.get("errors")
                    )
            if attempt < self.attempts:
                wait = min(last.retry_after if last.retry_after is not None else 0.2 * 2**attempt, self.max_wait)
                time.sleep(wait)
        raise last

    @staticmethod
    def results(body):
        results = body.get("results") if isinstance(body, dict) else None
        if not isinstance(results, dict):
            raise Unavailable("the answer has no `results` object")
        return results

    # -- calls ----------------------------------------------------------------------------------

    def master(self, name):
        """A whole master list (institutions, categories, templates), every page."""
        out, page = [], 1
        while True:
            results = self.results(self.request("GET", mapping.PATHS[name], params={"page": page, "page_size": 1000}))
            data = results.get("data") or []
            out.extend(data)
            if not data or page >= int(results.get("last_page") or 1):
                return out
            page += 1

    def upload(self, files, key):
        """files: [(name, content_type, bytes)] -> list of document ids."""
        payload = [("attachments[]", (name, content, ctype)) for name, ctype, content in files]
        results = self.results(self.request("POST", mapping.PATHS["upload"], files=payload, key=key))
        return [doc["id"] for doc in results.get("docs") or []]

    def create(self, fields, key):
        results = self.results(self.request("POST", mapping.PATHS["create"], json=fields, key=key))
        return results

    def reject(self, remote_id, target_id, reason, key):
        body = {"is_request": 1, "not_authority": 1, "reason": target_id, "reason_description": reason}
        return self.request("POST", mapping.PATHS["reject"].format(id=remote_id), json=body, key=key)

    def disposition(self, remote_id, target_id, key):
        path = mapping.PATHS["disposition"].format(id=remote_id)
        return self.request("POST", path, json={"disposition_id": target_id}, key=key)

    def add_followup(self, fields, files, key):
        data = {k: str(v) for k, v in fields.items() if v is not None}
        payload = [(f"attachment[{i}]", (name, content, ctype)) for i, (name, ctype, content) in enumerate(files)]
        body = self.request("POST", mapping.PATHS["followup_add"], data=data, files=payload or None, key=key)
        return self.results(body).get("data") or {}

    def detail(self, remote_id):
        return self.results(self.request("GET", mapping.PATHS["detail"].format(id=remote_id)))

    def followups(self, remote_id):
        return self.results(self.request("GET", mapping.PATHS["followups"].format(id=remote_id))).get("data") or []

    def list_page(self, updated_since, page, page_size=None):
        page_size = page_size or mapping.page_size()
        params = {"institution_id": mapping.city_institution_id(), "page": page, "page_size": page_size}
        if updated_since:
            params["updated_since"] = updated_since
        return self.results(self.request("GET", mapping.PATHS["list"], params=params))


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

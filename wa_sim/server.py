"""HTTP plumbing and the `/__sim/*` control endpoints.

`/__sim/*` is for tests, the demo and developers (no auth); everything else is the Graph API
(graph.py), which needs the access token.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import urllib.error
import urllib.parse
import urllib.request
from copy import deepcopy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from . import citizens
from .config import SimConfig
from .delivery import Deliverer
from .errors import GraphError, SimError, invalid_parameter
from .graph import Graph
from .payloads import new_wamid
from .store import Clock, Store, iso

log = logging.getLogger("wa_sim")


class Simulator:
    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self._initial_delivery = deepcopy(config.delivery)
        self.clock = Clock()
        self.store = Store(config.data_dir, self.clock)
        self.deliverer = Deliverer(self)
        self.graph = Graph(self)
        self._last_timestamp: dict[str, int] = {}  # per phone, for message_timestamp
        self._timestamp_lock = threading.Lock()
        self.httpd = ThreadingHTTPServer((config.host, config.port), _handler_for(self))
        self.httpd.daemon_threads = True
        config.port = self.port  # the port actually bound, also when 0 asked for a free one

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def base_url(self) -> str:
        host = "127.0.0.1" if self.config.host in ("0.0.0.0", "") else self.config.host  # noqa: S104
        return f"http://{host}:{self.port}"

    def serve_forever(self) -> None:
        self.deliverer.start(self.config.workers)
        try:
            self.httpd.serve_forever(poll_interval=0.2)
        finally:
            self.deliverer.stop()
            self.httpd.server_close()
            self.store.close()

    def shutdown(self) -> None:
        self.httpd.shutdown()

    # -- shared helpers -------------------------------------------------------------------------

    def next_wamid(self, phone: str) -> str:
        return new_wamid(self.config.seed, self.store.next_serial(), phone)

    def message_timestamp(self, phone: str) -> int:
        """The platform's `timestamp` (whole seconds) for a citizen's new message: now, but always after
        the phone's previous one, so a burst of one phone's messages keeps an order a receiver can recover
        when their webhooks arrive shuffled (a person does not send two messages in one second)."""
        with self._timestamp_lock:
            stamp = max(int(self.clock.now()), self._last_timestamp.get(phone, 0) + 1)
            self._last_timestamp[phone] = stamp
            return stamp

    def rng(self, kind: str, key: str) -> random.Random:
        """Draws for one message, reproducible from the seed."""
        return random.Random(f"{self.config.seed}:{kind}:{key}")

    def webhook_jobs(self, kind, payload, wamids, options, delay, on_first_attempt, rng) -> list:
        """The original webhook and its re-deliveries, as (seconds from now, job)."""
        copies = options.redeliver + (1 if rng.random() < options.redeliver_share else 0)
        jobs = [(delay, self.deliverer.new_job(kind, payload, wamids, 0, options, on_first_attempt))]
        for n in range(1, copies + 1):
            jobs.append((delay + options.redeliver_delay, self.deliverer.new_job(kind, payload, wamids, n, options)))
        return jobs

    # -- one request ----------------------------------------------------------------------------

    def handle(self, method: str, raw_path: str, headers: dict, body: bytes):
        parts = urlsplit(raw_path)
        path = parts.path
        query = dict(parse_qsl(parts.query))
        if path.startswith("/__sim"):
            try:
                data = _json_body(body)
            except ValueError:
                return _json(400, {"error": "the body is not JSON"})
            try:
                return self.control(method, path.rstrip("/"), query, data)
            except SimError as exc:
                return _json(exc.status, {"error": exc.message})
        try:
            if len(body) > self.config.max_body_mb * 1024 * 1024:
                raise invalid_parameter("The request body is too large.")
            try:
                data = _json_body(body)
            except ValueError:
                raise invalid_parameter("The request body is not valid JSON.") from None
            status, payload = self.graph.handle(method, path, query, headers, data)
        except GraphError as exc:
            return _json(exc.status, exc.body(), {"WWW-Authenticate": "OAuth"} if exc.status == 401 else None)
        if isinstance(payload, tuple) and payload[0] == "raw":
            return status, {"Content-Type": payload[1]}, payload[2]
        return _json(status, payload)

    def control(self, method: str, path: str, query: dict, data):
        name = path.removeprefix("/__sim/")
        if method == "POST" and name == "send":
            return _json(200, citizens.send(self, data))
        if method == "POST" and name == "burst":
            return _json(200, citizens.burst(self, data))
        if method == "GET" and name == "transcript":
            return self.transcript(query)
        if name == "verify" and method in ("GET", "POST"):
            return _json(200, self.verify({**query, **(data if isinstance(data, dict) else {})}))
        if method == "GET" and name == "state":
            return _json(200, self.state())
        if name == "config":
            if method == "POST":
                self.configure(data)
            return _json(200, {"webhook": self.config.webhook, **self.config.delivery.as_json()})
        if method == "GET" and name == "deliveries":
            return _json(200, {"deliveries": self.store.deliveries(int(query.get("since", 0) or 0))})
        if method == "POST" and name == "idle":
            timeout = data.get("timeout", 30) if isinstance(data, dict) else 30
            return _json(200, {"idle": self.deliverer.wait_idle(float(timeout)), "pending": self.deliverer.pending()})
        if method == "POST" and name == "clock":
            if not isinstance(data, dict) or not isinstance(data.get("advance", 0), (int, float)):
                raise SimError(400, 'give {"advance": seconds}')
            self.clock.offset += float(data.get("advance", 0))
            return _json(200, {"now": iso(self.clock.now_us()), "offset": self.clock.offset})
        if method == "POST" and name == "reset":
            self.deliverer.reset()
            self.store.reset()
            self.clock.offset = 0.0
            with self._timestamp_lock:
                self._last_timestamp.clear()
            self.config.delivery = deepcopy(self._initial_delivery)
            return _json(200, {"reset": True})
        raise SimError(404, f"no such simulator endpoint: {method} {path}")

    def configure(self, data) -> None:
        if not isinstance(data, dict):
            raise SimError(400, "body must be a JSON object")
        changes = dict(data)
        webhook = changes.pop("webhook", None)
        if webhook is not None and not (isinstance(webhook, str) and webhook.startswith(("http://", "https://"))):
            raise SimError(400, "webhook must be an http(s) URL")
        try:
            delivery = self.config.delivery.updated(changes)
        except ValueError as exc:
            raise SimError(400, str(exc)) from None
        self.config.delivery = delivery
        if webhook is not None:
            self.config.webhook = webhook

    def state(self) -> dict:
        return {
            "config": self.config.public_json(),
            "delivery": self.config.delivery.as_json(),
            "counts": self.store.counts(),
            "pending_deliveries": self.deliverer.pending(),
            "clock": {"now": iso(self.clock.now_us()), "offset": self.clock.offset},
            "transcript_file": self.store.transcript_path,
        }

    def transcript(self, query: dict):
        phone = "".join(c for c in query.get("phone", "") if c.isdigit()) or None
        items = self.store.transcript(phone)
        if query.get("format") != "text":
            return _json(200, {"phone": phone, "messages": items})
        lines = []
        for m in items:
            who = f"{m['phone']} ({m['name']}) -> SIKESAL" if m["direction"] == "in" else f"SIKESAL -> {m['phone']}"
            status = (
                f"  [{m['status']}{' ' + str(m['error_code']) if m['error_code'] else ''}]"
                if m["direction"] == "out"
                else ""
            )
            lines.append(f"{m['at']}  {who}: {m['text']}{status}")
        return 200, {"Content-Type": "text/plain; charset=utf-8"}, ("\n".join(lines) + "\n").encode("utf-8")

    def verify(self, data: dict) -> dict:
        """The platform's subscription check: GET the webhook with a challenge and expect it back."""
        challenge = str(random.SystemRandom().randrange(10**9, 10**10))
        params = {
            "hub.mode": "subscribe",
            "hub.verify_token": str(data.get("verify_token", self.config.verify_token)),
            "hub.challenge": challenge,
        }
        url = str(data.get("url") or self.config.webhook)
        sep = "&" if "?" in url else "?"
        request = urllib.request.Request(url + sep + urllib.parse.urlencode(params))  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.config.webhook_timeout) as response:  # noqa: S310
                status, answer = response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            status, answer = exc.code, exc.read().decode("utf-8", "replace")
        except (urllib.error.URLError, OSError) as exc:
            status, answer = None, str(getattr(exc, "reason", exc))
        return {
            "ok": status == 200 and answer.strip() == challenge,
            "status": status,
            "challenge": challenge,
            "answer": answer[:500],
        }


def _json_body(body: bytes):
    return json.loads(body) if body.strip() else {}


def _json(status: int, payload, extra_headers: dict | None = None):
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json"}
    headers.update(extra_headers or {})
    return status, headers, body


def _handler_for(sim: Simulator):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "wa-sim/1"
        # The headers and the body go out in two writes; with Nagle's algorithm on, a keep-alive client's
        # delayed ACK held every answer's body back about 40 ms (SIKESAL's sends waited on it).
        disable_nagle_algorithm = True

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                status, headers_out, payload = sim.handle(self.command, self.path, headers, body)
            except Exception:  # an unexpected bug answers 500 instead of killing the thread
                log.exception("request failed: %s %s", self.command, self.path)
                status, headers_out, payload = _json(500, {"error": {"message": "Simulator error", "code": 1}})
            self.send_response(status)
            for name, value in headers_out.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = _serve
        do_POST = _serve
        do_DELETE = _serve

        def log_message(self, fmt, *args) -> None:
            if sim.config.log_requests:
                log.info("%s %s", self.address_string(), fmt % args)

    return Handler

"""HTTP plumbing: a threading server, auth, switched-off endpoints, idempotency and the injected faults.

Order for an API request: a switched-off optional endpoint answers 404 `{"success": false, "message":
"Not Found"}` (as an unknown route would, before auth); then auth (401); then the faults drawn for
it; then the handler. `Idempotency-Key` is honoured only with `--idempotency` (off by default, as
there is no sign the real service honours it).
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from .api import Api, Request
from .config import SimConfig
from .errors import ApiError
from .faults import FaultInjector, corrupt_item, duplicate_items
from .store import Store
from .world import World

log = logging.getLogger("lapor_sim")


class Simulator:
    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.store = Store(config.data_dir, config.seed, config.city_institution_id)
        self.world = World(self.store, config.behaviour, config.seed)
        self.faults = FaultInjector(config.faults)
        self.api = Api(self)
        self.request_counts: dict[str, int] = {}
        self._counts_lock = threading.Lock()
        self._stop = threading.Event()
        self._last_list_tail: dict | None = None
        self.httpd = ThreadingHTTPServer((config.host, config.port), _handler_for(self))
        self.httpd.daemon_threads = True

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    def count(self, key: str) -> None:
        with self._counts_lock:
            self.request_counts[key] = self.request_counts.get(key, 0) + 1

    def _ticker(self) -> None:
        while not self._stop.wait(self.config.tick_interval or 0.2):
            if self.config.tick_interval <= 0:
                continue
            try:
                self.world.tick()
            except Exception:  # the world must keep turning; the error is logged
                log.exception("world tick failed")

    def serve_forever(self) -> None:
        threading.Thread(target=self._ticker, name="world", daemon=True).start()
        try:
            self.httpd.serve_forever(poll_interval=0.2)
        finally:
            self._stop.set()
            self.httpd.server_close()
            self.store.close()

    def shutdown(self) -> None:
        self._stop.set()
        self.httpd.shutdown()

    # -- one request ----------------------------------------------------------------------------

    def handle(self, method: str, raw_path: str, headers: dict[str, str], body: bytes):
        """Returns (status, headers, body bytes) or None to drop the connection."""
        parts = urlsplit(raw_path)
        path = parts.path.rstrip("/") or "/"
        req = Request(method, path, dict(parse_qsl(parts.query)), headers, body)
        internal = path.startswith("/__sim")
        if not internal and self.api.switched_off(path):
            return _json(404, {"success": False, "message": "Not Found"})
        if not internal and not self._authorised(headers):
            return _json(401, {"success": False, "message": "Unauthenticated."})
        decision = None if internal else self.faults.decide(path)
        if decision is not None:
            self.count(f"{method} {path.split('/')[1] if '/' in path else path}")
            if decision.kind == "drop":
                self.faults.count("drop")
                return None
            if decision.kind == "timeout":
                self.faults.count("timeout")
                time.sleep(self.faults.config.timeout_seconds)
                return None
            if decision.kind == "rate_limit":
                self.faults.count("rate_limit")
                retry = self.faults.config.retry_after
                return _json(429, {"success": False, "message": "Too Many Attempts."}, {"Retry-After": f"{retry:g}"})
            if decision.kind == "error":
                self.faults.count(f"error_{decision.error_status}")
                return _json(decision.error_status, {"success": False, "message": "Server Error"})
            if decision.slow:
                self.faults.count("slow")
                time.sleep(self.faults.config.slow_seconds)
        try:
            if len(body) > self.config.max_body_mb * 1024 * 1024:
                raise ApiError(413, "Body terlalu besar.")
            req.parse_body()
            handler, args = self.api.resolve(method, path)
            key = headers.get("idempotency-key") if method == "POST" and not internal else None
            if key and self.config.idempotency:
                status, payload = self._idempotent(key, method, path, handler, req, args)
            else:
                status, payload = handler(req, *args)
        except ApiError as exc:
            return _json(exc.status, exc.body())
        if isinstance(payload, tuple) and payload[0] == "raw":
            return status, {"Content-Type": payload[1]}, payload[2]
        if decision is not None and method == "POST" and status < 300 and decision.commit_500:
            # The change is committed, but the caller is told it failed: it must not create twice.
            self.faults.count("commit_500")
            return _json(500, {"success": False, "message": "Server Error"})
        if decision is not None and method == "GET" and path == "/complaints" and status == 200:
            payload = self._disturb_list(payload, decision)
        return _json(status, payload)

    def _idempotent(self, key, method, path, handler, req, args):
        scoped = f"{method} {path} {key}"
        with self.store.transaction():
            seen = self.store.idempotent_result(scoped)
            if seen is not None:
                self.faults.count("idempotent_replay")
                return seen["status"], json.loads(seen["body"])
            status, payload = handler(req, *args)
            if status < 300:
                self.store.remember_result(scoped, method, path, status, payload)
            return status, payload

    def _disturb_list(self, payload: dict, decision) -> dict:
        items = payload["results"]["data"]
        config = self.faults.config
        if config.corrupt_rate:
            for i, item in enumerate(items):
                if decision.rng.random() < config.corrupt_rate:
                    items[i] = corrupt_item(item, decision.rng)
                    self.faults.count("corrupt")
        tail = self._last_list_tail
        self._last_list_tail = dict(items[-1]) if items else None
        if decision.duplicate and items:
            self.faults.count("duplicate")
            payload["results"]["data"] = duplicate_items(items, tail, decision.rng)
        return payload

    def _authorised(self, headers: dict[str, str]) -> bool:
        config = self.config
        if headers.get(config.auth_header.lower(), "") != config.expected_auth:
            return False
        return not config.require_token or headers.get("token", "") == config.token


def _json(status: int, payload, extra_headers: dict | None = None):
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json"}
    headers.update(extra_headers or {})
    return status, headers, body


def _handler_for(sim: Simulator):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "lapor-sim/1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                result = sim.handle(self.command, self.path, headers, body)
            except Exception:  # an unexpected bug answers 500 instead of killing the thread
                log.exception("request failed: %s %s", self.command, self.path)
                result = _json(500, {"success": False, "message": "Simulator error"})
            if result is None:
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            status, headers_out, payload = result
            self.send_response(status)
            for name, value in headers_out.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = _serve
        do_POST = _serve

        def log_message(self, fmt, *args) -> None:
            if sim.config.log_requests:
                log.info("%s %s", self.address_string(), fmt % args)

    return Handler

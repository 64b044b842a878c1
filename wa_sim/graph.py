"""The Graph API side SIKESAL calls: send a message, look up a media id, download the media.

Paths may carry a version (`/v21.0/...`) or not. Every call needs `Authorization: Bearer <access
token>`; media download URLs need it too, and expire after five minutes, as the platform's do.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from datetime import timedelta

from .errors import GraphError, invalid_parameter, unknown_object
from .payloads import RE_ENGAGEMENT, UNDELIVERABLE, envelope, status_value, summary

VERSION = re.compile(r"^/v\d+(\.\d+)?(?=/)")
WINDOW = timedelta(hours=24).total_seconds()
MEDIA_URL_LIFETIME = 300  # seconds
MEDIA_TYPES = ("image", "document", "audio", "video", "sticker")
SEND_TYPES = ("text", "template", "interactive", "location", "reaction", *MEDIA_TYPES)
STATUS_STEPS = ("sent", "delivered", "read")


class Graph:
    def __init__(self, sim) -> None:
        self.sim = sim

    def authorise(self, headers: dict) -> None:
        value = headers.get("authorization", "")
        if not value:
            raise GraphError(
                401, "An active access token must be used to query information about the current user.", 2500
            )
        if value != f"Bearer {self.sim.config.access_token}":
            raise GraphError(401, "Invalid OAuth access token - Cannot parse access token", 190)

    def handle(self, method: str, path: str, query: dict, headers: dict, body):
        """(status, payload) for a Graph API path; payload ("raw", mime, bytes) for a download."""
        path = VERSION.sub("", path)
        parts = [p for p in path.split("/") if p]
        self.authorise(headers)
        if len(parts) == 2 and parts[0] == "media" and method == "GET":
            return self.download(parts[1], query)
        if len(parts) == 2 and parts[1] == "messages" and method == "POST":
            if parts[0] != self.sim.config.phone_number_id:
                raise unknown_object(parts[0], method)
            return self.send(body)
        if len(parts) == 1 and method == "GET":
            return self.media_info(parts[0])
        raise unknown_object(parts[0] if parts else "", method)

    # -- media ----------------------------------------------------------------------------------

    def _media_sig(self, media_id: str, expires: int) -> str:
        key = self.sim.config.access_token.encode()
        return hmac.new(key, f"{media_id}:{expires}".encode(), hashlib.sha256).hexdigest()[:32]

    def media_info(self, media_id: str):
        row = self.sim.store.media(media_id)
        if row is None:
            raise unknown_object(media_id, "GET")
        expires = int(self.sim.clock.now()) + MEDIA_URL_LIFETIME
        url = f"{self.sim.base_url}/media/{media_id}?ext={expires}&hash={self._media_sig(media_id, expires)}"
        return 200, {
            "messaging_product": "whatsapp",
            "url": url,
            "mime_type": row["mime_type"],
            "sha256": row["sha256"],
            "file_size": row["size"],
            "id": media_id,
        }

    def download(self, media_id: str, query: dict):
        row = self.sim.store.media(media_id)
        try:
            expires = int(query.get("ext", ""))
        except ValueError:
            expires = 0
        signed = hmac.compare_digest(query.get("hash", ""), self._media_sig(media_id, expires))
        if row is None or not signed or expires < self.sim.clock.now():
            raise GraphError(404, "Media URL is invalid or has expired; look the media id up again.", 100)
        return 200, ("raw", row["mime_type"], bytes(row["data"]))

    # -- sending --------------------------------------------------------------------------------

    def send(self, body):
        if not isinstance(body, dict):
            raise invalid_parameter("The request body must be a JSON object.")
        if body.get("messaging_product") != "whatsapp":
            raise invalid_parameter("messaging_product must be whatsapp.")
        if body.get("status") == "read":  # marking a citizen's message as read
            if self.sim.store.message(str(body.get("message_id", ""))) is None:
                raise invalid_parameter("Unknown message_id.")
            return 200, {"success": True}
        to_raw = str(body.get("to", ""))
        phone = re.sub(r"[\s+\-()]", "", to_raw)
        if not phone.isdigit() or not 8 <= len(phone) <= 15:
            raise invalid_parameter("Parameter 'to' must be a phone number with country code.")
        kind = body.get("type", "text")
        if kind not in SEND_TYPES:
            raise invalid_parameter(f"Unknown message type '{kind}'.")
        content = body.get(kind)
        if not isinstance(content, dict):
            raise invalid_parameter(f"Parameter '{kind}' is required for type {kind}.")
        self._check_content(kind, content)
        options = self.sim.config.delivery
        outside_window = kind != "template" and not self.in_window(phone)
        if outside_window and options.window == "refuse":
            raise GraphError(
                400,
                "(#131047) Re-engagement message",
                131047,
                error_data={"messaging_product": "whatsapp", "details": RE_ENGAGEMENT["error_data"]["details"]},
            )
        wamid = self.sim.next_wamid(phone)
        message = {k: v for k, v in body.items() if k in ("type", kind, "context")}
        message.setdefault("type", kind)
        self.sim.store.add_message(wamid, "out", phone, None, kind, summary("out", message), body)
        rng = self.sim.rng("send", wamid)
        failure = RE_ENGAGEMENT if outside_window else None
        if failure is None and rng.random() < options.fail_share:
            failure = {**UNDELIVERABLE, "code": options.fail_code}
        read = rng.random() < options.read_share
        steps = ["failed"] if failure else [s for s in STATUS_STEPS if s != "read" or read]
        if options.statuses:
            self._schedule_statuses(wamid, phone, steps, failure, options, rng)
        answer = {"messaging_product": "whatsapp", "contacts": [{"input": to_raw, "wa_id": phone}]}
        sent = {"id": wamid}
        if kind == "template":
            sent["message_status"] = "accepted"
        answer["messages"] = [sent]
        if options.send_latency:
            time.sleep(options.send_latency)  # this request's own thread: other sends go on meanwhile
        return 200, answer

    def in_window(self, phone: str) -> bool:
        last = self.sim.store.last_in_us(phone)
        return last is not None and self.sim.clock.now() - last / 1_000_000 < WINDOW

    def _schedule_statuses(self, wamid, phone, steps, failure, options, rng) -> None:
        store, clock = self.sim.store, self.sim.clock
        jobs = []
        order = list(range(len(steps)))
        if options.out_of_order:
            rng.shuffle(order)
        now = int(clock.now())
        # The steps happen in order (their timestamps say so); only their webhooks may arrive shuffled.
        for step_number, (slot, step) in enumerate(zip(order, steps, strict=True)):

            def record(step=step):
                store.add_status(wamid, step, clock.now_us(), failure["code"] if failure else None)

            value = status_value(wamid, step, now + step_number, phone, failure if step == "failed" else None)
            delay = options.status_delay * (slot + 1)
            jobs += self.sim.webhook_jobs(
                "status", envelope(self.sim.config, value), [wamid], options, delay, record, rng
            )
        self.sim.deliverer.enqueue(jobs)

    @staticmethod
    def _check_content(kind: str, content: dict) -> None:
        if kind == "text":
            text = content.get("body")
            if not isinstance(text, str) or not text.strip():
                raise invalid_parameter("text.body is required.")
            if len(text) > 4096:
                raise invalid_parameter("text.body must be at most 4096 characters.")
        elif kind in MEDIA_TYPES:
            if not content.get("link") and not content.get("id"):
                raise invalid_parameter(f"{kind} needs a link or an id.")
        elif kind == "template":
            if not content.get("name") or not isinstance(content.get("language"), dict):
                raise invalid_parameter("template needs a name and a language.")
        elif kind == "interactive":
            if content.get("type") not in ("button", "list", "cta_url", "location_request_message"):
                raise invalid_parameter("interactive.type must be button, list, cta_url or location_request_message.")
            if not (content.get("body") or {}).get("text"):
                raise invalid_parameter("interactive.body.text is required.")
            action = content.get("action") or {}
            if content["type"] == "button" and not 1 <= len(action.get("buttons") or []) <= 3:
                raise invalid_parameter("A button message has one to three buttons.")
            if content["type"] == "list":
                rows = [r for s in action.get("sections") or [] for r in s.get("rows") or []]
                if not action.get("button") or not 1 <= len(rows) <= 10:
                    raise invalid_parameter("A list message has a button label and one to ten rows.")
        elif kind == "location" and ("latitude" not in content or "longitude" not in content):
            raise invalid_parameter("location needs latitude and longitude.")

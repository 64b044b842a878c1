"""The WhatsApp simulator as a real process on loopback, delivering to a tiny webhook receiver here."""

import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from wa_sim import process

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "test-verify-token"
ACCESS_TOKEN = "test-access-token"
PHONE_ID = "1000000042"
TOKEN = {"Authorization": f"Bearer {ACCESS_TOKEN}"}


class Receiver:
    """Stands in for SIKESAL's webhook: keeps every request as it came and answers what a test scripts."""

    def __init__(self):
        self.requests = []
        self.answers = []  # status codes for the next POSTs; 200 once they run out
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                query = parse_qs(urlsplit(self.path).query)
                if query.get("hub.mode") == ["subscribe"] and query.get("hub.verify_token") == [VERIFY_TOKEN]:
                    self._answer(200, query["hub.challenge"][0].encode())
                else:
                    self._answer(403, b"forbidden")

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.requests.append({"headers": dict(self.headers), "body": body})
                    status = receiver.answers.pop(0) if receiver.answers else 200
                self._answer(status, b"ok")

            def _answer(self, status, body):
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/webhooks/whatsapp/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def clear(self):
        with self.lock:
            self.requests.clear()
            self.answers.clear()

    def payloads(self):
        with self.lock:
            return [json.loads(r["body"]) for r in self.requests]

    def messages(self):
        """Every citizen message received, in arrival order (re-deliveries included)."""
        return [m for p in self.payloads() for m in p["entry"][0]["changes"][0]["value"].get("messages", [])]

    def statuses(self, wamid=None):
        found = [s for p in self.payloads() for s in p["entry"][0]["changes"][0]["value"].get("statuses", [])]
        return [s for s in found if wamid is None or s["id"] == wamid]

    def wait_for(self, predicate, timeout=10):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if predicate():
                return True
            time.sleep(0.02)
        return False


class Sim:
    def __init__(self, url):
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=30)

    def post(self, path, body=None):
        response = self.http.post(path, json=body if body is not None else {})
        assert response.status_code == 200, response.text
        return response.json()

    def say(self, text, phone="6281234567890", **extra):
        return self.post("/__sim/send", {"from": phone, "name": "Rina", "text": text, **extra})

    def send(self, body, headers=TOKEN, path=f"/v21.0/{PHONE_ID}/messages"):
        return self.http.post(path, json={"messaging_product": "whatsapp", **body}, headers=headers)

    def idle(self):
        assert self.post("/__sim/idle", {"timeout": 10})["idle"]


@pytest.fixture(scope="session")
def receiver():
    r = Receiver()
    yield r
    r.httpd.shutdown()


def start_simulator(data_dir, webhook):
    """`python -m wa_sim` on a free port with this suite's credentials; (process, its URL)."""
    return process.start(
        data_dir, "--webhook", webhook, "--app-secret", APP_SECRET, "--verify-token", VERIFY_TOKEN,
        "--access-token", ACCESS_TOKEN, "--phone-number-id", PHONE_ID,
    )  # fmt: skip


stop_simulator = process.stop


@pytest.fixture(scope="session")
def simulator_process(tmp_path_factory, receiver):
    data = tmp_path_factory.mktemp("wa-sim")
    proc, url = start_simulator(data, receiver.url)
    yield url, data
    stop_simulator(proc)


@pytest.fixture
def sim(simulator_process, receiver):
    """A fresh simulator (quick retries and status callbacks) and an empty receiver."""
    s = Sim(simulator_process[0])
    s.data_dir = simulator_process[1]
    s.post("/__sim/reset")
    s.post("/__sim/config", {"retry_base": 0.02, "status_delay": 0.01})
    s.idle()  # a webhook in flight when the last test ended lands before the receiver is emptied
    receiver.clear()
    yield s
    s.http.close()

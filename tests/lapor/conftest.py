"""The LAPOR! simulator as a real process on loopback, shared by the tests of this package."""

import os
import re
import subprocess
import sys
import time

import httpx
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AUTH = {"Authorization": "Bearer sim-secret", "token": "sim-token"}


class Sim:
    def __init__(self, url):
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=30)

    def post(self, path, body=None):
        response = self.http.post(path, json=body if body is not None else {})
        assert response.status_code == 200, response.text
        return response.json()

    def state(self, **query):
        return self.http.get("/__sim/state", params=query).json()

    def complaints(self):
        return {c["id"]: c for c in self.state(complaints=1, followups=1)["complaints"]}

    def api(self, method, path, **kwargs):
        return self.http.request(method, path, headers={**AUTH, **kwargs.pop("headers", {})}, **kwargs)

    def tick(self):
        return self.post("/__sim/tick", {"everything": True})["done"]

    def faults(self, **rates):
        return self.post("/__sim/faults", {"clear": True, **rates})

    def citizens(self, count, **extra):
        return self.post("/__sim/citizen", {"count": count, **extra})["complaint_ids"]


def start_simulator(data_dir, *extra):
    proc = subprocess.Popen(
        [sys.executable, "-m", "lapor_sim", "--port", "0", "--data", str(data_dir), "--tick-interval", "0", *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    line = proc.stdout.readline()
    proc.first_line = line  # the simulator's start-up line: its address and its mode
    match = re.search(r"http://[\d.]+:(\d+)", line)
    if not match:
        proc.kill()
        raise RuntimeError(f"the simulator did not start: {line}{proc.stdout.read()}")
    url = f"http://127.0.0.1:{match.group(1)}"
    for _ in range(50):
        try:
            httpx.get(url + "/__sim/state", timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.1)
    return proc, url


@pytest.fixture(scope="session")
def simulator_process(tmp_path_factory):
    proc, url = start_simulator(tmp_path_factory.mktemp("lapor-sim"))
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def sim(simulator_process, settings):
    """A fresh simulated LAPOR! (admin acts only when ticked), with SIKESAL pointed at it."""
    s = Sim(simulator_process)
    s.post("/__sim/reset")
    s.faults()
    s.post("/__sim/endpoints", {"disabled": []})
    s.post("/__sim/shape", {"omit": []})
    s.post(
        "/__sim/config",
        {
            "admin_delay": 0,
            "institution_delay": 0,
            "citizen_rate": 0,
            "citizen_response_delay": 0,
            "citizen_close_share": 0,
            "citizen_dispute_share": 0,
            "auto_close_after": 0,
            "admin_pending_share": 0,
            "admin_archive_share": 0,
        },
    )
    settings.LAPOR_BASE_URL = simulator_process
    settings.LAPOR_AUTH_SECRET = "Bearer sim-secret"
    settings.LAPOR_TOKEN = "sim-token"
    settings.LAPOR_HTTP_ATTEMPTS = 4
    settings.LAPOR_MAX_RETRY_WAIT = 0.05
    settings.LAPOR_RETRY_BASE_SECONDS = 0
    settings.LAPOR_TIMEOUT_SECONDS = 2
    settings.LAPOR_UNSURE_SETTLE_SECONDS = 0  # no slow answers here unless a test sets them (and this)
    settings.LAPOR_FLAGS_HOLD_SECONDS = 0  # sent at once here; the hold has its own test
    yield s
    s.http.close()

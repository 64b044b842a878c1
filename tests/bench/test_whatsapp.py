"""bench.whatsapp runs end to end: the simulator's citizens file through a real server and get receipts."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings


@pytest.mark.slow
def test_a_tiny_whatsapp_run_files_every_citizens_report_and_times_the_receipts(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SIKESAL_SQLITE_PATH", "SIKESAL_DATA_DIR")}
    out = tmp_path / "whatsapp.json"
    run = subprocess.run(
        # One webhook in flight: each citizen's six messages arrive in the order they were sent, as a citizen
        # who reads each answer sends them (16 at once, as the full bench does, let a loaded machine deliver
        # "ya" before "1"; out-of-order delivery has its own tests in tests/whatsapp).
        [sys.executable, "-m", "bench.whatsapp", "--citizens", "3", "--deliverers", "1", "--json", str(out)],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,  # the run gives up waiting after 120 s and reports what it has
    )
    assert run.returncode == 0, run.stderr
    figures = json.loads(out.read_text())
    print(figures)  # shown when an assertion below fails
    assert figures["webhook_accepted"] == figures["worker_handled"] == 18
    assert figures["reports_filed"] == figures["receipts"] == 3
    assert figures["receipt_latency_p99_s"] > 0

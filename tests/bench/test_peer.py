"""bench.peer puts SIKESAL and the peer Open311 server (6aika/issue-reporting) side by side on the same
reports. It needs the peer's source, which is never downloaded: set SIKESAL_PEER_SRC to a checkout."""

import ctypes.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

PEER_SRC = os.environ.get("SIKESAL_PEER_SRC", "")
# What both publish of a report in full, and must publish alike when the copy is row for row.
SAME = ("service_request_id", "service_code", "service_name", "description", "status", "agency_responsible",
        "lat", "long", "requested_datetime", "updated_datetime", "expected_datetime")  # fmt: skip


@pytest.mark.slow
@pytest.mark.skipif(
    not (PEER_SRC and (Path(PEER_SRC) / "cfh" / "settings.py").exists()),
    reason="the peer's source is not here: set SIKESAL_PEER_SRC to a checkout of 6aika/issue-reporting "
    "(bench/README.md, 'Side by side with the peer')",
)
@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (Debian package wrk)")
@pytest.mark.skipif(
    not (ctypes.util.find_library("gdal") and ctypes.util.find_library("geos_c")),
    reason="the peer needs GDAL and GEOS (Debian: apt-get install libgdal32 libgeos-c1v5)",
)
def test_both_servers_answer_the_same_report_and_every_call_is_measured(tmp_path):
    out = tmp_path / "peer.json"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SIKESAL_DATA_DIR")}
    run = subprocess.run(
        [sys.executable, "-m", "bench.peer", "--peer-src", PEER_SRC, "--reports", "50", "--seconds", "1",
         "--runs", "1", "--json", str(out)],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["reports_copied"] == 50
    checks = result["checks"]
    assert set(checks) == {"sikesal", "peer", "peer_tuned"}
    ours = checks["sikesal"]["by_id"]
    for peer in ("peer", "peer_tuned"):
        assert checks[peer]["statuses"]["by_id"] == 200
        assert {k: checks[peer]["by_id"][k] for k in SAME} == {k: ours[k] for k in SAME}
        assert checks[peer]["services_rows"] == checks["sikesal"]["services_rows"]
    assert checks["sikesal"]["statuses"]["by_id"] == 200
    assert ours["description"] and ours["lat"] is not None
    for call, row in result["calls"].items():
        assert all(row[server] > 0 for server in checks), (call, row)
    table = out.with_suffix(".md").read_text()
    assert "| requests/{id}.json |" in table and "ratio vs peer tuned" in table

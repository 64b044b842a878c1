"""bench.seed fills the database the server uses, as bench/README.md says."""

import os
import sqlite3
import subprocess
import sys

import pytest
from django.conf import settings


@pytest.mark.slow
def test_seed_fills_the_sqlite_file_in_the_data_dir(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SIKESAL_SQLITE_PATH")}
    env["SIKESAL_DATA_DIR"] = str(tmp_path)
    run = subprocess.run(
        [sys.executable, "-m", "bench.seed", "--reports", "40"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert str(tmp_path / "sikesal.sqlite3") in run.stdout
    with sqlite3.connect(tmp_path / "sikesal.sqlite3") as db:
        assert db.execute("select count(*) from complaints_complaint").fetchone() == (40,)

"""A web process does its first-request work while it loads (core/warmup.py), so the first citizens after
a start or a restart of a web process do not wait for it, and keeps what it loaded out of the garbage
collector's full collections."""

import json
import os
import subprocess
import sys

from django.conf import settings

PROBE = """
import gc, json, sys
from django.db import connections
import sikesal.wsgi  # what gunicorn loads in each web process
from django.template import engines
compiled = engines["django"].engine.template_loaders[0]
print(json.dumps({
    "urls": "sikesal.api.v1.api" in sys.modules and "sikesal.api.open311.views" in sys.modules,
    "holidays": "holidays.countries.indonesia" in sys.modules,
    "templates": sorted(name for name in getattr(compiled, "get_template_cache", {})),
    "db_opened": any(c.connection is not None for c in connections.all(initialized_only=True)),
    "frozen": gc.get_freeze_count(),
}))
"""


def test_loading_the_web_application_warms_it_without_touching_the_database(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIKESAL_") and k != "DATABASE_URL"}
    # A database it cannot open: warming must not need one (a web process may start before the database).
    env.update(SIKESAL_DATA_DIR=str(tmp_path / "var"), SIKESAL_SQLITE_PATH=str(tmp_path / "missing" / "db.sqlite3"))
    env["DJANGO_SETTINGS_MODULE"] = "sikesal.settings"
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    state = json.loads(done.stdout.strip().splitlines()[-1])
    assert state["urls"], "the URL configuration (every view and API) is imported"
    assert state["holidays"], "the working-day calendar's holidays are loaded"
    assert "portal/track_detail.html" in state["templates"]
    assert not state["db_opened"]
    # what is loaded now lives as long as the process: out of the full garbage collections' way
    assert state["frozen"] > 10_000
